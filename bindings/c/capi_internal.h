// Shared plumbing for the C API implementation files: the thread-local error
// message, Status -> result code, and the exception barrier every entry point
// runs inside. Not installed; not part of the public API.
#ifndef AGENTOS_BINDINGS_C_CAPI_INTERNAL_H_
#define AGENTOS_BINDINGS_C_CAPI_INTERNAL_H_

#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "agentos.h"
#include "kernel/audit_sink.h"
#include "kernel/decision.h"
#include "kernel/episode_state.h"
#include "kernel/kernel_space.h"
#include "kernel/status.h"

// The kernel and state handles, shared by every part of the C API that takes
// them (environments take a kernel, for instance).
struct agentos_kernel {
  std::shared_ptr<const agentos::KernelSpace> space;  // never null
  std::vector<std::string> policy_types;  // NUL-terminated copy of each policy's type()
};

struct agentos_state {
  agentos::EpisodeState state;
};

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

// A new handle for `space` (not null). Throws only std::bad_alloc, so call
// it inside Guard. Also how C++ tests hand a hand-built kernel to the C API.
agentos_kernel* NewKernelHandle(std::shared_ptr<const KernelSpace> space);

// The recorder behind a recorder handle, as the sink environments record
// into (null for a null handle). The env keeps the shared_ptr, so freeing
// the handle does not close a recorder an env still uses. Implemented in
// capi_recorder.cc.
std::shared_ptr<AuditSink> RecorderSinkOf(const agentos_recorder* recorder);

// Checks the struct_size a caller put in a public struct (what: "config",
// "out", "actions[3]", ...). Every public struct has exactly one layout so
// far; a library that appends fields will accept the earlier sizes here.
template <typename T>
bool SizeOk(const char* fn, const char* what, const T& s, int* code) {
  if (s.struct_size == sizeof(T)) return true;
  *code = Fail(AGENTOS_INVALID, std::string(fn) + ": " + what + "->struct_size is " + std::to_string(s.struct_size) +
                                    ", expected " + std::to_string(sizeof(T)) +
                                    " (set it to sizeof the struct; a caller built against another agentos.h?)");
  return false;
}

// Points out's strings at v's own NUL-terminated text: they stay valid as
// long as v does (until its decision or env result is next written), and
// reading one violation never touches another's strings.
// out->struct_size must have been checked (SizeOk).
inline void WriteViolation(const Violation& v, agentos_violation* out) {
  out->policy = v.policy().data();
  out->rule = v.rule().data();
  out->reason = v.reason_c_str();
  out->severity = static_cast<int32_t>(v.severity());
  out->blocked = v.blocked() ? 1 : 0;
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
