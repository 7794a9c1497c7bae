#include "kernel/status.h"

namespace agentos {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: name = "invalid argument"; break;
    case Code::kParseError: name = "parse error"; break;
    case Code::kIoError: name = "I/O error"; break;
    case Code::kState: name = "state error"; break;
    case Code::kNotFound: name = "not found"; break;
    case Code::kInternal: name = "internal error"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace agentos
