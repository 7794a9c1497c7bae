// Differential test: agentos's analyzer against PostgreSQL's parser over a
// generated corpus. Where PostgreSQL parses a text, agentos must derive the
// same statement kinds and WHERE presence, or be stricter (more kinds, a
// missing WHERE, an unknown statement, or a refusal to tokenize); never
// laxer.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "policies/sql/sql_analyzer.h"
#include "tests/sql_pgdiff/corpus_generator.h"
#include "tests/sql_pgdiff/pg_tree_kinds.h"

using namespace agentos;
using namespace agentos::pgdiff;

namespace {

constexpr std::uint64_t kSeed = 0x5EED2024;
constexpr int kCorpusSize = 12000;

enum class Verdict { kAgree, kStricter, kLaxer };

struct Facts {
  sql::KindSet kinds = 0;
  bool update_without_where = false;
  bool delete_without_where = false;
};

// `ours` denies whenever `theirs` would, under every policy.
bool AtLeastAsStrict(const Facts& ours, const Facts& theirs) {
  if (sql::Has(ours.kinds, sql::Kind::kUnknown)) return true;  // always denied
  return (theirs.kinds & ~ours.kinds) == 0 && (!theirs.update_without_where || ours.update_without_where) &&
         (!theirs.delete_without_where || ours.delete_without_where);
}

bool Same(const Facts& a, const Facts& b) {
  return a.kinds == b.kinds && a.update_without_where == b.update_without_where &&
         a.delete_without_where == b.delete_without_where;
}

Facts FromOurs(const sql::StatementInfo& s) {
  return {s.kinds, s.update_without_where, s.delete_without_where};
}
Facts FromPg(const PgStatement& s) { return {s.kinds, s.update_without_where, s.delete_without_where}; }

std::string Describe(const Facts& f) {
  std::string out;
  for (int k = 0; k < sql::kKindCount; ++k) {
    if (sql::Has(f.kinds, static_cast<sql::Kind>(k))) {
      if (!out.empty()) out += '+';
      out += sql::KindName(static_cast<sql::Kind>(k));
    }
  }
  if (f.update_without_where) out += " !update-where";
  if (f.delete_without_where) out += " !delete-where";
  return out;
}

// Compares statement by statement when both sides split the text the same
// way, else the union over the text (a policy denies a text if any of its
// statements is denied, so the union decides).
Verdict Compare(const sql::Analysis& a, const std::vector<PgStatement>& pg, std::string* detail) {
  if (a.problem != sql::Problem::kNone) {
    *detail = "agentos refuses: " + std::string(sql::ProblemMessage(a.problem));
    return Verdict::kStricter;
  }
  std::vector<std::pair<Facts, Facts>> pairs;
  if (a.count == pg.size()) {
    for (std::size_t i = 0; i < pg.size(); ++i) pairs.push_back({FromOurs(a.statements[i]), FromPg(pg[i])});
  } else {
    Facts ours, theirs;
    for (std::uint32_t i = 0; i < a.count; ++i) {
      ours.kinds |= a.statements[i].kinds;
      ours.update_without_where |= a.statements[i].update_without_where;
      ours.delete_without_where |= a.statements[i].delete_without_where;
    }
    for (const auto& s : pg) {
      theirs.kinds |= s.kinds;
      theirs.update_without_where |= s.update_without_where;
      theirs.delete_without_where |= s.delete_without_where;
    }
    pairs.push_back({ours, theirs});
  }
  Verdict v = Verdict::kAgree;
  for (const auto& [ours, theirs] : pairs) {
    if (Same(ours, theirs)) continue;
    *detail = "agentos " + Describe(ours) + " vs postgres " + Describe(theirs);
    if (!AtLeastAsStrict(ours, theirs)) return Verdict::kLaxer;
    v = Verdict::kStricter;
  }
  return v;
}

}  // namespace

TEST_CASE("the corpus generator is deterministic") {
  CorpusGenerator a(kSeed), b(kSeed);
  for (int i = 0; i < 100; ++i) CHECK(a.Next() == b.Next());
}

TEST_CASE("pgdiff: agentos agrees with PostgreSQL's parser or is stricter, never laxer") {
  CorpusGenerator gen(kSeed);
  int parsed = 0, rejected_by_pg = 0, agree = 0, stricter = 0, laxer = 0;
  int pg_rejects_we_deny = 0;
  int shown_stricter = 0;
  // AGENTOS_PGDIFF_SHOW=N prints the first N stricter cases (default 12).
  const char* show_env = std::getenv("AGENTOS_PGDIFF_SHOW");
  const int show_limit = show_env != nullptr ? std::atoi(show_env) : 12;
  std::vector<std::string> unique;
  for (int i = 0; i < kCorpusSize; ++i) {
    std::string text = gen.Next();
    sql::Analysis a;
    sql::Analyze(text, a);
    std::vector<PgStatement> pg;
    std::string error;
    if (!PgAnalyze(text, &pg, &error)) {
      ++rejected_by_pg;
      bool we_deny = a.problem != sql::Problem::kNone;
      for (std::uint32_t s = 0; s < a.count; ++s) {
        we_deny |= sql::Has(a.statements[s].kinds, sql::Kind::kUnknown);
      }
      pg_rejects_we_deny += we_deny;
      continue;
    }
    ++parsed;
    std::string detail;
    switch (Compare(a, pg, &detail)) {
      case Verdict::kAgree:
        ++agree;
        break;
      case Verdict::kStricter:
        ++stricter;
        if (shown_stricter < show_limit) {
          ++shown_stricter;
          std::printf("pgdiff stricter: %s\n    %s\n", text.substr(0, 400).c_str(), detail.c_str());
        }
        break;
      case Verdict::kLaxer:
        ++laxer;
        FAIL_CHECK("laxer than PostgreSQL: " << text << "\n" << detail);
        break;
    }
  }
  std::printf(
      "pgdiff: %d statements texts generated (seed %#llx); PostgreSQL parses %d: %d agree, %d stricter, %d laxer; "
      "PostgreSQL rejects %d (agentos denies %d of those outright)\n",
      kCorpusSize, static_cast<unsigned long long>(kSeed), parsed, agree, stricter, laxer, rejected_by_pg,
      pg_rejects_we_deny);
  CHECK(parsed >= 10000);
  CHECK(laxer == 0);
  // Most disagreements would mean the analyzer is guessing: keep it honest.
  CHECK(agree >= parsed * 95 / 100);
}
