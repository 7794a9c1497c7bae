// AuditSink: where environments and runners send every decision they make,
// so one audit trail covers training. The FlightRecorder is the real one.
// Record() is called from many threads at once (one VectorEnv worker each)
// and must be thread-safe; it must not serialise those threads on a lock
// held for I/O.
#ifndef AGENTOS_KERNEL_AUDIT_SINK_H_
#define AGENTOS_KERNEL_AUDIT_SINK_H_

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "kernel/action.h"
#include "kernel/decision.h"
#include "kernel/status.h"

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

// What Record() throws when the sink cannot take a record (it has no other
// way to fail); environments turn it into the step's error.
class AuditError : public std::runtime_error {
 public:
  explicit AuditError(Status status) : std::runtime_error(status.message()), status_(std::move(status)) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Throws AuditError (or any exception) when the event cannot be recorded.
  virtual void Record(const AuditEvent& event) = 0;
  // OK if Record can take events now; else why not (closed, failed). Asked
  // before an action runs, so a sink that can no longer record stops the
  // action instead of learning about it afterwards. Called on every step
  // from many threads: must be cheap and thread-safe.
  virtual Status Ready() const { return Status::Ok(); }
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_AUDIT_SINK_H_
