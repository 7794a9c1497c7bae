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

inline std::uint64_t Load64(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// True if none of the eight bytes has its high bit set (and, when asked,
// none is zero): (w - 0x01..) & ~w & 0x80.. is nonzero iff some byte is zero.
template <bool stop_at_nul>
inline bool Plain(std::uint64_t w) {
  std::uint64_t stop = w;
  if constexpr (stop_at_nul) stop |= (w - kLowBits) & ~w;
  return (stop & kHighBits) == 0;
}

// One pass: actions are mostly ASCII SQL, so plain blocks are skipped 32,
// then 8 bytes at a time, and a short tail is judged by the (overlapping)
// last eight bytes; only text with multi-byte characters (or a NUL) reaches
// the byte loop, from the first block that is not plain.
template <bool stop_at_nul>
std::size_t Scan(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i zero16 = _mm_setzero_si128();
  while (i + 32 <= n) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 16));
    int stop = _mm_movemask_epi8(_mm_or_si128(v0, v1));
    // min(v0, v1) has a zero byte iff v0 or v1 has one (unsigned bytes).
    if constexpr (stop_at_nul) stop |= _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v0, v1), zero16));
    if (stop != 0) break;
    i += 32;
  }
  // Fewer than 32 bytes left (or a block that stopped): one more 16-byte
  // block, then the last 16 bytes (overlapping what was already judged).
  auto plain16 = [&](std::size_t at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
    int stop = _mm_movemask_epi8(v);
    if constexpr (stop_at_nul) stop |= _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero16));
    return stop == 0;
  };
  if (i + 16 <= n && plain16(i)) i += 16;
  if (i + 16 > n && n >= 16 && plain16(n - 16)) return n;
#else
  // A byte b without its high bit is non-zero iff b + 0x7F has it (and the
  // addition carries nothing into the next byte).
  constexpr std::uint64_t kSevens = 0x7F7F7F7F7F7F7F7Full;
  while (i + 32 <= n) {
    const std::uint64_t w0 = Load64(s + i), w1 = Load64(s + i + 8), w2 = Load64(s + i + 16),
                        w3 = Load64(s + i + 24);
    std::uint64_t stop = w0 | w1 | w2 | w3;
    if constexpr (stop_at_nul) stop |= ~((w0 + kSevens) & (w1 + kSevens) & (w2 + kSevens) & (w3 + kSevens));
    if ((stop & kHighBits) != 0) break;
    i += 32;
  }
#endif
  while (i + 8 <= n && Plain<stop_at_nul>(Load64(s + i))) i += 8;
  if (i == n || (i + 8 > n && n >= 8 && Plain<stop_at_nul>(Load64(s + n - 8)))) return n;
  while (i < n) {
    if (i + 8 <= n && Plain<stop_at_nul>(Load64(s + i))) {
      i += 8;
      continue;
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
