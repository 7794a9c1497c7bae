// Builds one policy from its entry in a YAML policy file's `policies` list
// (schema: examples/policies/README.md). For the policy loader only;
// failures throw yaml::LoadError (see yaml_reader.h).
#ifndef AGENTOS_POLICIES_YAML_POLICY_BUILDER_H_
#define AGENTOS_POLICIES_YAML_POLICY_BUILDER_H_

#include <yaml-cpp/yaml.h>

#include <memory>

#include "kernel/policy.h"
#include "policies/content_policy.h"
#include "policies/yaml_reader.h"

namespace agentos::yaml {

struct BuiltPolicy {
  std::unique_ptr<Policy> policy;
  YAML::Mark name_mark;  // where its name was written, for duplicate-name errors
};

// `patterns` is the compile budget of the whole file: every content
// policy's deny patterns are charged to it.
BuiltPolicy BuildPolicy(const Source& source, const YAML::Node& entry, PatternBudget* patterns);

}  // namespace agentos::yaml

#endif  // AGENTOS_POLICIES_YAML_POLICY_BUILDER_H_
