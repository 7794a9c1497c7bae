#include "kernel/utf8.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace agentos {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
constexpr std::uint64_t kLowBits = 0x0101010101010101ull;

// One pass: actions are mostly ASCII SQL, so blocks with no high bit (and,
// when asked, no zero byte) are skipped sixteen, then eight, bytes at a time.
template <bool stop_at_nul>
std::size_t Scan(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i zero16 = _mm_setzero_si128();
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    int stop = _mm_movemask_epi8(v);
    if constexpr (stop_at_nul) stop |= _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero16));
    if (stop != 0) break;
    i += 16;
  }
#endif
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, s + i, 8);
      // (w - 0x01..) & ~w & 0x80.. is nonzero iff some byte of w is zero.
      std::uint64_t zero = 0;
      if constexpr (stop_at_nul) zero = (word - kLowBits) & ~word & kHighBits;
      if (((word & kHighBits) | zero) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c == 0 && stop_at_nul) return i;
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;  // continuation byte first, 0xC0/0xC1 (overlong), or > 0xF4
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return n;
}

}  // namespace

std::size_t FindInvalidUtf8(std::string_view text) { return Scan<false>(text); }
std::size_t FindInvalidUtf8OrNul(std::string_view text) { return Scan<true>(text); }

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t bad = FindInvalidUtf8(text);
    out.append(text.data(), bad);
    if (bad == text.size()) break;
    out += "\xEF\xBF\xBD";
    text.remove_prefix(bad + 1);
  }
  return out;
}

std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Step back over continuation bytes (at most three) to a sequence start.
  for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++k) --cut;
  return text.substr(0, cut);
}

}  // namespace agentos
