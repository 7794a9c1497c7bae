// Specification of the kernel's byte-level action screen.
#include <catch2/catch.hpp>

#include <string>

#include "kernel/action_screen.h"
#include "kernel/utf8.h"

using namespace agentos;

TEST_CASE("UTF-8 validation accepts well-formed text and finds the first bad byte") {
  CHECK(FindInvalidUtf8("") == 0);
  CHECK(FindInvalidUtf8("SELECT name FROM customers WHERE id = 1") == 39);
  CHECK(FindInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == 14);  // é € 😀
  CHECK(FindInvalidUtf8("abc\xff") == 3);                       // never valid
  CHECK(FindInvalidUtf8("abcdefgh\x80xyz") == 8);               // stray continuation after a fast-path word
  CHECK(FindInvalidUtf8("\xc0\xaf") == 0);                      // overlong '/'
  CHECK(FindInvalidUtf8("\xe0\x80\xaf") == 0);                  // overlong 3-byte
  CHECK(FindInvalidUtf8("\xed\xa0\x80") == 0);                  // UTF-16 surrogate
  CHECK(FindInvalidUtf8("\xf4\x90\x80\x80") == 0);              // > U+10FFFF
  CHECK(FindInvalidUtf8("ab\xe2\x82") == 2);                    // truncated sequence
}

namespace {
Decision Screen(const Action& a, std::uint32_t max = 64, bool* ok = nullptr) {
  Decision d;
  d.Clear();
  bool r = ScreenAction(a, max, d);
  if (ok) *ok = r;
  d.Finish(false);  // even in audit mode these block: they are the kernel's own
  return d;
}
}  // namespace

TEST_CASE("malformed actions are denied with a rule and a reason, even in audit mode") {
  struct Case {
    ActionKind kind;
    std::string tool, payload;
    std::string_view rule;
    Severity sev;
  };
  const Case cases[] = {
      {ActionKind::kSql, "", "", "kernel.empty_action", Severity::kMedium},
      {ActionKind::kMessage, "", "", "kernel.empty_action", Severity::kMedium},
      {ActionKind::kToolCall, "", "{}", "kernel.empty_action", Severity::kMedium},
      {ActionKind::kSql, "", std::string(65, 'x'), "kernel.action_too_large", Severity::kHigh},
      {ActionKind::kSql, "", "SELECT '\xff'", "kernel.invalid_utf8", Severity::kHigh},
      {ActionKind::kSql, "", std::string("SELECT 1\0; DROP TABLE t", 23), "kernel.nul_byte", Severity::kHigh},
      {ActionKind::kToolCall, "sea\xc3rch", "{}", "kernel.invalid_utf8", Severity::kHigh},
  };
  for (const Case& c : cases) {
    Action a;
    a.kind = c.kind;
    a.tool = c.tool;
    a.payload = c.payload;
    bool ok = true;
    Decision d = Screen(a, 64, &ok);
    INFO(c.rule);
    CHECK_FALSE(ok);
    CHECK_FALSE(d.allowed());
    REQUIRE(d.violations().size() == 1);
    CHECK(d.violations()[0].rule() == c.rule);
    CHECK(d.violations()[0].policy() == kKernelPolicyName);
    CHECK(d.violations()[0].severity() == c.sev);
    CHECK(d.violations()[0].blocked());
    CHECK_FALSE(d.violations()[0].reason().empty());
  }
}

TEST_CASE("well-formed actions pass the screen untouched") {
  Action sql;
  sql.payload = "SELECT 1";
  Action spend;
  spend.kind = ActionKind::kSpend;  // a spend needs no payload
  Action tool;
  tool.kind = ActionKind::kToolCall;
  tool.tool = "search";
  for (const Action* a : {&sql, &spend, &tool}) {
    bool ok = false;
    Decision d = Screen(*a, 64, &ok);
    CHECK(ok);
    CHECK(d.allowed());
    CHECK(d.total_violations() == 0);
  }
}
