#include "env/sql/cpu_deadline.h"

#include <time.h>

namespace agentos {

std::int64_t CpuDeadline::ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void CpuDeadline::Start(std::chrono::nanoseconds limit) {
  const auto now = Clock::now();
  limit_ns_ = limit.count();
  cpu_start_ = ThreadCpuNanos();
  next_check_ = now + limit;
  wall_cap_ = now + limit * kWallCapFactor;
}

void CpuDeadline::Disarm() { next_check_ = wall_cap_ = Clock::time_point::max(); }

bool CpuDeadline::ExpiredSlow(Clock::time_point now) {
  if (now >= wall_cap_) return true;
  const std::int64_t used = ThreadCpuNanos() - cpu_start_;
  if (used >= limit_ns_) return true;
  // The rest of the budget cannot be spent sooner than this.
  next_check_ = now + std::chrono::nanoseconds(limit_ns_ - used);
  return false;
}

}  // namespace agentos
