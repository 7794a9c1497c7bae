// The SQL keywords the analyzer acts on, and their lookup: a compile-time
// open-addressing hash table keyed on the upper-cased word packed into two
// 64-bit integers. Lookup is a few multiplies and one or two compares; no
// strings, no maps. Words with anything but ASCII letters are never keywords
// (so look-alike letters from other scripts stay identifiers).
#ifndef AGENTOS_POLICIES_SQL_KEYWORDS_H_
#define AGENTOS_POLICIES_SQL_KEYWORDS_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string_view>

namespace agentos::sql {

#define AGENTOS_SQL_KEYWORDS(X)                                                                  \
  X(ABORT) X(ALSO) X(ALTER) X(ANALYSE) X(ANALYZE) X(AND) X(AS) X(ATTACH) X(BEGIN) X(BETWEEN)    \
  X(CALL) X(CHECKPOINT) X(CLOSE) X(CLUSTER) X(COLLATE) X(COMMENT) X(COMMIT) X(CONFLICT) X(COPY)  \
  X(CREATE) X(ILIKE) X(IN) X(IS) X(ISNULL) X(LIKE) X(NOTNULL) X(SIMILAR)                         \
  X(CYCLE) X(DEALLOCATE) X(DECLARE) X(DEFAULT) X(DELETE) X(DESC) X(DESCRIBE) X(DETACH)          \
  X(DISCARD) X(DO) X(DROP) X(DUPLICATE) X(ELSE) X(END) X(EXEC) X(EXECUTE) X(EXPLAIN) X(FETCH)   \
  X(FOR) X(FORMAT) X(FROM) X(GRANT) X(IMPORT) X(INSERT) X(INSTEAD) X(INTO) X(KEY) X(LISTEN)     \
  X(LOAD) X(LOCK) X(MATERIALIZED) X(MERGE) X(MOVE) X(NOT) X(NOTHING) X(NOTIFY) X(OR)            \
  X(OVERRIDING) X(PLAN) X(PRAGMA) X(PREPARE) X(QUERY) X(RECURSIVE) X(REFRESH) X(REINDEX)        \
  X(RELEASE) X(RENAME) X(REPLACE) X(RESET) X(REVOKE) X(ROLLBACK) X(ROW) X(SAVEPOINT)            \
  X(SEARCH) X(SELECT) X(SET) X(SHOW) X(START) X(TABLE) X(THEN) X(TRANSACTION) X(TRUNCATE)       \
  X(UNLISTEN) X(UPDATE) X(USE) X(USING) X(VACUUM) X(VALUES) X(VERBOSE) X(WHEN) X(WHERE) X(WITH)

enum class Keyword : std::uint8_t {
  kNone = 0,
#define AGENTOS_SQL_KW_ENUM(name) k##name,
  AGENTOS_SQL_KEYWORDS(AGENTOS_SQL_KW_ENUM)
#undef AGENTOS_SQL_KW_ENUM
  kCount_,
};
static_assert(static_cast<int>(Keyword::kCount_) <= 128, "KeywordSet holds 128");

namespace keyword_detail {

inline constexpr std::size_t kMaxKeywordLength = 16;  // two packed words
inline constexpr unsigned kTableBits = 9;

struct Entry {
  std::uint64_t lo = 0, hi = 0;
  std::uint8_t len = 0;
  Keyword kw = Keyword::kNone;
};

// Upper-case ASCII letters packed little-endian: byte i of the word is
// byte i%8 of lo (i < 8) or hi (i >= 8).
constexpr void Pack(std::string_view w, std::uint64_t& lo, std::uint64_t& hi) {
  lo = hi = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::uint64_t c = static_cast<unsigned char>(w[i]);
    if (i < 8) lo |= c << (8 * i); else hi |= c << (8 * (i - 8));
  }
}

constexpr std::uint32_t Slot(std::uint64_t lo, std::uint64_t hi, std::size_t len) {
  std::uint64_t h = (lo ^ (hi * 0x9E3779B97F4A7C15ull) ^ len) * 0xD6E8FEB86659FD93ull;
  return static_cast<std::uint32_t>(h >> (64 - kTableBits));
}

// Spellings, indexed by Keyword ("" for kNone).
inline constexpr std::string_view kNames[] = {
    "",
#define AGENTOS_SQL_KW_NAME(name) #name,
    AGENTOS_SQL_KEYWORDS(AGENTOS_SQL_KW_NAME)
#undef AGENTOS_SQL_KW_NAME
};

constexpr std::array<Entry, (1u << kTableBits)> BuildTable() {
  std::array<Entry, (1u << kTableBits)> t{};
  std::uint8_t id = 1;
  for (std::size_t k = 1; k < std::size(kNames); ++k) {
    std::string_view n = kNames[k];
    Entry e;
    Pack(n, e.lo, e.hi);
    e.len = static_cast<std::uint8_t>(n.size());
    e.kw = static_cast<Keyword>(id++);
    std::uint32_t s = Slot(e.lo, e.hi, n.size());
    while (t[s].len != 0) s = (s + 1) & ((1u << kTableBits) - 1);
    t[s] = e;
  }
  return t;
}

inline constexpr auto kTable = BuildTable();

// Bit `len` of kLengthsByInitial[c & 31] is set if some keyword of length
// len starts with the letter c: most identifiers are ruled out by this one
// load before any hashing.
constexpr std::array<std::uint32_t, 32> BuildLengthsByInitial() {
  std::array<std::uint32_t, 32> t{};
  for (std::size_t k = 1; k < std::size(kNames); ++k) {
    t[static_cast<unsigned char>(kNames[k][0]) & 31] |= 1u << kNames[k].size();
  }
  return t;
}

inline constexpr auto kLengthsByInitial = BuildLengthsByInitial();

}  // namespace keyword_detail

// `lo`/`hi`: the word's bytes upper-cased and packed as keyword_detail::Pack
// does; `len`: its length. The caller has checked the word is ASCII letters
// only and at most kMaxKeywordLength long.
inline Keyword LookupPackedKeyword(std::uint64_t lo, std::uint64_t hi, std::size_t len) {
  using namespace keyword_detail;
  if ((kLengthsByInitial[lo & 31] >> len & 1) == 0) return Keyword::kNone;
  std::uint32_t s = Slot(lo, hi, len);
  for (;;) {
    const Entry& e = kTable[s];
    if (e.len == 0) return Keyword::kNone;
    if (e.lo == lo && e.hi == hi && e.len == len) return e.kw;
    s = (s + 1) & ((1u << kTableBits) - 1);
  }
}

// A set of keywords as a bit set (there are fewer than 128).
struct KeywordSet {
  std::uint64_t bits[2] = {0, 0};
  constexpr KeywordSet(std::initializer_list<Keyword> kws) {
    for (Keyword k : kws) bits[static_cast<unsigned>(k) >> 6] |= std::uint64_t{1} << (static_cast<unsigned>(k) & 63);
  }
  constexpr bool Has(Keyword k) const {
    return (bits[static_cast<unsigned>(k) >> 6] >> (static_cast<unsigned>(k) & 63)) & 1;
  }
};

// A KeywordSet plus the (initial letter, length) pairs of its members, so a
// scanner looking for these keywords only (Lexer::SkipOperands) rules out
// almost every other word with one load, before any packing or hashing.
struct StopSet {
  KeywordSet keywords;
  std::uint32_t lengths_by_initial[32] = {};  // bit len: some member of that length has that initial
  constexpr StopSet(std::initializer_list<Keyword> kws) : keywords(kws) {
    for (Keyword k : kws) {
      std::string_view n = keyword_detail::kNames[static_cast<unsigned>(k)];
      lengths_by_initial[static_cast<unsigned char>(n[0]) & 31] |= std::uint32_t{1} << n.size();
    }
  }
  // False if no member is spelled with `len` letters starting with `initial`
  // (either case). Words starting with '_' map to slot 31, which no letter
  // uses. Lengths are taken mod 32: a longer word may pass, never a keyword.
  constexpr bool MayHold(unsigned char initial, std::size_t len) const {
    return ((lengths_by_initial[initial & 31] >> (len & 31)) & 1) != 0;
  }
};

// Convenience for tests and cold paths: any spelling, any case.
Keyword LookupKeyword(std::string_view word);
std::string_view KeywordName(Keyword kw);

}  // namespace agentos::sql

#endif  // AGENTOS_POLICIES_SQL_KEYWORDS_H_
