// ObservationChat: every env's observation as chat messages with roles, for
// trainers that take conversations rather than plain text.
//
// The rule, here only: an env whose task has instructions
// (Task::Instructions) opens with a "system" message carrying them; then one
// "user" message carries its observation text (Task::ObservationText), even
// when that is empty.
//
// Layout (one buffer for the whole batch, like VectorEnv's observation
// texts): message m has role roles()[m] and content
// bytes()[offsets()[m], offsets()[m+1] - 1), followed by a NUL; env i's
// messages are m in [env_first()[i], env_first()[i+1]). Build reuses its
// memory, growing it geometrically, so rebuilding every step allocates
// nothing in steady state; the views are valid until the next Build.
#ifndef AGENTOS_ENV_OBSERVATION_CHAT_H_
#define AGENTOS_ENV_OBSERVATION_CHAT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace agentos {

class VectorEnv;

enum class ChatRole : std::uint8_t { kSystem = 0, kUser = 1 };
inline constexpr int kChatRoleCount = 2;
// "system", "user"; "" for anything else.
std::string_view ChatRoleName(ChatRole role);

class ObservationChat {
 public:
  // Rebuilds the messages from every env's current observation.
  void Build(const VectorEnv& venv);

  std::string_view bytes() const { return {bytes_.data(), size_}; }
  std::span<const std::uint64_t> offsets() const { return offsets_; }  // messages + 1
  std::span<const std::uint8_t> roles() const { return roles_; }       // one ChatRole per message
  std::span<const std::uint64_t> env_first() const { return env_first_; }  // num_envs + 1
  std::size_t num_messages() const { return roles_.size(); }

 private:
  std::vector<char> bytes_;  // size() is the capacity; the messages are [0, size_)
  std::size_t size_ = 0;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::uint8_t> roles_;
  std::vector<std::uint64_t> env_first_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_OBSERVATION_CHAT_H_
