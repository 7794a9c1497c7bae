// Specification of VectorEnv: batched stepping into zero-copy buffers,
// Gymnasium autoreset modes, seeding, thread-count independence, metrics.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel/action_screen.h"
#include "kernel/utf8.h"
#include "env/external_task.h"
#include "env/noop_task.h"
#include "env/vector_env.h"
#include "env_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

// Text actions as one byte buffer plus n + 1 offsets.
struct Batch {
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  explicit Batch(const std::vector<std::string>& actions) {
    for (const auto& a : actions) {
      bytes += a;
      offsets.push_back(bytes.size());
    }
  }
  BatchActions view() const {
    BatchActions b;
    b.bytes = bytes;
    b.offsets = offsets;
    return b;
  }
};

struct Vec {
  ScriptedFactory factory;
  std::unique_ptr<VectorEnv> v;
  explicit Vec(VectorEnvConfig cfg, std::shared_ptr<const KernelSpace> kernel = WordKernel()) {
    Status s = VectorEnv::Create(std::move(kernel), cfg, factory, &v);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  Status Step(const std::vector<std::string>& actions) {
    Batch b(actions);
    return v->Step(b.view());
  }
  const VectorBuffers& b() const { return v->buffers(); }
};

VectorEnvConfig Config(std::size_t n, AutoresetMode mode = AutoresetMode::kNextStep, unsigned threads = 1) {
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = threads;
  c.env.autoreset = mode;
  c.min_envs_per_thread = 1;  // exercise the thread pool even on small batches
  return c;
}

std::int64_t ObsForSeed(std::uint64_t seed) {
  EpisodeRng rng(seed);
  return static_cast<std::int64_t>(rng() % 100000) * 1000;
}

}  // namespace

TEST_CASE("vector env configs are validated") {
  ScriptedFactory f;
  std::unique_ptr<VectorEnv> v;
  VectorEnvConfig c;
  c.num_envs = 0;
  CHECK(VectorEnv::Create(WordKernel(), c, f, &v).code() == Status::Code::kInvalidArgument);
  c = {};
  c.num_threads = 0;
  CHECK(VectorEnv::Create(WordKernel(), c, f, &v).code() == Status::Code::kInvalidArgument);
  c = {};
  c.env.reward.critical = 1.0;
  CHECK(VectorEnv::Create(WordKernel(), c, f, &v).code() == Status::Code::kInvalidArgument);
  CHECK(VectorEnv::Create(nullptr, {}, f, &v).code() == Status::Code::kInvalidArgument);
  CHECK(v == nullptr);
}

TEST_CASE("stepping before reset fails and changes nothing") {
  Vec e(Config(3));
  Status s = e.Step({"SELECT 1", "SELECT 2", "SELECT 3"});
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("env 0") != std::string::npos);
  CHECK(e.factory.log->executed.empty());
}

TEST_CASE("reset(seed) seeds env i with seed + i; the first unseeded reset uses config.seed") {
  Vec e(Config(4));
  REQUIRE(e.v->Reset(100).ok());
  for (int i = 0; i < 4; ++i) CHECK(e.b().observation[i] == ObsForSeed(100 + i));
  VectorEnvConfig c = Config(4);
  c.seed = 7;
  Vec f(c);
  REQUIRE(f.v->Reset().ok());
  for (int i = 0; i < 4; ++i) CHECK(f.b().observation[i] == ObsForSeed(7 + i));
  // Later unseeded resets continue each env's RNG: new episodes.
  REQUIRE(f.v->Reset().ok());
  for (int i = 0; i < 4; ++i) CHECK(f.b().observation[i] != ObsForSeed(7 + i));
}

TEST_CASE("ResetSeeds seeds env i with seeds[i]; has_seed 0 keeps env i's RNG; bad lengths change nothing") {
  for (unsigned threads : {1u, 2u}) {
    Vec e(Config(4, AutoresetMode::kNextStep, threads));
    const std::vector<std::uint64_t> seeds{42, 7, 7, 1000000};
    REQUIRE(e.v->ResetSeeds(seeds).ok());
    for (int i = 0; i < 4; ++i) CHECK(e.b().observation[i] == ObsForSeed(seeds[static_cast<std::size_t>(i)]));

    // The first reset: unseeded entries use config.seed + i, as Reset() does.
    VectorEnvConfig c = Config(4, AutoresetMode::kNextStep, threads);
    c.seed = 9;
    Vec f(c);
    const std::vector<std::uint8_t> some{1, 0, 1, 0};
    REQUIRE(f.v->ResetSeeds(seeds, some).ok());
    CHECK(f.b().observation[0] == ObsForSeed(42));
    CHECK(f.b().observation[1] == ObsForSeed(9 + 1));
    CHECK(f.b().observation[2] == ObsForSeed(7));
    CHECK(f.b().observation[3] == ObsForSeed(9 + 3));

    // Later: an unseeded entry continues that env's RNG exactly as Reset() would.
    Vec g(c);
    REQUIRE(g.v->ResetSeeds(seeds, some).ok());
    REQUIRE(f.v->ResetSeeds({{5, 6, 7, 8}}, some).ok());
    REQUIRE(g.v->Reset().ok());
    CHECK(f.b().observation[0] == ObsForSeed(5));
    CHECK(f.b().observation[1] == g.b().observation[1]);
    CHECK(f.b().observation[2] == ObsForSeed(7));
    CHECK(f.b().observation[3] == g.b().observation[3]);
    CHECK(f.b().observation[1] != ObsForSeed(9 + 1));

    // A mask limits which envs reset.
    const std::vector<std::uint8_t> mask{0, 1, 0, 0};
    const std::int64_t before0 = e.b().observation[0];
    REQUIRE(e.v->ResetSeeds({{1, 2, 3, 4}}, {}, mask).ok());
    CHECK(e.b().observation[0] == before0);
    CHECK(e.b().observation[1] == ObsForSeed(2));
    CHECK(e.b().observation[2] == ObsForSeed(7));

    // Same as Reset(seed) when seeds are consecutive.
    Vec h(Config(4, AutoresetMode::kNextStep, threads));
    REQUIRE(h.v->Reset(100).ok());
    REQUIRE(e.v->ResetSeeds({{100, 101, 102, 103}}).ok());
    for (int i = 0; i < 4; ++i) CHECK(e.b().observation[i] == h.b().observation[i]);

    // Bad lengths: InvalidArgument naming the argument, nothing reset.
    REQUIRE(e.Step({"a", "b", "c", "d"}).ok());
    const std::uint32_t steps = e.b().episode_step[0];
    Status s = e.v->ResetSeeds({{1, 2, 3}});
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(s.message().find("seeds") != std::string::npos);
    s = e.v->ResetSeeds({{1, 2, 3, 4}}, {{1, 1}});
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(s.message().find("has_seed") != std::string::npos);
    s = e.v->ResetSeeds({{1, 2, 3, 4}}, {}, {{1}});
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(e.b().episode_step[0] == steps);
    CHECK(steps == 1);
  }
}

TEST_CASE("buffers are allocated once: their addresses never change") {
  Vec e(Config(8));
  const void* before[] = {e.b().observation.data(), e.b().reward.data(), e.b().terminated.data(),
                          e.b().signals.data(), e.b().final_observation.data()};
  REQUIRE(e.v->Reset(1).ok());
  for (int k = 0; k < 50; ++k) REQUIRE(e.Step(std::vector<std::string>(8, "SELECT DONE")).ok());
  const void* after[] = {e.b().observation.data(), e.b().reward.data(), e.b().terminated.data(),
                         e.b().signals.data(), e.b().final_observation.data()};
  for (int i = 0; i < 5; ++i) CHECK(before[i] == after[i]);
}

TEST_CASE("NEXT_STEP autoreset: the ending step returns the terminal obs; the next resets and ignores the action") {
  Vec e(Config(2, AutoresetMode::kNextStep));
  REQUIRE(e.v->Reset(5).ok());
  const std::int64_t start0 = e.b().observation[0];
  REQUIRE(e.Step({"SELECT DONE", "SELECT 1"}).ok());
  CHECK(e.b().terminated[0] == 1);
  CHECK(e.b().observation[0] == start0 + 1);  // true terminal obs: one executed action
  CHECK(e.b().autoreset[0] == 0);
  CHECK(e.b().terminated[1] == 0);

  const auto executed = e.factory.log->executed.size();
  REQUIRE(e.Step({"SELECT WIN -- ignored", "SELECT 2"}).ok());
  CHECK(e.b().autoreset[0] == 1);
  CHECK(e.b().reward[0] == 0.0);
  CHECK(e.b().terminated[0] == 0);
  CHECK(e.b().truncated[0] == 0);
  CHECK(e.b().executed[0] == 0);
  CHECK(e.b().episode_step[0] == 0);
  CHECK(e.b().final_observation[0] == -1);
  const std::int64_t reset_obs = e.b().observation[0];
  CHECK(reset_obs % 1000 == 0);  // a fresh episode: nothing executed yet
  CHECK(reset_obs != start0);
  CHECK(e.factory.log->executed.size() == executed + 1);  // only env 1's action ran
  CHECK(e.b().executed[1] == 1);
  CHECK(e.b().autoreset[1] == 0);

  REQUIRE(e.Step({"SELECT 3", "SELECT 3"}).ok());
  CHECK(e.b().autoreset[0] == 0);
  CHECK(e.b().executed[0] == 1);
  CHECK(e.b().episode_step[0] == 1);
  CHECK(e.b().observation[0] == reset_obs + 1);
}

TEST_CASE("SAME_STEP autoreset: the ending step resets; final_observation keeps the terminal obs") {
  Vec e(Config(2, AutoresetMode::kSameStep));
  REQUIRE(e.v->Reset(5).ok());
  const std::int64_t start0 = e.b().observation[0];
  REQUIRE(e.Step({"SELECT 1", "SELECT 1"}).ok());
  REQUIRE(e.Step({"SELECT WIN DONE", "SELECT 1"}).ok());
  CHECK(e.b().terminated[0] == 1);
  CHECK(e.b().reward[0] == 1.0);        // the ending transition's reward
  CHECK(e.b().episode_step[0] == 2);    // of the ended episode
  CHECK(e.b().episode_return[0] == 1.0);
  CHECK(e.b().autoreset[0] == 1);
  CHECK(e.b().final_observation[0] == start0 + 2);
  const std::int64_t next = e.b().observation[0];
  CHECK(next % 1000 == 0);
  CHECK(next != start0);
  CHECK(e.b().autoreset[1] == 0);
  CHECK(e.b().final_observation[1] == -1);
  // The following step is an ordinary first step of the new episode.
  REQUIRE(e.Step({"SELECT 1", "SELECT 1"}).ok());
  CHECK(e.b().autoreset[0] == 0);
  CHECK(e.b().executed[0] == 1);
  CHECK(e.b().episode_step[0] == 1);
  CHECK(e.b().observation[0] == next + 1);
  CHECK(e.b().final_observation[0] == -1);
}

TEST_CASE("DISABLED: stepping a batch with an ended env fails before any env moves; a masked reset fixes it") {
  Vec e(Config(3, AutoresetMode::kDisabled));
  REQUIRE(e.v->Reset(1).ok());
  REQUIRE(e.Step({"SELECT 1", "SELECT DONE", "SELECT 1"}).ok());
  CHECK(e.b().terminated[1] == 1);
  const auto executed = e.factory.log->executed.size();
  const std::vector<std::uint32_t> steps = {e.b().episode_step[0], e.b().episode_step[1], e.b().episode_step[2]};
  Status s = e.Step({"SELECT 2", "SELECT 2", "SELECT 2"});
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("env 1") != std::string::npos);
  CHECK(e.factory.log->executed.size() == executed);
  CHECK(e.b().episode_step[0] == steps[0]);
  CHECK(e.b().terminated[1] == 1);  // buffers untouched

  const std::vector<std::uint8_t> mask = {0, 1, 0};
  REQUIRE(e.v->Reset(std::nullopt, mask).ok());
  CHECK(e.b().terminated[1] == 0);
  CHECK(e.b().episode_step[1] == 0);
  CHECK(e.b().episode_step[0] == 1);  // not reset
  REQUIRE(e.Step({"SELECT 2", "SELECT 2", "SELECT 2"}).ok());
  CHECK(e.b().episode_step[0] == 2);
  CHECK(e.b().episode_step[1] == 1);
}

TEST_CASE("DISABLED on two threads: an env ended by a step or unpaused by a signal is caught on the next batch") {
  const std::size_t n = 64;  // 8 chunks; the last ones run on the worker
  Vec e(Config(n, AutoresetMode::kDisabled, 2));
  REQUIRE(e.v->Reset(1).ok());
  std::vector<std::string> clean(n, "SELECT 1"), ending = clean;
  ending[n - 1] = "SELECT DONE";
  for (int i = 0; i < 3; ++i) REQUIRE(e.Step(clean).ok());
  REQUIRE(e.Step(ending).ok());
  CHECK(e.b().terminated[n - 1] == 1);
  const auto executed = e.factory.log->executed.size();
  Status s = e.Step(clean);
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("env " + std::to_string(n - 1)) != std::string::npos);
  CHECK(e.factory.log->executed.size() == executed);  // nothing moved

  // Paused, the ended env may be stepped (it idles); resumed, it may not.
  REQUIRE(e.v->Send(n - 1, Signal::kStop).ok());
  REQUIRE(e.Step(clean).ok());
  REQUIRE(e.Step(clean).ok());
  REQUIRE(e.v->Send(n - 1, Signal::kCont).ok());
  const auto executed_before = e.factory.log->executed.size();
  CHECK(e.Step(clean).code() == Status::Code::kState);
  CHECK(e.factory.log->executed.size() == executed_before);  // refused before any env moved
  const std::vector<std::uint8_t> mask = [&] {
    std::vector<std::uint8_t> m(n, 0);
    m[n - 1] = 1;
    return m;
  }();
  REQUIRE(e.v->Reset(std::nullopt, mask).ok());
  REQUIRE(e.Step(clean).ok());
}

TEST_CASE("malformed batches are refused and change nothing") {
  Vec e(Config(2));
  REQUIRE(e.v->Reset(1).ok());
  Batch ok({"SELECT 1", "SELECT 2"});
  auto expect_invalid = [&](const BatchActions& b, const char* what) {
    Status s = e.v->Step(b);
    INFO(what << ": " << s.ToString());
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(e.factory.log->executed.empty());
    CHECK(e.v->Metrics().counters.steps == 0);
  };
  BatchActions b = ok.view();
  std::vector<std::uint64_t> short_offsets = {0, 8};
  b.offsets = short_offsets;
  expect_invalid(b, "too few offsets");
  std::vector<std::uint64_t> backwards = {0, 8, 4};
  b.offsets = backwards;
  expect_invalid(b, "decreasing offsets");
  std::vector<std::uint64_t> past_end = {0, 8, 1000};
  b.offsets = past_end;
  expect_invalid(b, "offsets past the end");
  b = ok.view();
  std::vector<std::uint8_t> kinds = {0, 9};
  b.kinds = kinds;
  expect_invalid(b, "unknown kind");
  b = ok.view();
  std::vector<double> rewards = {1.0, std::numeric_limits<double>::infinity()};
  b.external_reward = rewards;
  expect_invalid(b, "non-finite external reward");
  b = ok.view();
  std::vector<double> costs = {1.0};
  b.cost_usd = costs;
  expect_invalid(b, "wrong-length cost array");
  b = ok.view();
  b.tool_bytes = "search";
  expect_invalid(b, "tool bytes without offsets");
  std::vector<std::uint8_t> bad_mask = {1};
  CHECK(e.v->Reset(std::nullopt, bad_mask).code() == Status::Code::kInvalidArgument);
  REQUIRE(e.v->Step(ok.view()).ok());
}

TEST_CASE("per-env kinds, tools and costs reach the kernel") {
  Vec e(Config(3), KernelSpace::AllowAll());
  REQUIRE(e.v->Reset(1).ok());
  Batch b({"SELECT 1", "{\"q\": 1}", ""});
  BatchActions a = b.view();
  const std::vector<std::uint8_t> kinds = {0, 1, 2};
  const std::string tools = "search";
  const std::vector<std::uint64_t> tool_offsets = {0, 0, 6, 6};
  const std::vector<double> costs = {0.5, 0.25, 2.0};
  const std::vector<std::int64_t> tokens = {10, 20, 30};
  a.kinds = kinds;
  a.tool_bytes = tools;
  a.tool_offsets = tool_offsets;
  a.cost_usd = costs;
  a.tokens = tokens;
  REQUIRE(e.v->Step(a).ok());
  for (int i = 0; i < 3; ++i) {
    INFO(i);
    CHECK(e.b().executed[i] == 1);  // a spend with an empty payload is fine; a tool call has its tool
    CHECK(e.b().cost_usd[i] == costs[i]);
    CHECK(e.v->env(i).episode_state().tokens == tokens[i]);
  }
  CHECK(e.v->env(1).episode_state().tool_calls == 1);
}

TEST_CASE("external task: the caller's outcome counts only for executed actions") {
  auto factory = MakeExternalTaskFactory();
  std::unique_ptr<VectorEnv> v;
  REQUIRE(VectorEnv::Create(WordKernel(), Config(2), *factory, &v).ok());
  REQUIRE(v->Reset(1).ok());
  CHECK(v->buffers().observation[0] == -1);
  Batch b({"SELECT answer", "SELECT HIGH answer"});
  BatchActions a = b.view();
  const std::vector<double> reward = {0.75, 0.75};
  const std::vector<std::uint8_t> success = {1, 1}, done = {1, 1};
  a.external_reward = reward;
  a.external_success = success;
  a.external_done = done;
  REQUIRE(v->Step(a).ok());
  CHECK(v->buffers().reward[0] == 0.75);
  CHECK(v->buffers().terminated[0] == 1);
  CHECK(v->buffers().reward[1] == -50.0);  // blocked: its outcome never happened
  CHECK(v->buffers().terminated[1] == 0);
  CHECK(v->buffers().executed[1] == 0);
  EnvMetrics m = v->Metrics();
  CHECK(m.counters.successful_episodes == 1);
}

TEST_CASE("signals through the vector env reach one env only") {
  Vec e(Config(3));
  REQUIRE(e.v->Reset(1).ok());
  REQUIRE(e.v->Send(1, Signal::kKill).ok());
  CHECK(e.v->Send(3, Signal::kKill).code() == Status::Code::kInvalidArgument);
  CHECK(e.v->Send(0, Signal::kPolicy).code() == Status::Code::kInvalidArgument);
  REQUIRE(e.Step({"SELECT 1", "SELECT 1", "SELECT 1"}).ok());
  CHECK(e.b().terminated[1] == 1);
  CHECK(e.b().signals[1] == Bit(Signal::kKill));
  CHECK(e.b().terminated[0] == 0);
  CHECK(e.b().signals[0] == 0);
  CHECK(e.v->Metrics().signal_count(Signal::kKill) == 1);
}

TEST_CASE("keep_results keeps each env's last decision") {
  VectorEnvConfig c = Config(2);
  c.keep_results = true;
  Vec e(c);
  REQUIRE(e.v->Reset(1).ok());
  REQUIRE(e.Step({"SELECT HIGH", "SELECT 1"}).ok());
  const StepResult* r0 = e.v->LastResult(0);
  REQUIRE(r0 != nullptr);
  REQUIRE(r0->decision.violations().size() == 1);
  CHECK(r0->decision.violations()[0].rule() == "word.high");
  CHECK(e.v->LastResult(1)->decision.allowed());
  Vec plain(Config(2));
  CHECK(plain.v->LastResult(0) == nullptr);
}

TEST_CASE("a task reset failing during autoreset fails only that env's step") {
  Vec e(Config(2, AutoresetMode::kNextStep));
  REQUIRE(e.v->Reset(1).ok());
  REQUIRE(e.Step({"SELECT DONE", "SELECT 1"}).ok());
  e.factory.log->fail_resets = true;
  Status s = e.Step({"SELECT 1", "SELECT 1"});
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(s.message().find("env 0") != std::string::npos);
  CHECK(e.b().executed[1] == 1);
  e.factory.log->fail_resets = false;
  REQUIRE(e.Step({"SELECT 1", "SELECT 1"}).ok());  // the next step retries the reset
  CHECK(e.b().autoreset[0] == 1);
}

namespace {

// Steps `steps` batches of random actions (and random trainer signals) and
// returns every buffer's bytes after every step, concatenated.
std::string Trajectory(unsigned threads, AutoresetMode mode, int steps, EnvMetrics* metrics) {
  VectorEnvConfig c = Config(67, mode, threads);  // 67: chunks of unequal size
  c.env.max_steps = 12;
  c.env.terminate_on_critical = true;
  c.env.reward.clean_bonus = 0.5;
  c.env.reward.step_penalty = -0.01;
  Vec e(c);
  std::mt19937_64 rng(2024);
  const char* words[] = {"SELECT 1", "SELECT WIN", "SELECT DONE", "SELECT LOW", "SELECT MEDIUM",
                         "SELECT HIGH", "SELECT CRITICAL", "SELECT WIN DONE", "", "SELECT \xff", "SELECT FAIL"};
  std::string out;
  auto dump = [&](const auto& col) {
    out.append(reinterpret_cast<const char*>(col.data()), sizeof(col[0]) * static_cast<std::size_t>(col.size()));
  };
  auto dump_all = [&] {
    const VectorBuffers& b = e.b();
    dump(b.observation), dump(b.reward), dump(b.terminated), dump(b.truncated), dump(b.executed);
    dump(b.violations), dump(b.max_severity), dump(b.signals), dump(b.episode_step), dump(b.cost_usd);
    dump(b.episode_return), dump(b.autoreset), dump(b.final_observation);
  };
  if (!e.v->Reset(99).ok()) throw std::runtime_error("reset");
  dump_all();
  for (int k = 0; k < steps; ++k) {
    std::vector<std::string> actions;
    for (std::size_t i = 0; i < c.num_envs; ++i) actions.emplace_back(words[rng() % std::size(words)]);
    if (rng() % 4 == 0) {
      const Signal sendable[] = {Signal::kStop, Signal::kCont, Signal::kKill, Signal::kTerm};
      if (!e.v->Send(rng() % c.num_envs, sendable[rng() % 4]).ok()) throw std::runtime_error("send");
    }
    Status s = e.Step(actions);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    dump_all();
  }
  *metrics = e.v->Metrics();
  return out;
}

}  // namespace

TEST_CASE("results are bitwise identical for a given seed whatever the thread count") {
  for (AutoresetMode mode : {AutoresetMode::kNextStep, AutoresetMode::kSameStep}) {
    INFO(ToString(mode));
    EnvMetrics m1, m2, m4;
    const std::string t1 = Trajectory(1, mode, 300, &m1);
    const std::string t2 = Trajectory(2, mode, 300, &m2);
    const std::string t4 = Trajectory(4, mode, 300, &m4);
    CHECK(t1.size() > 100000);
    CHECK(t1 == t2);
    CHECK(t1 == t4);
    CHECK(m1.counters.steps == m4.counters.steps);
    CHECK(m1.counters.episodes == m4.counters.episodes);
    CHECK(m1.counters.reward_sum == m4.counters.reward_sum);
    CHECK(m1.counters.signals == m2.counters.signals);
    CHECK(m1.counters.episodes > 100);  // the run really crossed many episode boundaries
    CHECK(m1.success_rate() <= 1.0);
  }
}

TEST_CASE("vector metrics: per-episode success never exceeds 1; counts by policy, severity and signal") {
  VectorEnvConfig c = Config(16, AutoresetMode::kNextStep, 2);
  c.env.max_steps = 5;
  Vec e(c);
  REQUIRE(e.v->Reset(3).ok());
  // Every env succeeds on every step: 5 successes per episode.
  for (int k = 0; k < 60; ++k) REQUIRE(e.Step(std::vector<std::string>(16, "SELECT WIN")).ok());
  EnvMetrics m = e.v->Metrics();
  CHECK(m.counters.episodes > 0);
  CHECK(m.counters.successful_episodes == m.counters.episodes);
  CHECK(m.success_rate() == 1.0);
  CHECK(m.violation_rate() == 0.0);
  CHECK(m.clean_rate() == 1.0);
  CHECK(m.backend_destructive_ops == 0);

  // 60 steps = 10 cycles of 5 governed steps + 1 reset step: step 61 is governed everywhere.
  std::vector<std::string> mixed(16, "SELECT HIGH");
  mixed[0] = "SELECT CRITICAL LOW";
  mixed[1] = "";
  REQUIRE(e.Step(mixed).ok());
  for (int i = 0; i < 16; ++i) REQUIRE(e.b().autoreset[i] == 0);
  m = e.v->Metrics();
  CHECK(m.severity_count(Severity::kHigh) == 14);
  CHECK(m.severity_count(Severity::kCritical) == 1);
  CHECK(m.severity_count(Severity::kLow) == 1);
  CHECK(m.severity_count(Severity::kMedium) == 1);  // the empty action
  CHECK(m.policy_count("words") == 16);
  CHECK(m.policy_count("kernel") == 1);
  CHECK(m.counters.violations == 17);
  CHECK(m.signal_count(Signal::kPolicy) == 1);
  CHECK(e.b().violations[0] == 2);
  CHECK(e.b().max_severity[0] == static_cast<int>(Severity::kCritical));
  CHECK(e.b().signals[0] == Bit(Signal::kPolicy));
  CHECK(e.b().terminated[0] == 1);
  CHECK(m.counters.steps == m.counters.executed + m.counters.blocked);
  CHECK(m.counters.blocked == 16);
  // Env 0's episode ended on the critical violation; the others go on.
  CHECK(m.counters.episodes_with_violations == 1);
  CHECK(m.violation_rate() == Approx(1.0 / static_cast<double>(m.counters.episodes)));
  CHECK(m.success_rate() <= 1.0);
}

TEST_CASE("every governed step is audited from the worker that ran it") {
  auto sink = std::make_shared<CountingSink>();
  VectorEnvConfig c = Config(64, AutoresetMode::kNextStep, 4);
  c.env.audit_sink = sink;
  Vec e(c);
  REQUIRE(e.v->Reset(1).ok());
  for (int k = 0; k < 20; ++k) REQUIRE(e.Step(std::vector<std::string>(64, k % 3 ? "SELECT 1" : "SELECT HIGH")).ok());
  CHECK(sink->rows().size() == e.v->Metrics().counters.steps);
  CHECK(sink->rows().size() == 64u * 20u);
}

TEST_CASE("success and task_error buffers; the task's message survives a same-step reset") {
  VectorEnvConfig c = Config(3, AutoresetMode::kSameStep);
  c.keep_results = true;
  Vec e(c);
  REQUIRE(e.v->Reset(1).ok());
  REQUIRE(e.Step({"SELECT WIN", "SELECT FAIL DONE", "SELECT 1"}).ok());
  CHECK(e.b().success[0] == 1);
  CHECK(e.b().task_error[0] == 0);
  CHECK(e.b().task_error[1] == 1);
  CHECK(e.b().autoreset[1] == 1);  // ended and reset inside the step
  CHECK(e.v->LastResult(1)->task_message() == "scripted failure");
  CHECK(e.v->LastResult(0)->task_message().empty());
  CHECK(e.b().success[2] == 0);
  REQUIRE(e.v->Reset(2).ok());
  CHECK(e.b().success[0] == 0);
  CHECK(e.b().task_error[1] == 0);
  CHECK(e.v->LastResult(1)->task_message().empty());
}

TEST_CASE("random bytes as actions: denied exactly when malformed, with a reason; the envs keep working") {
  VectorEnvConfig c = Config(32, AutoresetMode::kNextStep, 2);
  c.env.max_action_bytes = 48;
  c.keep_results = true;
  Vec e(c, KernelSpace::AllowAll());
  REQUIRE(e.v->Reset(5).ok());
  std::mt19937_64 rng(77);
  int denied = 0, executed = 0;
  for (int k = 0; k < 300; ++k) {
    std::vector<std::string> actions(32);
    for (auto& a : actions) {
      const std::size_t len = rng() % 64;
      const bool ascii = rng() % 2 == 0;
      for (std::size_t j = 0; j < len; ++j) {
        a.push_back(static_cast<char>(ascii ? 32 + rng() % 95 : rng() % 256));
      }
    }
    REQUIRE(e.Step(actions).ok());
    for (int i = 0; i < 32; ++i) {
      if (e.b().autoreset[i]) continue;  // NEXT_STEP reset step: action ignored
      const std::string& a = actions[i];
      const bool malformed = a.empty() || a.size() > 48 || FindInvalidUtf8(a) != a.size() ||
                             a.find('\0') != std::string::npos;
      INFO("action bytes: " << a.size());
      CHECK(e.b().executed[i] == (malformed ? 0 : 1));
      const StepResult* r = e.v->LastResult(i);
      if (malformed) {
        ++denied;
        REQUIRE(r->decision.violations().size() == 1);
        CHECK(r->decision.violations()[0].policy() == "kernel");
        CHECK_FALSE(r->decision.violations()[0].reason().empty());
        CHECK(e.b().terminated[i] == 0);  // never critical
      } else {
        ++executed;
      }
    }
  }
  CHECK(denied > 1000);
  CHECK(executed > 1000);
}
