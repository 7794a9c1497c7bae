// Specification: one kernel built from YAML is checked from many threads at
// once, each with its own episode state, and every thread sees the same
// decisions a single thread would.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "policies/policy_loader.h"
#include "policy_test_support.h"

using namespace agentos;
using namespace agentos::testing;

TEST_CASE("concurrency: threads share a kernel and keep their own episode budgets") {
  std::shared_ptr<const KernelSpace> k;
  REQUIRE(LoadKernelFromYaml(R"(version: 1
policies:
  - {name: budget, type: cost, max_cost_usd: 10}
  - {name: tools, type: tool, allow: ["search*"], max_calls: 5}
  - {name: secrets, type: content, deny: ['AKIA[0-9A-Z]{16}', '(?i)password\s*='], kinds: [message, tool_call]}
  - {name: sql, type: sql, allow: [SELECT]}
)",
                             "threads.yaml", &k)
              .ok());

  constexpr int kThreads = 4;
  constexpr int kEpisodes = 200;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string secret = "password = " + std::to_string(t);
      for (int e = 0; e < kEpisodes; ++e) {
        EpisodeState st;
        Decision d;
        int allowed_calls = 0;
        for (int i = 0; i < 7; ++i) {
          k->Check(ToolCall("search.web", "{}"), st, d);
          allowed_calls += d.allowed() ? 1 : 0;
        }
        k->Check(OfKind(ActionKind::kMessage, secret), st, d);
        const bool secret_denied = !d.allowed() && HasRule(d, "content.denied_pattern");
        k->Check(Sql("DROP TABLE t"), st, d);
        const bool drop_denied = !d.allowed();
        k->Check(Spend(6), st, d);
        const bool first_spend = d.allowed();
        k->Check(Spend(6), st, d);
        const bool second_spend = d.allowed();
        if (allowed_calls != 5 || st.tool_calls != 5 || !secret_denied || !drop_denied || !first_spend ||
            second_spend || st.cost_usd != 6) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
}
