#include "env/sql/result_set.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace agentos {

namespace {

// Integral reals up to 2^53 are stored as integers so that 3.0 == 3.
constexpr double kMaxExactInteger = 9007199254740992.0;

// The Python generator (env/sql/data/shop/generate.py) mirrors this: a real
// is rounded to 12 significant digits, then stored as an integer if integral.
double RoundToTwelveDigits(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}

int Rank(ResultSet::Kind k) {
  switch (k) {
    case ResultSet::Kind::kNull: return 0;
    case ResultSet::Kind::kInteger:
    case ResultSet::Kind::kReal: return 1;
    case ResultSet::Kind::kText: return 2;
    case ResultSet::Kind::kBlob: return 3;
  }
  return 4;
}

int CompareBytes(std::string_view a, std::string_view b) {
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

int CompareValues(const ResultSet::Value& a, const ResultSet::Value& b) {
  int ra = Rank(a.kind), rb = Rank(b.kind);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: return 0;
    case 1: {
      if (a.kind == ResultSet::Kind::kInteger && b.kind == ResultSet::Kind::kInteger) {
        return a.integer < b.integer ? -1 : (a.integer > b.integer ? 1 : 0);
      }
      // long double holds every int64 and every double exactly.
      long double x = a.kind == ResultSet::Kind::kInteger ? static_cast<long double>(a.integer) : a.real;
      long double y = b.kind == ResultSet::Kind::kInteger ? static_cast<long double>(b.integer) : b.real;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    default: return CompareBytes(a.bytes, b.bytes);
  }
}

}  // namespace

void ResultSet::Reset(int columns) {
  columns_ = columns < 0 ? 0 : columns;
  cells_.clear();
  arena_.clear();
  name_ends_.clear();
  names_.clear();
}

void ResultSet::SetColumnName(int column, std::string_view name) {
  // Names arrive in column order (SqlSession names them left to right);
  // a column named out of order, or twice, is ignored.
  if (column != static_cast<int>(name_ends_.size()) || column >= columns_) return;
  names_.append(name);
  name_ends_.push_back(static_cast<std::uint32_t>(names_.size()));
}

std::string_view ResultSet::column_name(int column) const {
  if (column < 0 || column >= static_cast<int>(name_ends_.size())) return {};
  const std::uint32_t begin = column == 0 ? 0 : name_ends_[static_cast<std::size_t>(column) - 1];
  return std::string_view(names_).substr(begin, name_ends_[static_cast<std::size_t>(column)] - begin);
}

void ResultSet::AddNull() { cells_.push_back(Cell{Kind::kNull, 0, 0, 0, 0.0}); }

void ResultSet::AddInteger(std::int64_t v) { cells_.push_back(Cell{Kind::kInteger, 0, 0, v, 0.0}); }

void ResultSet::AddReal(double v) {
  if (std::isfinite(v)) {
    v = RoundToTwelveDigits(v);
    if (v == std::floor(v) && std::fabs(v) < kMaxExactInteger) {
      AddInteger(static_cast<std::int64_t>(v));
      return;
    }
  }
  cells_.push_back(Cell{Kind::kReal, 0, 0, 0, v});
}

void ResultSet::AddText(std::string_view v) {
  cells_.push_back(Cell{Kind::kText, static_cast<std::uint32_t>(v.size()), arena_.size(), 0, 0.0});
  arena_.append(v);
}

void ResultSet::AddBlob(std::string_view v) {
  cells_.push_back(Cell{Kind::kBlob, static_cast<std::uint32_t>(v.size()), arena_.size(), 0, 0.0});
  arena_.append(v);
}

ResultSet::Value ResultSet::at(std::size_t row, int column) const {
  const Cell& c = cells_[row * static_cast<std::size_t>(columns_) + static_cast<std::size_t>(column)];
  Value v;
  v.kind = c.kind;
  v.integer = c.integer;
  v.real = c.real;
  if (c.kind == Kind::kText || c.kind == Kind::kBlob) v.bytes = std::string_view(arena_).substr(c.offset, c.length);
  return v;
}

int ResultSet::CompareRows(std::size_t a, const ResultSet& other, std::size_t b) const {
  for (int c = 0; c < columns_; ++c) {
    int r = CompareValues(at(a, c), other.at(b, c));
    if (r != 0) return r;
  }
  return 0;
}

std::string ResultSet::Describe(std::size_t max_rows) const {
  std::string out = std::to_string(rows()) + " row(s) x " + std::to_string(columns_) + " column(s)";
  for (std::size_t r = 0; r < rows() && r < max_rows; ++r) {
    out += r == 0 ? ": (" : ", (";
    for (int c = 0; c < columns_; ++c) {
      if (c > 0) out += ", ";
      Value v = at(r, c);
      switch (v.kind) {
        case Kind::kNull: out += "NULL"; break;
        case Kind::kInteger: out += std::to_string(v.integer); break;
        case Kind::kReal: {
          char buf[40];
          std::snprintf(buf, sizeof buf, "%.12g", v.real);
          out += buf;
          break;
        }
        case Kind::kText:
          out += '\'';
          out.append(v.bytes.substr(0, 40));
          out += '\'';
          break;
        case Kind::kBlob: out += "x'...'(" + std::to_string(v.bytes.size()) + " bytes)"; break;
      }
    }
    out += ")";
  }
  if (rows() > max_rows) out += ", ...";
  return out;
}

void SortedRowOrder(const ResultSet& rs, std::vector<std::uint32_t>* out) {
  out->resize(rs.rows());
  for (std::size_t i = 0; i < out->size(); ++i) (*out)[i] = static_cast<std::uint32_t>(i);
  std::sort(out->begin(), out->end(),
            [&rs](std::uint32_t a, std::uint32_t b) { return rs.CompareRows(a, rs, b) < 0; });
}

bool ResultsMatch(const ResultSet& gold, const std::vector<std::uint32_t>& gold_order, const ResultSet& got,
                  bool ordered, std::vector<std::uint32_t>* scratch) {
  if (gold.columns() != got.columns() || gold.rows() != got.rows()) return false;
  const std::size_t n = gold.rows();
  if (ordered) {
    for (std::size_t r = 0; r < n; ++r) {
      if (gold.CompareRows(r, got, r) != 0) return false;
    }
    return true;
  }
  if (gold_order.size() != n) return false;
  SortedRowOrder(got, scratch);
  for (std::size_t r = 0; r < n; ++r) {
    if (gold.CompareRows(gold_order[r], got, (*scratch)[r]) != 0) return false;
  }
  return true;
}

bool ResultsMatch(const ResultSet& gold, const ResultSet& got, bool ordered) {
  std::vector<std::uint32_t> gold_order, scratch;
  SortedRowOrder(gold, &gold_order);
  return ResultsMatch(gold, gold_order, got, ordered, &scratch);
}

namespace {

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

bool EqualsUpper(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i]) return false;
  }
  return true;
}

}  // namespace

bool HasTopLevelOrderBy(std::string_view sql) {
  // Scans every statement; the answer is the one for the last statement that
  // has any words at depth 0.
  bool current = false, current_has_words = false, last = false;
  bool prev_was_order = false;
  int depth = 0;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      ++i;
      while (i < n && sql[i] != close) ++i;
      ++i;
      prev_was_order = false;
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      continue;
    }
    if (IsWordStart(c)) {
      std::size_t j = i;
      while (j < n && IsWordChar(sql[j])) ++j;
      if (depth == 0) {
        std::string_view word = sql.substr(i, j - i);
        current_has_words = true;
        if (prev_was_order && EqualsUpper(word, "BY")) current = true;
        prev_was_order = EqualsUpper(word, "ORDER");
      }
      i = j;
      continue;
    }
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == ';') {
      if (current_has_words) last = current;
      current = current_has_words = false;
      depth = 0;
    }
    if (!std::isspace(static_cast<unsigned char>(c))) prev_was_order = false;
    ++i;
  }
  if (current_has_words) last = current;
  return last;
}

}  // namespace agentos
