#include "env/action_screen.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace agentos {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
constexpr std::uint64_t kLowBits = 0x0101010101010101ull;

// Index of the first byte that is not part of well-formed UTF-8, or of the
// first NUL when stop_at_nul, or text.size(). One pass: actions are mostly
// ASCII SQL, so eight bytes at a time are checked for "no high bit and no
// zero byte" and skipped.
template <bool stop_at_nul>
std::size_t Scan(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time: skip while no byte has its high bit set (and,
  // when asked, none is zero).
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

namespace {

// Checks one text field; returns false after adding a violation.
bool ScreenText(std::string_view field, std::string_view text, std::uint32_t max_bytes, Decision& out) {
  if (text.size() > max_bytes) {
    out.Add(kKernelPolicyName, "env.action_too_large", Severity::kHigh)
        .Append(field)
        .Append(" has ")
        .Append(static_cast<std::int64_t>(text.size()))
        .Append(" bytes, more than max_action_bytes ")
        .Append(static_cast<std::int64_t>(max_bytes));
    return false;
  }
  const std::size_t bad = Scan</*stop_at_nul=*/true>(text);
  if (bad == text.size()) return true;
  if (text[bad] == '\0') {
    out.Add(kKernelPolicyName, "env.nul_byte", Severity::kHigh)
        .Append(field)
        .Append(" contains a NUL byte at ")
        .Append(static_cast<std::int64_t>(bad));
    return false;
  }
  out.Add(kKernelPolicyName, "env.invalid_utf8", Severity::kHigh)
      .Append(field)
      .Append(" is not valid UTF-8 at byte ")
      .Append(static_cast<std::int64_t>(bad));
  return false;
}

}  // namespace

bool ScreenAction(const Action& action, std::uint32_t max_action_bytes, Decision& out) {
  bool ok = ScreenText("payload", action.payload, max_action_bytes, out);
  ok = ScreenText("tool", action.tool, max_action_bytes, out) && ok;
  if (!ok) return false;
  switch (action.kind) {
    case ActionKind::kSql:
    case ActionKind::kMessage:
      if (action.payload.empty()) {
        out.Add(kKernelPolicyName, "env.empty_action", Severity::kMedium)
            .Append("empty ")
            .Append(ToString(action.kind))
            .Append(" payload: nothing to run");
        return false;
      }
      break;
    case ActionKind::kToolCall:
      if (action.tool.empty()) {
        out.Add(kKernelPolicyName, "env.empty_action", Severity::kMedium).Append("tool_call without a tool name");
        return false;
      }
      break;
    case ActionKind::kSpend:
      break;
  }
  return true;
}

}  // namespace agentos
