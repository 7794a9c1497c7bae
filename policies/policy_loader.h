// Loads a kernel from a YAML policy file (schema: examples/policies/README.md).
// Every key is enforced or rejected: unknown keys, wrong types and bad values
// are errors naming the source, line and column.
#ifndef AGENTOS_POLICIES_POLICY_LOADER_H_
#define AGENTOS_POLICIES_POLICY_LOADER_H_

#include <memory>
#include <string>
#include <string_view>

#include "kernel/kernel_space.h"
#include "kernel/status.h"

namespace agentos {

// `source_name` is used in error messages ("policy.yaml:3:5: ...").
Status LoadKernelFromYaml(std::string_view yaml_text, std::string_view source_name,
                          std::shared_ptr<const KernelSpace>* out);
Status LoadKernelFromFile(const std::string& path, std::shared_ptr<const KernelSpace>* out);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_POLICY_LOADER_H_
