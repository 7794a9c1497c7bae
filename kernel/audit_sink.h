// AuditSink: where environments and runners send every decision they make,
// so one audit trail covers training. The FlightRecorder is the real one.
// Record() is called from many threads at once (one VectorEnv worker each)
// and must be thread-safe; it must not serialise those threads on a lock
// held for I/O.
#ifndef AGENTOS_KERNEL_AUDIT_SINK_H_
#define AGENTOS_KERNEL_AUDIT_SINK_H_

#include <cstdint>
#include <string_view>

#include "kernel/action.h"
#include "kernel/decision.h"

namespace agentos {

struct AuditEvent {
  std::uint64_t env_id = 0;
  std::uint64_t episode = 0;  // per env, from 0
  std::uint32_t step = 0;     // within the episode, from 1
  const Action* action = nullptr;
  const Decision* decision = nullptr;
  bool executed = false;      // the action actually ran
  double reward = 0.0;        // the step's reward, penalties included
  double penalty = 0.0;       // the policy penalties in that reward (<= 0)
  std::uint32_t signals = 0;  // bit mask of signals raised at this step (env/signals.h)
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const AuditEvent& event) = 0;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_AUDIT_SINK_H_
