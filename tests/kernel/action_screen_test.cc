// Specification of the kernel's byte-level action screen.
#include <catch2/catch.hpp>

#include <iterator>
#include <random>
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

namespace {
// A deliberately plain reference (RFC 3629 table 3-7), to check the fast
// paths of the one validator against.
std::size_t ReferenceInvalid(std::string_view s, bool stop_at_nul) {
  std::size_t i = 0;
  auto b = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(s[k])); };
  while (i < s.size()) {
    const unsigned c = b(i);
    if (c == 0 && stop_at_nul) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return i;
    if (i + len > s.size() || b(i + 1) < lo || b(i + 1) > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (b(i + k) < 0x80 || b(i + k) > 0xBF) return i;
    }
    i += len;
  }
  return s.size();
}
}  // namespace

TEST_CASE("the validator's block and tail fast paths agree with a plain reference on 200,000 texts") {
  std::mt19937_64 rng(42);
  const std::string pieces[] = {"a", "SELECT ", "0123456789abcdef0123456789abcdef", std::string(1, '\0'),
                                "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\x80", "\xc0\xaf",
                                "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xf4\x8f\xbf\xbf"};
  std::size_t invalid = 0;
  for (int t = 0; t < 200000; ++t) {
    std::string s;
    const std::size_t parts = rng() % 12;
    for (std::size_t p = 0; p < parts; ++p) {
      // Mostly ASCII, like real actions, so the block paths are exercised.
      const std::size_t k = rng() % 4 == 0 ? rng() % std::size(pieces) : rng() % 3;
      s += pieces[k];
    }
    INFO("text of " << s.size() << " bytes, case " << t);
    const std::size_t want = ReferenceInvalid(s, false);
    REQUIRE(FindInvalidUtf8(s) == want);
    REQUIRE(FindInvalidUtf8OrNul(s) == ReferenceInvalid(s, true));
    REQUIRE(IsValidUtf8(s) == (want == s.size()));
    invalid += want != s.size();
  }
  CHECK(invalid > 20000);  // both outcomes are well represented
  CHECK(invalid < 180000);
  // Positions the block paths decide: a NUL deep in a 32-byte block, a high
  // byte right after one, a problem in the overlapping last eight bytes.
  CHECK(FindInvalidUtf8OrNul(std::string(40, 'x') + std::string(1, '\0') + "yy") == 40);
  CHECK(FindInvalidUtf8(std::string(40, 'x') + std::string(1, '\0') + "yy") == 43);
  CHECK(FindInvalidUtf8(std::string(32, 'x') + "\xff") == 32);
  CHECK(FindInvalidUtf8OrNul(std::string("0123456789a\0c", 13)) == 11);
  CHECK(FindInvalidUtf8(std::string("0123456789a\xe2\x82\xac", 14)) == 14);
}
