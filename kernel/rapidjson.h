// RapidJSON, as agentos includes it (CLI, task specs, dataset, recorder).
// Include this, never <rapidjson/...> directly, so every use gets the same
// attributes.
//
// Debian's RapidJSON 1.1 adds an offset to its stack pointer while that is
// still null (internal/stack.h, Stack::Reserve, before the first
// allocation). That is undefined behaviour clang's UBSan reports on every
// parse; upstream fixed it after 1.1. Exempting RapidJSON's own functions from
// that one check keeps the sanitizer builds meaningful for everything else.
#ifndef AGENTOS_KERNEL_RAPIDJSON_H_
#define AGENTOS_KERNEL_RAPIDJSON_H_

// The standard headers RapidJSON uses come first, outside the attribute region.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iosfwd>
#include <istream>
#include <iterator>
#include <limits>
#include <new>
#include <ostream>
#include <streambuf>
#include <string>
#include <type_traits>
#include <utility>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif  // AGENTOS_KERNEL_RAPIDJSON_H_
