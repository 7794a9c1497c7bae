// Specification of ContentPolicy: RE2 deny patterns on payloads of the
// configured action kinds, every matching pattern reported (never the
// payload), invalid UTF-8 denied, linear-time matching.
#include <catch2/catch.hpp>

#include <string>

#include "policies/content_policy.h"
#include "policy_test_support.h"

using namespace agentos;
using namespace agentos::testing;
using namespace std::string_view_literals;

namespace {

std::unique_ptr<Policy> Content(const ContentPolicyConfig& config) {
  std::unique_ptr<Policy> p;
  Status s = MakeContentPolicy("content", config, &p);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return p;
}

ContentPolicyConfig Deny(std::vector<std::string> patterns) {
  ContentPolicyConfig c;
  c.deny = std::move(patterns);
  return c;
}

}  // namespace

TEST_CASE("content: a matching pattern denies and is named, the payload is not echoed") {
  auto p = Content(Deny({"AKIA[0-9A-Z]{16}", "(?i)password\\s*="}));
  CHECK(p->type() == "content");
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, "hello world")).allowed());

  Decision d = Evaluate(*p, OfKind(ActionKind::kMessage, "key AKIAABCDEFGHIJKLMNOP here"));
  REQUIRE(d.violations().size() == 1);
  const Violation& v = d.violations()[0];
  CHECK(v.rule() == "content.denied_pattern");
  CHECK(v.severity() == Severity::kHigh);
  CHECK(v.reason() == "payload matches denied pattern 'AKIA[0-9A-Z]{16}'");
  CHECK(v.reason().find("AKIAABCDEFGHIJKLMNOP") == std::string_view::npos);
}

TEST_CASE("content: every matching pattern is reported, in configuration order") {
  auto p = Content(Deny({"alpha", "beta", "gamma"}));
  Decision d = Evaluate(*p, OfKind(ActionKind::kSql, "gamma and alpha"));
  REQUIRE(d.violations().size() == 2);
  CHECK(d.violations()[0].reason() == "payload matches denied pattern 'alpha'");
  CHECK(d.violations()[1].reason() == "payload matches denied pattern 'gamma'");
}

TEST_CASE("content: patterns are unanchored and follow RE2 syntax") {
  auto p = Content(Deny({"^rm -rf", "\\bsecret\\b", "(?s)BEGIN.*END"}));
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kToolCall, "rm -rf /")).allowed());
  CHECK(Evaluate(*p, OfKind(ActionKind::kToolCall, "echo rm -rf /")).allowed());
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kMessage, "a secret!")).allowed());
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, "secrets")).allowed());
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kMessage, "BEGIN\nkey\nEND")).allowed());
}

TEST_CASE("content: only the configured action kinds are scanned") {
  ContentPolicyConfig c = Deny({"forbidden"});
  c.kinds = {ActionKind::kMessage, ActionKind::kToolCall};
  auto p = Content(c);
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kMessage, "forbidden")).allowed());
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kToolCall, "forbidden")).allowed());
  CHECK(Evaluate(*p, OfKind(ActionKind::kSql, "forbidden")).allowed());
  CHECK(Evaluate(*p, OfKind(ActionKind::kSpend, "forbidden")).allowed());

  auto all = Content(Deny({"forbidden"}));  // no kinds: every kind
  for (ActionKind k : {ActionKind::kSql, ActionKind::kToolCall, ActionKind::kSpend, ActionKind::kMessage}) {
    CHECK_FALSE(Evaluate(*all, OfKind(k, "forbidden")).allowed());
  }
}

TEST_CASE("content: invalid UTF-8 payloads are denied unscanned (fail closed)") {
  ContentPolicyConfig c = Deny({"secret.*key"});
  c.severity = Severity::kMedium;
  auto p = Content(c);
  // In UTF-8 mode '.' would not match the stray byte, so this would slip by.
  Decision d = Evaluate(*p, OfKind(ActionKind::kMessage, "secret\xff" "key"));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "content.invalid_utf8");
  CHECK(d.violations()[0].severity() == Severity::kMedium);
  CHECK(d.violations()[0].reason() == "payload is not valid UTF-8 (byte offset 6); content patterns cannot be checked");
  // Valid multi-byte text is scanned normally; NUL bytes are just bytes.
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80")).allowed());
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kMessage, "secret\0key"sv)).allowed());
}

TEST_CASE("content: FirstInvalidUtf8 follows RFC 3629") {
  CHECK(FirstInvalidUtf8("") == std::string_view::npos);
  CHECK(FirstInvalidUtf8("plain ascii text, longer than eight bytes") == std::string_view::npos);
  CHECK(FirstInvalidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf") == std::string_view::npos);
  CHECK(FirstInvalidUtf8("abc\x80") == 3);              // lone continuation byte
  CHECK(FirstInvalidUtf8("\xc0\xaf") == 0);             // overlong '/'
  CHECK(FirstInvalidUtf8("\xe0\x80\xaf") == 0);         // overlong, 3 bytes
  CHECK(FirstInvalidUtf8("\xed\xa0\x80") == 0);         // UTF-16 surrogate
  CHECK(FirstInvalidUtf8("\xf4\x90\x80\x80") == 0);     // above U+10FFFF
  CHECK(FirstInvalidUtf8("\xf5\x80\x80\x80") == 0);
  CHECK(FirstInvalidUtf8("ok\xe2\x82") == 2);           // truncated at the end
  CHECK(FirstInvalidUtf8("0123456789\xe2\x28\xa1") == 10);  // bad continuation after the fast path
}

TEST_CASE("content: a catastrophic-backtracking pattern runs in linear time") {
  // Under a backtracking engine (a+)+$ on "aaaa...!" takes exponential time;
  // RE2 is linear, so this simply finishes.
  auto p = Content(Deny({"(a+)+$", "(x|x)*y", "(.*a){20}"}));
  std::string evil(100000, 'a');
  evil += '!';
  Decision d = Evaluate(*p, OfKind(ActionKind::kMessage, evil));
  INFO(Reasons(d));
  CHECK(d.violations().size() == 1);  // (.*a){20} matches; the others cannot
  CHECK(d.violations()[0].reason() == "payload matches denied pattern '(.*a){20}'");
  std::string xs(100000, 'x');
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, xs)).allowed());
}

TEST_CASE("content: a large payload is scanned to its end") {
  auto p = Content(Deny({"needle"}));
  std::string hay(4 << 20, 'h');
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, hay)).allowed());
  hay.replace(hay.size() - 6, 6, "needle");
  CHECK_FALSE(Evaluate(*p, OfKind(ActionKind::kMessage, hay)).allowed());
}

TEST_CASE("content: many patterns are matched together and reported individually") {
  std::vector<std::string> patterns;
  for (int i = 0; i < 200; ++i) patterns.push_back("token_" + std::to_string(i) + "\\b");
  auto p = Content(Deny(patterns));
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, "token_1000 token_20x")).allowed());
  Decision d = Evaluate(*p, OfKind(ActionKind::kMessage, "token_7 and token_199"));
  REQUIRE(d.violations().size() == 2);
  // AppendQuoted shows a backslash as \x5c so reasons never hold escapes.
  CHECK(d.violations()[0].reason() == "payload matches denied pattern 'token_7\\x5cb'");
  CHECK(d.violations()[1].reason() == "payload matches denied pattern 'token_199\\x5cb'");
}

TEST_CASE("content: bad patterns and empty configs are refused with the pattern named") {
  std::unique_ptr<Policy> p;
  Status s = MakeContentPolicy("c", Deny({"fine", "(unclosed"}), &p);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("'(unclosed'") != std::string::npos);
  CHECK(s.message().find("missing )") != std::string::npos);
  CHECK(p == nullptr);

  CHECK_FALSE(MakeContentPolicy("c", Deny({}), &p).ok());
  CHECK_FALSE(MakeContentPolicy("c", Deny({""}), &p).ok());
  CHECK_FALSE(MakeContentPolicy("c", Deny({"a\\1"}), &p).ok());      // backreferences are not linear
  CHECK_FALSE(MakeContentPolicy("c", Deny({"(?=look)"}), &p).ok());  // nor are lookarounds
  CHECK_FALSE(MakeContentPolicy("c", Deny({"bad\xff"}), &p).ok());   // patterns are UTF-8 too
  // A pattern whose compiled program exceeds the memory bound is refused.
  Status big = MakeContentPolicy("c", Deny({"\\pL{1000}"}), &p);
  CHECK(big.message().find("pattern too large") != std::string::npos);
  // Nested counted repetition that would multiply past RE2's limit is refused too.
  CHECK_FALSE(MakeContentPolicy("c", Deny({"((a{100}){100}){100}"}), &p).ok());

  PatternBudget budget;
  CHECK(ValidateContentPattern("ok.*", &budget).ok());
  CHECK_FALSE(ValidateContentPattern("[z-a]", &budget).ok());
}
