// UTF-8 checks for putting recorded bytes into JSON, which must be valid
// UTF-8 while payloads, reasons and ids may hold any bytes.
#ifndef AGENTOS_KERNEL_RECORDER_UTF8_TEXT_H_
#define AGENTOS_KERNEL_RECORDER_UTF8_TEXT_H_

#include <string>
#include <string_view>

namespace agentos {

// Well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool IsValidUtf8(std::string_view s);
// s with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);
// The longest prefix of s of at most max_bytes that does not split a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, std::size_t max_bytes);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_UTF8_TEXT_H_
