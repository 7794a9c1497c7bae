// The code base's one UTF-8 validator (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), used by the kernel's action screen,
// the content policy, the policy loader, the recorder and the CLI.
#ifndef AGENTOS_KERNEL_UTF8_H_
#define AGENTOS_KERNEL_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace agentos {

// Index of the first byte that does not begin a well-formed sequence, or
// text.size() if all of `text` is well-formed. No allocation.
std::size_t FindInvalidUtf8(std::string_view text);
// The same, but also stops at the first NUL byte (whichever comes first).
std::size_t FindInvalidUtf8OrNul(std::string_view text);

inline bool IsValidUtf8(std::string_view text) { return FindInvalidUtf8(text) == text.size(); }
// `text` with every byte that does not begin a well-formed sequence replaced
// by U+FFFD (for JSON and terminals, which need valid text).
std::string ToValidUtf8(std::string_view text);
// The longest prefix of `text` of at most max_bytes that does not split a
// sequence.
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_UTF8_H_
