// The JSON libraries, as the recorder includes them: cereal's JSON archive
// (built on the system RapidJSON) and RapidJSON's writer. Include this, never
// <rapidjson/...> or <cereal/archives/json.hpp> directly.
//
// Debian's RapidJSON 1.1 offsets its internal stack pointer while it is
// still null (internal/stack.h; fixed upstream after 1.1), which UBSan
// reports on the first value written. The functions of these headers are
// exempted from that one check, so the sanitizer builds stay meaningful for
// everything else.
#ifndef AGENTOS_KERNEL_RECORDER_JSON_HEADERS_H_
#define AGENTOS_KERNEL_RECORDER_JSON_HEADERS_H_

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif  // AGENTOS_KERNEL_RECORDER_JSON_HEADERS_H_
