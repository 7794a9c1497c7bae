#include "bindings/cli/cli_common.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "policies/policy_loader.h"

namespace agentos::cli {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                                     ParsedArgs* out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out->help = true;
      continue;
    }
    if (a.size() < 2 || a[0] != '-') {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a;
    std::optional<std::string> value;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) return "unknown option '" + a + "'";
    if (!spec->takes_value) {
      if (value) return name + " takes no value";
    } else if (!value) {
      if (i + 1 == args.size()) return name + " needs a value";
      value = args[++i];
    }
    if (spec->takes_value && value->empty()) return name + " needs a non-empty value";
    if (out->has(name)) return name + " given twice";
    out->values[name] = value.value_or("");
  }
  return std::nullopt;
}

int UsageError(Io io, std::string_view command, std::string_view message) {
  io.err << "agentos " << command << ": " << message << "\n"
         << "try 'agentos " << command << " --help'\n";
  return kExitUsage;
}

int LoadPolicy(Io io, std::string_view command, const std::string& path, std::shared_ptr<const KernelSpace>* out) {
  Status st = LoadKernelFromFile(path, out);
  if (st.ok() && *out) return -1;
  std::string msg = st.ok() ? "no kernel" : st.message();
  // Every error names the file, even if the loader's message does not.
  if (msg.find(path) == std::string::npos) msg = path + ": " + msg;
  const bool unreadable = st.code() == Status::Code::kIoError || st.code() == Status::Code::kNotFound;
  // An invalid file's message starts FILE:LINE:COLUMN, as a compiler's does,
  // so editors can jump to it; a file that could not be read is the tool's
  // complaint.
  if (unreadable) io.err << "agentos " << command << ": ";
  io.err << msg << "\n";
  return unreadable ? kExitUsage : kExitInvalid;
}

Status OpenInputFile(const std::string& path, std::ifstream* file) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::IoError("cannot open input '" + path + "': " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return Status::IoError("input '" + path + "' is a directory");
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
    return Status::IoError("input '" + path + "' is not a file, pipe or character device");
  }
  file->open(path, std::ios::binary);
  if (!*file) return Status::IoError("cannot open input '" + path + "': " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace agentos::cli
