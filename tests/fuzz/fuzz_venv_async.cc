// Fuzzes the async half of the environment C API: agentos_venv_send /
// agentos_venv_recv interleaved with sync calls, on fuzzer-chosen env
// counts, batch sizes, thread counts, id lists (repeats, out of range, envs
// already in flight) and byte actions, or CartPole's discrete actions
// (agentos_venv_send_discrete, some out of the action space: task errors,
// not call errors). Checks, against a model of which envs
// are in flight:
//   - a send succeeds exactly when its ids are distinct, in range and idle,
//     and then puts exactly those envs in flight; a refused send changes
//     nothing;
//   - recv returns min(batch_size, in flight) envs, each one in flight, each
//     once; with nothing in flight it is AGENTOS_STATE;
//   - step and reset are AGENTOS_STATE exactly while something is in flight;
//   - at the end every env sent was received exactly as often as it was sent.
//
// Input layout: byte 0 num_envs - 1 (mod 8), byte 1 batch_size (mod
// num_envs + 1; 0 = num_envs), byte 2 bit 0 threads - 1, bit 1 CartPole
// instead of noop, then operations:
// an op byte (mod 4) and its arguments (see Run).
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agentos.h"

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT]
    deny: [DROP, DELETE]
)";

#define Require(cond)                                                                       \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "fuzz_venv_async.cc:%d: invariant failed: %s\n", __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
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

struct Model {
  bool numeric = false;  // CartPole: discrete actions, numeric observations
  std::vector<int> flying, sent, received;
  std::size_t in_flight = 0;
};

// Op 0: send. Arguments: a count byte (1..9 ids), id bytes (mod num_envs +
// 2, so some are out of range), then each action's length byte and bytes.
void Send(agentos_venv* v, Reader& r, std::size_t n, Model& m) {
  const std::size_t count = 1 + r.byte() % 9;
  std::vector<std::uint32_t> ids;
  for (std::size_t k = 0; k < count; ++k) ids.push_back(r.byte() % (n + 2));
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::int64_t> pushes;
  for (std::size_t k = 0; k < count && m.numeric; ++k) pushes.push_back(r.byte() % 4);  // 2, 3: outside Discrete(2)
  for (std::size_t k = 0; k < count && !m.numeric; ++k) {
    const std::size_t len = r.byte() % 16;
    for (std::size_t j = 0; j < len; ++j) bytes.push_back(static_cast<char>(r.byte()));
    offsets.push_back(bytes.size());
  }
  bool valid = count <= n;
  std::vector<int> seen(n + 2, 0);
  for (std::uint32_t id : ids) {
    if (id >= n || seen[id]++ || m.flying[id]) valid = false;
  }
  const int rc = m.numeric ? agentos_venv_send_discrete(v, ids.data(), ids.size(), pushes.data())
                           : agentos_venv_send(v, ids.data(), ids.size(), bytes.data(), bytes.size(), offsets.data(), nullptr);
  Require((rc == AGENTOS_OK) == valid);
  Require(rc == AGENTOS_OK || rc == AGENTOS_INVALID || rc == AGENTOS_STATE);
  if (rc != AGENTOS_OK) return;
  for (std::uint32_t id : ids) {
    m.flying[id] = 1;
    ++m.sent[id];
  }
  m.in_flight += ids.size();
}

void Recv(agentos_venv* v, std::size_t n, std::size_t batch, Model& m) {
  std::vector<std::uint32_t> ids(n, 0xFFFFFFFFu);
  std::vector<double> reward(n);
  std::vector<std::uint8_t> executed(n);
  std::vector<float> obs(n * 4, -99.0f);
  agentos_recv_rows out;
  std::memset(&out, 0, sizeof(out));
  out.struct_size = sizeof(out);
  out.capacity = n;
  out.env_id = ids.data();
  out.reward = reward.data();
  out.executed = executed.data();
  if (m.numeric) out.numeric_observation = obs.data();
  std::size_t count = 99;
  const int rc = agentos_venv_recv(v, &out, &count);
  if (m.in_flight == 0) {
    Require(rc == AGENTOS_STATE);
    Require(count == 0);
    return;
  }
  Require(rc == AGENTOS_OK);
  Require(count == (batch < m.in_flight ? batch : m.in_flight));
  for (std::size_t k = 0; k < count; ++k) {
    Require(ids[k] < n);
    Require(m.flying[ids[k]] == 1);
    m.flying[ids[k]] = 0;
    ++m.received[ids[k]];
    Require(executed[k] <= 1);
    if (m.numeric) {
      const float* row = static_cast<const float*>(agentos_venv_numeric_observations(v)) + ids[k] * 4;
      Require(std::memcmp(obs.data() + k * 4, row, 4 * sizeof(float)) == 0);  // the env's own row
    }
  }
  m.in_flight -= count;
  std::size_t flying = 0;
  Require(agentos_venv_in_flight(v, &flying) == AGENTOS_OK && flying == m.in_flight);
}

void Run(agentos_venv* v, Reader& r, std::size_t n, std::size_t batch, bool numeric) {
  Model m;
  m.numeric = numeric;
  m.flying.assign(n, 0);
  m.sent.assign(n, 0);
  m.received.assign(n, 0);
  for (int ops = 0; ops < 64 && !r.done(); ++ops) {
    switch (r.byte() % 4) {
      case 0:
        Send(v, r, n, m);
        break;
      case 1:
        Recv(v, n, batch, m);
        break;
      case 2: {  // a sync step: refused exactly while envs are in flight
        std::string bytes(n, 'x');
        std::vector<std::uint64_t> offsets(n + 1);
        for (std::size_t i = 0; i <= n; ++i) offsets[i] = i;
        const std::vector<std::int64_t> pushes(n, 1);
        const int rc = numeric ? agentos_venv_step_discrete(v, pushes.data(), n)
                               : agentos_venv_step(v, bytes.data(), n, offsets.data(), n, nullptr);
        Require(rc == (m.in_flight > 0 ? AGENTOS_STATE : AGENTOS_OK));
        break;
      }
      default: {
        const int rc = agentos_venv_reset(v, 1, r.byte(), nullptr);
        Require(rc == (m.in_flight > 0 ? AGENTOS_STATE : AGENTOS_OK));
        break;
      }
    }
  }
  while (m.in_flight > 0) Recv(v, n, batch, m);
  Require(m.sent == m.received);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  Reader r{data, size};
  agentos_env_config c;
  Require(agentos_env_config_init(&c) == AGENTOS_OK);
  c.num_envs = 1 + r.byte() % 8;
  c.batch_size = r.byte() % (c.num_envs + 1);
  const std::uint8_t flags = r.byte();
  c.num_threads = 1 + (flags & 1);
  const bool numeric = (flags & 2) != 0;
  c.max_steps = 3;
  c.max_action_bytes = 4096;
  const std::string spec = numeric ? R"({"type":"cartpole"})" : R"({"type":"noop"})";
  agentos_venv* v = nullptr;
  Require(agentos_venv_create(Kernel(), &c, spec.data(), spec.size(), &v) == AGENTOS_OK);
  Require(agentos_venv_reset(v, 1, 0, nullptr) == AGENTOS_OK);
  std::size_t batch = 0;
  Require(agentos_venv_batch_size(v, &batch) == AGENTOS_OK);
  Require(batch == (c.batch_size == 0 ? c.num_envs : c.batch_size));
  Run(v, r, c.num_envs, batch, numeric);
  agentos_venv_free(v);
  return 0;
}
