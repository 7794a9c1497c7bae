// Turns policy text into exactly one parsed YAML document, after bounding
// what reaches yaml-cpp: size, encoding and nesting depth. For the policy
// loader only; failures throw yaml::LoadError (see yaml_reader.h).
#ifndef AGENTOS_POLICIES_YAML_DOCUMENT_H_
#define AGENTOS_POLICIES_YAML_DOCUMENT_H_

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string_view>

#include "policies/yaml_reader.h"

namespace agentos::yaml {

// Policy files are small; anything larger is refused before parsing.
inline constexpr std::size_t kMaxPolicyBytes = 1 << 20;
// The schema needs three levels of flow nesting ({policies: [{deny: [..]}]});
// yaml-cpp recurses once per level, so deeper text is refused unparsed.
inline constexpr int kMaxFlowDepth = 32;

// Fails on: text over kMaxPolicyBytes, a NUL byte or invalid UTF-8, flow
// nesting deeper than kMaxFlowDepth, a YAML syntax error, no document
// (empty or only comments), or more than one document. The result may be
// of any node type; the caller checks that it is a mapping.
YAML::Node ParseOneDocument(const Source& source, std::string_view text);

}  // namespace agentos::yaml

#endif  // AGENTOS_POLICIES_YAML_DOCUMENT_H_
