// Status: the result of an operation that can fail, LevelDB style.
// Cheap when OK (no allocation); carries a code and a message otherwise.
#ifndef AGENTOS_KERNEL_STATUS_H_
#define AGENTOS_KERNEL_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace agentos {

class Status {
 public:
  enum class Code : int {
    kOk = 0,
    kInvalidArgument = 1,  // the caller passed something malformed
    kParseError = 2,       // a policy file or document could not be understood
    kIoError = 3,          // a file or database could not be read or written
    kState = 4,            // the call is not valid in the object's current state
    kNotFound = 5,
    kInternal = 6,         // a bug or an unexpected exception; never silently ignored
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status ParseError(std::string msg) { return Status(Code::kParseError, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status StateError(std::string msg) { return Status(Code::kState, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_STATUS_H_
