// The policy file's top level: version, mode, allow_all, policies. One policy
// entry is built by yaml_policy_builder.cc; text limits and the YAML parse are
// in yaml_document.cc.
#include "policies/policy_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "policies/yaml_document.h"
#include "policies/yaml_policy_builder.h"
#include "policies/yaml_reader.h"

namespace agentos {
namespace {

constexpr std::array<std::string_view, 4> kTopLevelKeys = {"version", "mode", "allow_all", "policies"};

EnforcementMode ReadMode(const yaml::Source& source, const yaml::Field& field) {
  const std::string mode = yaml::ReadString(source, field);
  if (mode == "enforce") return EnforcementMode::kEnforce;
  if (mode == "audit") return EnforcementMode::kAudit;
  source.Fail(field.value_mark(), "'mode' must be enforce or audit; got " + yaml::Describe(field.value));
}

std::shared_ptr<const KernelSpace> BuildKernel(const yaml::Source& source, const YAML::Node& document) {
  yaml::Mapping top(source, document, "the policy file");
  top.RejectUnknownKeys(kTopLevelKeys);

  const yaml::Field& version = top.Require("version");
  if (yaml::ReadInteger(source, version, std::numeric_limits<std::int64_t>::min(),
                          std::numeric_limits<std::int64_t>::max()) != 1) {
    source.Fail(version.value_mark(),
                "unsupported version " + version.value.Scalar() + "; this agentos reads version 1");
  }
  EnforcementMode mode = EnforcementMode::kEnforce;
  if (const yaml::Field* f = top.Find("mode")) mode = ReadMode(source, *f);
  bool allow_all = false;
  if (const yaml::Field* f = top.Find("allow_all")) allow_all = yaml::ReadBool(source, *f);

  const yaml::Field* policies = top.Find("policies");
  if (allow_all) {
    if (policies != nullptr && !(policies->value.IsSequence() && policies->value.size() == 0)) {
      source.Fail(policies->key_node.Mark(),
                  "'allow_all: true' builds a kernel that allows everything, so 'policies' must be "
                  "absent or empty; remove the policies or set allow_all: false");
    }
    return KernelSpace::AllowAll();
  }
  if (policies == nullptr) {
    source.Fail(top.mark(), "the policy file is missing required key 'policies' (a kernel with no "
                            "policies must be asked for with 'allow_all: true')");
  }
  if (!policies->value.IsSequence()) {
    source.Fail(policies->value_mark(), "'policies' must be a list of policies, got " +
                                            yaml::Describe(policies->value));
  }
  if (policies->value.size() == 0) {
    source.Fail(policies->value_mark(), "'policies' is empty; a kernel with no policies must be asked "
                                        "for with 'allow_all: true'");
  }

  std::vector<std::unique_ptr<Policy>> built;
  std::vector<YAML::Mark> name_marks;
  PatternBudget patterns;  // one kernel's deny patterns, across its content policies
  for (const YAML::Node& entry : policies->value) {
    yaml::BuiltPolicy p = yaml::BuildPolicy(source, entry, &patterns);
    for (std::size_t i = 0; i < built.size(); ++i) {
      if (built[i]->name() == p.policy->name()) {
        source.Fail(p.name_mark, "duplicate policy name '" + p.policy->name() + "' (first at " +
                                     source.Where(name_marks[i]) + ")");
      }
    }
    built.push_back(std::move(p.policy));
    name_marks.push_back(p.name_mark);
  }
  std::shared_ptr<const KernelSpace> kernel;
  Status status = KernelSpace::Create(std::move(built), mode, &kernel);
  if (!status.ok()) source.Fail(top.mark(), status.message(), status.code());
  return kernel;
}

}  // namespace

Status LoadKernelFromYaml(std::string_view yaml_text, std::string_view source_name,
                          std::shared_ptr<const KernelSpace>* out) {
  if (out == nullptr) return Status::InvalidArgument("LoadKernelFromYaml: out is null");
  const yaml::Source source(source_name);
  try {
    YAML::Node document = yaml::ParseOneDocument(source, yaml_text);
    std::shared_ptr<const KernelSpace> kernel = BuildKernel(source, document);
    *out = std::move(kernel);
    return Status::Ok();
  } catch (const yaml::LoadError& e) {
    return e.status;
  } catch (const std::bad_alloc&) {
    return Status::Internal(source.name() + ":1:1: out of memory while loading policies");
  } catch (const std::exception& e) {
    return Status::Internal(source.name() + ":1:1: unexpected error while loading policies: " + e.what());
  } catch (...) {
    return Status::Internal(source.name() + ":1:1: unexpected error while loading policies");
  }
}

Status LoadKernelFromFile(const std::string& path, std::shared_ptr<const KernelSpace>* out) {
  if (out == nullptr) return Status::InvalidArgument("LoadKernelFromFile: out is null");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IoError("cannot open policy file '" + path + "': " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Status::IoError("cannot stat policy file '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::IoError("policy file '" + path + "' is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > yaml::kMaxPolicyBytes) {
    return Status::IoError("policy file '" + path + "' is " + std::to_string(st.st_size) +
                           " bytes; the limit is " + std::to_string(yaml::kMaxPolicyBytes) + " (1 MiB)");
  }
  // Read one byte past the limit, so a file that grows after fstat is caught.
  std::string text(yaml::kMaxPolicyBytes + 1, '\0');
  std::size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("cannot read policy file '" + path + "': " + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > yaml::kMaxPolicyBytes) {
    return Status::IoError("policy file '" + path + "' is larger than the limit of " +
                           std::to_string(yaml::kMaxPolicyBytes) + " bytes (1 MiB)");
  }
  text.resize(used);
  return LoadKernelFromYaml(text, path, out);
}

}  // namespace agentos
