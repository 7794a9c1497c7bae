// The C API answers queries through out-parameters and a status. Tests
// compare answers to literals, so these read one answer each and return -2,
// a value no answer has, when the call itself fails.
#ifndef AGENTOS_TESTS_CAPI_CAPI_VALUES_H_
#define AGENTOS_TESTS_CAPI_CAPI_VALUES_H_

#include <cstdint>

#include "agentos.h"

namespace agentos::testing {

inline constexpr int kCallFailed = -2;

// A public struct as the C API wants it: zeroed, struct_size set.
template <typename T>
T Sized() {
  T t{};
  t.struct_size = sizeof(T);
  return t;
}

inline int Allowed(const agentos_decision* d) {
  int32_t v = 0;
  return agentos_decision_allowed(d, &v) == AGENTOS_OK ? v : kCallFailed;
}
inline int MaxSeverity(const agentos_decision* d) {
  int32_t v = 0;
  return agentos_decision_max_severity(d, &v) == AGENTOS_OK ? v : kCallFailed;
}
inline std::int64_t ViolationCount(const agentos_decision* d) {
  size_t v = 0;
  return agentos_decision_violation_count(d, &v) == AGENTOS_OK ? static_cast<std::int64_t>(v) : kCallFailed;
}
inline std::int64_t TotalViolations(const agentos_decision* d) {
  size_t v = 0;
  return agentos_decision_total_violations(d, &v) == AGENTOS_OK ? static_cast<std::int64_t>(v) : kCallFailed;
}
inline std::int64_t PolicyCount(const agentos_kernel* k) {
  size_t v = 0;
  return agentos_kernel_policy_count(k, &v) == AGENTOS_OK ? static_cast<std::int64_t>(v) : kCallFailed;
}
inline int IsAudit(const agentos_kernel* k) {
  int32_t v = 0;
  return agentos_kernel_is_audit(k, &v) == AGENTOS_OK ? v : kCallFailed;
}
inline std::int64_t NumEnvs(const agentos_venv* v) {
  size_t n = 0;
  return agentos_venv_num_envs(v, &n) == AGENTOS_OK ? static_cast<std::int64_t>(n) : kCallFailed;
}

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_CAPI_CAPI_VALUES_H_
