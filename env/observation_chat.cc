#include "env/observation_chat.h"

#include <algorithm>
#include <cstring>

#include "env/vector_env.h"

namespace agentos {

std::string_view ChatRoleName(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem:
      return "system";
    case ChatRole::kUser:
      return "user";
  }
  return "";
}

// Two passes (sizes and roles, then copies) so the byte buffer grows at most
// once per Build. offsets_ and roles_ keep their capacity across clear().
void ObservationChat::Build(const VectorEnv& venv) {
  const std::size_t n = venv.num_envs();
  offsets_.clear();
  roles_.clear();
  env_first_.resize(n + 1);
  offsets_.push_back(0);
  std::uint64_t total = 0;
  auto add = [&](ChatRole role, std::string_view content) {
    roles_.push_back(static_cast<std::uint8_t>(role));
    total += content.size() + 1;
    offsets_.push_back(total);
  };
  for (std::size_t i = 0; i < n; ++i) {
    env_first_[i] = roles_.size();
    const GovernedEnvironment& env = venv.env(i);
    if (std::string_view instructions = env.task().Instructions(); !instructions.empty()) {
      add(ChatRole::kSystem, instructions);
    }
    add(ChatRole::kUser, env.ObservationText());
  }
  env_first_[n] = roles_.size();
  if (total > bytes_.size()) bytes_.resize(std::max<std::size_t>(total, 2 * bytes_.size()));
  char* out = bytes_.data();
  std::size_t m = 0;
  auto copy = [&](std::string_view content) {
    if (!content.empty()) std::memcpy(out + offsets_[m], content.data(), content.size());
    out[offsets_[m + 1] - 1] = '\0';
    ++m;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const GovernedEnvironment& env = venv.env(i);
    if (std::string_view instructions = env.task().Instructions(); !instructions.empty()) copy(instructions);
    copy(env.ObservationText());
  }
  size_ = total;
}

}  // namespace agentos
