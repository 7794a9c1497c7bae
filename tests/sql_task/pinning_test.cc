// Specification of task pinning: a trainer chooses which task each env
// plays (Task::ResetTo, GovernedEnvironment::ResetTo, VectorEnv::ResetTasks),
// by index or by task id (FindTask); bad choices change nothing.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "env/noop_task.h"
#include "env/vector_env.h"
#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::unique_ptr<VectorEnv> MakeVectorEnv(TaskFactory& factory, std::size_t n) {
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = 2;
  c.min_envs_per_thread = 1;  // so the reset runs on both threads
  std::unique_ptr<VectorEnv> v;
  Status s = VectorEnv::Create(KernelSpace::AllowAll(), c, factory, &v);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return v;
}

std::unique_ptr<TaskFactory> SqlFactory(SqlTaskConfig config = {}) {
  std::unique_ptr<TaskFactory> f;
  REQUIRE(MakeSqlTaskFactory(config, Shop(), &f).ok());
  return f;
}

}  // namespace

TEST_CASE("the SQL task resolves task ids and plays the task it is pinned to, of any split") {
  auto task = MakeTask();  // split "train"
  CHECK(task->num_tasks() == static_cast<std::int64_t>(Shop()->size()));
  CHECK(task->FindTask("shop-001") == 0);
  CHECK(task->FindTask("shop-042") == 41);
  CHECK(task->FindTask("shop-004") == 3);  // a test task
  CHECK(task->FindTask("nope") == -1);
  CHECK(task->FindTask("") == -1);

  REQUIRE(task->ResetTo(123, 41).ok());
  CHECK(task->ObservationIndex() == 41);
  CHECK(task->task_id() == "shop-042");
  CHECK(task->ObservationText() == Shop()->observation(41));
  REQUIRE(task->ResetTo(123, 3).ok());
  CHECK(task->task_id() == "shop-004");

  Status s = task->ResetTo(0, static_cast<std::int64_t>(Shop()->size()));
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(task->task_id() == "shop-004");  // unchanged
}

TEST_CASE("a task without tasks cannot be pinned, and says so") {
  auto noop = MakeNoopTaskFactory();
  std::unique_ptr<GovernedEnvironment> env;
  REQUIRE(GovernedEnvironment::Create(KernelSpace::AllowAll(), EnvironmentConfig{}, *noop, &env).ok());
  Status s = env->ResetTo(0);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message() == "env 0: its task has no tasks to choose from; it cannot be pinned");
  CHECK_FALSE(env->started());

  auto v = MakeVectorEnv(*noop, 2);
  std::int64_t index = 7;
  CHECK(v->FindTask("shop-001", &index).code() == Status::Code::kNotFound);
  CHECK(index == 7);
  const std::vector<std::int64_t> pins = {-1, 0};
  s = v->ResetTasks(pins);
  CHECK(s.message() == "env 1: its task has no tasks to choose from; it cannot be pinned to task 0");
  CHECK_FALSE(v->env(0).started());
  // Without pins, the same call is a plain reset.
  const std::vector<std::int64_t> none = {-1, -1};
  CHECK(v->ResetTasks(none, 3).ok());
  CHECK(v->env(1).started());
}

TEST_CASE("VectorEnv::ResetTasks pins every env to its own task; -1 lets the seed pick") {
  auto factory = SqlFactory();
  auto v = MakeVectorEnv(*factory, 4);
  std::vector<std::int64_t> pins;
  for (const char* id : {"shop-042", "shop-001", "shop-004", "shop-010"}) {
    std::int64_t index = -1;
    REQUIRE(v->FindTask(id, &index).ok());
    pins.push_back(index);
  }
  CHECK(pins == std::vector<std::int64_t>{41, 0, 3, 9});
  REQUIRE(v->ResetTasks(pins, 77).ok());
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(v->buffers().observation[static_cast<Eigen::Index>(i)] == pins[i]);
    CHECK(v->ObservationText(i) == Shop()->observation(static_cast<std::size_t>(pins[i])));
  }

  // -1 entries reset as Reset(seed) would: the same task as an unpinned env.
  auto plain = MakeVectorEnv(*factory, 4);
  REQUIRE(plain->Reset(77).ok());
  const std::vector<std::int64_t> some = {-1, 5, -1, 6};
  REQUIRE(v->ResetTasks(some, 77).ok());
  CHECK(v->buffers().observation[0] == plain->buffers().observation[0]);
  CHECK(v->buffers().observation[1] == 5);
  CHECK(v->buffers().observation[2] == plain->buffers().observation[2]);
  CHECK(v->buffers().observation[3] == 6);

  // Per-env seeds and a mask combine with pins.
  const std::vector<std::uint64_t> seeds = {1, 2, 3, 4};
  const std::vector<std::uint8_t> mask = {0, 1, 1, 0};
  const std::vector<std::int64_t> two = {0, 10, 11, 0};
  REQUIRE(v->ResetTasks(two, std::nullopt, seeds, {}, mask).ok());
  CHECK(v->buffers().observation[0] == plain->buffers().observation[0]);  // masked out: unchanged
  CHECK(v->buffers().observation[1] == 10);
  CHECK(v->buffers().observation[2] == 11);
  CHECK(v->buffers().observation[3] == 6);
}

TEST_CASE("bad pins and unknown task ids are clear errors and change nothing") {
  auto factory = SqlFactory();
  auto v = MakeVectorEnv(*factory, 3);
  const std::vector<std::int64_t> first = {1, 2, 3};
  REQUIRE(v->ResetTasks(first).ok());
  const std::uint64_t episodes_before = v->env(0).counters().episodes;

  std::int64_t index = 5;
  Status s = v->FindTask("shop-999", &index);
  CHECK(s.code() == Status::Code::kNotFound);
  CHECK(s.message() == "no task has the id 'shop-999'");
  CHECK(index == 5);

  struct Bad {
    std::vector<std::int64_t> pins;
    const char* message;
  };
  const std::string n = std::to_string(Shop()->size());
  for (const Bad& bad : {
           Bad{{0, 1}, "reset task_index must have num_envs = 3 entries, got 2"},
           Bad{{0, -2, 1}, "env 1: task index -2 is invalid (-1: the seed picks; >= 0: that task)"},
           Bad{{0, 1, 100000}, nullptr},
       }) {
    s = v->ResetTasks(bad.pins, 9);
    CHECK(s.code() == Status::Code::kInvalidArgument);
    if (bad.message != nullptr) {
      CHECK(s.message() == bad.message);
    } else {
      CHECK(s.message() == "env 2: task index 100000 is out of range [0, " + n + ") (-1: the seed picks)");
    }
    for (std::size_t i = 0; i < 3; ++i) CHECK(v->buffers().observation[static_cast<Eigen::Index>(i)] == first[i]);
  }
  CHECK(v->env(0).counters().episodes == episodes_before);
}
