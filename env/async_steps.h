// AsyncSteps: the worker threads and queues behind VectorEnv's async mode
// (VectorEnv::AsyncSend / AsyncRecv, env/vector_env.h).
//
// Why a queue and not ChunkPool: ChunkPool runs one batch split into fixed
// chunks and returns when ALL are done, so one slow step (a SQL query ten
// times slower than the median) holds the whole batch. Here every env is
// one job: the caller queues env ids, workers take them one at a time in
// send order, and a finished env is handed back as soon as batch_size envs
// are done, whatever the slow ones are still doing.
//
// Data path: AsyncSend copies each sent env's action (its text, or a
// numeric task's discrete or numeric values) into that env's own slot (a
// slot is reused, so its strings keep their capacity and its values are
// sized once: no allocation once every slot has seen its longest action),
// then pushes the
// ids onto the "todo" ring. A worker pops an id, steps the env from its
// slot (VectorEnv::StepOne: writes row i of the buffers) and pushes the id
// onto the "done" ring. AsyncRecv pops batch_size ids from the done ring
// and copies their rows out. Both rings hold at most num_envs ids (an env
// is in at most one place at a time), so they are fixed arrays.
//
// Synchronisation: one mutex over both rings and two condition variables
// (workers wait for work, the receiver for finished envs). Each is notified
// only when someone is waiting: workers busy stepping or a receiver not in
// AsyncRecv cost no system call, and a waiting receiver is woken once, by
// the worker that completes its batch, after that worker drops the lock.
// The lock is held only to move ids, never during a step. No spinning:
// with two workers on two cores, workers that poll for work before
// sleeping starve the thread that receives and sends (bench_async_sql,
// no-op envs: 1.1-2.8 us per env-step sleeping at once, 3.1 us polling
// 50 us first), and against SQL steps of tens of microseconds to
// milliseconds a wake-up of a few microseconds is noise (a whole round
// trip per env-step, 4 envs / batch_size 1, costs ~2.7 us).
//
// Why the caller does not step envs itself while it waits in AsyncRecv:
// the point of async mode is that the caller computes the next actions
// (the policy) while workers step; a caller inside a 2 ms step could not
// return the envs that finished meanwhile, and with two workers on two
// cores there is no idle core for it to use.
//
// Everything but the workers' loop runs on the VectorEnv's one caller
// thread.
#ifndef AGENTOS_ENV_ASYNC_STEPS_H_
#define AGENTOS_ENV_ASYNC_STEPS_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "env/governed_environment.h"
#include "env/vector_env.h"
#include "kernel/status.h"

namespace agentos {

class AsyncSteps {
 public:
  // Starts num_workers threads stepping envs of `env` (which outlives this).
  AsyncSteps(VectorEnv& env, unsigned num_workers);
  // Stops the workers: each finishes the step it is running; queued steps
  // never run.
  ~AsyncSteps();
  AsyncSteps(const AsyncSteps&) = delete;
  AsyncSteps& operator=(const AsyncSteps&) = delete;

  // Send's id checks: each in range, listed once, not in flight. Changes nothing.
  Status CheckIds(std::span<const std::uint32_t> env_ids);
  // Copies row k of `actions` into env_ids[k]'s slot and queues the envs.
  // Everything was validated by the caller (ids distinct, in range, idle).
  void Send(std::span<const std::uint32_t> env_ids, const BatchActions& actions);
  // Waits for `count` (<= in_flight()) finished envs and writes their ids,
  // in finish order, to ids; sets *first_error to the first failed step's
  // error among them (OK if none).
  void Recv(std::span<std::uint32_t> ids, Status* first_error);

  std::size_t in_flight() const { return in_flight_; }
  bool in_flight(std::size_t env) const { return sent_[env] != 0; }

 private:
  // One env's pending step: its action, owned (the caller's buffers may be
  // gone by the time a worker runs it), and the step's error.
  struct Slot {
    std::string payload;
    std::string tool;
    std::vector<double> values;  // numeric tasks: values_per_action() values
    Action action;
    StepInput input;
    Status error;
  };
  // A fixed array of ids used as a FIFO ring (guarded by mu_).
  struct Ring {
    std::vector<std::uint32_t> ids;
    std::size_t head = 0;
    std::size_t size = 0;
    void Push(std::uint32_t id) { ids[(head + size++) % ids.size()] = id; }
    std::uint32_t Pop() {
      const std::uint32_t id = ids[head];
      head = (head + 1) % ids.size();
      --size;
      return id;
    }
  };
  // Per worker, on its own cache lines: two workers writing StepResults
  // side by side would share lines at every step.
  struct alignas(64) Scratch {
    StepResult result;
  };

  void FillSlot(std::uint32_t env, std::size_t row, const BatchActions& a);
  void WorkerLoop(unsigned worker);

  VectorEnv& env_;
  std::vector<Slot> slots_;
  std::vector<std::uint8_t> sent_;  // caller thread only: env is in flight
  std::vector<std::uint8_t> marks_;  // caller thread only: CheckIds' "seen", all 0 between calls
  std::size_t in_flight_ = 0;       // caller thread only
  std::vector<Scratch> scratch_;    // one per worker

  std::mutex mu_;
  std::condition_variable work_cv_;  // workers: todo_ not empty, or stop_
  std::condition_variable done_cv_;  // receiver: done_.size >= want_
  Ring todo_;
  Ring done_;
  unsigned idle_workers_ = 0;  // workers waiting on work_cv_
  std::size_t want_ = 0;       // finished envs the receiver waits for; 0: none waits
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_ASYNC_STEPS_H_
