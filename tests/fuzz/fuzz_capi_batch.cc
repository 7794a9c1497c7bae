// Fuzzes agentos_kernel_check_batch with arbitrary bytes, offsets, counts and
// kinds. A call either succeeds with exactly the answers of one
// agentos_kernel_check per payload, or fails with a message having written
// nothing; it succeeds exactly when the arguments are valid.
//
// Input layout: byte 0 picks the kind (some values invalid), byte 1 the
// count n (0..31), then n + 1 little-endian 16-bit offsets, then the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
  - name: secrets
    type: content
    deny: ['AKIA[0-9A-Z]{16}']
)";

agentos_kernel* Kernel() {
  static agentos_kernel* k = [] {
    agentos_kernel* out = nullptr;
    if (agentos_kernel_from_yaml(kPolicy, sizeof(kPolicy) - 1, "fuzz.yaml", &out) != AGENTOS_OK) std::abort();
    return out;
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // -1 .. 6; AGENTOS_ACTION_SQL (0) .. AGENTOS_ACTION_NUMERIC (4) valid. A numeric
  // action checked without its values is denied, never refused as a call.
  const std::int32_t kind = static_cast<std::int32_t>(data[0] % 8) - 1;
  const std::size_t n = data[1] % 32;
  std::size_t pos = 2;
  std::vector<std::uint64_t> offsets(n + 1);
  for (std::size_t i = 0; i <= n; ++i) {
    std::uint64_t v = 0;
    if (pos + 2 <= size) {
      v = static_cast<std::uint64_t>(data[pos]) | static_cast<std::uint64_t>(data[pos + 1]) << 8;
      pos += 2;
    }
    // Now and then a value no buffer could reach.
    offsets[i] = v == 0xFFFF ? UINT64_MAX : v;
  }
  // An exact-size copy, so any read past the end is a sanitizer report.
  const std::size_t len = size - pos;
  std::unique_ptr<char[]> bytes(new char[len == 0 ? 1 : len]);
  if (len > 0) std::memcpy(bytes.get(), data + pos, len);

  bool valid = kind >= AGENTOS_ACTION_SQL && kind <= AGENTOS_ACTION_NUMERIC && offsets[n] <= len;
  for (std::size_t i = 0; i < n; ++i) valid = valid && offsets[i] <= offsets[i + 1];

  constexpr std::uint8_t kUntouched = 0xA5;
  std::vector<std::uint8_t> allowed(n + 1, kUntouched);
  std::vector<std::int8_t> severity(n + 1, static_cast<std::int8_t>(kUntouched));
  std::vector<std::uint32_t> violations(n + 1, kUntouched);
  int rc = agentos_kernel_check_batch(Kernel(), kind, len == 0 ? nullptr : bytes.get(), len, offsets.data(), n,
                                      allowed.data(), severity.data(), violations.data());
  if ((rc == AGENTOS_OK) != valid) std::abort();
  if (rc != AGENTOS_OK) {
    if (rc != AGENTOS_INVALID || agentos_errmsg()[0] == '\0') std::abort();
    for (std::size_t i = 0; i <= n; ++i) {
      if (allowed[i] != kUntouched || violations[i] != kUntouched) std::abort();
    }
    return 0;
  }
  if (allowed[n] != kUntouched) std::abort();  // nothing past n entries
  agentos_decision* d = nullptr;
  if (agentos_decision_new(&d) != AGENTOS_OK) std::abort();
  for (std::size_t i = 0; i < n; ++i) {
    agentos_action a = agentos::testing::Sized<agentos_action>();
    a.kind = kind;
    a.payload = bytes.get() + offsets[i];
    a.payload_len = static_cast<std::size_t>(offsets[i + 1] - offsets[i]);
    if (agentos_kernel_check(Kernel(), nullptr, &a, d) != AGENTOS_OK) std::abort();
    if (allowed[i] != agentos::testing::Allowed(d) || severity[i] != agentos::testing::MaxSeverity(d) ||
        static_cast<int>(violations[i]) != agentos::testing::TotalViolations(d)) {
      std::abort();
    }
  }
  agentos_decision_free(d);
  return 0;
}
