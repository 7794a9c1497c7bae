// agentos_kernel.h: kernels, episode state, decisions and batch checks.
#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "capi_internal.h"
#include "env/signals.h"
#include "kernel/action.h"
#include "kernel/decision.h"
#include "policies/policy_loader.h"

using agentos::Action;
using agentos::ActionKind;
using agentos::Decision;
using agentos::EpisodeState;
using agentos::KernelSpace;
using agentos::capi::Fail;
using agentos::capi::Guard;
using agentos::capi::ToAction;
using agentos::capi::ToView;

// A decision plus the kernel that filled it, kept alive because violation
// policy names point into it. Violations are read in place (their strings are
// NUL-terminated where they live), so reading never writes to the handle.
struct agentos_decision {
  Decision decision;
  std::shared_ptr<const KernelSpace> owner;
};

namespace agentos::capi {

agentos_kernel* NewKernelHandle(std::shared_ptr<const KernelSpace> space) {
  auto* handle = new agentos_kernel;
  try {
    handle->policy_types.reserve(space->policies().size());
    for (const auto& p : space->policies()) handle->policy_types.emplace_back(p->type());
  } catch (...) {
    delete handle;
    throw;
  }
  handle->space = std::move(space);
  return handle;
}

}  // namespace agentos::capi

namespace {

constexpr int kSeverityNone = AGENTOS_SEVERITY_NONE;

bool ValidKind(std::int32_t kind) { return kind >= 0 && kind < agentos::kActionKindCount; }

int UnknownKind(const char* fn, std::int32_t kind) {
  return Fail(AGENTOS_INVALID, std::string(fn) + ": unknown action kind " + std::to_string(kind) +
                                   " (expected AGENTOS_ACTION_SQL .. AGENTOS_ACTION_NUMERIC, 0.." +
                                   std::to_string(agentos::kActionKindCount - 1) + ")");
}

int NullArg(const char* fn, const char* what) {
  return Fail(AGENTOS_INVALID, std::string(fn) + ": " + what + " is NULL");
}

}  // namespace

bool agentos::capi::ToAction(const char* fn, const agentos_action& in, Action* out, int* code) {
  if (!agentos::capi::SizeOk(fn, "action", in, code)) return false;
  if (!ValidKind(in.kind)) {
    *code = UnknownKind(fn, in.kind);
    return false;
  }
  Action a;
  a.kind = static_cast<ActionKind>(in.kind);
  const char* bad = nullptr;
  if (!ToView(in.agent_id, in.agent_id_len, &a.agent_id)) bad = "agent_id";
  else if (!ToView(in.tool, in.tool_len, &a.tool)) bad = "tool";
  else if (!ToView(in.payload, in.payload_len, &a.payload)) bad = "payload";
  if (bad != nullptr) {
    *code = Fail(AGENTOS_INVALID, std::string(fn) + ": action " + bad + " is NULL with a non-zero length");
    return false;
  }
  a.cost_usd = in.cost_usd;
  a.tokens = in.tokens;
  *out = a;
  return true;
}

namespace {

void WriteResult(const Decision& d, std::size_t i, std::uint8_t* allowed, std::int8_t* max_severity,
                 std::uint32_t* violations) {
  allowed[i] = d.allowed() ? 1 : 0;
  if (max_severity != nullptr) {
    auto sev = d.max_severity();
    max_severity[i] = sev ? static_cast<std::int8_t>(*sev) : static_cast<std::int8_t>(kSeverityNone);
  }
  if (violations != nullptr) violations[i] = d.total_violations();
}

// Result arrays of n entries and n + 1 offsets must be addressable.
constexpr std::size_t kMaxBatch = std::numeric_limits<std::size_t>::max() / sizeof(std::uint64_t) - 1;

// The four decision queries run once per check in callers' loops and cannot
// throw, so they skip Guard (and its clearing of the thread's last message);
// only their error path, which builds a message, runs inside it.
int NullDecisionArg(const char* fn, const char* what) {
  return Guard([&] { return NullArg(fn, what); });
}

}  // namespace

extern "C" {

// ---- kernels ---------------------------------------------------------------

AGENTOS_API int agentos_kernel_from_yaml(const char* yaml, size_t yaml_len, const char* source_name,
                                         agentos_kernel** out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_from_yaml";
    if (out == nullptr) return NullArg(fn, "out");
    std::string_view text;
    if (!ToView(yaml, yaml_len, &text)) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": yaml is NULL but yaml_len is " + std::to_string(yaml_len));
    }
    std::shared_ptr<const KernelSpace> space;
    agentos::Status st = agentos::LoadKernelFromYaml(text, source_name ? source_name : "<yaml>", &space);
    if (!st.ok()) return agentos::capi::FromStatus(st);
    if (!space) return Fail(AGENTOS_INTERNAL, std::string(fn) + ": the loader returned no kernel");
    *out = agentos::capi::NewKernelHandle(std::move(space));
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_kernel_from_file(const char* path, agentos_kernel** out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_from_file";
    if (out == nullptr) return NullArg(fn, "out");
    if (path == nullptr) return NullArg(fn, "path");
    std::shared_ptr<const KernelSpace> space;
    agentos::Status st = agentos::LoadKernelFromFile(path, &space);
    if (!st.ok()) return agentos::capi::FromStatus(st);
    if (!space) return Fail(AGENTOS_INTERNAL, std::string(fn) + ": the loader returned no kernel");
    *out = agentos::capi::NewKernelHandle(std::move(space));
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_kernel_allow_all(agentos_kernel** out) {
  return Guard([&] {
    if (out == nullptr) return NullArg("agentos_kernel_allow_all", "out");
    *out = agentos::capi::NewKernelHandle(KernelSpace::AllowAll());
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_kernel_share(const agentos_kernel* kernel, agentos_kernel** out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_share";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (out == nullptr) return NullArg(fn, "out");
    *out = new agentos_kernel(*kernel);  // the same shared KernelSpace, its own handle
    return AGENTOS_OK;
  });
}

AGENTOS_API void agentos_kernel_free(agentos_kernel* kernel) { delete kernel; }

AGENTOS_API int agentos_kernel_policy_count(const agentos_kernel* kernel, size_t* count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_policy_count";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (count == nullptr) return NullArg(fn, "count");
    *count = kernel->space->policies().size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_kernel_is_audit(const agentos_kernel* kernel, int32_t* audit) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_is_audit";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (audit == nullptr) return NullArg(fn, "audit");
    *audit = kernel->space->mode() == agentos::EnforcementMode::kAudit ? 1 : 0;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_kernel_policy(const agentos_kernel* kernel, size_t index, const char** name,
                                      const char** type) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_policy";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    auto policies = kernel->space->policies();
    if (index >= policies.size()) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": index " + std::to_string(index) + " is outside [0, " +
                                       std::to_string(policies.size()) + ")");
    }
    if (name != nullptr) *name = policies[index]->name().c_str();
    if (type != nullptr) *type = kernel->policy_types[index].c_str();
    return AGENTOS_OK;
  });
}

// ---- per-episode state -----------------------------------------------------

AGENTOS_API int agentos_state_new(agentos_state** out) {
  return Guard([&] {
    if (out == nullptr) return NullArg("agentos_state_new", "out");
    *out = new agentos_state;
    return AGENTOS_OK;
  });
}

AGENTOS_API void agentos_state_free(agentos_state* state) { delete state; }

AGENTOS_API int agentos_state_reset(agentos_state* state) {
  return Guard([&] {
    if (state == nullptr) return NullArg("agentos_state_reset", "state");
    state->state.Reset();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_state_get(const agentos_state* state, double* cost_usd, int64_t* tokens,
                                  uint32_t* tool_calls, uint32_t* actions) {
  return Guard([&] {
    if (state == nullptr) return NullArg("agentos_state_get", "state");
    if (cost_usd != nullptr) *cost_usd = state->state.cost_usd;
    if (tokens != nullptr) *tokens = state->state.tokens;
    if (tool_calls != nullptr) *tool_calls = state->state.tool_calls;
    if (actions != nullptr) *actions = state->state.actions;
    return AGENTOS_OK;
  });
}

// ---- one check -------------------------------------------------------------

AGENTOS_API int agentos_decision_new(agentos_decision** out) {
  return Guard([&] {
    if (out == nullptr) return NullArg("agentos_decision_new", "out");
    auto* d = new agentos_decision;
    // A buffer nobody has checked into must not read as "allowed".
    d->decision.Clear();
    d->decision.Add(agentos::kKernelPolicyName, "kernel.unchecked", agentos::Severity::kCritical)
        .Append("no action has been checked into this decision yet");
    d->decision.Finish(true);
    *out = d;
    return AGENTOS_OK;
  });
}

AGENTOS_API void agentos_decision_free(agentos_decision* decision) { delete decision; }

AGENTOS_API int agentos_kernel_check(const agentos_kernel* kernel, agentos_state* state,
                                     const agentos_action* action, agentos_decision* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_check";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (action == nullptr) return NullArg(fn, "action");
    if (out == nullptr) return NullArg(fn, "out");
    Action a;
    int code = AGENTOS_OK;
    if (!ToAction(fn, *action, &a, &code)) return code;
    // Only touch the reference count when the decision changes kernels.
    if (out->owner.get() != kernel->space.get()) out->owner = kernel->space;
    if (state != nullptr) {
      kernel->space->Check(a, state->state, out->decision);
    } else {
      EpisodeState fresh;
      kernel->space->Check(a, fresh, out->decision);
    }
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_decision_allowed(const agentos_decision* decision, int32_t* allowed) {
  constexpr const char* fn = "agentos_decision_allowed";
  if (allowed == nullptr) return NullDecisionArg(fn, "allowed");
  *allowed = 0;  // fail closed: an error reads as denied
  if (decision == nullptr) return NullDecisionArg(fn, "decision");
  *allowed = decision->decision.allowed() ? 1 : 0;
  return AGENTOS_OK;
}

AGENTOS_API int agentos_decision_violation_count(const agentos_decision* decision, size_t* count) {
  constexpr const char* fn = "agentos_decision_violation_count";
  if (decision == nullptr) return NullDecisionArg(fn, "decision");
  if (count == nullptr) return NullDecisionArg(fn, "count");
  *count = decision->decision.violations().size();
  return AGENTOS_OK;
}

AGENTOS_API int agentos_decision_total_violations(const agentos_decision* decision, size_t* total) {
  constexpr const char* fn = "agentos_decision_total_violations";
  if (decision == nullptr) return NullDecisionArg(fn, "decision");
  if (total == nullptr) return NullDecisionArg(fn, "total");
  *total = decision->decision.total_violations();
  return AGENTOS_OK;
}

AGENTOS_API int agentos_decision_max_severity(const agentos_decision* decision, int32_t* severity) {
  constexpr const char* fn = "agentos_decision_max_severity";
  if (decision == nullptr) return NullDecisionArg(fn, "decision");
  if (severity == nullptr) return NullDecisionArg(fn, "severity");
  auto sev = decision->decision.max_severity();
  *severity = sev ? static_cast<int32_t>(*sev) : kSeverityNone;
  return AGENTOS_OK;
}

AGENTOS_API int agentos_decision_signals(const agentos_decision* decision, uint32_t* signals) {
  constexpr const char* fn = "agentos_decision_signals";
  if (signals == nullptr) return NullDecisionArg(fn, "signals");
  *signals = 0;
  if (decision == nullptr) return NullDecisionArg(fn, "decision");
  *signals = agentos::DecisionSignals(decision->decision);
  return AGENTOS_OK;
}

AGENTOS_API int agentos_decision_violation(const agentos_decision* decision, size_t index,
                                           agentos_violation* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_decision_violation";
    if (decision == nullptr) return NullArg(fn, "decision");
    if (out == nullptr) return NullArg(fn, "out");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "out", *out, &code)) return code;
    auto kept = decision->decision.violations();
    if (index >= kept.size()) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": index " + std::to_string(index) + " is outside [0, " +
                                       std::to_string(kept.size()) + ")");
    }
    agentos::capi::WriteViolation(kept[static_cast<std::size_t>(index)], out);
    return AGENTOS_OK;
  });
}

// ---- batches ---------------------------------------------------------------

AGENTOS_API int agentos_kernel_check_batch(const agentos_kernel* kernel, int32_t kind, const char* bytes,
                                           size_t bytes_len, const uint64_t* offsets, size_t n,
                                           uint8_t* allowed, int8_t* max_severity, uint32_t* violations) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_check_batch";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (!ValidKind(kind)) return UnknownKind(fn, kind);
    if (bytes == nullptr && bytes_len != 0) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": bytes is NULL but bytes_len is " + std::to_string(bytes_len));
    }
    if (offsets == nullptr) return NullArg(fn, "offsets");
    if (n > kMaxBatch) return Fail(AGENTOS_INVALID, std::string(fn) + ": n = " + std::to_string(n) + " is too large");
    if (allowed == nullptr && n != 0) return NullArg(fn, "allowed");
    // Every offset is checked before the first payload is read or any result
    // written, so a bad batch changes nothing.
    for (std::size_t i = 0; i < n; ++i) {
      if (offsets[i] > offsets[i + 1]) {
        return Fail(AGENTOS_INVALID, std::string(fn) + ": offsets[" + std::to_string(i) + "] = " +
                                         std::to_string(offsets[i]) + " > offsets[" + std::to_string(i + 1) +
                                         "] = " + std::to_string(offsets[i + 1]) + " (offsets must not decrease)");
      }
    }
    if (offsets[n] > bytes_len) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": offsets[" + std::to_string(n) + "] = " +
                                       std::to_string(offsets[n]) + " is past bytes_len = " +
                                       std::to_string(bytes_len));
    }
    const KernelSpace& space = *kernel->space;
    Action a;
    a.kind = static_cast<ActionKind>(kind);
    Decision d;
    EpisodeState state;
    for (std::size_t i = 0; i < n; ++i) {
      a.payload = std::string_view(bytes + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i]));
      state = EpisodeState{};
      space.Check(a, state, d);
      WriteResult(d, i, allowed, max_severity, violations);
    }
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_kernel_check_actions(const agentos_kernel* kernel, agentos_state* state,
                                             const agentos_action* actions, size_t n, uint8_t* allowed,
                                             int8_t* max_severity, uint32_t* violations) {
  return Guard([&] {
    constexpr const char* fn = "agentos_kernel_check_actions";
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (n == 0) return AGENTOS_OK;
    if (actions == nullptr) return NullArg(fn, "actions");
    if (allowed == nullptr) return NullArg(fn, "allowed");
    if (n > kMaxBatch) return Fail(AGENTOS_INVALID, std::string(fn) + ": n = " + std::to_string(n) + " is too large");
    Action a;
    int code = AGENTOS_OK;
    for (std::size_t i = 0; i < n; ++i) {
      if (!ToAction(fn, actions[i], &a, &code)) {
        return Fail(code, std::string(agentos::capi::LastError()) + " (actions[" + std::to_string(i) + "])");
      }
    }
    const KernelSpace& space = *kernel->space;
    Decision d;
    EpisodeState fresh;
    for (std::size_t i = 0; i < n; ++i) {
      ToAction(fn, actions[i], &a, &code);  // validated above; cannot fail
      if (state != nullptr) {
        space.Check(a, state->state, d);
      } else {
        fresh = EpisodeState{};
        space.Check(a, fresh, d);
      }
      WriteResult(d, i, allowed, max_severity, violations);
    }
    return AGENTOS_OK;
  });
}

}  // extern "C"
