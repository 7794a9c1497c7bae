// EpisodeState: what one agent has consumed in the current episode.
// Owned by the caller (an environment, a runner), never by the kernel, so that
// checks from many threads share an immutable kernel and contend on nothing.
#ifndef AGENTOS_KERNEL_EPISODE_STATE_H_
#define AGENTOS_KERNEL_EPISODE_STATE_H_

#include <cstdint>

namespace agentos {

struct EpisodeState {
  double cost_usd = 0.0;         // spent by actions the kernel let execute
  std::int64_t tokens = 0;       // consumed by actions the kernel let execute
  std::uint32_t tool_calls = 0;  // tool_call actions the kernel let execute
  std::uint32_t actions = 0;     // actions the kernel let execute

  void Reset() { *this = EpisodeState{}; }
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_EPISODE_STATE_H_
