// ChunkPool: runs one batch of work split into chunks on a fixed set of
// threads, and returns when every chunk is done. Built for VectorEnv::Step,
// which hands over a batch every few microseconds.
//
// The threads are owned by a boost::asio::thread_pool: each runs one
// long-lived worker loop posted at construction. The per-batch handoff does
// not go through Asio's queue, because queue + condition variable round
// trips cost 35–50 µs on a 2-core machine — more than a
// whole batch of 1,000 no-op env-steps. Instead:
//  * the caller publishes the batch by bumping an atomic generation;
//    workers wait on it by spinning (with a CPU pause) for up to `spin_us`
//    microseconds, so back-to-back batches hand over in well under a
//    microsecond, then sleep in std::atomic::wait (a futex), so an idle
//    pool burns no CPU;
//  * chunks are CLAIMED, not assigned: the caller takes the next unclaimed
//    chunk from the front of the batch, the workers from the back, out of
//    one atomic word (tagged with the batch's generation, so a worker that
//    wakes late cannot claim into a later batch). The caller never waits
//    for a worker that has not started: on a loaded machine, where a worker
//    may not get a CPU for milliseconds, the caller simply runs the
//    remaining chunks itself. Claiming from opposite ends keeps a chunk on
//    the same thread from batch to batch (with two threads, all but the one
//    where they meet), so its envs stay in that core's cache.
// Which thread runs a chunk is therefore not fixed; what a chunk computes
// must not depend on it (VectorEnv's chunks are fixed index ranges).
//
// One batch at a time: Run is not reentrant and must be called from one
// thread at a time (VectorEnv's contract).
#ifndef AGENTOS_ENV_THREAD_POOL_H_
#define AGENTOS_ENV_THREAD_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>

namespace boost::asio {
class thread_pool;
}

namespace agentos {

class ChunkPool {
 public:
  static constexpr std::uint32_t kDefaultSpinMicros = 50;

  // num_threads >= 1 counts the calling thread: num_threads - 1 workers.
  explicit ChunkPool(unsigned num_threads, std::uint32_t spin_us = kDefaultSpinMicros);
  ~ChunkPool();
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  unsigned num_threads() const { return num_threads_; }

  static constexpr unsigned kMaxChunks = 0xFFFF;

  // Calls fn(chunk) exactly once for every chunk in [0, chunks), chunks <=
  // kMaxChunks, on the calling thread or a worker, and returns when all are
  // done (their writes visible to the caller). fn must not throw.
  template <typename Fn>
  void Run(unsigned chunks, Fn& fn) {
    Dispatch(chunks, &fn, [](void* f, unsigned chunk) { (*static_cast<Fn*>(f))(chunk); });
  }

 private:
  using Trampoline = void (*)(void*, unsigned);
  void Dispatch(unsigned chunks, void* fn, Trampoline call);
  void WorkerLoop();
  // Claims and runs chunks of batch `generation` until none is left.
  void RunChunks(std::uint32_t generation, bool from_front);

  const unsigned num_threads_;
  const std::uint32_t spin_us_;
  // Written by Dispatch before publishing the batch; read by a worker only
  // after it claimed a chunk of that batch (so the batch cannot end, and
  // the next overwrite them, while it runs).
  void* job_ = nullptr;
  Trampoline call_ = nullptr;
  unsigned chunks_ = 0;
  // Atomic: a worker may still be waking for a batch the caller already
  // finished alone when the pool is destroyed.
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<std::uint32_t> generation_{0};
  // One word, so a claim sees a consistent batch: bits 32..63 the batch's
  // generation, 16..31 the first unclaimed chunk, 0..15 one past the last.
  alignas(64) std::atomic<std::uint64_t> claim_{0};
  alignas(64) std::atomic<std::uint32_t> done_{0};
  std::unique_ptr<boost::asio::thread_pool> threads_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_THREAD_POOL_H_
