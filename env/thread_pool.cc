#include "env/thread_pool.h"

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

}  // namespace

ChunkPool::ChunkPool(unsigned num_threads, std::uint32_t spin_us)
    : num_threads_(num_threads == 0 ? 1 : num_threads), spin_us_(spin_us) {
  if (num_threads_ == 1) return;
  threads_ = std::make_unique<boost::asio::thread_pool>(num_threads_ - 1);
  for (unsigned w = 1; w < num_threads_; ++w) {
    boost::asio::post(*threads_, [this, w] { WorkerLoop(w); });
  }
}

ChunkPool::~ChunkPool() {
  if (!threads_) return;
  stop_ = true;
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  threads_->join();
}

void ChunkPool::WorkerLoop(unsigned worker) {
  std::uint32_t seen = 0;
  for (;;) {
    seen = WaitWhileEqual(generation_, seen, spin_us_);
    if (stop_) return;
    if (worker < chunks_) call_(job_, worker);
    // Every worker acknowledges every batch, with or without a chunk, so
    // the caller waits on one counter.
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) remaining_.notify_one();
  }
}

void ChunkPool::Dispatch(unsigned chunks, void* fn, Trampoline call) {
  if (chunks == 0) return;
  if (!threads_ || chunks == 1) {
    call(fn, 0);
    return;
  }
  job_ = fn;
  call_ = call;
  chunks_ = chunks;
  remaining_.store(num_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  call(fn, 0);
  std::uint32_t left = remaining_.load(std::memory_order_acquire);
  while (left != 0) left = WaitWhileEqual(remaining_, left, spin_us_);
}

}  // namespace agentos
