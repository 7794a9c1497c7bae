#include "policies/yaml_policy_builder.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "kernel/decision.h"
#include "policies/content_policy.h"
#include "policies/cost_control_policy.h"
#include "policies/numeric_policy.h"
#include "policies/sql/statement_kind.h"
#include "policies/sql_policy.h"
#include "policies/tool_policy.h"

namespace agentos::yaml {
namespace {

constexpr std::size_t kMaxNameLength = 64;

constexpr std::array<std::string_view, 9> kSqlKeys = {
    "name", "type", "agents", "allow", "deny", "require_where_on_update", "require_where_on_delete",
    "severities", "max_length"};
constexpr std::array<std::string_view, 7> kCostKeys = {
    "name", "type", "agents", "max_cost_usd", "max_cost_per_action_usd", "max_tokens", "severity"};
constexpr std::array<std::string_view, 7> kToolKeys = {"name",  "type",      "agents", "allow",
                                                       "deny",  "max_calls", "severity"};
constexpr std::array<std::string_view, 6> kContentKeys = {"name", "type",  "agents",
                                                          "deny", "kinds", "severity"};
constexpr std::array<std::string_view, 5> kNumericKeys = {"name", "type", "agents", "rules", "severity"};
constexpr std::array<std::string_view, 6> kNumericRuleKeys = {"action_index", "action_min", "action_max",
                                                              "state_index",  "above",      "below"};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string ReadPolicyName(const Source& source, const Field& field) {
  std::string name = ReadString(source, field);
  bool ok = name.size() <= kMaxNameLength;
  for (char c : name) ok = ok && IsNameChar(c);
  if (!ok) {
    source.Fail(field.value_mark(), "policy name must be 1 to 64 characters from A-Z a-z 0-9 _ . -; got " +
                                        Describe(field.value));
  }
  if (name == kKernelPolicyName) {
    source.Fail(field.value_mark(), "policy name 'kernel' is reserved for the kernel's own violations");
  }
  return name;
}

std::string ToUpperAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// "SELECT, INSERT, ...": every kind a policy file may name, for the error
// that meets a name that is none of them.
std::string StatementKindList() {
  std::string list;
  for (int i = 0; i < sql::kKindCount; ++i) {
    const auto kind = static_cast<sql::Kind>(i);
    if (kind == sql::Kind::kUnknown) continue;
    if (!list.empty()) list += ", ";
    list += sql::KindName(kind);
  }
  return list;
}

// Statement kinds are written in any case and kept in upper case.
std::vector<std::string> ReadStatementKinds(const Source& source, const Field& field) {
  std::vector<std::string> kinds;
  for (const Scalar& item : ReadStringList(source, field, /*allow_empty=*/true)) {
    std::string kind = ToUpperAscii(item.text);
    if (!IsSqlStatementKindName(kind)) {
      source.Fail(item.mark, "unknown SQL statement kind '" + item.text + "' in '" + field.key +
                                 "' (expected one of " + StatementKindList() + ")");
    }
    kinds.push_back(std::move(kind));
  }
  return kinds;
}

std::vector<std::string> Texts(const std::vector<Scalar>& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const Scalar& s : items) out.push_back(s.text);
  return out;
}

// An explicit empty allow list reads as "allow nothing" to a person but
// means "no allow list" to the policy; refuse it rather than guess.
void RejectEmptyAllow(const Source& source, const Field* allow, std::string_view what) {
  if (allow != nullptr && allow->value.IsSequence() && allow->value.size() == 0) {
    source.Fail(allow->value_mark(), "'allow: []' is ambiguous; omit 'allow' to allow every " +
                                         std::string(what) + " not denied, or deny ['*'] to deny all");
  }
}

std::unique_ptr<Policy> Finish(const Source& source, const Mapping& entry, Status status,
                               std::unique_ptr<Policy> policy) {
  if (!status.ok()) source.Fail(entry.mark(), status.message(), status.code());
  return policy;
}

std::unique_ptr<Policy> BuildSql(const Source& source, const Mapping& entry, std::string name) {
  SqlPolicyConfig config;
  const Field* allow = entry.Find("allow");
  const Field* deny = entry.Find("deny");
  RejectEmptyAllow(source, allow, "statement kind");
  if (allow) config.allow = ReadStatementKinds(source, *allow);
  if (deny) config.deny = ReadStatementKinds(source, *deny);
  // No deny key: the analyzer's default list of destructive kinds (minus
  // what allow names), as for SQLPolicy() in Python. `deny: []` turns it off.
  config.use_default_deny = deny == nullptr;
  if (const Field* f = entry.Find("require_where_on_update")) config.require_where_on_update = ReadBool(source, *f);
  if (const Field* f = entry.Find("require_where_on_delete")) config.require_where_on_delete = ReadBool(source, *f);
  if (const Field* f = entry.Find("max_length")) {
    config.max_length = static_cast<std::size_t>(
        ReadInteger(source, *f, 1, std::numeric_limits<std::int64_t>::max()));
  }
  if (const Field* f = entry.Find("severities")) {
    Mapping severities(source, f->value, "'severities'");
    for (const Field& s : severities.fields()) {
      std::string key = s.key;
      if (!IsSqlRuleId(key)) {
        key = ToUpperAscii(key);
        if (!IsSqlStatementKindName(key)) {
          source.Fail(s.key_node.Mark(), "'severities' key '" + s.key +
                                             "' is neither a SQL statement kind nor a SQL rule id");
        }
      }
      if (config.severities.count(key)) {
        source.Fail(s.key_node.Mark(), "'severities' names '" + key + "' twice");
      }
      config.severities[key] = ReadSeverity(source, s);
    }
  }
  std::unique_ptr<Policy> policy;
  Status status = MakeSqlPolicy(std::move(name), config, &policy);
  return Finish(source, entry, std::move(status), std::move(policy));
}

std::unique_ptr<Policy> BuildCost(const Source& source, const Mapping& entry, std::string name) {
  CostControlPolicyConfig config;
  if (const Field* f = entry.Find("max_cost_usd")) config.max_cost_usd = ReadNonNegativeNumber(source, *f);
  if (const Field* f = entry.Find("max_cost_per_action_usd")) {
    config.max_cost_per_action_usd = ReadNonNegativeNumber(source, *f);
  }
  if (const Field* f = entry.Find("max_tokens")) {
    config.max_tokens = ReadInteger(source, *f, 0, std::numeric_limits<std::int64_t>::max());
  }
  if (const Field* f = entry.Find("severity")) config.severity = ReadSeverity(source, *f);
  std::unique_ptr<Policy> policy;
  Status status = MakeCostControlPolicy(std::move(name), config, &policy);
  return Finish(source, entry, std::move(status), std::move(policy));
}

std::unique_ptr<Policy> BuildTool(const Source& source, const Mapping& entry, std::string name) {
  ToolPolicyConfig config;
  const Field* allow = entry.Find("allow");
  RejectEmptyAllow(source, allow, "tool");
  if (allow) config.allow = Texts(ReadStringList(source, *allow, /*allow_empty=*/true));
  if (const Field* f = entry.Find("deny")) config.deny = Texts(ReadStringList(source, *f, /*allow_empty=*/true));
  if (const Field* f = entry.Find("max_calls")) {
    config.max_calls = static_cast<std::uint32_t>(
        ReadInteger(source, *f, 0, std::numeric_limits<std::uint32_t>::max()));
  }
  if (const Field* f = entry.Find("severity")) config.severity = ReadSeverity(source, *f);
  std::unique_ptr<Policy> policy;
  Status status = MakeToolPolicy(std::move(name), config, &policy);
  return Finish(source, entry, std::move(status), std::move(policy));
}

std::unique_ptr<Policy> BuildContent(const Source& source, const Mapping& entry, std::string name,
                                     PatternBudget* patterns) {
  ContentPolicyConfig config;
  for (const Scalar& pattern : ReadStringList(source, entry.Require("deny"), /*allow_empty=*/false)) {
    if (Status s = ValidateContentPattern(pattern.text, patterns); !s.ok()) {
      source.Fail(pattern.mark, "'deny': " + s.message());
    }
    config.deny.push_back(pattern.text);
  }
  if (const Field* f = entry.Find("kinds")) {
    for (const Scalar& item : ReadStringList(source, *f, /*allow_empty=*/false)) {
      auto kind = ParseActionKind(item.text);
      if (!kind) {
        source.Fail(item.mark, "unknown action kind '" + item.text +
                                   "' in 'kinds'; valid kinds: sql, tool_call, spend, message, numeric");
      }
      config.kinds.push_back(*kind);
    }
  }
  if (const Field* f = entry.Find("severity")) config.severity = ReadSeverity(source, *f);
  std::unique_ptr<Policy> policy;
  Status status = MakeContentPolicy(std::move(name), config, &policy);
  return Finish(source, entry, std::move(status), std::move(policy));
}

NumericRule ReadNumericRule(const Source& source, const YAML::Node& node, std::size_t index) {
  Mapping m(source, node, "numeric rule " + std::to_string(index));
  m.RejectUnknownKeys(kNumericRuleKeys);
  NumericRule rule;
  rule.action_min = ReadNumber(source, m.Require("action_min"));
  rule.action_max = ReadNumber(source, m.Require("action_max"));
  const auto max_index = static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max());
  if (const Field* f = m.Find("action_index")) {
    rule.action_index = static_cast<std::uint32_t>(ReadInteger(source, *f, 0, max_index));
  }
  if (const Field* f = m.Find("above")) rule.above = ReadNumber(source, *f);
  if (const Field* f = m.Find("below")) rule.below = ReadNumber(source, *f);
  if (const Field* f = m.Find("state_index")) {
    if (!rule.above && !rule.below) source.Fail(f->value_mark(), "'state_index' needs 'above' or 'below'");
    rule.state_index = static_cast<std::uint32_t>(ReadInteger(source, *f, 0, max_index));
  }
  return rule;
}

std::unique_ptr<Policy> BuildNumeric(const Source& source, const Mapping& entry, std::string name) {
  NumericPolicyConfig config;
  const Field& rules = entry.Require("rules");
  if (!rules.value.IsSequence() || rules.value.size() == 0) {
    source.Fail(rules.value_mark(), "'rules' must be a non-empty list, got " + Describe(rules.value));
  }
  std::size_t i = 0;
  for (const YAML::Node& item : rules.value) config.rules.push_back(ReadNumericRule(source, item, i++));
  if (const Field* f = entry.Find("severity")) config.severity = ReadSeverity(source, *f);
  std::unique_ptr<Policy> policy;
  Status status = MakeNumericPolicy(std::move(name), config, &policy);
  return Finish(source, entry, std::move(status), std::move(policy));
}

}  // namespace

BuiltPolicy BuildPolicy(const Source& source, const YAML::Node& node, PatternBudget* patterns) {
  Mapping entry(source, node, "a policy");
  const Field& name_field = entry.Require("name");
  std::string name = ReadPolicyName(source, name_field);
  entry.set_what("policy '" + name + "'");
  const Field& type_field = entry.Require("type");
  const std::string type = ReadString(source, type_field);

  std::span<const std::string_view> keys;
  if (type == "sql") {
    keys = kSqlKeys;
  } else if (type == "cost") {
    keys = kCostKeys;
  } else if (type == "tool") {
    keys = kToolKeys;
  } else if (type == "content") {
    keys = kContentKeys;
  } else if (type == "numeric") {
    keys = kNumericKeys;
  } else {
    source.Fail(type_field.value_mark(),
                "'type' must be one of sql, cost, tool, content, numeric; got " + Describe(type_field.value));
  }
  entry.set_what(type + " policy '" + name + "'");
  entry.RejectUnknownKeys(keys);

  std::vector<std::string> agents;
  if (const Field* f = entry.Find("agents")) agents = Texts(ReadStringList(source, *f, /*allow_empty=*/false));

  BuiltPolicy built;
  built.name_mark = name_field.value_mark();
  if (type == "sql") {
    built.policy = BuildSql(source, entry, std::move(name));
  } else if (type == "cost") {
    built.policy = BuildCost(source, entry, std::move(name));
  } else if (type == "tool") {
    built.policy = BuildTool(source, entry, std::move(name));
  } else if (type == "numeric") {
    built.policy = BuildNumeric(source, entry, std::move(name));
  } else {
    built.policy = BuildContent(source, entry, std::move(name), patterns);
  }
  built.policy->set_agent_scope(std::move(agents));
  return built;
}

}  // namespace agentos::yaml
