// The JSON libraries, as the recorder (and its tests) include them: cereal's
// JSON archive (built on the system RapidJSON) and RapidJSON itself
// (kernel/rapidjson.h). Include this, never <cereal/archives/json.hpp> directly.
//
// Debian's RapidJSON 1.1 offsets its internal stack pointer while it is
// still null (internal/stack.h; fixed upstream after 1.1), which UBSan
// reports on the first value written. The functions of these headers are
// exempted from that one check, so the sanitizer builds stay meaningful for
// everything else.
#ifndef AGENTOS_KERNEL_RECORDER_JSON_HEADERS_H_
#define AGENTOS_KERNEL_RECORDER_JSON_HEADERS_H_

#include "kernel/rapidjson.h"  // RapidJSON first, under its own exemption

// The standard headers these libraries use come first: the attribute must
// only reach declarations made inside the region, not redeclarations.
#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iosfwd>
#include <istream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <ostream>
#include <set>
#include <sstream>
#include <stack>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif  // AGENTOS_KERNEL_RECORDER_JSON_HEADERS_H_
