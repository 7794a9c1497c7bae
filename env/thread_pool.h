// ChunkPool: runs one batch of work split into contiguous chunks on a fixed
// set of threads, and returns when every chunk is done. Built for
// VectorEnv::Step, which hands over a batch every few microseconds.
//
// The threads are owned by a boost::asio::thread_pool: each runs one
// long-lived worker loop posted at construction. The per-batch handoff does
// not go through Asio's queue, because queue + condition variable round
// trips cost 35–50 µs on the target machine (anchors §4.1) — more than a
// whole batch of 1,000 no-op env-steps. Instead workers wait on an atomic
// generation counter: they spin (with a CPU pause) for up to `spin_us`
// microseconds, which makes back-to-back batches cost well under a
// microsecond to hand over, then sleep in std::atomic::wait (a futex), so
// an idle pool burns no CPU. The calling thread runs chunk 0 itself.
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

  // Calls fn(chunk) for every chunk in [0, chunks), chunks <= num_threads(),
  // chunk 0 on the calling thread, each other chunk on its own worker.
  // fn must not throw.
  template <typename Fn>
  void Run(unsigned chunks, Fn& fn) {
    Dispatch(chunks, &fn, [](void* f, unsigned chunk) { (*static_cast<Fn*>(f))(chunk); });
  }

 private:
  using Trampoline = void (*)(void*, unsigned);
  void Dispatch(unsigned chunks, void* fn, Trampoline call);
  void WorkerLoop(unsigned worker);

  const unsigned num_threads_;
  const std::uint32_t spin_us_;
  // Written by Dispatch before the generation bump, read by workers after.
  void* job_ = nullptr;
  Trampoline call_ = nullptr;
  unsigned chunks_ = 0;
  bool stop_ = false;
  alignas(64) std::atomic<std::uint32_t> generation_{0};
  alignas(64) std::atomic<std::uint32_t> remaining_{0};
  std::unique_ptr<boost::asio::thread_pool> threads_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_THREAD_POOL_H_
