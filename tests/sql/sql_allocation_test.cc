// The check path allocates nothing for statements up to 4 KB (and, by
// design, for any size): counted with a replaced global operator new.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <string>

#include "tests/sql/sql_test_support.h"

namespace {
thread_local long g_allocations = 0;
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too, so every plain new/delete pair goes through malloc/free.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace agentos;
using namespace agentos::sqltest;

TEST_CASE("checking SQL does not allocate") {
  std::string analytic = "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days') SELECT";
  while (analytic.size() < 4000) analytic += " sum(amount) FILTER (WHERE status = 'paid') AS paid,";
  analytic += " 1 FROM recent GROUP BY customer_id";
  const std::string texts[] = {
      "SELECT * FROM t WHERE id = 1",
      "UPDATE accounts SET balance = balance - 10 WHERE id = 42",
      "SELECT 1; DROP TABLE t; UPDATE t SET a = 1; FROBNICATE",
      "SELECT 'unterminated",
      analytic,
  };
  const KernelSpace& k = ThreeRule();
  Decision d;
  EpisodeState state;
  for (const auto& text : texts) {
    Action a = SqlAction(text);
    k.Check(a, state, d);  // warm up (first-use statics)
    long before = g_allocations;
    for (int i = 0; i < 100; ++i) k.Check(a, state, d);
    const long used = g_allocations - before;  // before INFO, which allocates
    INFO(text.substr(0, 60) << " (" << text.size() << " bytes)");
    CHECK(used == 0);
  }
  CHECK(analytic.size() <= 4096);
}
