// Specification of VectorEnv's async mode (AsyncSend / AsyncRecv): every env
// sent comes back exactly once, in finish order, each env's trajectory is
// the one Step would give it whatever the batch size and thread count, and
// bad calls are refused with nothing changed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "env/vector_env.h"
#include "env_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

// Actions for some envs: one byte buffer plus offsets.
struct Actions {
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  explicit Actions(const std::vector<std::string>& actions) {
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

// Caller-owned receive rows of one capacity.
struct Rows {
  std::vector<std::uint32_t> env_id;
  std::vector<std::int64_t> observation;
  std::vector<double> reward, episode_return;
  std::vector<std::uint8_t> terminated, truncated, executed, autoreset;
  std::vector<std::uint32_t> episode_step, violations;
  RecvRows out;
  explicit Rows(std::size_t capacity)
      : env_id(capacity), observation(capacity), reward(capacity), episode_return(capacity),
        terminated(capacity), truncated(capacity), executed(capacity), autoreset(capacity),
        episode_step(capacity), violations(capacity) {
    out.capacity = capacity;
    out.env_id = env_id.data();
    out.observation = observation.data();
    out.reward = reward.data();
    out.episode_return = episode_return.data();
    out.terminated = terminated.data();
    out.truncated = truncated.data();
    out.executed = executed.data();
    out.autoreset = autoreset.data();
    out.episode_step = episode_step.data();
    out.violations = violations.data();
  }
};

// A task whose step sleeps for the microseconds its action names
// ("sleep 5000"): a stand-in for SQL queries of very different cost.
class SleepTask : public Task {
 public:
  Status Reset(std::uint64_t) override { return Status::Ok(); }
  TaskOutcome Execute(const StepInput& in) override {
    std::string_view p = in.action->payload;
    if (p.rfind("sleep ", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::stoll(std::string(p.substr(6)))));
    }
    return {};
  }
  std::int64_t ObservationIndex() const override { return 0; }
  std::string_view ObservationText() const override { return ""; }
};
class SleepFactory : public TaskFactory {
 public:
  std::string_view name() const override { return "sleep"; }
  Status Make(std::unique_ptr<Task>* out) override {
    *out = std::make_unique<SleepTask>();
    return Status::Ok();
  }
};

VectorEnvConfig Config(std::size_t n, unsigned threads, std::size_t batch_size) {
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = threads;
  c.batch_size = batch_size;
  c.env.max_steps = 5;  // episodes end often: autoreset is part of every trajectory
  return c;
}

std::unique_ptr<VectorEnv> Make(TaskFactory& f, const VectorEnvConfig& c) {
  std::unique_ptr<VectorEnv> v;
  Status s = VectorEnv::Create(WordKernel(), c, f, &v);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return v;
}

// Env e's t-th action: a mix of allowed, penalised, winning, ending and
// blocked actions that differs per env and per step.
std::string ActionFor(std::size_t e, std::size_t t) {
  static const char* kWords[] = {"a", "WIN", "LOW", "DONE", "b", "CRITICAL", "WIN DONE", "MEDIUM", "c"};
  return kWords[(e * 7 + t * 3 + (e * t) % 5) % 9];
}

// One row of an env's trajectory, as text so a mismatch prints readably.
std::string RowText(std::int64_t obs, double reward, int term, int trunc, int exec, int reset, std::uint32_t step,
                    double ret, std::uint32_t violations) {
  return std::to_string(obs) + " r=" + std::to_string(reward) + " term=" + std::to_string(term) +
         " trunc=" + std::to_string(trunc) + " exec=" + std::to_string(exec) + " reset=" + std::to_string(reset) +
         " step=" + std::to_string(step) + " ret=" + std::to_string(ret) + " v=" + std::to_string(violations);
}

using Trajectories = std::vector<std::vector<std::string>>;

// Steps every env `steps` times with Step (seed 7).
Trajectories SyncTrajectories(std::size_t n, std::size_t steps) {
  ScriptedFactory f;
  auto v = Make(f, Config(n, 1, 0));
  REQUIRE(v->Reset(7).ok());
  Trajectories out(n);
  for (std::size_t t = 0; t < steps; ++t) {
    std::vector<std::string> acts;
    for (std::size_t e = 0; e < n; ++e) acts.push_back(ActionFor(e, t));
    Actions a(acts);
    REQUIRE(v->Step(a.view()).ok());
    const VectorBuffers& b = v->buffers();
    for (std::size_t e = 0; e < n; ++e) {
      out[e].push_back(RowText(b.observation[e], b.reward[e], b.terminated[e], b.truncated[e], b.executed[e],
                               b.autoreset[e], b.episode_step[e], b.episode_return[e], b.violations[e]));
    }
  }
  return out;
}

// Steps every env `steps` times through send/recv (seed 7): each recv's
// envs are sent again at once, so envs drift apart in step count and land in
// ever different batches.
Trajectories AsyncTrajectories(std::size_t n, std::size_t steps, unsigned threads, std::size_t batch) {
  ScriptedFactory f;
  auto v = Make(f, Config(n, threads, batch));
  REQUIRE(v->Reset(7).ok());
  Trajectories out(n);
  auto send = [&](const std::vector<std::uint32_t>& ids) {
    std::vector<std::uint32_t> go;
    std::vector<std::string> acts;
    for (std::uint32_t e : ids) {
      if (out[e].size() >= steps) continue;
      go.push_back(e);
      acts.push_back(ActionFor(e, out[e].size()));
    }
    if (go.empty()) return;
    Actions a(acts);
    REQUIRE(v->AsyncSend(go, a.view()).ok());
  };
  std::vector<std::uint32_t> all(n);
  std::iota(all.begin(), all.end(), 0u);
  send(all);
  Rows r(n);
  while (v->in_flight() > 0) {
    std::size_t count = 0;
    REQUIRE(v->AsyncRecv(r.out, &count).ok());
    std::vector<std::uint32_t> ids(r.env_id.begin(), r.env_id.begin() + static_cast<std::ptrdiff_t>(count));
    for (std::size_t k = 0; k < count; ++k) {
      out[ids[k]].push_back(RowText(r.observation[k], r.reward[k], r.terminated[k], r.truncated[k], r.executed[k],
                                    r.autoreset[k], r.episode_step[k], r.episode_return[k], r.violations[k]));
    }
    send(ids);
  }
  return out;
}

}  // namespace

TEST_CASE("async: every env sent is received exactly once per send, under load from many rounds") {
  SleepFactory f;
  const std::size_t n = 24;
  auto v = Make(f, Config(n, 3, 5));
  REQUIRE(v->Reset(1).ok());
  std::mt19937 rng(3);
  std::vector<int> sent(n, 0), received(n, 0);
  std::vector<bool> flying(n, false);
  Rows r(5);
  for (int round = 0; round < 400; ++round) {
    // Send a random subset of the idle envs, with random short sleeps.
    std::vector<std::uint32_t> ids;
    std::vector<std::string> acts;
    for (std::uint32_t e = 0; e < n; ++e) {
      if (!flying[e] && rng() % 2 == 0) {
        ids.push_back(e);
        acts.push_back("sleep " + std::to_string(rng() % 50));
      }
    }
    if (!ids.empty()) {
      Actions a(acts);
      REQUIRE(v->AsyncSend(ids, a.view()).ok());
      for (auto e : ids) {
        ++sent[e];
        flying[e] = true;
      }
    }
    if (v->in_flight() == 0) continue;
    std::size_t count = 0;
    REQUIRE(v->AsyncRecv(r.out, &count).ok());
    REQUIRE(count == std::min<std::size_t>(5, static_cast<std::size_t>(std::count(flying.begin(), flying.end(), true))));
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint32_t e = r.env_id[k];
      REQUIRE(e < n);
      REQUIRE(flying[e]);  // only an env in flight comes back, and only once
      flying[e] = false;
      ++received[e];
    }
  }
  while (v->in_flight() > 0) {
    std::size_t count = 0;
    REQUIRE(v->AsyncRecv(r.out, &count).ok());
    for (std::size_t k = 0; k < count; ++k) {
      REQUIRE(flying[r.env_id[k]]);
      flying[r.env_id[k]] = false;
      ++received[r.env_id[k]];
    }
  }
  CHECK(sent == received);
  CHECK(std::accumulate(sent.begin(), sent.end(), 0) > 2000);
}

TEST_CASE("async: each env's trajectory equals Step's, whatever the batch size and thread count") {
  const std::size_t n = 7, steps = 23;
  const Trajectories sync = SyncTrajectories(n, steps);
  // Episode ends of both kinds and autoresets are part of it (max_steps 5, DONE actions).
  auto rows_with = [&](const char* text) {
    int k = 0;
    for (const auto& env : sync) k += static_cast<int>(std::count_if(env.begin(), env.end(), [&](const std::string& row) {
      return row.find(text) != std::string::npos;
    }));
    return k;
  };
  CHECK(rows_with("term=1") > 5);
  CHECK(rows_with("trunc=1") > 5);
  CHECK(rows_with("reset=1") > 10);
  for (unsigned threads : {1u, 2u, 3u}) {
    for (std::size_t batch : {std::size_t{1}, std::size_t{3}, n}) {
      INFO("threads " << threads << ", batch_size " << batch);
      CHECK(AsyncTrajectories(n, steps, threads, batch) == sync);
    }
  }
}

TEST_CASE("async: recv returns the first batch_size envs to finish, not the first sent") {
  SleepFactory f;
  auto v = Make(f, Config(4, 2, 2));
  REQUIRE(v->Reset(0).ok());
  Actions a({"sleep 300000", "sleep 0", "sleep 0", "sleep 0"});
  const std::uint32_t ids[] = {0, 1, 2, 3};
  REQUIRE(v->AsyncSend(ids, a.view()).ok());
  Rows r(2);
  std::size_t count = 0;
  REQUIRE(v->AsyncRecv(r.out, &count).ok());
  REQUIRE(count == 2);
  // Env 0 holds one worker for 0.3 s; the other worker finishes 1, 2, 3.
  CHECK(r.env_id[0] != 0);
  CHECK(r.env_id[1] != 0);
  CHECK(v->in_flight() == 2);
  CHECK(v->in_flight(0));
  REQUIRE(v->AsyncRecv(r.out, &count).ok());
  REQUIRE(v->AsyncRecv(r.out, &count).code() == Status::Code::kState);
}

TEST_CASE("async: fewer envs in flight than batch_size are all returned (a drain)") {
  ScriptedFactory f;
  auto v = Make(f, Config(6, 2, 4));
  REQUIRE(v->Reset(0).ok());
  Actions a({"a", "b"});
  const std::uint32_t ids[] = {5, 2};
  REQUIRE(v->AsyncSend(ids, a.view()).ok());
  Rows r(4);
  std::size_t count = 0;
  REQUIRE(v->AsyncRecv(r.out, &count).ok());
  CHECK(count == 2);
  std::set<std::uint32_t> got(r.env_id.begin(), r.env_id.begin() + 2);
  CHECK(got == std::set<std::uint32_t>{2, 5});
  CHECK(v->in_flight() == 0);
}

TEST_CASE("async: bad sends and recvs are refused and change nothing") {
  ScriptedFactory f;
  auto v = Make(f, Config(4, 2, 2));
  Rows r(4);
  std::size_t count = 7;
  Actions one({"a"}), two({"a", "b"});
  const std::uint32_t env0[] = {0};

  SECTION("before reset: the env is not steppable") {
    CHECK(v->AsyncSend(env0, one.view()).code() == Status::Code::kState);
    CHECK(v->in_flight() == 0);
  }
  REQUIRE(v->Reset(0).ok());
  SECTION("recv with nothing in flight") {
    CHECK(v->AsyncRecv(r.out, &count).code() == Status::Code::kState);
    CHECK(count == 0);
  }
  SECTION("ids out of range, repeated, empty, or not matching the actions") {
    const std::uint32_t out_of_range[] = {1, 4};
    const std::uint32_t twice[] = {3, 3};
    CHECK(v->AsyncSend(out_of_range, two.view()).code() == Status::Code::kInvalidArgument);
    CHECK(v->AsyncSend(twice, two.view()).code() == Status::Code::kInvalidArgument);
    CHECK(v->AsyncSend({}, Actions({}).view()).code() == Status::Code::kInvalidArgument);
    CHECK(v->AsyncSend(env0, two.view()).code() == Status::Code::kInvalidArgument);
    CHECK(v->in_flight() == 0);
    // A refused send leaves the ids free to send.
    const std::uint32_t ok[] = {1, 3};
    CHECK(v->AsyncSend(ok, two.view()).ok());
    CHECK(v->in_flight() == 2);
  }
  SECTION("an env in flight cannot be sent again before it is received") {
    REQUIRE(v->AsyncSend(env0, one.view()).ok());
    const std::uint32_t again[] = {2, 0};
    Status s = v->AsyncSend(again, two.view());
    CHECK(s.code() == Status::Code::kState);
    CHECK(s.message().find("env 0 is already in flight") != std::string::npos);
    CHECK(v->in_flight() == 1);  // env 2 was not queued either
    CHECK_FALSE(v->in_flight(2));
    REQUIRE(v->AsyncRecv(r.out, &count).ok());
    CHECK(count == 1);
    CHECK(r.env_id[0] == 0);
    CHECK(v->AsyncSend(again, two.view()).ok());
  }
  SECTION("sync calls wait for the envs in flight") {
    REQUIRE(v->AsyncSend(env0, one.view()).ok());
    Actions four({"a", "a", "a", "a"});
    CHECK(v->Step(four.view()).code() == Status::Code::kState);
    CHECK(v->Reset(1).code() == Status::Code::kState);
    CHECK(v->Send(1, Signal::kStop).code() == Status::Code::kState);
    REQUIRE(v->AsyncRecv(r.out, &count).ok());
    CHECK(v->Step(four.view()).ok());
  }
  SECTION("recv rows too small for the batch, or without env ids") {
    REQUIRE(v->AsyncSend(std::vector<std::uint32_t>{0, 1}, two.view()).ok());
    Rows small(1);
    CHECK(v->AsyncRecv(small.out, &count).code() == Status::Code::kInvalidArgument);
    RecvRows no_ids = r.out;
    no_ids.env_id = nullptr;
    CHECK(v->AsyncRecv(no_ids, &count).code() == Status::Code::kInvalidArgument);
    CHECK(v->in_flight() == 2);
    REQUIRE(v->AsyncRecv(r.out, &count).ok());
    CHECK(count == 2);
  }
}

TEST_CASE("async: a venv gathering text observations refuses send (texts are gathered at step and reset)") {
  ScriptedFactory f;
  VectorEnvConfig c = Config(2, 1, 1);
  c.text_observations = true;
  auto v = Make(f, c);
  REQUIRE(v->Reset(0).ok());
  const std::uint32_t env0[] = {0};
  Status s = v->AsyncSend(env0, Actions({"a"}).view());
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("text_observations") != std::string::npos);
  CHECK(v->in_flight() == 0);
}

TEST_CASE("async: batch_size must be at most num_envs") {
  VectorEnvConfig c = Config(4, 1, 5);
  CHECK(c.Validate().code() == Status::Code::kInvalidArgument);
  c.batch_size = 4;
  CHECK(c.Validate().ok());
}

TEST_CASE("async: a venv destroyed with envs in flight stops its workers cleanly") {
  SleepFactory f;
  auto v = Make(f, Config(8, 2, 2));
  REQUIRE(v->Reset(0).ok());
  std::vector<std::string> acts(8, "sleep 2000");
  Actions a(acts);
  std::vector<std::uint32_t> ids(8);
  std::iota(ids.begin(), ids.end(), 0u);
  REQUIRE(v->AsyncSend(ids, a.view()).ok());
  v.reset();  // must not hang nor touch freed envs (TSan/ASan watch this)
  SUCCEED();
}

TEST_CASE("async: a task reset failing during autoreset fails that env's step; recv still delivers every row") {
  ScriptedFactory f;
  auto v = Make(f, Config(3, 2, 3));
  REQUIRE(v->Reset(1).ok());
  Rows r(3);
  std::size_t count = 0;
  const std::uint32_t all[] = {0, 1, 2};
  Actions first({"DONE", "a", "b"});  // env 0's episode ends
  REQUIRE(v->AsyncSend(all, first.view()).ok());
  REQUIRE(v->AsyncRecv(r.out, &count).ok());
  f.log->fail_resets = true;
  Actions second({"a", "a", "a"});  // env 0's NEXT_STEP reset now fails
  REQUIRE(v->AsyncSend(all, second.view()).ok());
  Status s = v->AsyncRecv(r.out, &count);
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(count == 3);
  CHECK(v->in_flight() == 0);
  std::set<std::uint32_t> got(r.env_id.begin(), r.env_id.end());
  CHECK(got == std::set<std::uint32_t>{0, 1, 2});
  for (std::size_t k = 0; k < 3; ++k) {
    if (r.env_id[k] != 0) CHECK(r.executed[k] == 1);
  }
  f.log->fail_resets = false;
  REQUIRE(v->AsyncSend(std::vector<std::uint32_t>{0}, Actions({"a"}).view()).ok());  // the next step retries the reset
  REQUIRE(v->AsyncRecv(r.out, &count).ok());
  CHECK(count == 1);
  CHECK(r.autoreset[0] == 1);
}
