// The SQL tokenizer: one pass, byte by byte, no allocation. It knows the
// lexical rules of PostgreSQL, SQLite and MySQL, and where they disagree on
// how far a comment, string or identifier reaches it reports a problem
// instead of guessing (see Problem in sql_analyzer.h).
#ifndef AGENTOS_POLICIES_SQL_SQL_LEXER_H_
#define AGENTOS_POLICIES_SQL_SQL_LEXER_H_

#include <cstdint>
#include <cstring>
#include <string_view>

#include "policies/sql/char_class.h"
#include "policies/sql/keywords.h"
#include "policies/sql/sql_analyzer.h"

namespace agentos::sql {

enum class TokenType : std::uint8_t {
  kEnd,               // end of text, or a problem (Lexer::problem())
  kWord,              // unquoted identifier or keyword
  kQuotedIdentifier,  // "x", `x`, [x], U&"x"
  kString,            // 'x', E'x', N'x', X'x', B'x', U&'x', $$x$$, $tag$x$tag$
  kNumber,
  kLeftParen,
  kRightParen,
  kSemicolon,
  kComma,
  kOperator,          // any other punctuation, one byte per token; $1 parameters
};

static_assert(static_cast<int>(TokenType::kComma) - static_cast<int>(TokenType::kLeftParen) ==
                  chars::kComma - chars::kLeftParen,
              "( ) ; , are laid out alike in CharClass and TokenType");

struct Token {
  TokenType type = TokenType::kEnd;
  Keyword keyword = Keyword::kNone;  // for kWord only
  std::uint32_t begin = 0;           // byte offsets into the text
  std::uint32_t end = 0;
};

// Rejects NUL bytes and invalid UTF-8 anywhere in `text` (overlong forms,
// surrogates, code points above U+10FFFF, truncated or stray sequences).
// Returns Problem::kNone or the problem, with its byte offset in *offset.
Problem CheckEncoding(std::string_view text, std::uint32_t* offset);

// Tokens of a text that passed CheckEncoding. Whitespace and comments are
// skipped. Texts are at most 4 GiB (offsets are 32-bit).
namespace lexer_detail {

inline std::uint64_t Load64(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// kLowBytes[k]: the low k bytes of a word set (k <= 8).
inline constexpr std::uint64_t kLowBytes[9] = {
    0, 0xFFull, 0xFFFFull, 0xFFFFFFull, 0xFFFFFFFFull, 0xFFFFFFFFFFull, 0xFFFFFFFFFFFFull,
    0xFFFFFFFFFFFFFFull, ~std::uint64_t{0},
};

// Index of the first byte in [i, n) that is `q` or a backslash, or n. Eight
// bytes at a time (the zero-byte trick on w ^ q and w ^ '\\': its lowest set
// bit is exact), the last partial word as the text's final eight bytes
// shifted down, so short strings cost one or two words and no call.
inline std::size_t FindQuoteOrBackslash(const unsigned char* p, std::size_t i, std::size_t n, unsigned char q) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  const std::uint64_t qs = kOnes * q;
  constexpr std::uint64_t kBackslashes = kOnes * '\\';
  auto matches = [&](std::uint64_t w) {
    const std::uint64_t x = w ^ qs, y = w ^ kBackslashes;
    return (((x - kOnes) & ~x) | ((y - kOnes) & ~y)) & kHighs;
  };
  for (; i + 8 <= n; i += 8) {
    if (std::uint64_t m = matches(Load64(p + i)); m != 0) return i + (static_cast<unsigned>(__builtin_ctzll(m)) >> 3);
  }
  if (i < n && n >= 8) {
    // The n - i < 8 bytes left are the top bytes of the last word; shifting
    // them down brings in zero bytes, which match neither q nor '\\'.
    const std::uint64_t w = Load64(p + n - 8) >> (8 * (8 - (n - i)));
    const std::uint64_t m = matches(w);
    return m != 0 ? i + (static_cast<unsigned>(__builtin_ctzll(m)) >> 3) : n;
  }
#endif
  while (i < n && p[i] != q && p[i] != '\\') ++i;
  return i;
}

// Where a run quoted with q ('...' or "...") opened at quote_at ends (the
// closing quote's index) if no backslash comes first, else npos: then, and
// when it never ends, the lexer's full readings decide. Doubled quotes
// continue the run.
inline std::size_t PlainQuotedEnd(const unsigned char* p, std::size_t quote_at, std::size_t n, unsigned char q) {
  std::size_t i = quote_at + 1;
  for (;;) {
    const std::size_t at = FindQuoteOrBackslash(p, i, n, q);
    if (at >= n || p[at] == '\\') return std::string_view::npos;
    if (at + 1 < n && p[at + 1] == q) {
      i = at + 2;
      continue;
    }
    return at;
  }
}

}  // namespace lexer_detail

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text), guard_(Guard(text)) {}

  // Writes the next token into *out (kEnd at the end or on a problem).
  // Filling the caller's token in place, field by field, keeps the hot loop
  // free of store-forwarding stalls that returning a packed struct causes.
  // The common tokens (words, punctuation after plain spaces) are lexed
  // inline here; everything else goes to NextSlow.
  [[gnu::always_inline]] void Next(Token* out) {
    using namespace chars;
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
    const std::size_t n = text_.size();
    std::size_t i = pos_;
    while (i < n && kCharClass[p[i]] == kSpace) ++i;
    pos_ = i;
    if (i < n) {
      const std::uint8_t k = kCharClass[p[i]];
      if (k == kLetter || k == kUnderscore) {
        const std::size_t j = RunEnd(p, i, n, kAsciiWord);
        const std::size_t len = j - i;
        // Multi-byte characters (the scan stops at them) and one-letter
        // string prefixes (E'..', U&'..') take the slow path.
        if (j >= n || (p[j] < 0x80 && !(len == 1 && (p[j] == '\'' || p[j] == '&')))) {
          out->type = TokenType::kWord;
          out->keyword = KeywordAt(p, i, len, n);
          out->begin = static_cast<std::uint32_t>(i);
          out->end = static_cast<std::uint32_t>(j);
          pos_ = j;
          return;
        }
      } else if (k >= kLeftParen && k <= kComma) {
        // ( ) ; , map one to one onto their token types.
        out->type = static_cast<TokenType>(static_cast<int>(TokenType::kLeftParen) + (k - kLeftParen));
        out->keyword = Keyword::kNone;
        out->begin = static_cast<std::uint32_t>(i);
        out->end = static_cast<std::uint32_t>(i + 1);
        pos_ = i + 1;
        return;
      } else if (k == kDigit) {
        // Digits and dots; a letter, '_', '$' or multi-byte character glued
        // on (hex, exponents, or something dialects split differently) goes
        // to Number().
        const std::size_t j = RunEnd(p, i, n, kAsciiDigits);
        if (j >= n || (p[j] < 0x80 && (kAsciiRun[p[j]] & kAsciiWord) == 0)) {
          out->type = TokenType::kNumber;
          out->keyword = Keyword::kNone;
          out->begin = static_cast<std::uint32_t>(i);
          out->end = static_cast<std::uint32_t>(j);
          pos_ = j;
          return;
        }
      } else if (k == kOther || (k == kMinus && (i + 1 >= n || p[i + 1] != '-')) ||
                 (k == kSlash && (i + 1 >= n || p[i + 1] != '*')) ||
                 (k == kDot && (i + 1 >= n || kCharClass[p[i + 1]] != kDigit))) {
        // An operator byte that does not open a comment or a number.
        out->type = TokenType::kOperator;
        out->keyword = Keyword::kNone;
        out->begin = static_cast<std::uint32_t>(i);
        out->end = static_cast<std::uint32_t>(i + 1);
        pos_ = i + 1;
        return;
      } else if (k == kQuote) {
        out->keyword = Keyword::kNone;
        out->begin = static_cast<std::uint32_t>(i);
        out->type = QuotedString(i, i, /*backslash_escapes=*/false);
        out->end = static_cast<std::uint32_t>(pos_);
        return;
      }
    } else if (problem_ == Problem::kNone) {
      out->type = TokenType::kEnd;
      out->keyword = Keyword::kNone;
      out->begin = out->end = static_cast<std::uint32_t>(i);
      return;
    }
    NextSlow(out);
  }

  // The next token that is a keyword in `stop`, `(`, `)`, `;` or kEnd:
  // skips operands (other words, quoted identifiers, strings, numbers,
  // commas, operators), exactly as calling Next until one of those comes.
  // The analyzer uses this where operands cannot change anything (the body
  // of a statement, no pending marker), which is most of the text. Skipped
  // tokens are never written out; the plain ones (ASCII words, numbers,
  // one-byte operators, '...' without backslashes) are scanned right here,
  // and a word is looked up only if some keyword of `stop` has its initial
  // and length. Everything else goes through Next.
  //
  // With `empty_parens`, an adjacent `()` (a call without arguments) is an
  // operand too: the caller has checked that entering and leaving it would
  // change nothing.
  void SkipOperands(Token* out, const StopSet& stop, bool empty_parens) {
    using namespace chars;
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
    const std::size_t n = text_.size();
    std::size_t i = pos_;
    for (;;) {
      while (i < n) {
        const unsigned char c = p[i];
        const std::uint8_t s = kSkipClass[c];
        if (s == kSkipByte) {
          ++i;
        } else if (s == kSkipWord) {
          const std::size_t j = RunEnd(p, i, n, kAsciiWord);
          const std::size_t len = j - i;
          if (stop.MayHold(c, len)) {
            // A multi-byte character makes it a longer word, no keyword:
            // Next reads it whole.
            if (j < n && p[j] >= 0x80) break;
            const Keyword kw = KeywordAt(p, i, len, n);
            if (stop.keywords.Has(kw)) {  // never kNone: no set holds it
              out->type = TokenType::kWord;
              out->keyword = kw;
              out->begin = static_cast<std::uint32_t>(i);
              out->end = static_cast<std::uint32_t>(j);
              pos_ = j;
              return;
            }
          } else if (len == 1 && j < n && (p[j] == '\'' || p[j] == '&')) {
            break;  // E'..', U&'..', U&"..": Next
          }
          // A word that is no stop keyword, even where a multi-byte
          // character continues it: Next reads the rest from there (a
          // word starting at that character ends where this one would).
          i = j;
        } else if (s == kSkipNumber) {
          const std::size_t j = RunEnd(p, i, n, kAsciiDigits);
          if (j < n && (p[j] >= 0x80 || (kAsciiRun[p[j]] & kAsciiWord) != 0)) break;  // Number() decides
          i = j;
        } else if (s == kSkipStructural) {
          if (c == '(' && empty_parens && i + 1 < n && p[i + 1] == ')') {
            i += 2;  // f(): see empty_parens
            continue;
          }
          // ( ) ; map one to one onto their token types.
          out->type = static_cast<TokenType>(static_cast<int>(TokenType::kLeftParen) + (kCharClass[c] - kLeftParen));
          out->keyword = Keyword::kNone;
          out->begin = static_cast<std::uint32_t>(i);
          out->end = static_cast<std::uint32_t>(i + 1);
          pos_ = i + 1;
          return;
        } else if (s == kSkipQuote) {
          const std::size_t end = lexer_detail::PlainQuotedEnd(p, i, n, '\'');
          if (end == std::string_view::npos) break;
          i = end + 1;
        } else if (s == kSkipLookahead) {
          const unsigned char d = i + 1 < n ? p[i + 1] : 0;
          if ((c == '-' && d == '-') || (c == '/' && d == '*') || (c == '.' && kCharClass[d] == kDigit)) break;
          ++i;
        } else {
          break;  // the rest: Next
        }
      }
      pos_ = i;
      Next(out);
      if (IsStop(*out, stop.keywords)) return;
      i = pos_;
    }
  }

  // Like SkipOperands, token by token through Next (for tests).
  void NextNonOperand(Token* out, const KeywordSet& stop) {
    for (;;) {
      Next(out);
      if (IsStop(*out, stop)) return;
    }
  }

  Problem problem() const { return problem_; }
  std::uint32_t problem_offset() const { return problem_offset_; }

 private:
  void NextSlow(Token* out);

  // The index of the text's last byte that continues no word or number
  // (0 if none): every run that starts before it stops at it or earlier.
  static std::size_t Guard(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t g = text.size();
    while (g > 0 && (chars::kAsciiRun[p[g - 1]] & chars::kAsciiNumber) != 0) --g;
    return g == 0 ? 0 : g - 1;
  }

  // End of the run of bytes with `bit` in chars::kAsciiRun that starts at
  // i + 1 (the byte at i begins the token). Below guard_ a run cannot reach
  // the end of the text, so the loop needs no bounds check. (A plain byte
  // loop beats sixteen-byte SIMD masks here: its exit is predicted, so the
  // next token starts before this one's end is computed.)
  std::size_t RunEnd(const unsigned char* p, std::size_t i, std::size_t n, std::uint8_t bit) const {
    std::size_t j = i + 1;
    if (i < guard_) {
      while ((chars::kAsciiRun[p[j]] & bit) != 0) ++j;
    } else {
      while (j < n && (chars::kAsciiRun[p[j]] & bit) != 0) ++j;
    }
    return j;
  }

  static bool IsStop(const Token& t, const KeywordSet& stop) {
    return (t.keyword != Keyword::kNone && stop.Has(t.keyword)) || t.type == TokenType::kEnd ||
           t.type == TokenType::kLeftParen || t.type == TokenType::kRightParen ||
           t.type == TokenType::kSemicolon;
  }

  // The keyword spelled by the `len` ASCII word bytes at p[begin] (of a text
  // of n bytes), or kNone. Bytes past the word are masked off the packed
  // value; near the end of the text the word is read as the top bytes of
  // the text's last whole word. A word with digits, '_' or '$' never
  // matches: no byte of those upper-cases (& 0xDF) to a letter.
  static Keyword KeywordAt(const unsigned char* p, std::size_t begin, std::size_t len, std::size_t n) {
    if (len < 2 || len > keyword_detail::kMaxKeywordLength) return Keyword::kNone;
    using lexer_detail::Load64;
    std::uint64_t lo = 0, hi = 0;
    const std::size_t end = begin + len;
    if (len <= 8) {
      if (begin + 8 <= n) {
        lo = Load64(p + begin) & lexer_detail::kLowBytes[len];
      } else if (end >= 8) {
        lo = Load64(p + end - 8) >> (8 * (8 - len));
      } else {
        for (std::size_t j = 0; j < len; ++j) lo |= std::uint64_t{p[begin + j]} << (8 * j);
      }
    } else {
      lo = Load64(p + begin);
      if (begin + 16 <= n) {
        hi = Load64(p + begin + 8) & lexer_detail::kLowBytes[len - 8];
      } else {
        hi = Load64(p + end - 8) >> (8 * (16 - len));
      }
    }
    // ASCII letters upper-case with & 0xDF.
    return LookupPackedKeyword(lo & 0xDFDFDFDFDFDFDFDFull, hi & 0xDFDFDFDFDFDFDFDFull, len);
  }
  // Each scanner advances pos_ past its token and returns its type, or
  // kEnd after recording a problem.
  TokenType Fail(Problem p, std::size_t at);
  bool SkipSpaceAndComments();  // false on a problem
  TokenType Word(std::size_t begin, Keyword* keyword);
  TokenType Number();
  TokenType QuotedString(std::size_t begin, std::size_t quote_at, bool backslash_escapes);
  TokenType QuotedIdentifier(std::size_t begin, std::size_t quote_at);
  TokenType Backticked(std::size_t begin);
  TokenType Bracketed(std::size_t begin);
  TokenType Dollar(std::size_t begin);
  // Advances pos_ over identifier characters with multi-byte UTF-8 in them;
  // false on a Unicode space.
  bool SkipWordCharsSlow();

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t guard_;  // see Guard()
  Problem problem_ = Problem::kNone;
  std::uint32_t problem_offset_ = 0;
};

}  // namespace agentos::sql

#endif  // AGENTOS_POLICIES_SQL_SQL_LEXER_H_
