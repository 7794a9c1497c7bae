// Fuzzes the environment C API: agentos_venv_create / reset / reset_seeds /
// reset_with / step / signal driven by fuzzer-chosen configs and batches of byte actions
// (empty, invalid UTF-8, oversized, every kind, costs), interleaved with
// deliberately bad calls. Checks, after every call:
//   - status codes are the documented ones; a failed call changed nothing
//     (the result buffers are byte-for-byte what they were);
//   - rewards are finite and within [min_reward, max_reward]; flags are 0/1;
//     a NEXT_STEP reset row has reward 0 and no termination; violations and
//     max_severity agree; episode_step <= max_steps;
//   - DISABLED: stepping an ended env fails with AGENTOS_STATE;
//   - metrics add up (steps = executed + blocked; success <= episodes;
//     nothing destructive reached a backend under the enforcing kernel).
//
// Input layout: byte 0 config bits (autoreset, terminate_on_critical, task,
// keep_results, threads), byte 1 num_envs - 1 (mod 8) and, bit 3,
// text_observations, byte 2 max_steps - 1 (mod 4), then a sequence of
// operations (see Run below).
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
  - name: secrets
    type: content
    deny: ['AKIA[0-9A-Z]{16}']
  - name: budget
    type: cost
    max_cost_usd: 5
)";

// Prints the failed invariant, then aborts (a libFuzzer crash).
#define Require(cond)                                                                      \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "fuzz_venv_step.cc:%d: invariant failed: %s\n", __LINE__, #cond); \
      std::abort();                                                                        \
    }                                                                                      \
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
  std::size_t pos = 0;
  bool done() const { return pos >= n; }
  std::uint8_t byte() { return pos < n ? p[pos++] : 0; }
};

// Every result buffer, copied, to prove a failed call changed nothing.
struct Snapshot {
  std::vector<std::uint8_t> bytes;
  static Snapshot Of(const agentos_venv* v, std::size_t n) {
    Snapshot s;
    auto add = [&](const void* p, std::size_t size) {
      const auto* b = static_cast<const std::uint8_t*>(p);
      s.bytes.insert(s.bytes.end(), b, b + size * n);
    };
    add(agentos_venv_observations(v), 8);
    add(agentos_venv_rewards(v), 8);
    add(agentos_venv_terminated(v), 1);
    add(agentos_venv_truncated(v), 1);
    add(agentos_venv_executed(v), 1);
    add(agentos_venv_success(v), 1);
    add(agentos_venv_task_error(v), 1);
    add(agentos_venv_violations(v), 4);
    add(agentos_venv_max_severity(v), 1);
    add(agentos_venv_signals(v), 4);
    add(agentos_venv_episode_steps(v), 4);
    add(agentos_venv_costs(v), 8);
    add(agentos_venv_episode_returns(v), 8);
    add(agentos_venv_autoreset(v), 1);
    add(agentos_venv_final_observations(v), 8);
    return s;
  }
};

bool Bit(std::uint8_t x) { return x == 0 || x == 1; }

void CheckRows(const agentos_venv* v, const agentos_env_config& c, std::size_t n) {
  const double* reward = agentos_venv_rewards(v);
  const std::uint8_t* term = agentos_venv_terminated(v);
  const std::uint8_t* trunc = agentos_venv_truncated(v);
  const std::uint8_t* exec = agentos_venv_executed(v);
  const std::uint8_t* success = agentos_venv_success(v);
  const std::uint8_t* task_error = agentos_venv_task_error(v);
  const std::uint32_t* viol = agentos_venv_violations(v);
  const std::int8_t* sev = agentos_venv_max_severity(v);
  const std::uint32_t* steps = agentos_venv_episode_steps(v);
  const double* cost = agentos_venv_costs(v);
  const double* ret = agentos_venv_episode_returns(v);
  const std::uint8_t* autoreset = agentos_venv_autoreset(v);
  for (std::size_t i = 0; i < n; ++i) {
    Require(std::isfinite(reward[i]) && reward[i] >= c.min_reward && reward[i] <= c.max_reward);
    Require(std::isfinite(ret[i]) && std::isfinite(cost[i]) && cost[i] >= 0.0);
    Require(Bit(term[i]) && Bit(trunc[i]) && Bit(exec[i]) && Bit(success[i]) && Bit(task_error[i]) &&
            Bit(autoreset[i]));
    Require(sev[i] >= -1 && sev[i] <= 3);
    Require((viol[i] == 0) == (sev[i] == -1));
    Require(steps[i] <= c.max_steps);
    Require(!task_error[i] || exec[i]);
    Require(!success[i] || exec[i]);
    if (autoreset[i] && c.autoreset == AGENTOS_AUTORESET_NEXT_STEP) {
      Require(reward[i] == 0.0 && !term[i] && !trunc[i] && !exec[i] && viol[i] == 0);
    }
    Require(!autoreset[i] || c.autoreset != AGENTOS_AUTORESET_DISABLED);
  }
}

void CheckMetrics(const agentos_venv* v) {
  agentos_env_metrics m = agentos::testing::Sized<agentos_env_metrics>();
  Require(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  Require(m.steps == m.executed + m.blocked);
  Require(m.successful_episodes <= m.episodes && m.episodes_with_violations <= m.episodes);
  Require(m.backend_destructive_ops == 0);
  Require(m.task_errors <= m.executed);
  Require(std::isfinite(m.reward_sum) && std::isfinite(m.penalty_sum) && m.penalty_sum <= 0.0);
  Require(m.success_rate >= 0.0 && m.success_rate <= 1.0);
}

// Builds one batch: per env a length byte (255: a payload longer than
// max_action_bytes), the payload bytes (0xFF: invalid UTF-8 as is), and
// optionally per-env kinds and costs.
struct Batch {
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint8_t> kinds;
  std::vector<double> cost;
  std::vector<double> ext_reward;
  std::vector<std::uint8_t> ext_success, ext_done;
};

Batch ReadBatch(Reader& r, std::size_t n, std::uint32_t max_action_bytes) {
  Batch b;
  const std::uint8_t flags = r.byte();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t len = r.byte();
    if (len == 255) {
      b.bytes.append(max_action_bytes + 1 + r.byte(), 'x');
    } else {
      for (std::uint8_t k = 0; k < len % 48 && !r.done(); ++k) b.bytes.push_back(static_cast<char>(r.byte()));
    }
    b.offsets.push_back(b.bytes.size());
    if (flags & 1) b.kinds.push_back(r.byte() % 4);
    if (flags & 2) {
      const std::uint8_t x = r.byte();
      b.cost.push_back(x == 255 ? -1.0 : x == 254 ? 1e308 : x / 16.0);
    }
    if (flags & 4) {
      b.ext_reward.push_back((static_cast<int>(r.byte()) - 128) / 8.0);
      const std::uint8_t x = r.byte();
      b.ext_success.push_back(x & 1);
      b.ext_done.push_back((x >> 1) & 1);
    }
  }
  return b;
}

// The batch texts (when enabled) and the chat form keep their layouts: every
// text NUL-terminated behind monotone offsets, the same as each env's own.
void CheckObservationTexts(agentos_venv* v, std::size_t n, bool enabled) {
  const char* bytes = nullptr;
  const std::uint64_t* offsets = nullptr;
  std::size_t nbytes = 0;
  const int rc = agentos_venv_observation_texts(v, &bytes, &offsets, &nbytes);
  Require(rc == (enabled ? AGENTOS_OK : AGENTOS_STATE));
  if (enabled) {
    Require(offsets[0] == 0 && offsets[n] == nbytes);
    for (std::size_t i = 0; i < n; ++i) {
      const char* text = nullptr;
      std::size_t len = 0;
      Require(agentos_venv_observation_text(v, i, &text, &len) == AGENTOS_OK);
      Require(offsets[i + 1] == offsets[i] + len + 1 && bytes[offsets[i + 1] - 1] == '\0');
      Require(len == 0 || std::memcmp(bytes + offsets[i], text, len) == 0);
    }
  }
  agentos_chat chat = agentos::testing::Sized<agentos_chat>();
  Require(agentos_venv_observation_chat(v, &chat) == AGENTOS_OK);
  Require(chat.env_first[0] == 0 && chat.env_first[n] == chat.num_messages && chat.offsets[0] == 0);
  Require(chat.offsets[chat.num_messages] == chat.nbytes);
  for (std::size_t m = 0; m < chat.num_messages; ++m) {
    Require(chat.roles[m] <= AGENTOS_CHAT_USER && chat.offsets[m + 1] > chat.offsets[m]);
    Require(chat.bytes[chat.offsets[m + 1] - 1] == '\0');
  }
}

int StepBatch(agentos_venv* v, const Batch& b, std::size_t n) {
  agentos_step_extras x = agentos::testing::Sized<agentos_step_extras>();
  if (!b.kinds.empty()) x.kinds = b.kinds.data();
  if (!b.cost.empty()) x.cost_usd = b.cost.data();
  if (!b.ext_reward.empty()) {
    x.external_reward = b.ext_reward.data();
    x.external_success = b.ext_success.data();
    x.external_done = b.ext_done.data();
  }
  return agentos_venv_step(v, b.bytes.data(), b.bytes.size(), b.offsets.data(), n, &x);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  Reader r{data, size};
  const std::uint8_t cfg = r.byte();
  agentos_env_config c;
  Require(agentos_env_config_init(&c) == AGENTOS_OK);
  const std::uint8_t shape = r.byte();
  c.num_envs = 1 + shape % 8;
  c.text_observations = (shape >> 3) & 1;
  c.max_steps = 1 + r.byte() % 4;
  c.autoreset = cfg % 4;  // 3 is invalid
  c.terminate_on_critical = (cfg >> 2) & 1;
  c.keep_results = (cfg >> 5) & 1;
  c.num_threads = 1 + ((cfg >> 6) & 1);
  c.min_envs_per_thread = 1;
  c.max_action_bytes = 4096;
  c.max_cost_usd = (cfg >> 7) ? 3.0 : 0.0;
  const char* spec = ((cfg >> 3) & 1) ? R"({"type":"external"})" : R"({"type":"noop"})";
  if (((cfg >> 4) & 1) && ((cfg >> 3) & 1)) spec = R"({"type":"nope"})";
  agentos_venv* v = nullptr;
  const int created = agentos_venv_create(Kernel(), &c, spec, std::strlen(spec), &v);
  if (c.autoreset == 3 || std::strcmp(spec, R"({"type":"nope"})") == 0) {
    Require(created == AGENTOS_INVALID || created == AGENTOS_PARSE);
    Require(v == nullptr && agentos_errmsg()[0] != '\0');
    return 0;
  }
  Require(created == AGENTOS_OK && v != nullptr);
  const bool external = std::strstr(spec, "external") != nullptr;
  const std::size_t n = c.num_envs;
  Require(agentos::testing::NumEnvs(v) == static_cast<std::int64_t>(n));
  const double* rewards = agentos_venv_rewards(v);
  // Env i can step when it was reset and (DISABLED) has not ended since, or
  // is paused (a paused env's steps are no-ops, even after its end).
  std::vector<std::uint8_t> reset(n, 0), ended(n, 0), paused(n, 0);

  for (int ops = 0; ops < 64 && !r.done(); ++ops) {
    const std::uint8_t op = r.byte();
    const Snapshot before = Snapshot::Of(v, n);
    switch (op % 6) {
      case 0:
      case 1: {  // step
        Batch b = ReadBatch(r, n, c.max_action_bytes);
        if (!external) b.ext_reward.clear();
        const int rc = StepBatch(v, b, n);
        bool all = true;
        for (std::size_t i = 0; i < n; ++i) all = all && reset[i] && (!ended[i] || paused[i]);
        Require(rc == (all ? AGENTOS_OK : AGENTOS_STATE));
        if (rc != AGENTOS_OK) {
          Require(agentos_errmsg()[0] != '\0');
          Require(Snapshot::Of(v, n).bytes == before.bytes);
          break;
        }
        CheckRows(v, c, n);
        if (c.autoreset == AGENTOS_AUTORESET_DISABLED) {
          for (std::size_t i = 0; i < n; ++i) {
            if (agentos_venv_terminated(v)[i] || agentos_venv_truncated(v)[i]) ended[i] = 1;
          }
        }
        break;
      }
      case 2: {  // reset, one base seed or a seed per env, maybe masked
        const std::uint8_t how = r.byte();
        std::vector<std::uint8_t> mask(n, 1);
        const bool masked = how & 1;
        if (masked) {
          const std::uint8_t m = r.byte();
          for (std::size_t i = 0; i < n; ++i) mask[i] = (m >> i) & 1;
        }
        int rc;
        if (how & 2) {
          std::vector<std::uint64_t> seeds(n);
          std::vector<std::uint8_t> has(n);
          for (std::size_t i = 0; i < n; ++i) {
            seeds[i] = r.byte() * 0x9E3779B97F4A7C15ull;
            has[i] = r.byte() & 1;
          }
          if (how & 8) {  // the same through agentos_venv_reset_with, no pins
            agentos_reset_options o{};
            o.struct_size = sizeof o;
            o.seeds = seeds.data();
            o.has_seeds = (how & 4) ? has.data() : nullptr;
            o.mask = masked ? mask.data() : nullptr;
            rc = agentos_venv_reset_with(v, &o);
          } else {
            rc = agentos_venv_reset_seeds(v, seeds.data(), (how & 4) ? has.data() : nullptr,
                                          masked ? mask.data() : nullptr);
          }
        } else {
          rc = agentos_venv_reset(v, (how >> 2) & 1, r.byte(), masked ? mask.data() : nullptr);
        }
        Require(rc == AGENTOS_OK);
        for (std::size_t i = 0; i < n; ++i) {
          if (mask[i]) reset[i] = 1, ended[i] = 0;
        }
        CheckRows(v, c, n);
        break;
      }
      case 3: {  // signal, any value, any env
        const std::size_t env = r.byte() % (n + 1);
        const std::uint32_t sig = r.byte();
        const bool valid_sig = sig == AGENTOS_SIGSTOP || sig == AGENTOS_SIGCONT || sig == AGENTOS_SIGKILL ||
                               sig == AGENTOS_SIGTERM;
        const int rc = agentos_venv_signal(v, env, sig);
        if (env >= n || !valid_sig) {
          Require(rc == AGENTOS_INVALID);
        } else {
          Require(rc == AGENTOS_OK);
          if (sig == AGENTOS_SIGSTOP) paused[env] = 1;
          if (sig == AGENTOS_SIGCONT) paused[env] = 0;
        }
        Require(Snapshot::Of(v, n).bytes == before.bytes);  // signals act at the next step
        break;
      }
      case 4: {  // a bad step: every one must fail with INVALID and change nothing
        Batch b = ReadBatch(r, n, c.max_action_bytes);
        const std::uint8_t how = r.byte() % 6;
        int rc;
        if (how == 0) {
          b.offsets.back() = b.bytes.size() + 1;  // past the end
          rc = StepBatch(v, b, n);
        } else if (how == 1) {
          rc = StepBatch(v, b, n + 1);  // wrong n
        } else if (how == 2) {
          b.kinds.assign(n, 0);
          b.kinds[0] = 5 + r.byte() % 251;  // not a kind
          rc = StepBatch(v, b, n);
        } else if (how == 3) {
          b.ext_reward.assign(n, 0.0);
          b.ext_success.assign(n, 0);
          b.ext_done.assign(n, 0);
          b.ext_reward[n - 1] = std::nan("");
          rc = StepBatch(v, b, n);
        } else if (how == 4) {
          rc = agentos_venv_reset_seeds(v, nullptr, nullptr, nullptr);
        } else {  // a pin: noop and external tasks have no tasks to pin
          std::vector<std::int64_t> pins(n, -1);
          pins[r.byte() % n] = static_cast<std::int64_t>(r.byte()) - 2;  // -2 is invalid anyway
          if (pins == std::vector<std::int64_t>(n, -1)) pins[0] = 0;
          agentos_reset_options o{};
          o.struct_size = sizeof o;
          o.task_index = pins.data();
          rc = agentos_venv_reset_with(v, &o);
        }
        Require(rc == AGENTOS_INVALID);
        Require(agentos_errmsg()[0] != '\0');
        Require(Snapshot::Of(v, n).bytes == before.bytes);
        break;
      }
      default: {  // observation text and explanations of any env
        const std::size_t env = r.byte() % (n + 1);
        const char* text = nullptr;
        std::size_t len = 0;
        const int rc = agentos_venv_observation_text(v, env, &text, &len);
        Require(env < n ? rc == AGENTOS_OK : rc == AGENTOS_INVALID);
        if (rc == AGENTOS_OK && len > 0) Require(text != nullptr && std::memchr(text, 0, len) == nullptr);
        CheckObservationTexts(v, n, c.text_observations == 1);
        std::size_t count = 99;
        const int vc = agentos_venv_violation_count(v, env, &count);
        if (env < n && c.keep_results) {
          Require(vc == AGENTOS_OK && count <= 8);
          for (std::size_t k = 0; k < count; ++k) {
            agentos_violation viol = agentos::testing::Sized<agentos_violation>();
            Require(agentos_venv_violation(v, env, k, &viol) == AGENTOS_OK);
            Require(viol.policy != nullptr && viol.rule != nullptr && viol.reason != nullptr);
          }
        } else {
          Require(vc == AGENTOS_INVALID || vc == AGENTOS_STATE);
        }
        break;
      }
    }
    Require(agentos_venv_rewards(v) == rewards);  // buffers never move
    CheckMetrics(v);
  }
  agentos_venv_free(v);
  return 0;
}
