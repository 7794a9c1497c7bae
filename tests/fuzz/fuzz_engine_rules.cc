// Fuzzes the entry points that let callers outside a venv ask the engine's
// rules: agentos_venv_would_execute, agentos_decision_signals and
// agentos_reward. Checks, for fuzzer-chosen actions (any bytes, every kind,
// costs, tokens) stepped through one env:
//   - would_execute is exactly what the next step does (executed flag), and
//     asking changes nothing (the step after it decides as if never asked);
//   - agentos_kernel_check on a state that mirrors the env's episode gives the
//     venv's decision: allowed, total, max severity, and signals equal the
//     venv's SIGPOLICY/SIGBUDGET bits;
//   - agentos_reward either refuses the config (AGENTOS_INVALID) or returns a
//     finite reward within [min_reward, max_reward] and a penalty <= 0.
// Input: a sequence of records, each: kind byte, cost byte, tokens byte,
// tool length byte, payload length byte, then the tool and payload bytes;
// the tail feeds the reward config.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agentos.h"
#include "tests/capi/capi_values.h"

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql
    type: sql
    allow: [SELECT, INSERT]
    severities:
      DROP: critical
  - name: tools
    type: tool
    allow: ["search"]
    max_calls: 3
  - name: budget
    type: cost
    max_cost_usd: 1.0
    max_tokens: 500
)";

#define Require(cond)                                                                        \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "fuzz_engine_rules.cc:%d: invariant failed: %s\n", __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

agentos_kernel* Kernel() {
  static agentos_kernel* k = [] {
    agentos_kernel* out = nullptr;
    if (agentos_kernel_from_yaml(kPolicy, sizeof(kPolicy) - 1, "fuzz.yaml", &out) != AGENTOS_OK) std::abort();
    return out;
  }();
  return k;
}

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::string bytes(std::size_t k) {
    k = k < n ? k : n;
    std::string s(reinterpret_cast<const char*>(p), k);
    p += k;
    n -= k;
    return s;
  }
  double number() {
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
};

void CheckReward(Reader& r) {
  agentos_env_config c;
  Require(agentos_env_config_init(&c) == AGENTOS_OK);
  const std::uint8_t which = r.byte();
  double* fields[] = {&c.critical_penalty, &c.high_penalty, &c.medium_penalty, &c.low_penalty,
                      &c.clean_bonus,      &c.step_penalty, &c.min_reward,     &c.max_reward};
  for (int i = 0; i < 8; ++i) {
    if (which & (1u << i)) *fields[i] = r.number();
  }
  const double task_reward = (r.byte() & 1) ? r.number() : 1.0;
  std::uint32_t counts[4];
  for (auto& n : counts) n = r.byte();
  double reward = 0.0, penalty = 0.0;
  const int rc = agentos_reward(&c, task_reward, counts, r.byte() & 1, &reward, &penalty);
  Require(rc == AGENTOS_OK || rc == AGENTOS_INVALID);
  if (rc == AGENTOS_OK) {
    Require(std::isfinite(reward) && reward >= c.min_reward && reward <= c.max_reward);
    Require(penalty <= 0.0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r{data, size};
  agentos_env_config c;
  Require(agentos_env_config_init(&c) == AGENTOS_OK);
  c.num_envs = 1;
  c.num_threads = 1;
  c.max_steps = 1000;
  c.terminate_on_critical = 0;
  c.autoreset = AGENTOS_AUTORESET_DISABLED;
  c.keep_results = 1;
  c.max_action_bytes = 64;
  const char spec[] = "{\"type\":\"noop\"}";
  agentos_venv* v = nullptr;
  Require(agentos_venv_create(Kernel(), &c, spec, sizeof spec - 1, &v) == AGENTOS_OK);
  Require(agentos_venv_reset(v, 1, 0, nullptr) == AGENTOS_OK);
  agentos_state* mirror = nullptr;
  agentos_decision* d = nullptr;
  Require(agentos_state_new(&mirror) == AGENTOS_OK && agentos_decision_new(&d) == AGENTOS_OK);

  for (int step = 0; step < 16 && r.n > 5; ++step) {
    const std::uint8_t kind = r.byte() % 4;
    const double cost = (r.byte() % 8) * 0.15;
    const std::int64_t tokens = (r.byte() % 8) * 100;
    const std::size_t tool_len = r.byte() % 12, payload_len = r.byte() % 80;
    const std::string tool = r.bytes(tool_len), payload = r.bytes(payload_len);

    agentos_action a = agentos::testing::Sized<agentos_action>();
    a.kind = kind;
    a.tool = tool.data();
    a.tool_len = tool.size();
    a.payload = payload.data();
    a.payload_len = payload.size();
    a.cost_usd = cost;
    a.tokens = tokens;
    std::int32_t would = -1;
    Require(agentos_venv_would_execute(v, 0, &a, &would) == AGENTOS_OK);
    std::int32_t again = -1;
    Require(agentos_venv_would_execute(v, 0, &a, &again) == AGENTOS_OK && again == would);

    // The mirror decides with the env's limit and agent id, like the env.
    agentos_action named = a;
    named.agent_id = "agent";
    named.agent_id_len = 5;
    // The env's kernel has max_action_bytes 64; the mirror's has 64 KiB, so
    // only texts within 64 bytes are compared decision for decision.
    const bool comparable = payload.size() <= 64;

    const std::uint64_t offsets[2] = {0, payload.size()};
    const std::uint64_t tool_offsets[2] = {0, tool.size()};
    agentos_step_extras ex = agentos::testing::Sized<agentos_step_extras>();
    ex.kinds = &kind;
    ex.tool_bytes = tool.data();
    ex.tool_bytes_len = tool.size();
    ex.tool_offsets = tool_offsets;
    ex.cost_usd = &cost;
    ex.tokens = &tokens;
    const int rc = agentos_venv_step(v, payload.data(), payload.size(), offsets, 1, &ex);
    if (rc == AGENTOS_STATE) break;  // the episode ended (budget): nothing more to step
    Require(rc == AGENTOS_OK);
    const bool executed = agentos_venv_executed(v)[0] == 1;
    Require(would == (executed ? 1 : 0));
    if (comparable) {
      Require(agentos_kernel_check(Kernel(), mirror, &named, d) == AGENTOS_OK);
      using namespace agentos::testing;
      Require((Allowed(d) == 1) == executed);
      Require(TotalViolations(d) == static_cast<std::int64_t>(agentos_venv_violations(v)[0]));
      Require(MaxSeverity(d) == agentos_venv_max_severity(v)[0]);
      Require(Signals(d) == static_cast<std::int64_t>(agentos_venv_signals(v)[0] & (AGENTOS_SIGPOLICY | AGENTOS_SIGBUDGET)));
    } else {
      break;  // the mirror's state would drift from the env's
    }
  }
  CheckReward(r);
  agentos_decision_free(d);
  agentos_state_free(mirror);
  agentos_venv_free(v);
  return 0;
}
