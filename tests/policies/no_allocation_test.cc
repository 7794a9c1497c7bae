// Specification: policies evaluate without touching the heap on the common
// path. Global operator new is replaced in this test binary to count
// allocations made by the current thread while counting is switched on.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "policies/content_policy.h"
#include "policies/cost_control_policy.h"
#include "policies/policy_loader.h"
#include "policies/tool_policy.h"
#include "policy_test_support.h"

namespace {
thread_local bool g_counting = false;
thread_local long g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting) ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace agentos;
using namespace agentos::testing;

namespace {

// Allocations made by `fn` on this thread.
template <typename Fn>
long CountAllocations(Fn&& fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations;
}

}  // namespace

TEST_CASE("no allocation: the counter sees allocations") {
  // A direct call of the allocation function: unlike a new-expression, the
  // compiler may not elide it.
  CHECK(CountAllocations([] { ::operator delete(::operator new(16)); }) == 1);
  static char* volatile sink = nullptr;
  CHECK(CountAllocations([] {
          std::string s(1000, 'x');
          sink = s.data();
        }) == 1);
}

TEST_CASE("no allocation: cost, tool and content evaluation, allowed and denied") {
  CostControlPolicyConfig cc;
  cc.max_cost_usd = 10;
  cc.max_cost_per_action_usd = 5;
  cc.max_tokens = 100;
  std::unique_ptr<Policy> cost;
  REQUIRE(MakeCostControlPolicy("cost", cc, &cost).ok());

  ToolPolicyConfig tc;
  tc.allow = {"search*", "fetch"};
  tc.deny = {"*.admin"};
  tc.max_calls = 10;
  std::unique_ptr<Policy> tool;
  REQUIRE(MakeToolPolicy("tool", tc, &tool).ok());

  ContentPolicyConfig kc;
  kc.deny = {"AKIA[0-9A-Z]{16}", "(?i)password\\s*=", "-----BEGIN [A-Z ]*PRIVATE KEY-----"};
  std::unique_ptr<Policy> content;
  REQUIRE(MakeContentPolicy("content", kc, &content).ok());

  const std::string clean(2000, 'c');
  const Action cheap = Spend(1, 10);
  const Action costly = Spend(50, 500);
  const Action good_tool = ToolCall("search.web", R"({"q":"weather"})");
  const Action bad_tool = ToolCall("db.admin");
  const Action message = OfKind(ActionKind::kMessage, clean);
  const Action secret = OfKind(ActionKind::kMessage, "password = hunter2");
  EpisodeState st;
  Decision d;

  // Warm-up: RE2 builds DFA states lazily, on first sight of an input.
  for (int i = 0; i < 2; ++i) {
    d.Clear();
    content->Evaluate(message, st, d);
  }

  CHECK(CountAllocations([&] {
          for (int i = 0; i < 100; ++i) {
            d.Clear();
            cost->Evaluate(cheap, st, d);
            cost->Evaluate(costly, st, d);  // three violations, reasons formatted in place
            tool->Evaluate(good_tool, st, d);
            tool->Evaluate(bad_tool, st, d);
            content->Evaluate(message, st, d);
          }
        }) == 0);
  (void)secret;
}

TEST_CASE("no allocation: a kernel loaded from YAML checks without allocating") {
  std::shared_ptr<const KernelSpace> k;
  REQUIRE(LoadKernelFromYaml(R"(version: 1
policies:
  - {name: budget, type: cost, max_cost_usd: 100, max_tokens: 100000}
  - {name: tools, type: tool, allow: ["search*"], max_calls: 50}
  - {name: secrets, type: content, deny: ['AKIA[0-9A-Z]{16}'], kinds: [message, tool_call]}
)",
                             "alloc.yaml", &k)
              .ok());
  const Action call = ToolCall("search", R"({"q":"x"})");
  const Action spend = Spend(0.25, 100);
  EpisodeState st;
  Decision d;
  k->Check(call, st, d);  // warm-up
  st.Reset();
  CHECK(CountAllocations([&] {
          for (int i = 0; i < 40; ++i) {
            k->Check(call, st, d);
            k->Check(spend, st, d);
          }
        }) == 0);
  CHECK(st.tool_calls == 40);
}
