// Instruction counts (under callgrind) of two hot paths, for comparing two
// builds on a busy machine, where wall-clock benchmarks cannot resolve 5%:
// one kernel check of each bench_sql_check statement, and one governed
// env-step of bench_env's VectorEnv (1024 envs, 1 thread). Same source for
// both trees (NEW_TREE: the tree has KernelSpace::WithMaxActionBytes, which
// the 100 KB statement needs to reach the SQL policy); argv[1] picks the
// case, argv[2] the repetitions. Driven by bench/instructions/compare.sh.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "env/noop_task.h"
#include "env/vector_env.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"
#include "policies/sql_policy.h"

using namespace agentos;

static const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
)";

int main(int argc, char** argv) {
  const std::string which = argv[1];
  const long reps = std::atol(argv[2]);
  std::shared_ptr<const KernelSpace> k;
  if (!LoadKernelFromYaml(kPolicy, "p", &k).ok()) return 1;
#ifdef NEW_TREE
  k = k->WithMaxActionBytes(1u << 20);
#endif
  if (which == "env" || which == "env_noop") {
    auto factory = MakeNoopTaskFactory();
    VectorEnvConfig c;
    c.num_envs = 1024;
    c.num_threads = 1;
    std::unique_ptr<VectorEnv> v;
    if (!VectorEnv::Create(which == "env" ? k : KernelSpace::AllowAll(), c, *factory, &v).ok()) return 2;
    if (!v->Reset(1).ok()) return 3;
    std::string bytes;
    std::vector<std::uint64_t> offsets{0};
    for (int i = 0; i < 1024; ++i) {
      bytes += "SELECT name FROM customers WHERE id = 42";
      offsets.push_back(bytes.size());
    }
    BatchActions b;
    b.bytes = bytes;
    b.offsets = offsets;
    for (long r = 0; r < reps; ++r) {
      if (!v->Step(b).ok()) return 4;
    }
    return 0;
  }
  std::string text;
  if (which == "short_select") text = "SELECT name, email FROM customers WHERE id = 42";
  else if (which == "update_with_where") text = "UPDATE orders SET status = 'shipped' WHERE id = 1001 AND status = 'paid'";
  else if (which == "analytic_2kb") { while (text.size() < 2048) text += "SELECT c.id, SUM(o.total) AS s FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = 'paid' GROUP BY c.id HAVING SUM(o.total) > 100 UNION ALL "; text += "SELECT 1"; }
  else { text = "INSERT INTO t VALUES "; while (text.size() < 100 * 1024) text += "(1, 'abcdefghij', 3.5),"; text += "(0, 'x', 0)"; }
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = text;
  EpisodeState st;
  Decision d;
  for (long r = 0; r < reps; ++r) {
    st.Reset();
    k->Check(a, st, d);
  }
  std::printf("%s allowed=%d bytes=%zu\n", which.c_str(), d.allowed() ? 1 : 0, text.size());
  return 0;
}
