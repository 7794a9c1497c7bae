// Specification of the environment C API: every error path returns a code
// and a message and changes nothing; the buffers are the VectorEnv's.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <string>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"
#include "capi_internal.h"
#include "env_test_support.h"

using namespace agentos::testing;

namespace {

struct Kernel {
  agentos_kernel* k = nullptr;
  explicit Kernel(std::shared_ptr<const agentos::KernelSpace> space = WordKernel())
      : k(agentos::capi::NewKernelHandle(std::move(space))) {}
  ~Kernel() { agentos_kernel_free(k); }
};

agentos_env_config Defaults(uint32_t n) {
  agentos_env_config c;
  REQUIRE(agentos_env_config_init(&c) == AGENTOS_OK);
  c.num_envs = n;
  return c;
}

constexpr const char kNoop[] = R"({"type":"noop"})";

struct Venv {
  agentos_venv* v = nullptr;
  Venv(const Kernel& k, const agentos_env_config& c, std::string_view spec = kNoop) {
    int rc = agentos_venv_create(k.k, &c, spec.data(), spec.size(), &v);
    INFO(agentos_errmsg());
    REQUIRE(rc == AGENTOS_OK);
  }
  ~Venv() { agentos_venv_free(v); }
};

int Step(agentos_venv* v, const std::vector<std::string>& actions, const agentos_step_extras* x = nullptr) {
  std::string bytes;
  std::vector<uint64_t> offsets{0};
  for (const auto& a : actions) {
    bytes += a;
    offsets.push_back(bytes.size());
  }
  return agentos_venv_step(v, bytes.data(), bytes.size(), offsets.data(), actions.size(), x);
}

}  // namespace

TEST_CASE("C API: config defaults match the C++ defaults") {
  agentos_env_config c = Defaults(1);
  CHECK(c.struct_size == sizeof(agentos_env_config));
  CHECK(c.max_steps == 100);
  CHECK(c.terminate_on_critical == 1);
  CHECK(c.autoreset == AGENTOS_AUTORESET_NEXT_STEP);
  CHECK(c.critical_penalty == -100.0);
  CHECK(c.low_penalty == -1.0);
  CHECK(c.clean_bonus == 0.0);
  CHECK(c.max_cost_usd == 0.0);
  CHECK(c.min_envs_per_thread == 256);
  CHECK(c.spin_us == 50);
  CHECK(agentos_env_config_init(nullptr) == AGENTOS_INVALID);
}

TEST_CASE("C API: create refuses bad arguments with a message naming them") {
  Kernel k;
  agentos_venv* v = nullptr;
  agentos_env_config c = Defaults(2);
  auto expect = [&](int want, const agentos_kernel* kernel, const agentos_env_config* cfg, const char* spec,
                    size_t len, const char* mentions) {
    int rc = agentos_venv_create(kernel, cfg, spec, len, &v);
    INFO(mentions << ": " << agentos_errmsg());
    CHECK(rc == want);
    CHECK(std::string(agentos_errmsg()).find(mentions) != std::string::npos);
    CHECK(v == nullptr);
  };
  expect(AGENTOS_INVALID, nullptr, &c, kNoop, strlen(kNoop), "kernel");
  expect(AGENTOS_INVALID, k.k, nullptr, kNoop, strlen(kNoop), "config");
  expect(AGENTOS_INVALID, k.k, &c, nullptr, 5, "task_spec");
  CHECK(agentos_venv_create(k.k, &c, kNoop, strlen(kNoop), nullptr) == AGENTOS_INVALID);
  expect(AGENTOS_PARSE, k.k, &c, "{\"type\":\"go\"}", 13, "unknown type");
  agentos_env_config bad = c;
  bad.struct_size = 8;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "struct_size");
  bad = c;
  bad.num_envs = 0;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "num_envs");
  bad = c;
  bad.autoreset = 7;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "autoreset");
  bad = c;
  bad.high_penalty = 3.0;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "high");
  bad = c;
  bad.max_cost_usd = NAN;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "max_cost_usd");
  bad = c;
  bad.spin_us = 1000001;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "spin_us");
  bad = c;
  bad.min_envs_per_thread = 0;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "min_envs_per_thread");
  bad = c;
  bad.terminate_on_critical = 2;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "terminate_on_critical");
  bad = c;
  bad.agent_id = nullptr;
  bad.agent_id_len = 3;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "agent_id");
  bad = c;
  bad.num_threads = 0;
  expect(AGENTOS_INVALID, k.k, &bad, kNoop, strlen(kNoop), "num_threads");
}

TEST_CASE("C API: reset, step and read the zero-copy buffers") {
  Kernel k;
  agentos_env_config c = Defaults(3);
  c.max_steps = 2;
  c.keep_results = 1;
  Venv v(k, c, R"({"type":"external"})");
  CHECK(NumEnvs(v.v) == 3);
  const double* rewards = agentos_venv_rewards(v.v);
  const uint8_t* truncated = agentos_venv_truncated(v.v);
  REQUIRE(agentos_venv_reset(v.v, 1, 10, nullptr) == AGENTOS_OK);
  const double ext[] = {0.5, 0.5, 0.5};
  agentos_step_extras x = Sized<agentos_step_extras>();
  x.external_reward = ext;
  REQUIRE(Step(v.v, {"SELECT 1", "SELECT HIGH", "SELECT LOW"}, &x) == AGENTOS_OK);
  CHECK(rewards[0] == 0.5);
  CHECK(rewards[1] == -50.0);
  CHECK(rewards[2] == -1.0);
  CHECK(agentos_venv_violations(v.v)[1] == 1);
  CHECK(agentos_venv_max_severity(v.v)[0] == AGENTOS_SEVERITY_NONE);
  CHECK(agentos_venv_max_severity(v.v)[1] == AGENTOS_SEVERITY_HIGH);
  CHECK(agentos_venv_executed(v.v)[1] == 0);
  REQUIRE(Step(v.v, {"SELECT 1", "SELECT 1", "SELECT 1"}, &x) == AGENTOS_OK);
  CHECK(truncated[0] == 1);
  CHECK(agentos_venv_rewards(v.v) == rewards);  // same address for the handle's life

  size_t count = 99;
  REQUIRE(Step(v.v, {"x", "x", "x"}) == AGENTOS_OK);  // NEXT_STEP reset step
  REQUIRE(Step(v.v, {"SELECT LOW MEDIUM", "x", "x"}) == AGENTOS_OK);
  REQUIRE(agentos_venv_violation_count(v.v, 0, &count) == AGENTOS_OK);
  REQUIRE(count == 2);
  agentos_violation viol = Sized<agentos_violation>();
  REQUIRE(agentos_venv_violation(v.v, 0, 1, &viol) == AGENTOS_OK);
  CHECK(std::string(viol.policy) == "words");
  CHECK(std::string(viol.rule) == "word.medium");
  CHECK(std::string(viol.reason) == "payload says MEDIUM");
  CHECK(viol.severity == AGENTOS_SEVERITY_MEDIUM);
  CHECK(viol.blocked == 1);
  CHECK(agentos_venv_violation(v.v, 0, 2, &viol) == AGENTOS_INVALID);
  const char* msg = nullptr;
  size_t msg_len = 9;
  REQUIRE(agentos_venv_task_message(v.v, 0, &msg, &msg_len) == AGENTOS_OK);
  CHECK(msg_len == 0);
  CHECK(agentos_venv_success(v.v) != nullptr);
  CHECK(agentos_venv_task_error(v.v)[0] == 0);
  CHECK(agentos_venv_violation(v.v, 3, 0, &viol) == AGENTOS_INVALID);

  agentos_env_metrics m = Sized<agentos_env_metrics>();
  REQUIRE(agentos_venv_metrics(v.v, &m) == AGENTOS_OK);
  CHECK(m.episodes == 3);
  CHECK(m.steps == 9);
  CHECK(m.violations == 4);
  CHECK(m.by_severity[AGENTOS_SEVERITY_HIGH] == 1);
  CHECK(m.success_rate == 0.0);
  CHECK(m.backend_destructive_ops == 0);
  size_t slots = 0;
  REQUIRE(agentos_venv_policy_slots(v.v, &slots) == AGENTOS_OK);
  REQUIRE(slots == 2);
  const char* name = nullptr;
  uint64_t n = 0;
  REQUIRE(agentos_venv_policy_violations(v.v, 0, &name, &n) == AGENTOS_OK);
  CHECK(std::string(name) == "words");
  CHECK(n == 4);
  REQUIRE(agentos_venv_policy_violations(v.v, 1, &name, &n) == AGENTOS_OK);
  CHECK(std::string(name) == "kernel");
  CHECK(agentos_venv_policy_violations_by_name(v.v, "words", 5, &n) == AGENTOS_OK);
  CHECK(n == 4);
  CHECK(agentos_venv_policy_violations_by_name(v.v, "nope", 4, &n) == AGENTOS_NOTFOUND);
  CHECK(agentos_venv_policy_violations(v.v, 2, &name, &n) == AGENTOS_INVALID);
}

TEST_CASE("C API: step and reset errors change nothing") {
  Kernel k;
  agentos_env_config c = Defaults(2);
  c.autoreset = AGENTOS_AUTORESET_DISABLED;
  Venv v(k, c);
  CHECK(Step(v.v, {"SELECT 1", "SELECT 1"}) == AGENTOS_STATE);  // before reset
  REQUIRE(agentos_venv_reset(v.v, 0, 0, nullptr) == AGENTOS_OK);
  CHECK(Step(v.v, {"SELECT 1"}) == AGENTOS_INVALID);  // n != num_envs
  CHECK(std::string(agentos_errmsg()).find("n is 1") != std::string::npos);
  uint64_t offsets[] = {0, 4, 2};
  CHECK(agentos_venv_step(v.v, "abcd", 4, offsets, 2, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_venv_step(v.v, "abcd", 4, nullptr, 2, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_venv_step(v.v, nullptr, 4, offsets, 2, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_venv_step(nullptr, "abcd", 4, offsets, 2, nullptr) == AGENTOS_INVALID);
  uint8_t kinds[] = {0, 200};
  agentos_step_extras x = Sized<agentos_step_extras>();
  x.kinds = kinds;
  CHECK(Step(v.v, {"SELECT 1", "SELECT 1"}, &x) == AGENTOS_INVALID);
  agentos_env_metrics m = Sized<agentos_env_metrics>();
  REQUIRE(agentos_venv_metrics(v.v, &m) == AGENTOS_OK);
  CHECK(m.steps == 0);
  // DISABLED: a finished env blocks the batch until a masked reset.
  REQUIRE(agentos_venv_signal(v.v, 0, AGENTOS_SIGKILL) == AGENTOS_OK);
  REQUIRE(Step(v.v, {"SELECT 1", "SELECT 1"}) == AGENTOS_OK);
  CHECK(agentos_venv_terminated(v.v)[0] == 1);
  CHECK(agentos_venv_signals(v.v)[0] == AGENTOS_SIGKILL);
  CHECK(Step(v.v, {"SELECT 1", "SELECT 1"}) == AGENTOS_STATE);
  CHECK(std::string(agentos_errmsg()).find("env 0") != std::string::npos);
  const uint8_t mask[] = {1, 0};
  REQUIRE(agentos_venv_reset(v.v, 0, 0, mask) == AGENTOS_OK);
  CHECK(Step(v.v, {"SELECT 1", "SELECT 1"}) == AGENTOS_OK);
  // Signals: bad bits, env-only signals, bad index.
  CHECK(agentos_venv_signal(v.v, 0, 3) == AGENTOS_INVALID);
  CHECK(agentos_venv_signal(v.v, 0, AGENTOS_SIGPOLICY) == AGENTOS_INVALID);
  CHECK(agentos_venv_signal(v.v, 2, AGENTOS_SIGSTOP) == AGENTOS_INVALID);
  CHECK(agentos_venv_signal(nullptr, 0, AGENTOS_SIGSTOP) == AGENTOS_INVALID);
  CHECK(std::string(agentos_signal_name(AGENTOS_SIGBUDGET)) == "SIGBUDGET");
  CHECK(std::string(agentos_signal_name(0)).empty());
  // Without keep_results there are no per-env decisions to read.
  size_t count = 0;
  CHECK(agentos_venv_violation_count(v.v, 0, &count) == AGENTOS_STATE);
  // NULL handles.
  CHECK(agentos_venv_rewards(nullptr) == nullptr);
  size_t envs = 5;
  CHECK(agentos_venv_num_envs(nullptr, &envs) == AGENTOS_INVALID);
  CHECK(envs == 5);
  CHECK(agentos_venv_metrics(nullptr, &m) == AGENTOS_INVALID);
  CHECK(agentos_venv_reset(nullptr, 0, 0, nullptr) == AGENTOS_INVALID);
  agentos_venv_free(nullptr);
}

TEST_CASE("C API: reset_seeds seeds env i with seeds[i]; has_seed 0 keeps the RNG; bad input changes nothing") {
  // The SQL task draws its question from the seed: observations tell seeds apart.
  const std::string sql = std::string(R"({"type":"sql","dataset_dir":")") + AGENTOS_SOURCE_DIR +
                          R"(/env/sql/data/shop","split":"train"})";
  Kernel k;
  agentos_env_config c = Defaults(3);
  c.seed = 5;
  Venv a(k, c, sql), b(k, c, sql);
  const int64_t* obs = agentos_venv_observations(a.v);
  const int64_t* ref = agentos_venv_observations(b.v);
  const uint64_t seeds[] = {40, 41, 42};
  REQUIRE(agentos_venv_reset_seeds(a.v, seeds, nullptr, nullptr) == AGENTOS_OK);
  REQUIRE(agentos_venv_reset(b.v, 1, 40, nullptr) == AGENTOS_OK);  // 40 + i: the same seeds
  for (int i = 0; i < 3; ++i) CHECK(obs[i] == ref[i]);
  const uint64_t other[] = {7, 1001, 7};
  REQUIRE(agentos_venv_reset_seeds(a.v, other, nullptr, nullptr) == AGENTOS_OK);
  CHECK(obs[0] == obs[2]);  // the same seed, the same episode
  CHECK(obs[0] != obs[1]);
  // has_seed 0: env 1 continues its RNG exactly like an unseeded reset.
  Venv d(k, c, sql), e(k, c, sql);
  REQUIRE(agentos_venv_reset_seeds(d.v, other, nullptr, nullptr) == AGENTOS_OK);
  REQUIRE(agentos_venv_reset_seeds(e.v, other, nullptr, nullptr) == AGENTOS_OK);
  const uint8_t has[] = {1, 0, 1};
  REQUIRE(agentos_venv_reset_seeds(d.v, seeds, has, nullptr) == AGENTOS_OK);
  REQUIRE(agentos_venv_reset(e.v, 0, 0, nullptr) == AGENTOS_OK);
  CHECK(agentos_venv_observations(d.v)[1] == agentos_venv_observations(e.v)[1]);
  CHECK(agentos_venv_observations(d.v)[0] == ref[0]);
  CHECK(agentos_venv_observations(d.v)[2] == ref[2]);
  // The mask limits which envs reset.
  REQUIRE(Step(a.v, {"x", "x", "x"}) == AGENTOS_OK);
  const uint8_t mask[] = {0, 1, 0};
  REQUIRE(agentos_venv_reset_seeds(a.v, seeds, nullptr, mask) == AGENTOS_OK);
  CHECK(agentos_venv_episode_steps(a.v)[0] == 1);
  CHECK(agentos_venv_episode_steps(a.v)[1] == 0);
  CHECK(obs[1] == ref[1]);
  // NULL venv or seeds: AGENTOS_INVALID with a message naming it; nothing moved.
  CHECK(agentos_venv_reset_seeds(a.v, nullptr, nullptr, nullptr) == AGENTOS_INVALID);
  CHECK(std::string(agentos_errmsg()).find("seeds") != std::string::npos);
  CHECK(agentos_venv_reset_seeds(nullptr, seeds, nullptr, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_venv_episode_steps(a.v)[0] == 1);
}

TEST_CASE("C API: metrics count episodes that changed the SQL database, once each") {
  constexpr char kYaml[] = "version: 1\npolicies:\n  - name: sql_safety\n    type: sql\n"
                           "    allow: [SELECT, INSERT, UPDATE]\n    deny: [DROP, DELETE, TRUNCATE]\n";
  agentos_kernel* kh = nullptr;
  REQUIRE(agentos_kernel_from_yaml(kYaml, sizeof(kYaml) - 1, "t.yaml", &kh) == AGENTOS_OK);
  agentos_env_config c = Defaults(3);
  c.max_steps = 2;
  c.autoreset = AGENTOS_AUTORESET_DISABLED;
  const std::string spec = std::string(R"({"type":"sql","dataset_dir":")") + AGENTOS_SOURCE_DIR +
                           R"(/env/sql/data/shop","split":"train","task_index":0})";
  agentos_venv* v = nullptr;
  int rc = agentos_venv_create(kh, &c, spec.data(), spec.size(), &v);
  INFO(agentos_errmsg());
  REQUIRE(rc == AGENTOS_OK);
  agentos_kernel_free(kh);
  agentos_env_metrics m = Sized<agentos_env_metrics>();
  REQUIRE(agentos_venv_reset(v, 1, 1, nullptr) == AGENTOS_OK);
  REQUIRE(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  CHECK(m.changed_database_episodes == 0);
  // env 0 writes twice in one episode; env 1 only reads; env 2 is denied.
  const std::string upd = "UPDATE orders SET status = 'cancelled' WHERE id = 1";
  REQUIRE(Step(v, {upd, "SELECT COUNT(*) FROM orders", "DELETE FROM orders"}) == AGENTOS_OK);
  CHECK(agentos_venv_executed(v)[0] == 1);
  CHECK(agentos_venv_executed(v)[2] == 0);
  REQUIRE(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  CHECK(m.changed_database_episodes == 1);  // the current episode counts once it changed anything
  REQUIRE(Step(v, {upd, "SELECT 1", "SELECT 1"}) == AGENTOS_OK);
  REQUIRE(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  CHECK(m.changed_database_episodes == 1);
  // A new episode: restored database; env 0 writes again, env 1 now too.
  REQUIRE(agentos_venv_reset(v, 0, 0, nullptr) == AGENTOS_OK);
  REQUIRE(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  CHECK(m.changed_database_episodes == 1);
  REQUIRE(Step(v, {upd, "INSERT INTO orders(id, customer_id, order_date, status, shipping_fee) VALUES (999999, 1, '2024-01-01', 'paid', 0)",
                   "SELECT 1"}) == AGENTOS_OK);
  CHECK(agentos_venv_task_error(v)[1] == 0);
  REQUIRE(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  CHECK(m.changed_database_episodes == 3);
  CHECK(m.backend_destructive_ops == 0);
  agentos_venv_free(v);

  // Tasks without a database report 0.
  Kernel k;
  Venv noop(k, Defaults(2));
  REQUIRE(agentos_venv_reset(noop.v, 0, 0, nullptr) == AGENTOS_OK);
  REQUIRE(Step(noop.v, {"UPDATE t SET a = 1 WHERE b = 2", "x"}) == AGENTOS_OK);
  REQUIRE(agentos_venv_metrics(noop.v, &m) == AGENTOS_OK);
  CHECK(m.changed_database_episodes == 0);
}

TEST_CASE("C API: the venv outlives the kernel handle it was made from") {
  auto* k = agentos::capi::NewKernelHandle(WordKernel());
  agentos_env_config c = Defaults(1);
  agentos_venv* v = nullptr;
  REQUIRE(agentos_venv_create(k, &c, kNoop, strlen(kNoop), &v) == AGENTOS_OK);
  agentos_kernel_free(k);
  REQUIRE(agentos_venv_reset(v, 1, 1, nullptr) == AGENTOS_OK);
  REQUIRE(Step(v, {"SELECT HIGH"}) == AGENTOS_OK);
  CHECK(agentos_venv_rewards(v)[0] == -50.0);
  const char* text = nullptr;
  size_t len = 99;
  REQUIRE(agentos_venv_observation_text(v, 0, &text, &len) == AGENTOS_OK);
  CHECK(len == 0);
  agentos_venv_free(v);
}

TEST_CASE("C API: a flight recorder audits every governed step; closing it stops the env before anything runs") {
  char path[] = "/tmp/agentos_env_capi_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  agentos_recorder_options ro;
  REQUIRE(agentos_recorder_options_init(&ro) == AGENTOS_OK);
  ro.durability = AGENTOS_DURABILITY_RELAXED;
  agentos_recorder* rec = nullptr;
  REQUIRE(agentos_recorder_open(path, &ro, &rec) == AGENTOS_OK);
  Kernel k;
  agentos_env_config c = Defaults(4);
  c.num_threads = 2;
  c.min_envs_per_thread = 1;
  c.recorder = rec;
  {
    Venv v(k, c);
    REQUIRE(agentos_venv_reset(v.v, 1, 3, nullptr) == AGENTOS_OK);
    for (int i = 0; i < 5; ++i) REQUIRE(Step(v.v, {"SELECT 1", "SELECT HIGH", "SELECT 2", "SELECT LOW"}) == AGENTOS_OK);
    REQUIRE(agentos_recorder_flush(rec) == AGENTOS_OK);
    uint64_t committed = 0;
    REQUIRE(agentos_recorder_counters(rec, &committed, nullptr) == AGENTOS_OK);
    CHECK(committed == 20);
    agentos_audit_stats stats = Sized<agentos_audit_stats>();
    REQUIRE(agentos_audit_stats_get(path, &stats) == AGENTOS_OK);
    CHECK(stats.records == 20);
    CHECK(stats.blocked_records == 10);
    REQUIRE(agentos_recorder_close(rec) == AGENTOS_OK);
    agentos_env_metrics before = Sized<agentos_env_metrics>();
    REQUIRE(agentos_venv_metrics(v.v, &before) == AGENTOS_OK);
    CHECK(Step(v.v, {"SELECT 1", "SELECT 1", "SELECT 1", "SELECT 1"}) == AGENTOS_STATE);
    CHECK(std::string(agentos_errmsg()).find("the action was not run") != std::string::npos);
    CHECK(std::string(agentos_errmsg()).find("is closed") != std::string::npos);
    CHECK(Step(v.v, {"SELECT 1", "SELECT 1", "SELECT 1", "SELECT 1"}) == AGENTOS_STATE);
    agentos_env_metrics after = Sized<agentos_env_metrics>();
    REQUIRE(agentos_venv_metrics(v.v, &after) == AGENTOS_OK);
    CHECK(after.steps == 20);  // the refused steps neither ran nor counted
    CHECK(after.executed == before.executed);
  }
  agentos_recorder_free(rec);
  agentos_audit_verify_result vr = Sized<agentos_audit_verify_result>();
  REQUIRE(agentos_audit_verify(path, nullptr, 0, &vr) == AGENTOS_OK);
  CHECK(vr.valid == 1);
  CHECK(vr.records == 20);
  std::remove(path);
  std::remove((std::string(path) + ".checkpoint").c_str());
}
