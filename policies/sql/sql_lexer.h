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
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

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
        std::size_t j = i + 1;
        std::uint8_t seen = kWordClass[p[i]];
        while (j < n) {
          std::uint8_t w = kWordClass[p[j]];
          if ((w & kWordContinues) == 0) break;
          seen |= w;
          ++j;
        }
        const std::size_t len = j - i;
        // Multi-byte characters and one-letter string prefixes (E'..',
        // U&'..') take the slow path.
        if ((seen & kWordMultiByte) == 0 && !(len == 1 && j < n && (p[j] == '\'' || p[j] == '&'))) {
          out->type = TokenType::kWord;
          out->keyword = (seen & kWordNotLetter) != 0 ? Keyword::kNone : KeywordAt(p + i, len, n - i);
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
        // Digits and whatever identifier characters or dots stick to them.
        std::size_t j = i + 1;
        std::uint8_t seen = 0;
        while (j < n) {
          std::uint8_t w = kWordClass[p[j]];
          if ((w & kWordContinues) == 0 && p[j] != '.') break;
          seen |= w;
          ++j;
        }
        if ((seen & kWordMultiByte) == 0) {
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

  // Like Next, but skips operands: words that are no keyword in `stop`,
  // quoted identifiers, strings, numbers, commas and operators. The
  // analyzer uses this where those cannot change anything (the body of a
  // statement, no pending marker), which is most of the text.
  void NextNonOperand(Token* out, const KeywordSet& stop) {
    for (;;) {
      Next(out);
      const TokenType t = out->type;
      if ((out->keyword != Keyword::kNone && stop.Has(out->keyword)) || t == TokenType::kEnd ||
          t == TokenType::kLeftParen || t == TokenType::kRightParen || t == TokenType::kSemicolon) {
        return;
      }
    }
  }

  Problem problem() const { return problem_; }
  std::uint32_t problem_offset() const { return problem_offset_; }

 private:
  void NextSlow(Token* out);

  // The keyword spelled by `len` ASCII letters at p (`avail` bytes readable).
  static Keyword KeywordAt(const unsigned char* p, std::size_t len, std::size_t avail) {
    if (len < 2 || len > keyword_detail::kMaxKeywordLength) return Keyword::kNone;
    std::uint64_t lo = 0, hi = 0;
    if (avail >= 16) {
      // Two whole words, then the bytes past the word masked off.
      std::memcpy(&lo, p, 8);
      std::memcpy(&hi, p + 8, 8);
      if (len < 8) {
        lo &= (std::uint64_t{1} << (8 * len)) - 1;
        hi = 0;
      } else if (len == 8) {
        hi = 0;
      } else if (len < 16) {
        hi &= (std::uint64_t{1} << (8 * (len - 8))) - 1;
      }
    } else {
      for (std::size_t j = 0; j < len; ++j) {
        std::uint64_t c = p[j];
        if (j < 8) lo |= c << (8 * j); else hi |= c << (8 * (j - 8));
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
  Problem problem_ = Problem::kNone;
  std::uint32_t problem_offset_ = 0;
};

}  // namespace agentos::sql

#endif  // AGENTOS_POLICIES_SQL_SQL_LEXER_H_
