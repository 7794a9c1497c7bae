// ResultSet: the rows one SQL statement returned, and the execution match
// that decides whether two results are the same answer (Spider-style).
//
// Match semantics (tested in tests/sql_task/result_set_test.cc):
//  * same number of columns and rows; column names are ignored;
//  * rows are compared as a multiset (duplicates count) unless the gold
//    query has a top-level ORDER BY, then as a sequence;
//  * numbers compare by value whatever their storage class (3 == 3.0), after
//    rounding reals to 12 significant digits so that the summation order of
//    floating-point aggregates cannot change the verdict;
//  * text never equals a number ('3' != 3), NULL equals NULL, text and blobs
//    compare byte by byte.
// Values are canonicalised when they are added, so comparing never converts.
#ifndef AGENTOS_ENV_SQL_RESULT_SET_H_
#define AGENTOS_ENV_SQL_RESULT_SET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agentos {

class ResultSet {
 public:
  // Null < number < text < blob when rows are sorted.
  enum class Kind : std::uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

  struct Value {
    Kind kind = Kind::kNull;
    std::int64_t integer = 0;  // kInteger (and integral reals, canonicalised)
    double real = 0.0;         // kReal
    std::string_view bytes;    // kText, kBlob; valid while the ResultSet is unchanged
  };

  // Starts an empty result with `columns` columns. Keeps the buffers.
  void Reset(int columns);
  void Clear() { Reset(0); }

  // Appends one value to the current row; a row is complete after columns()
  // values. Reals are canonicalised (see the header comment).
  void AddNull();
  void AddInteger(std::int64_t v);
  void AddReal(double v);
  void AddText(std::string_view v);
  void AddBlob(std::string_view v);

  // Names the result's columns (what the statement called them), for
  // feedback; matching ignores them. Names are cleared by Reset.
  void SetColumnName(int column, std::string_view name);
  std::string_view column_name(int column) const;

  int columns() const { return columns_; }
  std::size_t rows() const { return columns_ == 0 ? 0 : cells_.size() / static_cast<std::size_t>(columns_); }
  Value at(std::size_t row, int column) const;
  // Bytes held by text and blob values (what a row limit alone cannot bound).
  std::size_t payload_bytes() const { return arena_.size(); }

  // Three-way comparison of row `a` of this and row `b` of `other`.
  int CompareRows(std::size_t a, const ResultSet& other, std::size_t b) const;

  // A short human-readable rendering (first rows only), for messages and tests.
  std::string Describe(std::size_t max_rows = 5) const;

 private:
  struct Cell {
    Kind kind;
    std::uint32_t length;   // kText, kBlob
    std::uint64_t offset;   // kText, kBlob: into arena_
    std::int64_t integer;
    double real;
  };
  int columns_ = 0;
  std::vector<Cell> cells_;
  std::string arena_;
  std::vector<std::uint32_t> name_ends_;  // column c's name: names_[end(c-1), end(c)); empty until named
  std::string names_;
};

// Orders the rows of `rs` (indices into `out`), used to compare multisets.
void SortedRowOrder(const ResultSet& rs, std::vector<std::uint32_t>* out);

// Compares an answer with the gold result. `gold_order` is the gold's sorted
// row order (SortedRowOrder), needed only when !ordered; `scratch` is reused
// between calls so that matching allocates nothing in steady state.
bool ResultsMatch(const ResultSet& gold, const std::vector<std::uint32_t>& gold_order, const ResultSet& got,
                  bool ordered, std::vector<std::uint32_t>* scratch);
// Convenience for tests and tools: computes both orders itself.
bool ResultsMatch(const ResultSet& gold, const ResultSet& got, bool ordered);

// True when the last statement of `sql` has an ORDER BY outside any
// parentheses (so row order is part of the answer). Skips string literals,
// quoted identifiers and comments.
bool HasTopLevelOrderBy(std::string_view sql);

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_RESULT_SET_H_
