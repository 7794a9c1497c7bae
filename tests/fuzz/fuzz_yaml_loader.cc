// libFuzzer target: LoadKernelFromYaml on arbitrary bytes. A load either
// fails with a positioned message and leaves the output untouched, or yields
// a kernel that answers a check; nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace {

constexpr std::string_view kSource = "fuzz.yaml";

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const agentos::KernelSpace> kernel;
  const agentos::Status status = agentos::LoadKernelFromYaml(text, kSource, &kernel);
  if (!status.ok()) {
    Require(kernel == nullptr);
    // Every error names the source, a line and a column.
    const std::string& msg = status.message();
    Require(msg.size() > kSource.size() + 1 && msg.compare(0, kSource.size(), kSource) == 0 &&
            msg[kSource.size()] == ':');
    return 0;
  }
  Require(kernel != nullptr);
  Require(kernel->allow_all() || !kernel->policies().empty());

  // One check per action kind, the payload being the input itself.
  agentos::EpisodeState state;
  agentos::Decision decision;
  for (int k = 0; k < agentos::kActionKindCount; ++k) {
    agentos::Action action;
    action.kind = static_cast<agentos::ActionKind>(k);
    action.agent_id = "agent-1";
    action.tool = "search";
    action.payload = text;
    action.cost_usd = 1.0;
    action.tokens = 10;
    kernel->Check(action, state, decision);
    for (const agentos::Violation& v : decision.violations()) {
      Require(!v.policy().empty() && !v.rule().empty());
    }
    Require(decision.allowed() == (decision.total_violations() == 0) ||
            kernel->mode() == agentos::EnforcementMode::kAudit);
  }
  return 0;
}
