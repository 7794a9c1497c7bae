// Deterministic generator of SQL texts for the differential test: a small
// grammar of templates mixing statement kinds, CTEs, subqueries, comments,
// quoting and WHERE clauses at various depths. The same seed yields the same
// corpus on every machine (own RNG, no <random> distributions).
#ifndef AGENTOS_TESTS_SQL_PGDIFF_CORPUS_GENERATOR_H_
#define AGENTOS_TESTS_SQL_PGDIFF_CORPUS_GENERATOR_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace agentos::pgdiff {

class CorpusGenerator {
 public:
  explicit CorpusGenerator(std::uint64_t seed) : state_(seed) {}

  // One SQL text of one to three statements.
  std::string Next();

 private:
  std::uint64_t Rand();
  std::size_t Pick(std::size_t n) { return static_cast<std::size_t>(Rand() % n); }
  bool Chance(int percent) { return static_cast<int>(Rand() % 100) < percent; }
  template <typename T, std::size_t N>
  const T& OneOf(const T (&items)[N]) { return items[Pick(N)]; }
  const char* OneOf(std::initializer_list<const char*> items) { return items.begin()[Pick(items.size())]; }

  std::string Kw(const char* keyword);  // random case
  std::string Sp();                     // whitespace, sometimes a comment
  std::string Table();
  std::string Column();
  std::string Literal();
  std::string Expr(int depth);
  std::string Cond(int depth);
  std::string Subquery(int depth);
  std::string Select(int depth, bool allow_into);
  std::string Insert(int depth);
  std::string Update(int depth);
  std::string Delete(int depth);
  std::string Merge(int depth);
  std::string Returning();
  std::string With(int depth);
  std::string Statement();
  std::string Utility();

  std::uint64_t state_;
};

}  // namespace agentos::pgdiff

#endif  // AGENTOS_TESTS_SQL_PGDIFF_CORPUS_GENERATOR_H_
