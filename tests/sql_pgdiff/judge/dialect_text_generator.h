// Generator of adversarial SQL texts for the differential judge: every ASCII
// control byte and every Unicode space or line separator, placed before,
// inside and after comment and quote openers, around statements that
// smuggle a denied operation. The same seed gives the same texts everywhere
// (own RNG, no <random> distributions).
#ifndef AGENTOS_TESTS_SQL_PGDIFF_JUDGE_DIALECT_TEXT_GENERATOR_H_
#define AGENTOS_TESTS_SQL_PGDIFF_JUDGE_DIALECT_TEXT_GENERATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/sql_pgdiff/corpus_generator.h"

namespace agentos::sqljudge {

// The pieces texts are built from (exposed for the coverage specification
// and the fuzz target's mutator).
struct Atoms {
  std::vector<std::string> separators;  // 0x00-0x20, 0x7F, Unicode spaces and line separators
  std::vector<std::string> openers;     // comment and quote openers and closers, ; ( ) line ends
  std::vector<std::string> smuggled;    // statements a shipped policy denies
  std::vector<std::string> benign;      // statements both shipped policies allow (or sql_safety does)
  std::vector<std::string> fillers;     // operands and clauses
};
const Atoms& GeneratorAtoms();

class DialectTextGenerator {
 public:
  explicit DialectTextGenerator(std::uint64_t seed) : state_(seed), grammar_(seed ^ 0xD1A1EC7ull) {}

  std::string Next();

  // Inserts one random atom (or a separator run around an opener) at a
  // random byte offset of *text.
  void InsertAtom(std::string* text);

 private:
  std::uint64_t Rand();
  std::size_t Pick(std::size_t n) { return static_cast<std::size_t>(Rand() % n); }
  bool Chance(int percent) { return static_cast<int>(Rand() % 100) < percent; }
  const std::string& From(const std::vector<std::string>& v) { return v[Pick(v.size())]; }

  std::string Separators(int max);  // 0..max separators, spaces more likely
  std::string Space();              // mostly what every dialect reads as space
  std::string LineBreak();          // \n, \r, \v, \f, U+0085, U+2028, U+2029 and pairs
  std::string Wrapped();  // a closed comment, string or identifier holding a smuggled statement
  std::string Hide();     // base, comment/quote openers wrapped in separators, smuggled statement, closers
  std::string SplitLine();  // comment, early line end, quote, smuggled statement, comment, quote close
  std::string Soup();     // a random run of atoms
  std::string Mutated();  // a grammar text with atoms inserted anywhere

  std::uint64_t state_;
  pgdiff::CorpusGenerator grammar_;
};

}  // namespace agentos::sqljudge

#endif  // AGENTOS_TESTS_SQL_PGDIFF_JUDGE_DIALECT_TEXT_GENERATOR_H_
