// Fuzzes the SQL analyzer and SQLPolicy with arbitrary bytes. Whatever the
// input: no crash or sanitizer report, the same decision twice, and
//  * text with a NUL byte or invalid UTF-8 is never allowed;
//  * allowed text (three-rule policy) has only SELECT/INSERT/UPDATE
//    statements and every UPDATE has a WHERE at its own level;
//  * allowed text followed by "\n;DROP TABLE t" is denied (nothing the
//    agent writes can swallow what comes after it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/kernel_space.h"
#include "policies/sql/sql_analyzer.h"
#include "policies/sql_policy.h"

namespace {

using namespace agentos;

std::shared_ptr<const KernelSpace> Build(const SqlPolicyConfig& c) {
  std::unique_ptr<Policy> p;
  if (!MakeSqlPolicy("sql", c, &p).ok()) std::abort();
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::move(p));
  std::shared_ptr<const KernelSpace> k;
  if (!KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &k).ok()) std::abort();
  return k;
}

const KernelSpace& ThreeRule() {
  static const auto k = [] {
    SqlPolicyConfig c;
    c.allow = {"SELECT", "INSERT", "UPDATE"};
    c.deny = {"DROP", "DELETE", "TRUNCATE"};
    return Build(c);
  }();
  return *k;
}

const KernelSpace& Default() {
  static const auto k = Build(SqlPolicyConfig{});
  return *k;
}

// An independent, deliberately simple UTF-8 validator (RFC 3629).
bool ValidUtf8NoNul(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Action Sql(std::string_view text) {
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = text;
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  sql::Analysis analysis;
  sql::Analyze(text, analysis);
  if (analysis.count > sql::Analysis::kMaxStatements) std::abort();
  if (analysis.problem == sql::Problem::kNone && analysis.count == 0) std::abort();  // empty is a problem

  for (const KernelSpace* k : {&ThreeRule(), &Default()}) {
    Decision d1 = k->Check(Sql(text));
    Decision d2 = k->Check(Sql(text));
    if (d1.allowed() != d2.allowed() || d1.total_violations() != d2.total_violations()) std::abort();
    if (d1.allowed() && !ValidUtf8NoNul(text)) std::abort();
    if (d1.allowed() && analysis.problem != sql::Problem::kNone) std::abort();
    for (const auto& v : d1.violations()) {
      // Every violation comes from the SQL policy or from the kernel's byte screen.
      const bool known = v.rule().substr(0, 4) == "sql." || v.rule().substr(0, 7) == "kernel.";
      if (!known || v.reason().empty()) std::abort();
    }
  }

  if (ThreeRule().Check(Sql(text)).allowed()) {
    constexpr sql::KindSet kAllowed =
        sql::Bit(sql::Kind::kSelect) | sql::Bit(sql::Kind::kInsert) | sql::Bit(sql::Kind::kUpdate);
    for (std::uint32_t i = 0; i < analysis.count; ++i) {
      const auto& s = analysis.statements[i];
      if ((s.kinds & ~kAllowed) != 0 || s.update_without_where) std::abort();
    }
    std::string extended(text);
    extended += "\n;DROP TABLE t";
    if (extended.size() <= SqlPolicyConfig{}.max_length && ThreeRule().Check(Sql(extended)).allowed()) {
      std::abort();
    }
  }
  return 0;
}
