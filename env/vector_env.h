// VectorEnv: N governed environments stepped as one batch, results written
// into contiguous per-field buffers that the caller reads without copying.
//
// Buffers (VectorBuffers; Eigen arrays allocated once at Create, so their
// data() pointers stay valid, and never move, for the VectorEnv's life).
// Row i is env i. After Step, a row describes env i's step; after Reset, a
// reset row is: observation = the new episode's, final_observation = -1,
// max_severity = -1, everything else 0.
//   observation        int64   Task::ObservationIndex() after the step
//   reward             float64 the step's reward. float64, not float32, so a
//                              trainer's running sums equal episode_return
//                              exactly; cast for the network if needed
//   terminated         uint8   Gymnasium terminated (task ended it; critical
//                              violation with terminate_on_critical; SIGKILL)
//   truncated          uint8   Gymnasium truncated (max_steps; SIGBUDGET; SIGTERM)
//   executed           uint8   the action ran (0: blocked, paused, reset step)
//   success            uint8   the task reported success at this step
//   task_error         uint8   the executed action failed in the task (bad SQL,
//                              time limit); the message: LastResult (keep_results)
//   violations         uint32  violations of this step's decision (all, kept or not)
//   max_severity       int8    their maximum Severity, -1 for none
//   signals            uint32  Signal bits (env/signals.h) of this step
//   episode_step       uint32  governed steps taken in the episode
//   cost_usd           float64 cost of the episode's executed actions so far
//   episode_return     float64 Σ rewards of the episode so far
//   autoreset          uint8   this step reset the env: NEXT_STEP's reset step
//                              (its action was ignored) or SAME_STEP's ending step
//   final_observation  int64   SAME_STEP: the terminal observation of the
//                              episode that ended in this step (row's
//                              autoreset = 1); -1 otherwise
// In SAME_STEP mode, every buffer of an ending row except observation
// describes the ending transition (Gymnasium's final_info); observation is
// the next episode's first.
//
// Actions come in as one byte buffer plus n + 1 offsets (action i is
// bytes[offsets[i], offsets[i+1])), with optional per-env arrays: kind, tool
// name (bytes + offsets), cost_usd, tokens and the external task's
// reward/success/done. Every argument is validated before any env moves: on
// an error nothing changes. Values an agent controls (text, cost, tokens)
// are not call errors: bad ones are denied by the screen or the kernel,
// with a reason, like any other unsafe action.
//
// Numeric tasks (env/task_api.h): numeric_observations() is an n x obs_dim
// row-major array of the shape's dtype, allocated once like the columns
// (row i is env i's observation after the step; a blocked action leaves it
// as it was) and final_numeric_observations() the SAME_STEP terminal ones
// (rows of ending envs only). The observation column then holds -1.
// Actions are BatchActions::discrete (int64, the cheapest for Discrete
// spaces: no packing, no text) or ::numeric (float64): each reaches the
// kernel as a kNumeric Action whose values are the env's action and whose
// state is the task's NumericState().
//
// Seeds: Reset(seed) resets env i with seed + i (Gymnasium); Reset() with
// no seed continues each env's RNG, except the very first, which uses
// config.seed so every run is reproducible. ResetSeeds(seeds) gives every
// env its own seed (Gymnasium's list of seeds), optionally only some. Results are identical for a
// given seed whatever num_threads is: each env's step depends only on its
// own state and action.
//
// Observation texts (config.text_observations): after every Step and Reset
// (and from Create: all empty until the first reset), ObservationTexts()
// holds every env's Task::ObservationText() in one buffer: text i is
// bytes[offsets[i], offsets[i+1] - 1) and is followed by a NUL byte, so it
// is also a C string at bytes.data() + offsets[i]; offsets has n + 1
// entries, offsets[0] = 0, offsets[n] = bytes.size(). The offsets' address
// is fixed for the VectorEnv's life; the bytes' address changes only when a
// Step or Reset needs more room than any before (the buffer then at least
// doubles), so in steady state refreshing it allocates nothing. The views
// are valid until the next Step, Reset or destruction. In SAME_STEP mode an
// ending row's text is the next episode's, as its observation is. The
// buffer is filled by one serial pass after the threads' chunks: a copy of
// a few hundred bytes per env is cheap next to the step that made them
// (bench_sql_task: BM_SqlTextGather against BM_SqlVectorStep, ~30 ns per SQL
// env against tens of microseconds per env-step).
//
// Threads: Step and Reset split the batch into contiguous chunks (fixed
// index ranges, up to 4 per thread) run on a ChunkPool (env/thread_pool.h)
// when the batch is large enough for the handoff to pay (at least
// 2 × min_envs_per_thread envs), inline otherwise. The audit sink is called
// from the thread that ran the step.
//
// Async mode (EnvPool's send/recv; implemented in env/async_steps.cc):
// AsyncSend queues one step for each of some envs on worker threads and
// returns at once; AsyncRecv blocks until batch_size of the envs in flight
// have finished and names them in finish order. See AsyncSend below.
//
// Thread safety: one thread at a time per VectorEnv (its own workers aside).
#ifndef AGENTOS_ENV_VECTOR_ENV_H_
#define AGENTOS_ENV_VECTOR_ENV_H_

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "env/environment_config.h"
#include "env/governed_environment.h"
#include "env/metrics.h"
#include "env/signals.h"
#include "env/task.h"
#include "env/task_api.h"
#include "kernel/kernel_space.h"
#include "kernel/status.h"

namespace agentos {

class AsyncSteps;
class ChunkPool;

struct VectorEnvConfig {
  std::size_t num_envs = 1;
  EnvironmentConfig env;  // shared by every env
  unsigned num_threads = 1;  // counting the caller's thread
  std::uint64_t seed = 0;    // for the first Reset() that gives none
  // Keep each env's last StepResult (with its full Decision: ~2.3 KB per
  // env) so LastResult(i) can explain env i's last step. Off by default to
  // keep a no-op env under 1 KB; counts and max severity are always in the
  // buffers, and the audit sink sees every decision.
  bool keep_results = false;
  // A batch is split over threads only when it has at least 2 × this many
  // envs. Default from bench_env (BM_GovernedForcedSplit vs BM_Governed):
  // a governed no-op env-step costs ~0.15–0.2 µs, a handoff ~1 µs, and
  // splitting 64–256 envs over 2 threads measured slower than inline.
  std::size_t min_envs_per_thread = 256;
  std::uint32_t spin_us = 50;  // see ChunkPool
  ActionKind default_kind = ActionKind::kSql;  // when BatchActions::kinds is empty
  // Async mode: how many finished envs one AsyncRecv returns; 0 = num_envs.
  std::size_t batch_size = 0;
  // Gather every env's observation text into one buffer after each Step and
  // Reset (see ObservationTexts). Off by default: tasks without text (no-op,
  // external) and index-only callers pay nothing.
  bool text_observations = false;

  Status Validate() const;
};

template <typename T>
using Column = Eigen::Array<T, Eigen::Dynamic, 1>;

struct VectorBuffers {
  Column<std::int64_t> observation;
  Column<double> reward;
  Column<std::uint8_t> terminated;
  Column<std::uint8_t> truncated;
  Column<std::uint8_t> executed;
  Column<std::uint8_t> success;
  Column<std::uint8_t> task_error;
  Column<std::uint32_t> violations;
  Column<std::int8_t> max_severity;
  Column<std::uint32_t> signals;
  Column<std::uint32_t> episode_step;
  Column<double> cost_usd;
  Column<double> episode_return;
  Column<std::uint8_t> autoreset;
  Column<std::int64_t> final_observation;
  Column<double> policy_cost;
};

// Where AsyncRecv writes a batch: row k describes env env_id[k]'s step,
// with the fields of VectorBuffers' rows. Caller-owned arrays of at least
// `capacity` entries (numeric ones: capacity x obs_dim values of the
// shape's dtype); env_id is required, any other pointer may be null (that
// field is not copied).
struct RecvRows {
  std::size_t capacity = 0;
  std::uint32_t* env_id = nullptr;
  std::int64_t* observation = nullptr;
  double* reward = nullptr;
  std::uint8_t* terminated = nullptr;
  std::uint8_t* truncated = nullptr;
  std::uint8_t* executed = nullptr;
  std::uint8_t* success = nullptr;
  std::uint8_t* task_error = nullptr;
  std::uint32_t* violations = nullptr;
  std::int8_t* max_severity = nullptr;
  std::uint32_t* signals = nullptr;
  std::uint32_t* episode_step = nullptr;
  double* cost_usd = nullptr;
  double* episode_return = nullptr;
  std::uint8_t* autoreset = nullptr;
  std::int64_t* final_observation = nullptr;
  double* policy_cost = nullptr;
  // Numeric tasks: row k of numeric_observations() / final_numeric_observations().
  void* numeric_observation = nullptr;
  void* final_numeric_observation = nullptr;
};

// One batch of actions; every span is either empty (absent) or exactly as
// long as stated.
struct BatchActions {
  std::string_view bytes;
  std::span<const std::uint64_t> offsets;    // n + 1, non-decreasing, last <= bytes.size()
  std::span<const std::uint8_t> kinds;       // n ActionKind values
  std::string_view tool_bytes;
  std::span<const std::uint64_t> tool_offsets;  // n + 1, like offsets
  std::span<const double> cost_usd;          // n
  std::span<const std::int64_t> tokens;      // n
  std::span<const double> external_reward;   // n, finite
  std::span<const std::uint8_t> external_success;  // n, nonzero = true
  std::span<const std::uint8_t> external_done;     // n, nonzero = true
  // Numeric tasks (env/task_api.h) take one of these instead of text
  // (offsets may then be empty: no payloads; kinds must be empty: every
  // action is ActionKind::kNumeric):
  std::span<const std::int64_t> discrete;  // n actions of a discrete task
  std::span<const double> numeric;         // n x values_per_action(), row-major
};

class VectorEnv {
 public:
  static Status Create(std::shared_ptr<const KernelSpace> kernel, const VectorEnvConfig& config,
                       TaskFactory& factory, std::unique_ptr<VectorEnv>* out);
  ~VectorEnv();
  VectorEnv(const VectorEnv&) = delete;
  VectorEnv& operator=(const VectorEnv&) = delete;

  std::size_t num_envs() const { return envs_.size(); }
  const VectorEnvConfig& config() const { return config_; }
  // How Step and Reset split a batch: into step_chunks() fixed ranges,
  // chunk c holding envs [n*c/chunks, n*(c+1)/chunks), claimed by the
  // threads as they free up (env/thread_pool.h). For models of its timing
  // (bench/bench_async_sql.cc).
  unsigned step_chunks() const { return ChunksFor(envs_.size()); }

  // Resets every env, or those with mask[i] != 0 (mask empty or n long).
  // If some task resets fail, the others still happen; the error of the
  // lowest failing env is returned.
  Status Reset(std::optional<std::uint64_t> seed = std::nullopt, std::span<const std::uint8_t> mask = {});
  // Resets like Reset, with an explicit seed per env (Gymnasium's
  // reset(seed=[s0, s1, ...])): env i is seeded with seeds[i], or, when
  // has_seed is given and has_seed[i] == 0, continues its RNG (the very
  // first reset of a VectorEnv uses config.seed + i there, as Reset()).
  // seeds and has_seed have n entries (has_seed may be empty: all seeded);
  // mask as in Reset. On a bad length nothing changes.
  Status ResetSeeds(std::span<const std::uint64_t> seeds, std::span<const std::uint8_t> has_seed = {},
                    std::span<const std::uint8_t> mask = {});
  // Resets like ResetSeeds (seeds empty: like Reset(seed)), pinning env i
  // to task task_index[i] of its task's list (GovernedEnvironment::ResetTo)
  // where task_index[i] >= 0; -1 lets the seed pick. task_index has n
  // entries. Every pin is checked first (a task that cannot be pinned, an
  // index out of range, an entry below -1): on an error nothing changes.
  Status ResetTasks(std::span<const std::int64_t> task_index, std::optional<std::uint64_t> seed = std::nullopt,
                    std::span<const std::uint64_t> seeds = {}, std::span<const std::uint8_t> has_seed = {},
                    std::span<const std::uint8_t> mask = {});
  // The index of task id `id` ("shop-042") in the envs' task list (every env
  // has the same tasks), for ResetTasks; NotFound for an unknown id, or when
  // the task has no ids.
  Status FindTask(std::string_view id, std::int64_t* index) const;
  // Steps every env once. State errors (an env never reset; an ended env
  // with autoreset disabled) are found before any env moves and name the
  // env. A task reset failing during autoreset fails that env's step only:
  // the others step, and the lowest failing env's error is returned.
  Status Step(const BatchActions& actions);
  // Sends a trainer signal to env i.
  Status Send(std::size_t env, Signal signal);

  // ---- async mode (env/async_steps.cc) -----------------------------------
  // Queues one step for each env in env_ids, with action k (of
  // env_ids.size() rows in `actions`) for env env_ids[k], and returns
  // without waiting; num_threads worker threads (started by the first
  // AsyncSend; the caller's thread steps nothing, so it is free to compute
  // the next actions meanwhile) step them in send order. Each env steps
  // exactly as Step would step it (governance, rewards, autoreset), so its
  // trajectory depends only on its own actions and seed, never on which
  // batch it is sent or received in. A numeric task takes env_ids.size()
  // discrete actions or rows of numeric values, as Step takes num_envs;
  // RecvRows' numeric fields then receive the envs' observation rows.
  // Refused, with nothing queued, for an id out of range or repeated, an
  // env already in flight (sent and not yet received: a state error), an
  // env Step would refuse, or bad actions.
  Status AsyncSend(std::span<const std::uint32_t> env_ids, const BatchActions& actions);
  // Blocks until batch_size envs in flight have finished (all of them when
  // fewer are in flight), writes their ids and rows to `out` in finish order
  // and sets *count; those envs are then no longer in flight. Their rows
  // are also in buffers() (row i is env i, as after Step). A state error
  // with nothing in flight. If some steps failed (a task reset inside
  // autoreset, the audit sink), every row is still delivered and the first
  // failed env's error (in finish order) is returned, as Step does.
  Status AsyncRecv(const RecvRows& out, std::size_t* count);
  // Envs sent and not yet received. While any is in flight, Step, Reset and
  // signals are refused (state error) and Metrics must not be called; an
  // env in flight must not be read (its row, text, last result).
  std::size_t in_flight() const;
  bool in_flight(std::size_t env) const;
  std::size_t batch_size() const { return config_.batch_size == 0 ? envs_.size() : config_.batch_size; }

  const VectorBuffers& buffers() const { return buffers_; }
  // The task's shape, or null for a text task; the numeric buffers (null
  // for a text task), constant for the VectorEnv's life.
  const TaskShape* numeric_shape() const { return shape_; }
  const void* numeric_observations() const { return shape_ ? numeric_obs_.data() : nullptr; }
  const void* final_numeric_observations() const { return shape_ ? numeric_final_obs_.data() : nullptr; }
  std::string_view ObservationText(std::size_t env) const { return envs_[env].ObservationText(); }
  // Every env's observation text in one buffer (layout and lifetime in the
  // header comment); both views empty unless config.text_observations.
  struct ObservationTextBuffer {
    std::string_view bytes;
    std::span<const std::uint64_t> offsets;  // n + 1
  };
  ObservationTextBuffer ObservationTexts() const {
    return {std::string_view(text_bytes_.data(), text_size_), text_offsets_};
  }
  const GovernedEnvironment& env(std::size_t i) const { return envs_[i]; }
  // Env i's last StepResult (decision included); null unless keep_results.
  const StepResult* LastResult(std::size_t env) const;
  // Sums every env's counters; call between steps, not during one.
  EnvMetrics Metrics() const;
  const PolicyIndex& policy_index() const { return shared_->policies; }

 private:
  VectorEnv() = default;
  // Env i's reset seed is seeds[i] when given (has_seed empty or nonzero),
  // else base + i when base is set, else none (the RNG continues).
  Status ResetImpl(std::optional<std::uint64_t> base, std::span<const std::uint64_t> seeds,
                   std::span<const std::uint8_t> has_seed, std::span<const std::uint8_t> mask,
                   std::span<const std::int64_t> task_index = {});
  Status ValidateBatch(const BatchActions& a) const;
  // The checks of ValidateBatch that need no env: n rows of actions.
  static Status ValidateActions(const BatchActions& a, std::size_t n, bool numeric_task);
  // A parallel batch is cut into up to kChunksPerThread chunks per thread,
  // claimed dynamically (env/thread_pool.h): if one thread is held up (a
  // loaded machine), the others take over its unclaimed chunks.
  static constexpr unsigned kChunksPerThread = 4;
  unsigned MaxChunks() const { return config_.num_threads * kChunksPerThread; }
  unsigned ChunksFor(std::size_t n) const;
  void StepChunk(unsigned chunk, unsigned chunks, const BatchActions& a);
  struct Rows {
    std::int64_t* observation;
    double* reward;
    std::uint8_t* terminated;
    std::uint8_t* truncated;
    std::uint8_t* executed;
    std::uint8_t* success;
    std::uint8_t* task_error;
    std::uint32_t* violations;
    std::int8_t* max_severity;
    std::uint32_t* signals;
    std::uint32_t* episode_step;
    double* cost_usd;
    double* episode_return;
    std::uint8_t* autoreset;
    std::int64_t* final_observation;
    double* policy_cost;
  };
  Rows RowPointers();
  static void WriteRow(const Rows& out, std::size_t i, const StepResult& r);
  void WriteResetRow(std::size_t i);
  // Async mode: a state error while envs are in flight (what: the refused call).
  Status CheckNoneInFlight(const char* what) const;
  // Steps env i alone and writes row i (an async worker; distinct envs may
  // step at once on different threads).
  Status StepOne(std::size_t i, const StepInput& input, StepResult& scratch);
  friend class AsyncSteps;

  VectorEnvConfig config_;
  std::shared_ptr<const EnvShared> shared_;
  std::vector<GovernedEnvironment> envs_;
  VectorBuffers buffers_;
  // Per-chunk state, one cache-line-aligned block per chunk: chunks run on
  // different threads at once, and a StepResult (not a multiple of 64
  // bytes) rewritten every step next to another thread's halved the
  // throughput of two threads through false sharing.
  struct ChunkError {
    std::size_t env = 0;
    Status status;
  };
  struct alignas(64) ChunkState {
    StepResult scratch;  // the step result when results are not kept
    ChunkError error;
    bool steppable = false;  // every env of the chunk was steppable after the last Step
  };
  std::vector<ChunkState> chunks_;  // one per chunk (a chunk runs on one thread at a time)
  // Whether the chunks' steppable flags are current: set by Step, cleared by
  // anything else that changes an env. While set, a batch is validated from
  // the flags: scanning every env on the calling thread pulled each env's
  // cache lines away from the thread that steps it, every step.
  bool steppable_known_ = false;
  std::vector<StepResult> results_;  // one per env when keep_results
  std::unique_ptr<ChunkPool> pool_;
  bool seeded_ = false;
  // Observation texts (config.text_observations): the NUL-separated texts
  // in text_bytes_[0, text_size_); text_bytes_.size() is the capacity,
  // grown geometrically so a steady state never allocates.
  void InitObservationTexts();
  void RefreshObservationTexts();
  std::vector<char> text_bytes_;
  std::size_t text_size_ = 0;
  std::vector<std::uint64_t> text_offsets_;  // n + 1 when enabled, else empty
  // Numeric tasks: their shape and observation rows (doubles for alignment).
  const TaskShape* shape_ = nullptr;
  std::vector<double> numeric_obs_;
  std::vector<double> numeric_final_obs_;
  void AllocateNumeric(const TaskShape& shape);
  // n: rows of actions (num_envs for Step, the ids sent for AsyncSend).
  Status ValidateNumeric(const BatchActions& a, std::size_t n) const;
  // Async mode's workers, made by the first AsyncSend. Declared last, so it
  // is destroyed (its workers stopped) before the envs they step.
  std::unique_ptr<AsyncSteps> async_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_VECTOR_ENV_H_
