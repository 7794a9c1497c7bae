#include "policies/sql/sql_lexer.h"

#include <cstring>

#include "policies/sql/char_class.h"

namespace agentos::sql {

namespace {

using namespace chars;

inline std::uint8_t ClassAt(std::string_view s, std::size_t i) {
  return kCharClass[static_cast<unsigned char>(s[i])];
}

// Length of the UTF-8 sequence starting with `lead` (input already validated).
inline std::size_t SequenceLength(unsigned char lead) {
  return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
}

// Unicode spaces and invisible characters. Inside a word they would make
// "DROP<U+00A0>TABLE" one identifier for PostgreSQL but two words for a
// parser that treats U+00A0 as a space, so they are refused.
bool IsUnicodeSpace(const unsigned char* p, std::size_t len) {
  if (len == 2) {
    return p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0 || p[1] == 0xAD);
  }
  if (len != 3) return false;
  std::uint32_t cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  return cp == 0x034F || cp == 0x115F || cp == 0x1160 || cp == 0x1680 || cp == 0x180E ||
         (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0x2800 || cp == 0x3000 || cp == 0x3164 ||
         cp == 0xFEFF || cp == 0xFFA0;
}

// Where a quoted run opened by `q` at quote_at ends (index of the closing
// quote), with `''`-style doubling and, if backslash_escapes, `\x` escapes.
// npos if it never ends. memchr does the scanning: strings are most of the
// bytes of large statements.
std::size_t FindClosingQuote(std::string_view s, std::size_t quote_at, char q, bool backslash_escapes) {
  const char* base = s.data();
  const std::size_t n = s.size();
  std::size_t i = quote_at + 1;
  while (i < n) {
    const void* hit = std::memchr(base + i, q, n - i);
    if (hit == nullptr) return std::string_view::npos;
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    if (backslash_escapes) {
      const void* bs = std::memchr(base + i, '\\', at - i);
      if (bs != nullptr) {
        i = static_cast<std::size_t>(static_cast<const char*>(bs) - base) + 2;  // skip the escaped byte
        continue;
      }
    }
    if (at + 1 < n && base[at + 1] == q) {
      i = at + 2;  // doubled quote
      continue;
    }
    return at;
  }
  return std::string_view::npos;
}

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

// True if the eight bytes are all ASCII and none is zero.
inline bool PlainAscii(std::uint64_t w) { return ((w | ((w - kOnes) & ~w)) & kHighs) == 0; }

inline std::uint64_t Load64(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

}  // namespace

Problem CheckEncoding(std::string_view text, std::uint32_t* offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  // Fast path: 32 plain ASCII bytes at a time, then eight at a time, then
  // the last eight (overlapping) bytes; only texts with multi-byte
  // characters or NUL bytes go through the byte loop below, from the first
  // word that is not plain.
  constexpr std::uint64_t kSevens = 0x7F7F7F7F7F7F7F7Full;
  while (i + 32 <= n) {
    const std::uint64_t w0 = Load64(p + i), w1 = Load64(p + i + 8), w2 = Load64(p + i + 16),
                        w3 = Load64(p + i + 24);
    // A byte b without its high bit is non-zero iff b + 0x7F has it, and
    // then the additions carry nothing into the next byte; a high bit
    // anywhere fails the test through the OR either way.
    const std::uint64_t high = w0 | w1 | w2 | w3;
    const std::uint64_t nonzero = (w0 + kSevens) & (w1 + kSevens) & (w2 + kSevens) & (w3 + kSevens);
    if (((high | ~nonzero) & kHighs) != 0) break;
    i += 32;
  }
  while (i + 8 <= n && PlainAscii(Load64(p + i))) i += 8;
  if (i == n || (i + 8 > n && n >= 8 && PlainAscii(Load64(p + n - 8)))) return Problem::kNone;
  auto fail = [&](Problem pr) {
    *offset = static_cast<std::uint32_t>(i);
    return pr;
  };
  while (i < n) {
    if (i + 8 <= n && PlainAscii(Load64(p + i))) {
      i += 8;
      continue;
    }
    unsigned char c = p[i];
    if (c == 0) return fail(Problem::kNulByte);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return fail(Problem::kInvalidUtf8);  // continuation byte, overlong lead, > U+10FFFF
    if (i + len > n) return fail(Problem::kInvalidUtf8);
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return fail(Problem::kInvalidUtf8);
    }
    unsigned char c1 = p[i + 1];
    if ((c == 0xE0 && c1 < 0xA0) ||   // overlong 3-byte
        (c == 0xED && c1 > 0x9F) ||   // UTF-16 surrogates
        (c == 0xF0 && c1 < 0x90) ||   // overlong 4-byte
        (c == 0xF4 && c1 > 0x8F)) {   // above U+10FFFF
      return fail(Problem::kInvalidUtf8);
    }
    i += len;
  }
  return Problem::kNone;
}

TokenType Lexer::Fail(Problem p, std::size_t at) {
  if (problem_ == Problem::kNone) {
    problem_ = p;
    problem_offset_ = static_cast<std::uint32_t>(at);
  }
  pos_ = text_.size();
  return TokenType::kEnd;
}

bool Lexer::SkipSpaceAndComments() {
  const std::size_t n = text_.size();
  while (pos_ < n) {
    std::uint8_t k = ClassAt(text_, pos_);
    if (k == kSpace) {
      ++pos_;
      continue;
    }
    if (k == kMinus && pos_ + 1 < n && text_[pos_ + 1] == '-') {
      // MySQL reads `--` as a comment only before a space or control byte;
      // `1--1; DROP ...` would be arithmetic there and a comment elsewhere.
      if (pos_ + 2 < n && static_cast<unsigned char>(text_[pos_ + 2]) > 0x20) {
        Fail(Problem::kAmbiguousDashComment, pos_);
        return false;
      }
      // PostgreSQL ends the comment at \n or \r, SQLite and MySQL only at
      // \n. Read to the \n (or the end of the text); a \r before it is
      // only harmless if everything from there to the \n is space in
      // every dialect (a CRLF line end), else PostgreSQL runs code that
      // the others skip, or the other way round.
      const std::size_t start = pos_;
      const void* lf = std::memchr(text_.data() + pos_ + 2, '\n', n - pos_ - 2);
      const std::size_t end = lf != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf) - text_.data()) : n;
      const void* cr = std::memchr(text_.data() + pos_ + 2, '\r', end - pos_ - 2);
      if (cr != nullptr) {
        for (std::size_t i = static_cast<std::size_t>(static_cast<const char*>(cr) - text_.data()); i < end; ++i) {
          const char c = text_[i];
          if (c != '\r' && c != ' ' && c != '\t') {
            Fail(Problem::kAmbiguousCommentEnd, start);
            return false;
          }
        }
      }
      pos_ = end;
      continue;
    }
    if (k == kSlash && pos_ + 1 < n && text_[pos_ + 1] == '*') {
      const std::size_t start = pos_;
      if (pos_ + 2 < n) {
        char c2 = text_[pos_ + 2];
        bool mariadb = (c2 == 'M' || c2 == 'm') && pos_ + 3 < n && text_[pos_ + 3] == '!';
        if (c2 == '!' || c2 == '+' || mariadb) {
          Fail(Problem::kConditionalComment, start);
          return false;
        }
      }
      // PostgreSQL nests /* */, MySQL and SQLite end at the first */: a
      // nested opener means the dialects see different code after it.
      // Both "*/" and "/*" contain a '*', so memchr finds every candidate.
      const char* base = text_.data();
      const std::size_t body = pos_ + 2;
      std::size_t i = body;
      for (;;) {
        const void* hit = i < n ? std::memchr(base + i, '*', n - i) : nullptr;
        if (hit == nullptr) {
          Fail(Problem::kUnterminatedComment, start);
          return false;
        }
        std::size_t star = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
        if (star > body && base[star - 1] == '/') {
          Fail(Problem::kNestedComment, star - 1);
          return false;
        }
        if (star + 1 < n && base[star + 1] == '/') {
          pos_ = star + 2;
          break;
        }
        i = star + 1;
      }
      continue;
    }
    if (k == kHash) {
      Fail(Problem::kHashCharacter, pos_);
      return false;
    }
    if (k == kControl) {
      Fail(Problem::kControlCharacter, pos_);
      return false;
    }
    return true;
  }
  return true;
}

bool Lexer::SkipWordCharsSlow() {
  const std::size_t n = text_.size();
  while (pos_ < n) {
    const auto c = static_cast<unsigned char>(text_[pos_]);
    const std::uint8_t k = kWordClass[c];
    if ((k & kWordContinues) == 0) break;
    if ((k & kWordMultiByte) == 0) {
      ++pos_;
      continue;
    }
    std::size_t len = SequenceLength(c);
    if (IsUnicodeSpace(reinterpret_cast<const unsigned char*>(text_.data()) + pos_, len)) {
      Fail(Problem::kUnicodeSpace, pos_);
      return false;
    }
    pos_ += len;
  }
  return true;
}

TokenType Lexer::Word(std::size_t begin, Keyword* keyword) {
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  const std::size_t n = text_.size();
  std::size_t i = begin;
  std::uint8_t seen = 0;
  while (i < n) {
    std::uint8_t k = kWordClass[p[i]];
    if ((k & kWordContinues) == 0) break;
    seen |= k;
    ++i;
  }
  if (seen & kWordMultiByte) {
    pos_ = begin;
    if (!SkipWordCharsSlow()) return TokenType::kEnd;
    i = pos_;
  }
  pos_ = i;
  const std::size_t len = i - begin;
  // String and identifier prefixes glued to a quote: E'..' N'..' B'..'
  // X'..' U&'..' U&"..".
  if (len == 1 && i < n) {
    char c0 = static_cast<char>(p[begin] & 0xDF);
    if (p[i] == '\'') {
      if (c0 == 'E') return QuotedString(begin, i, /*backslash_escapes=*/true);
      if (c0 == 'N' || c0 == 'B' || c0 == 'X') return QuotedString(begin, i, false);
    }
    if (c0 == 'U' && p[i] == '&' && i + 1 < n) {
      if (p[i + 1] == '\'') return QuotedString(begin, i + 1, false);
      if (p[i + 1] == '"') return QuotedIdentifier(begin, i + 1);
    }
  }
  if ((seen & kWordNotLetter) == 0) *keyword = KeywordAt(p, begin, len, n);
  return TokenType::kWord;
}

TokenType Lexer::Number() {
  // The literal ends where SQLite and PostgreSQL end it: 0x and hex digits,
  // or digits and dots with an optional exponent. An identifier character
  // right after it is ambiguous: PostgreSQL before 15 starts a new token
  // there (`1into t` is 1 INTO t), MySQL reads one name, SQLite and
  // PostgreSQL 15 refuse the text.
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  const std::size_t n = text_.size();
  const std::size_t start = pos_;
  auto digit = [&](std::size_t k) { return k < n && p[k] >= '0' && p[k] <= '9'; };
  auto hex_digit = [&](std::size_t k) {
    return digit(k) || (k < n && (p[k] | 0x20) >= 'a' && (p[k] | 0x20) <= 'f');
  };
  std::size_t i = pos_;
  if (p[i] == '0' && i + 1 < n && (p[i + 1] | 0x20) == 'x' && hex_digit(i + 2)) {
    i += 2;
    while (hex_digit(i)) ++i;
  } else {
    while (digit(i) || (i < n && p[i] == '.')) ++i;
    if (i < n && (p[i] | 0x20) == 'e') {
      std::size_t k = i + 1;
      if (k < n && (p[k] == '+' || p[k] == '-')) ++k;
      if (digit(k)) {
        i = k;
        while (digit(i)) ++i;
      }
    }
  }
  if (i < n && (p[i] >= 0x80 || (kAsciiRun[p[i]] & kAsciiWord) != 0)) return Fail(Problem::kAmbiguousNumber, start);
  pos_ = i;
  return TokenType::kNumber;
}

TokenType Lexer::QuotedString(std::size_t begin, std::size_t quote_at, bool backslash_escapes) {
  // The dialect's own reading, and the reading with backslash escapes
  // flipped (MySQL escapes in '...', SQLite and standard SQL do not): if
  // the two end in different places, some database sees different code.
  // Without a backslash before the closing quote both readings agree.
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  if (std::size_t plain = lexer_detail::PlainQuotedEnd(p, quote_at, text_.size(), '\'');
      plain != std::string_view::npos) {
    pos_ = plain + 1;
    return TokenType::kString;
  }
  std::size_t end = FindClosingQuote(text_, quote_at, '\'', backslash_escapes);
  if (end == std::string_view::npos) return Fail(Problem::kUnterminatedString, begin);
  if (std::memchr(text_.data() + quote_at, '\\', end - quote_at) != nullptr) {
    std::size_t other = FindClosingQuote(text_, quote_at, '\'', !backslash_escapes);
    if (other != end) return Fail(Problem::kAmbiguousBackslash, begin);
  }
  pos_ = end + 1;
  return TokenType::kString;
}

TokenType Lexer::QuotedIdentifier(std::size_t begin, std::size_t quote_at) {
  // "..." is an identifier in PostgreSQL and SQLite but a string with
  // backslash escapes in MySQL: both readings must end at the same quote.
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  if (std::size_t plain = lexer_detail::PlainQuotedEnd(p, quote_at, text_.size(), '"');
      plain != std::string_view::npos) {
    pos_ = plain + 1;
    return TokenType::kQuotedIdentifier;
  }
  std::size_t end = FindClosingQuote(text_, quote_at, '"', false);
  if (end == std::string_view::npos) return Fail(Problem::kUnterminatedIdentifier, begin);
  if (std::memchr(text_.data() + quote_at, '\\', end - quote_at) != nullptr) {
    std::size_t other = FindClosingQuote(text_, quote_at, '"', true);
    if (other != end) return Fail(Problem::kAmbiguousBackslash, begin);
  }
  pos_ = end + 1;
  return TokenType::kQuotedIdentifier;
}

namespace {

// True if text[i] starts something that hides or ends code in some dialect:
// a quote, `;`, a comment opener or a dollar quote (not a $1 parameter).
bool OpensOrEnds(std::string_view text, std::size_t i, std::size_t end) {
  const char c = text[i];
  const bool dash_comment = c == '-' && i + 1 < end && text[i + 1] == '-';
  const bool block_comment = c == '/' && i + 1 < end && text[i + 1] == '*';
  const bool dollar_quote = c == '$' && !(i + 1 < end && text[i + 1] >= '0' && text[i + 1] <= '9');
  return c == '\'' || c == '"' || c == '`' || c == ';' || dash_comment || block_comment || dollar_quote;
}

}  // namespace

TokenType Lexer::Backticked(std::size_t begin) {
  // `name` is an identifier in MySQL and SQLite, but PostgreSQL lexes the
  // backtick as an operator character and reads the body as code: keywords
  // (`x into t`), quotes, comments or `;` there would change or end the
  // statement it sees.
  std::size_t end = FindClosingQuote(text_, begin, '`', false);
  if (end == std::string_view::npos) return Fail(Problem::kUnterminatedIdentifier, begin);
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  // One plain name, which PostgreSQL too reads as one word between two
  // operators: letters, digits (not first), '_' and non-space multi-byte
  // characters. No '$' (a dollar quote or parameter there).
  for (std::size_t i = begin + 1; i < end;) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const std::size_t len = SequenceLength(c);
      if (IsUnicodeSpace(p + i, len)) return Fail(Problem::kAmbiguousBacktick, begin);
      i += len;
      continue;
    }
    const bool name_char = (kAsciiRun[c] & kAsciiWord) != 0 && c != '$' && !(i == begin + 1 && kCharClass[c] == kDigit);
    if (!name_char) return Fail(Problem::kAmbiguousBacktick, begin);
    ++i;
  }
  pos_ = end + 1;
  return TokenType::kQuotedIdentifier;
}

TokenType Lexer::Bracketed(std::size_t begin) {
  // [name] is an identifier in SQLite and SQL Server, a subscript in
  // PostgreSQL (a[1]). The readings agree unless the brackets hold quotes,
  // comment openers, dollar quotes or `;`, which are refused.
  const std::size_t n = text_.size();
  std::size_t i = begin + 1;
  for (; i < n; ++i) {
    char c = text_[i];
    if (c == ']') break;
    if (c == '[' || OpensOrEnds(text_, i, n)) return Fail(Problem::kAmbiguousBracket, begin);
  }
  if (i >= n) return Fail(Problem::kUnterminatedIdentifier, begin);
  pos_ = i + 1;
  return TokenType::kQuotedIdentifier;
}

TokenType Lexer::Dollar(std::size_t begin) {
  const std::size_t n = text_.size();
  std::size_t i = begin + 1;
  if (i < n && ClassAt(text_, i) == kDigit) {  // $1: a parameter
    while (i < n && ClassAt(text_, i) == kDigit) ++i;
    pos_ = i;
    return TokenType::kOperator;
  }
  // $tag$: tag characters are identifier characters except `$`, and the tag
  // does not start with a digit.
  while (i < n) {
    std::uint8_t k = ClassAt(text_, i);
    if (k == kLetter || k == kUnderscore || k == kDigit) ++i;
    else if (k == kHigh) i += SequenceLength(static_cast<unsigned char>(text_[i]));
    else break;
  }
  if (i >= n || text_[i] != '$') {
    // Not a dollar quote: a lone `$` (SQLite/MySQL variable prefix).
    pos_ = begin + 1;
    return TokenType::kOperator;
  }
  const std::string_view tag = text_.substr(begin, i + 1 - begin);
  const std::size_t body = i + 1;
  std::size_t close = text_.find(tag, body);
  if (close == std::string_view::npos) return Fail(Problem::kUnterminatedDollarQuote, begin);
  // Only PostgreSQL knows dollar quotes; SQLite and MySQL read the body as
  // code. A body with characters that end statements or open strings,
  // identifiers or comments there would hide what those databases run.
  for (std::size_t j = body; j < close; ++j) {
    char c = text_[j];
    if (c == ';' || c == '\'' || c == '"' || c == '`' || c == '[' || c == '#' ||
        (c == '-' && j + 1 < close && text_[j + 1] == '-') ||
        (c == '/' && j + 1 < close && text_[j + 1] == '*')) {
      return Fail(Problem::kAmbiguousDollarQuote, begin);
    }
  }
  pos_ = close + tag.size();
  return TokenType::kString;
}

void Lexer::NextSlow(Token* out) {
  out->keyword = Keyword::kNone;
  if (problem_ != Problem::kNone || !SkipSpaceAndComments() || pos_ >= text_.size()) {
    out->type = TokenType::kEnd;
    out->begin = out->end = static_cast<std::uint32_t>(pos_);
    return;
  }
  const std::size_t begin = pos_;
  TokenType type;
  switch (ClassAt(text_, pos_)) {
    case kLetter:
    case kUnderscore:
    case kHigh:
      type = Word(begin, &out->keyword);
      break;
    case kDigit:
      type = Number();
      break;
    case kDot:
      ++pos_;
      type = pos_ < text_.size() && ClassAt(text_, pos_) == kDigit ? Number() : TokenType::kOperator;
      break;
    case kQuote:
      type = QuotedString(begin, begin, /*backslash_escapes=*/false);
      break;
    case kDoubleQuote:
      type = QuotedIdentifier(begin, begin);
      break;
    case kBacktick:
      type = Backticked(begin);
      break;
    case kLeftBracket:
      type = Bracketed(begin);
      break;
    case kDollar:
      type = Dollar(begin);
      break;
    case kLeftParen:
      ++pos_;
      type = TokenType::kLeftParen;
      break;
    case kRightParen:
      ++pos_;
      type = TokenType::kRightParen;
      break;
    case kSemicolon:
      ++pos_;
      type = TokenType::kSemicolon;
      break;
    case kComma:
      ++pos_;
      type = TokenType::kComma;
      break;
    default:
      ++pos_;
      type = TokenType::kOperator;
      break;
  }
  out->type = type;
  out->begin = static_cast<std::uint32_t>(begin);
  out->end = static_cast<std::uint32_t>(pos_);
}

}  // namespace agentos::sql
