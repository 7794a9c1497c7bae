// Typed, position-aware reading of a parsed YAML policy document, for the
// policy loader only. Every failure throws LoadError, whose status message is
// "<source>:<line>:<column>: <what>"; LoadKernelFromYaml turns it into its
// return value, so no exception leaves the loader.
//
// Reading is driven by the schema and never walks a document on its own:
// YAML aliases can make a node contain itself, and only the few levels the
// schema names are ever visited.
#ifndef AGENTOS_POLICIES_YAML_READER_H_
#define AGENTOS_POLICIES_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos::yaml {

struct LoadError {
  Status status;
};

// Names the text being loaded in error messages.
class Source {
 public:
  explicit Source(std::string_view name) : name_(name.empty() ? "<yaml>" : name) {}
  const std::string& name() const { return name_; }
  // "<name>:<line>:<column>", 1-based.
  std::string Where(const YAML::Mark& mark) const;
  [[noreturn]] void Fail(const YAML::Mark& mark, std::string_view what,
                         Status::Code code = Status::Code::kParseError) const;

 private:
  std::string name_;
};

// A scalar value with the place it came from, for per-element errors.
struct Scalar {
  std::string text;
  YAML::Mark mark;
};

// One `key: value` pair of a mapping.
struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  // Where an error about the value points: the value, or the key when the
  // value is missing (yaml-cpp places an empty value at the next token).
  YAML::Mark value_mark() const;
};

// A mapping whose keys are checked to be strings, each present once.
class Mapping {
 public:
  // `what` names the mapping in errors ("the policy file", "policy 'x'").
  Mapping(const Source& source, const YAML::Node& node, std::string_view what);

  // Renames the mapping in later errors, once more is known about it.
  void set_what(std::string what) { what_ = std::move(what); }
  // Fails on the first key not in `valid`, naming it and listing `valid`.
  void RejectUnknownKeys(std::span<const std::string_view> valid) const;
  const Field* Find(std::string_view key) const;
  // Fails at the mapping's position when `key` is absent.
  const Field& Require(std::string_view key) const;
  const std::vector<Field>& fields() const { return fields_; }
  YAML::Mark mark() const { return node_.Mark(); }

 private:
  const Source& source_;
  YAML::Node node_;
  std::string what_;
  std::vector<Field> fields_;
};

// How a node looks, for "got ..." in errors: "a list", "'abc'", ...
std::string Describe(const YAML::Node& node);

// Field readers: each fails naming the key, the expected type and what it got.
std::string ReadString(const Source& source, const Field& field);  // any non-empty scalar string
bool ReadBool(const Source& source, const Field& field);            // plain true or false only
double ReadNonNegativeNumber(const Source& source, const Field& field);  // finite, >= 0
double ReadNumber(const Source& source, const Field& field);             // finite
std::int64_t ReadInteger(const Source& source, const Field& field, std::int64_t min,
                         std::int64_t max);
Severity ReadSeverity(const Source& source, const Field& field);
// A list of non-empty strings; an empty list is an error unless allowed.
std::vector<Scalar> ReadStringList(const Source& source, const Field& field, bool allow_empty);

}  // namespace agentos::yaml

#endif  // AGENTOS_POLICIES_YAML_READER_H_
