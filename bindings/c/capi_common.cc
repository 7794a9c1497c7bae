// agentos.h: version, error messages and the plumbing shared by every part.
#include <string>

#include "capi_internal.h"

namespace agentos::capi {
namespace {
thread_local std::string t_last_error;
}

int Fail(int code, std::string_view msg) {
  try {
    t_last_error.assign(msg.data(), msg.size());
  } catch (...) {
    // Keep the code even when the message cannot be stored.
  }
  return code;
}

void ClearError() { t_last_error.clear(); }

const char* LastError() { return t_last_error.c_str(); }

int FromStatus(const Status& status) {
  if (status.ok()) return AGENTOS_OK;
  int code = AGENTOS_ERROR;
  switch (status.code()) {
    case Status::Code::kOk: return AGENTOS_OK;
    case Status::Code::kInvalidArgument: code = AGENTOS_INVALID; break;
    case Status::Code::kParseError: code = AGENTOS_PARSE; break;
    case Status::Code::kIoError: code = AGENTOS_IO; break;
    case Status::Code::kState: code = AGENTOS_STATE; break;
    case Status::Code::kNotFound: code = AGENTOS_NOTFOUND; break;
    case Status::Code::kInternal: code = AGENTOS_INTERNAL; break;
  }
  return Fail(code, status.message());
}

}  // namespace agentos::capi

extern "C" {

#define AGENTOS_STRINGIFY_(x) #x
#define AGENTOS_STRINGIFY(x) AGENTOS_STRINGIFY_(x)
AGENTOS_API const char* agentos_version(void) {
  return AGENTOS_STRINGIFY(AGENTOS_VERSION_MAJOR) "." AGENTOS_STRINGIFY(AGENTOS_VERSION_MINOR) "." AGENTOS_STRINGIFY(
      AGENTOS_VERSION_PATCH);
}
AGENTOS_API int agentos_version_number(void) { return AGENTOS_VERSION_NUMBER; }
AGENTOS_API const char* agentos_errmsg(void) { return agentos::capi::LastError(); }

AGENTOS_API const char* agentos_errstr(int code) {
  switch (code) {
    case AGENTOS_OK: return "AGENTOS_OK";
    case AGENTOS_ERROR: return "AGENTOS_ERROR";
    case AGENTOS_INVALID: return "AGENTOS_INVALID";
    case AGENTOS_PARSE: return "AGENTOS_PARSE";
    case AGENTOS_IO: return "AGENTOS_IO";
    case AGENTOS_STATE: return "AGENTOS_STATE";
    case AGENTOS_NOTFOUND: return "AGENTOS_NOTFOUND";
    case AGENTOS_NOMEM: return "AGENTOS_NOMEM";
    case AGENTOS_INTERNAL: return "AGENTOS_INTERNAL";
    default: return "AGENTOS_UNKNOWN";
  }
}

}
