// Byte classes for the SQL tokenizer, as compile-time tables.
#ifndef AGENTOS_POLICIES_SQL_CHAR_CLASS_H_
#define AGENTOS_POLICIES_SQL_CHAR_CLASS_H_

#include <array>
#include <cstdint>

namespace agentos::sql::chars {

enum CharClass : std::uint8_t {
  kSpace,      // \t \n \v \f \r and ' '
  kLetter,     // A-Z a-z
  kUnderscore,
  kDigit,
  kHigh,       // >= 0x80: part of a UTF-8 sequence, an identifier character
  kControl,    // other bytes < 0x20, and 0x7f
  kQuote,      // '
  kDoubleQuote,
  kBacktick,
  kLeftBracket,
  kDollar,
  kLeftParen,
  kRightParen,
  kSemicolon,
  kComma,
  kDot,
  kMinus,
  kSlash,
  kHash,
  kOther,      // every other operator character
};

constexpr std::array<std::uint8_t, 256> BuildClasses() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t k = kOther;
    if (c < 0x20 || c == 0x7f) k = kControl;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') k = kSpace;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) k = kLetter;
    if (c >= '0' && c <= '9') k = kDigit;
    if (c >= 0x80) k = kHigh;
    switch (c) {
      case '_': k = kUnderscore; break;
      case '\'': k = kQuote; break;
      case '"': k = kDoubleQuote; break;
      case '`': k = kBacktick; break;
      case '[': k = kLeftBracket; break;
      case '$': k = kDollar; break;
      case '(': k = kLeftParen; break;
      case ')': k = kRightParen; break;
      case ';': k = kSemicolon; break;
      case ',': k = kComma; break;
      case '.': k = kDot; break;
      case '-': k = kMinus; break;
      case '/': k = kSlash; break;
      case '#': k = kHash; break;
      default: break;
    }
    t[static_cast<std::size_t>(c)] = k;
  }
  return t;
}

inline constexpr auto kCharClass = BuildClasses();

// Word scanning in one table: bit 0 = continues a word, bit 1 = not an ASCII
// letter (so the word is no keyword), bit 2 = starts a UTF-8 sequence.
enum : std::uint8_t { kWordContinues = 1, kWordNotLetter = 2, kWordMultiByte = 4 };

constexpr std::array<std::uint8_t, 256> BuildWordClasses() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t k = 0;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) k = kWordContinues;
    if ((c >= '0' && c <= '9') || c == '_' || c == '$') k = kWordContinues | kWordNotLetter;
    if (c >= 0x80) k = kWordContinues | kWordNotLetter | kWordMultiByte;
    t[static_cast<std::size_t>(c)] = k;
  }
  return t;
}

inline constexpr auto kWordClass = BuildWordClasses();

// The fast scanners' loops, one table: bit 0 = an ASCII byte that continues
// a word (letters, digits, '_', '$'), bit 1 = an ASCII byte that continues a
// word or number (the same, and '.'), bit 2 = a digit or '.' (a plain number;
// anything else glued to one goes to the slow path). Bytes >= 0x80 are in
// none: the scanners stop at them and hand the token to the path that checks
// UTF-8 sequences.
enum : std::uint8_t { kAsciiWord = 1, kAsciiNumber = 2, kAsciiDigits = 4 };

constexpr std::array<std::uint8_t, 256> BuildAsciiRuns() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 0x80; ++c) {
    std::uint8_t k = 0;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$') {
      k = kAsciiWord | kAsciiNumber;
    }
    if (c == '.') k = kAsciiNumber;
    if ((c >= '0' && c <= '9') || c == '.') k |= kAsciiDigits;
    t[static_cast<std::size_t>(c)] = k;
  }
  return t;
}

inline constexpr auto kAsciiRun = BuildAsciiRuns();

// What Lexer::SkipOperands does with a byte that starts a token.
enum SkipClass : std::uint8_t {
  kSkipByte,       // space, comma, an operator byte that opens nothing: skip it
  kSkipWord,       // letter or '_'
  kSkipNumber,     // digit
  kSkipQuote,      // '
  kSkipLookahead,  // - / . : an operator unless a comment or number starts here
  kSkipStructural,  // ( ) ; : the token SkipOperands returns
  kSkipStop,       // everything the full lexer handles
};

constexpr std::array<std::uint8_t, 256> BuildSkipClasses() {
  std::array<std::uint8_t, 256> t{};
  constexpr auto cls = BuildClasses();
  for (int c = 0; c < 256; ++c) {
    std::uint8_t s = kSkipStop;
    switch (cls[static_cast<std::size_t>(c)]) {
      case kSpace: case kComma: case kOther: s = kSkipByte; break;
      case kLetter: case kUnderscore: s = kSkipWord; break;
      case kDigit: s = kSkipNumber; break;
      case kQuote: s = kSkipQuote; break;
      case kMinus: case kSlash: case kDot: s = kSkipLookahead; break;
      case kLeftParen: case kRightParen: case kSemicolon: s = kSkipStructural; break;
      default: break;
    }
    t[static_cast<std::size_t>(c)] = s;
  }
  return t;
}

inline constexpr auto kSkipClass = BuildSkipClasses();

}  // namespace agentos::sql::chars

#endif  // AGENTOS_POLICIES_SQL_CHAR_CLASS_H_
