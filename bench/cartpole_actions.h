// The random CartPole actions bench_cartpole.cc times and
// bench/instructions/cartpole_driver.cc counts instructions for: both must
// step the same actions, so they share this one definition.
#ifndef AGENTOS_BENCH_CARTPOLE_ACTIONS_H_
#define AGENTOS_BENCH_CARTPOLE_ACTIONS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

// n envs x rows batches of 0/1 actions: an LCG's top bit, seed 42.
inline std::vector<std::int64_t> CartPoleRandomActions(std::size_t n, std::size_t rows) {
  std::vector<std::int64_t> a(n * rows);
  std::uint64_t x = 42;
  for (auto& v : a) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<std::int64_t>(x >> 63);
  }
  return a;
}

#endif  // AGENTOS_BENCH_CARTPOLE_ACTIONS_H_
