#include "env/thread_pool.h"

// Asio completes a posted handler inside a std::atomic_thread_fence block,
// which GCC warns ThreadSanitizer cannot model (-Wtsan). Here that path runs
// once per worker, when the pool starts its worker loops; everything the
// loops share afterwards is synchronised through atomics TSan does model.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace agentos {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Waits until `a` differs from `old`: spins for up to spin_us, then sleeps
// in the kernel. Returns the new value.
std::uint32_t WaitWhileEqual(const std::atomic<std::uint32_t>& a, std::uint32_t old, std::uint32_t spin_us) {
  std::uint32_t v = a.load(std::memory_order_acquire);
  if (v != old) return v;
  if (spin_us > 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        CpuRelax();
        v = a.load(std::memory_order_acquire);
        if (v != old) return v;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
  }
  for (;;) {
    a.wait(old, std::memory_order_acquire);
    v = a.load(std::memory_order_acquire);
    if (v != old) return v;
  }
}

// The claim word: bits 32..63 the batch's generation, 16..31 the first
// unclaimed chunk, 0..15 one past the last; [front, back) is what is left.
constexpr std::uint64_t Pack(std::uint32_t generation, unsigned front, unsigned back) {
  return (static_cast<std::uint64_t>(generation) << 32) | (static_cast<std::uint64_t>(front) << 16) | back;
}
constexpr std::uint32_t GenerationOf(std::uint64_t claim) { return static_cast<std::uint32_t>(claim >> 32); }
constexpr unsigned FrontOf(std::uint64_t claim) { return static_cast<unsigned>((claim >> 16) & 0xFFFF); }
constexpr unsigned BackOf(std::uint64_t claim) { return static_cast<unsigned>(claim & 0xFFFF); }

}  // namespace

ChunkPool::ChunkPool(unsigned num_threads, std::uint32_t spin_us)
    : num_threads_(num_threads == 0 ? 1 : num_threads), spin_us_(spin_us) {
  if (num_threads_ == 1) return;
  threads_ = std::make_unique<boost::asio::thread_pool>(num_threads_ - 1);
  for (unsigned w = 1; w < num_threads_; ++w) {
    boost::asio::post(*threads_, [this] { WorkerLoop(); });
  }
}

ChunkPool::~ChunkPool() {
  if (!threads_) return;
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  threads_->join();
}

void ChunkPool::RunChunks(std::uint32_t generation, bool from_front) {
  std::uint64_t claim = claim_.load(std::memory_order_acquire);
  for (;;) {
    // A later batch, or every chunk of this one claimed: nothing to do.
    if (GenerationOf(claim) != generation || FrontOf(claim) >= BackOf(claim)) return;
    const unsigned front = FrontOf(claim), back = BackOf(claim);
    const unsigned chunk = from_front ? front : back - 1;
    const std::uint64_t next = from_front ? Pack(generation, front + 1, back) : Pack(generation, front, back - 1);
    if (!claim_.compare_exchange_weak(claim, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
      continue;
    }
    // chunks_ was written before the batch was published, and cannot be
    // rewritten before this chunk is counted done.
    const unsigned chunks = chunks_;
    call_(job_, chunk);
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) done_.notify_one();
    claim = claim_.load(std::memory_order_acquire);
  }
}

void ChunkPool::WorkerLoop() {
  std::uint32_t seen = 0;
  for (;;) {
    seen = WaitWhileEqual(generation_, seen, spin_us_);
    if (stop_.load(std::memory_order_acquire)) return;
    RunChunks(seen, /*from_front=*/false);
  }
}

void ChunkPool::Dispatch(unsigned chunks, void* fn, Trampoline call) {
  if (chunks == 0) return;
  if (!threads_ || chunks == 1 || chunks > kMaxChunks) {
    for (unsigned c = 0; c < chunks; ++c) call(fn, c);
    return;
  }
  const std::uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  job_ = fn;
  call_ = call;
  chunks_ = chunks;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(Pack(generation, 0, chunks), std::memory_order_release);
  generation_.store(generation, std::memory_order_release);
  generation_.notify_all();
  RunChunks(generation, /*from_front=*/true);
  std::uint32_t done = done_.load(std::memory_order_acquire);
  while (done != chunks) done = WaitWhileEqual(done_, done, spin_us_);
}

}  // namespace agentos
