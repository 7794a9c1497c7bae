// Builds one policy from its entry in a YAML policy file's `policies` list
// (schema: examples/policies/README.md). For the policy loader only;
// failures throw yaml::LoadError (see yaml_reader.h).
#ifndef AGENTOS_POLICIES_YAML_POLICY_BUILDER_H_
#define AGENTOS_POLICIES_YAML_POLICY_BUILDER_H_

#include <yaml-cpp/yaml.h>

#include <memory>

#include "kernel/policy.h"
#include "policies/yaml_reader.h"

namespace agentos::yaml {

struct BuiltPolicy {
  std::unique_ptr<Policy> policy;
  YAML::Mark name_mark;  // where its name was written, for duplicate-name errors
};

BuiltPolicy BuildPolicy(const Source& source, const YAML::Node& entry);

}  // namespace agentos::yaml

#endif  // AGENTOS_POLICIES_YAML_POLICY_BUILDER_H_
