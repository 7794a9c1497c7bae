// CpuDeadline: has this thread spent its time limit on the current action?
// Asked every thousand SQLite instructions, so a check must cost about as
// much as reading the wall clock.
//
// The limit counts the CPU time the thread used, not the wall time that
// passed: on a loaded machine (many environments on few cores) a query that
// is descheduled is not charged for it, so the same query gets the same
// verdict whatever the load or thread count. Reading the thread's CPU clock
// is a system call, so it is read once at Start and otherwise only after
// the wall clock says the limit could have been reached (CPU time never
// runs ahead of wall time). A wall-clock cap (cap_factor x limit) still ends
// an action that somehow never gets the CPU time to finish.
#ifndef AGENTOS_ENV_SQL_CPU_DEADLINE_H_
#define AGENTOS_ENV_SQL_CPU_DEADLINE_H_

#include <chrono>
#include <cstdint>

namespace agentos {

class CpuDeadline {
 public:
  static constexpr std::uint32_t kWallCapFactor = 10;

  // Starts counting `limit` of this thread's CPU time from now.
  void Start(std::chrono::nanoseconds limit);
  // Never expires (for the session's own statements).
  void Disarm();
  // True once the limit is spent; call from the thread that called Start.
  bool Expired() {
    const auto now = std::chrono::steady_clock::now();
    return now >= next_check_ && ExpiredSlow(now);
  }

  // This thread's CPU time, in nanoseconds since an arbitrary origin.
  static std::int64_t ThreadCpuNanos();

 private:
  bool ExpiredSlow(std::chrono::steady_clock::time_point now);

  using Clock = std::chrono::steady_clock;
  Clock::time_point next_check_ = Clock::time_point::max();
  Clock::time_point wall_cap_ = Clock::time_point::max();
  std::int64_t cpu_start_ = 0;
  std::int64_t limit_ns_ = 0;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_CPU_DEADLINE_H_
