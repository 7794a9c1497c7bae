// Differential specification: every C++ and C entry point that decides an
// action gives the same decision for the same action and episode state.
// Reference: KernelSpace::Check with an EpisodeState (plus DecisionSignals).
// Compared: agentos_kernel_check (with a state), agentos_kernel_check_actions
// (with a state), agentos_kernel_check_batch (fresh episodes) and
// agentos_venv_step (one episode per env, through GovernedEnvironment).
// 64 envs x 1600 steps = 102,400 generated actions of every kind: valid,
// empty, oversized, NUL, invalid UTF-8, and each policy's edge cases, with
// episode state (cost, tokens, tool calls) carried across steps.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"
#include "env/signals.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

constexpr char kPolicy[] = R"(version: 1
mode: enforce
policies:
  - name: sql
    type: sql
    allow: [SELECT, INSERT]
    deny: [DELETE, DROP, UPDATE]
    severities:
      DROP: critical
      DELETE: high
  - name: tools
    type: tool
    allow: ["search", "calc"]
    max_calls: 4
  - name: budget
    type: cost
    max_cost_usd: 1.0
    max_cost_per_action_usd: 0.6
    max_tokens: 900
  - name: secrets
    type: content
    kinds: [message, tool_call]
    severity: critical
    deny: ['(?i)password\s*=']
)";

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  std::size_t Pick(std::size_t n) { return static_cast<std::size_t>(rng() % n); }

  std::string Text() {
    static const char* kTexts[] = {
        "SELECT 1",
        "SELECT name FROM t WHERE id = 1",
        "INSERT INTO t VALUES (1)",
        "DELETE FROM t",
        "DROP TABLE t",
        "UPDATE t SET a = 1",
        "SELECT 1; DROP TABLE t",
        "SELECT 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'",
        "SELECT 1 --\r'\n; DROP TABLE t; --'",
        "/*!50000 DROP TABLE t */",
        "{\"q\": \"weather\"}",
        "password = hunter2",
        "hello there",
        "SELECT '\xc0\xaf'",            // overlong
        "SELECT '\xed\xa0\x80'",        // surrogate
        "SELECT '\xf4\x90\x80\x80'",    // above U+10FFFF
        "SELECT 'ab\xe2\x82",           // truncated
        "\xff\xfe",
        "",
    };
    const std::size_t n = sizeof kTexts / sizeof kTexts[0];
    std::size_t i = Pick(n + 3);
    if (i < n) return kTexts[i];
    if (i == n) return std::string("SELECT 1\0; DROP TABLE t", 23);  // NUL
    if (i == n + 1) return std::string(KernelSpace::kDefaultMaxActionBytes + Pick(3), 'x');  // oversized
    std::string s(KernelSpace::kDefaultMaxActionBytes - Pick(2), 'y');  // at the limit
    return s;
  }
  std::string Tool() {
    static const char* kTools[] = {"search", "calc", "shell", "", "sea\xc3rch", "calc\0x", "search"};
    std::size_t i = Pick(7);
    if (i == 5) return std::string("calc\0x", 6);
    return kTools[i];
  }
};

struct GenAction {
  std::int32_t kind = AGENTOS_ACTION_SQL;
  std::string tool, payload;
  double cost = 0.0;
  std::int64_t tokens = 0;

  Action View() const {
    Action a;
    a.kind = static_cast<ActionKind>(kind);
    a.agent_id = "agent";
    a.tool = tool;
    a.payload = payload;
    a.cost_usd = cost;
    a.tokens = tokens;
    return a;
  }
  agentos_action C() const {
    agentos_action c = agentos::testing::Sized<agentos_action>();
    c.kind = kind;
    c.agent_id = "agent";
    c.agent_id_len = 5;
    c.tool = tool.data();
    c.tool_len = tool.size();
    c.payload = payload.data();
    c.payload_len = payload.size();
    c.cost_usd = cost;
    c.tokens = tokens;
    return c;
  }
};

GenAction Generate(Gen& g) {
  GenAction a;
  a.kind = static_cast<std::int32_t>(g.Pick(4));
  a.payload = g.Text();
  if (a.kind == AGENTOS_ACTION_TOOL_CALL || g.Pick(8) == 0) a.tool = g.Tool();
  static const double kCosts[] = {0.0, 0.0, 0.05, 0.2, 0.45, 0.7, -0.1, 1.5};
  a.cost = kCosts[g.Pick(8)];
  static const std::int64_t kTokens[] = {0, 0, 10, 150, 400, -3};
  a.tokens = kTokens[g.Pick(6)];
  return a;
}

struct Expected {
  bool allowed;
  std::int8_t max_severity;
  std::uint32_t total;
  std::uint32_t signals;
  std::vector<std::string> rows;  // "policy/rule/severity/blocked" per kept violation
};

Expected FromDecision(const Decision& d) {
  Expected e;
  e.allowed = d.allowed();
  auto sev = d.max_severity();
  e.max_severity = sev ? static_cast<std::int8_t>(*sev) : std::int8_t{-1};
  e.total = d.total_violations();
  e.signals = DecisionSignals(d);
  for (const Violation& v : d.violations()) {
    e.rows.push_back(std::string(v.policy()) + "/" + std::string(v.rule()) + "/" +
                     std::to_string(static_cast<int>(v.severity())) + "/" + (v.blocked() ? "1" : "0"));
  }
  return e;
}

std::string Row(const agentos_violation& v) {
  return std::string(v.policy) + "/" + v.rule + "/" + std::to_string(v.severity) + "/" + (v.blocked ? "1" : "0");
}

}  // namespace

TEST_CASE("differential: every C++ and C entry point decides 102,400 generated actions identically") {
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromYaml(kPolicy, "differential", &kernel).ok());
  agentos_kernel* ck = nullptr;
  REQUIRE(agentos_kernel_from_yaml(kPolicy, sizeof kPolicy - 1, "differential", &ck) == AGENTOS_OK);

  constexpr std::size_t kEnvs = 64;
  constexpr int kSteps = 1600;
  agentos_env_config cfg;
  agentos_env_config_init(&cfg);
  cfg.num_envs = kEnvs;
  cfg.num_threads = 2;
  cfg.min_envs_per_thread = 8;
  cfg.max_steps = 1u << 30;
  cfg.terminate_on_critical = 0;
  cfg.autoreset = AGENTOS_AUTORESET_SAME_STEP;
  cfg.keep_results = 1;
  const char spec[] = "{\"type\":\"noop\"}";
  agentos_venv* venv = nullptr;
  REQUIRE(agentos_venv_create(ck, &cfg, spec, sizeof spec - 1, &venv) == AGENTOS_OK);
  REQUIRE(agentos_venv_reset(venv, 1, 7, nullptr) == AGENTOS_OK);

  std::vector<EpisodeState> ref_state(kEnvs);
  std::vector<agentos_state*> c_state(kEnvs), batch_state(kEnvs);
  for (std::size_t i = 0; i < kEnvs; ++i) {
    REQUIRE(agentos_state_new(&c_state[i]) == AGENTOS_OK);
    REQUIRE(agentos_state_new(&batch_state[i]) == AGENTOS_OK);
  }
  agentos_decision* cd = nullptr;
  REQUIRE(agentos_decision_new(&cd) == AGENTOS_OK);

  Gen gen(20261206);
  std::vector<GenAction> actions(kEnvs);
  std::string bytes, tool_bytes;
  std::vector<std::uint64_t> offsets(kEnvs + 1), tool_offsets(kEnvs + 1);
  std::vector<std::uint8_t> kinds(kEnvs);
  std::vector<double> costs(kEnvs);
  std::vector<std::int64_t> tokens(kEnvs);
  const std::uint8_t* executed = agentos_venv_executed(venv);
  const std::int8_t* max_sev = agentos_venv_max_severity(venv);
  const std::uint32_t* venv_total = agentos_venv_violations(venv);
  const std::uint32_t* venv_signals = agentos_venv_signals(venv);
  const std::uint8_t* autoreset = agentos_venv_autoreset(venv);

  std::uint64_t mismatches = 0, allowed_count = 0, checked = 0;
  std::uint64_t kinds_seen[4] = {};
  Decision ref;
  for (int step = 0; step < kSteps; ++step) {
    bytes.clear();
    tool_bytes.clear();
    for (std::size_t i = 0; i < kEnvs; ++i) {
      actions[i] = Generate(gen);
      offsets[i] = bytes.size();
      bytes += actions[i].payload;
      tool_offsets[i] = tool_bytes.size();
      tool_bytes += actions[i].tool;
      kinds[i] = static_cast<std::uint8_t>(actions[i].kind);
      costs[i] = actions[i].cost;
      tokens[i] = actions[i].tokens;
    }
    offsets[kEnvs] = bytes.size();
    tool_offsets[kEnvs] = tool_bytes.size();
    agentos_step_extras extras = agentos::testing::Sized<agentos_step_extras>();
    extras.kinds = kinds.data();
    extras.tool_bytes = tool_bytes.data();
    extras.tool_bytes_len = tool_bytes.size();
    extras.tool_offsets = tool_offsets.data();
    extras.cost_usd = costs.data();
    extras.tokens = tokens.data();
    REQUIRE(agentos_venv_step(venv, bytes.data(), bytes.size(), offsets.data(), kEnvs, &extras) == AGENTOS_OK);

    // check_batch: fresh episodes, one kind per call, payloads only.
    const std::int32_t batch_kind = step % 4;
    std::vector<std::uint8_t> b_allowed(kEnvs);
    std::vector<std::int8_t> b_sev(kEnvs);
    std::vector<std::uint32_t> b_total(kEnvs);
    REQUIRE(agentos_kernel_check_batch(ck, batch_kind, bytes.data(), bytes.size(), offsets.data(), kEnvs,
                                       b_allowed.data(), b_sev.data(), b_total.data()) == AGENTOS_OK);

    for (std::size_t i = 0; i < kEnvs; ++i) {
      const GenAction& g = actions[i];
      ++kinds_seen[g.kind];
      kernel->Check(g.View(), ref_state[i], ref);
      const Expected want = FromDecision(ref);
      allowed_count += want.allowed;
      ++checked;

      // agentos_kernel_check with a state.
      const agentos_action ca = g.C();
      REQUIRE(agentos_kernel_check(ck, c_state[i], &ca, cd) == AGENTOS_OK);
      using agentos::testing::Allowed;
      using agentos::testing::MaxSeverity;
      using agentos::testing::Signals;
      using agentos::testing::TotalViolations;
      using agentos::testing::ViolationCount;
      bool same = (Allowed(cd) == 1) == want.allowed && MaxSeverity(cd) == want.max_severity &&
                  TotalViolations(cd) == static_cast<std::int64_t>(want.total) &&
                  Signals(cd) == static_cast<std::int64_t>(want.signals) &&
                  ViolationCount(cd) == static_cast<std::int64_t>(want.rows.size());
      for (std::size_t k = 0; same && k < want.rows.size(); ++k) {
        agentos_violation v = agentos::testing::Sized<agentos_violation>();
        REQUIRE(agentos_decision_violation(cd, k, &v) == AGENTOS_OK);
        same = Row(v) == want.rows[k];
      }

      // agentos_kernel_check_actions with a state.
      std::uint8_t a_allowed = 0;
      std::int8_t a_sev = 0;
      std::uint32_t a_total = 0;
      REQUIRE(agentos_kernel_check_actions(ck, batch_state[i], &ca, 1, &a_allowed, &a_sev, &a_total) == AGENTOS_OK);
      same = same && (a_allowed == 1) == want.allowed && a_sev == want.max_severity && a_total == want.total;

      // agentos_venv_step: the env's governed step.
      same = same && (executed[i] == 1) == want.allowed && max_sev[i] == want.max_severity &&
             venv_total[i] == want.total && venv_signals[i] == want.signals;
      std::size_t count = 0;
      REQUIRE(agentos_venv_violation_count(venv, i, &count) == AGENTOS_OK);
      same = same && count == want.rows.size();
      for (std::size_t k = 0; same && k < count; ++k) {
        agentos_violation v = agentos::testing::Sized<agentos_violation>();
        REQUIRE(agentos_venv_violation(venv, i, k, &v) == AGENTOS_OK);
        same = Row(v) == want.rows[k];
      }

      // check_batch: the same payload as a fresh action of batch_kind.
      Action fresh;
      fresh.kind = static_cast<ActionKind>(batch_kind);
      fresh.payload = g.payload;
      const Decision fd = kernel->Check(fresh);
      auto fsev = fd.max_severity();
      same = same && (b_allowed[i] == 1) == fd.allowed() && b_total[i] == fd.total_violations() &&
             b_sev[i] == (fsev ? static_cast<std::int8_t>(*fsev) : std::int8_t{-1});

      if (!same) {
        ++mismatches;
        if (mismatches <= 5) {
          UNSCOPED_INFO("step " << step << " env " << i << " kind " << g.kind << " payload bytes "
                                << g.payload.size() << " tool '" << g.tool << "' cost " << g.cost);
        }
      }
      // A budget denial ends the env's episode (SIGBUDGET truncates) and the
      // venv resets it in the same step: every state starts afresh.
      const bool ends = (want.signals & AGENTOS_SIGBUDGET) != 0;
      CHECK((autoreset[i] == 1) == ends);
      if (ends) {
        ref_state[i].Reset();
        REQUIRE(agentos_state_reset(c_state[i]) == AGENTOS_OK);
        REQUIRE(agentos_state_reset(batch_state[i]) == AGENTOS_OK);
      }
    }
  }
  CHECK(mismatches == 0);
  CHECK(checked == 102400);
  // The generator reaches every kind and both outcomes.
  for (std::uint64_t n : kinds_seen) CHECK(n > 20000);
  CHECK(allowed_count > 5000);
  CHECK(checked - allowed_count > 5000);

  agentos_decision_free(cd);
  for (std::size_t i = 0; i < kEnvs; ++i) {
    agentos_state_free(c_state[i]);
    agentos_state_free(batch_state[i]);
  }
  agentos_venv_free(venv);
  agentos_kernel_free(ck);
}
