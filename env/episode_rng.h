// EpisodeRng: the per-environment random source that picks each episode's
// task seed. SplitMix64 (Steele, Lea, Flood 2014): 8 bytes of state, a
// full-period, well-mixed 64-bit sequence. Not std::mt19937_64: its 2.5 KB
// of state per environment alone would break the ≤1 KB-per-env memory
// budget of a no-op VectorEnv, and one 64-bit draw per episode needs
// nothing stronger.
#ifndef AGENTOS_ENV_EPISODE_RNG_H_
#define AGENTOS_ENV_EPISODE_RNG_H_

#include <cstdint>
#include <limits>

namespace agentos {

class EpisodeRng {
 public:
  using result_type = std::uint64_t;
  // An environment that was never seeded starts from this fixed seed, so an
  // unseeded run is still reproducible.
  static constexpr std::uint64_t kDefaultSeed = 0x6167656e746f73ull;  // "agentos"

  explicit EpisodeRng(std::uint64_t seed = kDefaultSeed) : state_(seed) {}
  void seed(std::uint64_t seed) { state_ = seed; }

  std::uint64_t operator()() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  static constexpr std::uint64_t min() { return 0; }
  static constexpr std::uint64_t max() { return std::numeric_limits<std::uint64_t>::max(); }

 private:
  std::uint64_t state_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_EPISODE_RNG_H_
