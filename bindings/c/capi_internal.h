// Shared plumbing for the C API implementation files: the thread-local error
// message, Status -> result code, and the exception barrier every entry point
// runs inside. Not installed; not part of the public API.
#ifndef AGENTOS_BINDINGS_C_CAPI_INTERNAL_H_
#define AGENTOS_BINDINGS_C_CAPI_INTERNAL_H_

#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "agentos.h"
#include "kernel/status.h"

namespace agentos::capi {

// Records msg as this thread's last error and returns code.
int Fail(int code, std::string_view msg);
// Status -> AGENTOS_* code, recording the message when not OK.
int FromStatus(const Status& status);
// This thread's last error message ("" if none).
const char* LastError();
// Clears this thread's last error (called on entry by every fallible function).
void ClearError();

// Runs body (which returns an AGENTOS_* code) and converts any exception into
// an error code, so nothing unwinds into C.
template <typename Body>
int Guard(Body&& body) noexcept {
  try {
    ClearError();
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(AGENTOS_NOMEM, "out of memory");
  } catch (const std::exception& e) {
    return Fail(AGENTOS_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(AGENTOS_INTERNAL, "internal error: unknown exception");
  }
}

// A (pointer, length) string from C; NULL with length 0 is "", NULL with a
// length is an error the caller must report.
inline bool ToView(const char* p, size_t n, std::string_view* out) {
  if (p == nullptr) {
    *out = {};
    return n == 0;
  }
  *out = std::string_view(p, n);
  return true;
}

}  // namespace agentos::capi

#endif  // AGENTOS_BINDINGS_C_CAPI_INTERNAL_H_
