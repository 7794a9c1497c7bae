#include "policies/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace agentos::yaml {
namespace {

// yaml-cpp tags: "?" for a plain scalar or an untagged collection, "!" for a
// quoted scalar, "" for null; anything else came from an explicit tag
// (!!str, !!int, !custom), which the schema does not use.
bool IsPlain(const YAML::Node& n) { return n.Tag() == "?"; }
bool IsQuoted(const YAML::Node& n) { return n.Tag() == "!"; }

void RejectExplicitTag(const Source& source, const Field& field) {
  const std::string& tag = field.value.Tag();
  if (!tag.empty() && tag != "?" && tag != "!") {
    source.Fail(field.value_mark(), "'" + field.key + "': explicit YAML tag '" + tag +
                                        "' is not part of the policy schema; remove it");
  }
}

std::string Shorten(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMax) out += "...";
  return out;
}

std::string JoinKeys(std::span<const std::string_view> keys) {
  std::string out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    out += keys[i];
  }
  return out;
}

// The scalar text of `field`'s value, or a failure saying what was expected.
const std::string& RequireScalar(const Source& source, const Field& field, std::string_view expected) {
  RejectExplicitTag(source, field);
  if (!field.value.IsScalar()) {
    source.Fail(field.value_mark(), "'" + field.key + "' must be " + std::string(expected) + ", got " +
                                        Describe(field.value));
  }
  return field.value.Scalar();
}

}  // namespace

std::string Source::Where(const YAML::Mark& mark) const {
  // A null mark (yaml-cpp had no position) reads as the start of the text.
  const int line = mark.line < 0 ? 1 : mark.line + 1;
  const int column = mark.column < 0 ? 1 : mark.column + 1;
  return name_ + ":" + std::to_string(line) + ":" + std::to_string(column);
}

void Source::Fail(const YAML::Mark& mark, std::string_view what, Status::Code code) const {
  std::string msg = Where(mark) + ": " + std::string(what);
  switch (code) {
    case Status::Code::kInvalidArgument: throw LoadError{Status::InvalidArgument(std::move(msg))};
    case Status::Code::kIoError: throw LoadError{Status::IoError(std::move(msg))};
    case Status::Code::kState: throw LoadError{Status::StateError(std::move(msg))};
    case Status::Code::kNotFound: throw LoadError{Status::NotFound(std::move(msg))};
    case Status::Code::kInternal: throw LoadError{Status::Internal(std::move(msg))};
    case Status::Code::kOk:
    case Status::Code::kParseError: break;
  }
  throw LoadError{Status::ParseError(std::move(msg))};
}

YAML::Mark Field::value_mark() const { return value.IsNull() ? key_node.Mark() : value.Mark(); }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return "no value (null)";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: break;
  }
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "'" + string.
  const bool quoted = IsQuoted(node);
  std::string out = quoted ? "the quoted string \"" : "'";
  out += Shorten(node.Scalar());
  out += quoted ? "\"" : "'";
  return out;
}

Mapping::Mapping(const Source& source, const YAML::Node& node, std::string_view what)
    : source_(source), node_(node), what_(what) {
  if (!node.IsMap()) {
    source.Fail(node.Mark(), what_ + " must be a mapping (key: value lines), got " + Describe(node));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    if (!key.IsScalar() || !(IsPlain(key) || IsQuoted(key))) {
      source.Fail(key.Mark(), "keys in " + what_ + " must be plain strings, got " + Describe(key));
    }
    for (const Field& seen : fields_) {
      if (seen.key == key.Scalar()) {
        source.Fail(key.Mark(), "duplicate key '" + Shorten(key.Scalar()) + "' in " + what_ +
                                    " (first at " + source.Where(seen.key_node.Mark()) + ")");
      }
    }
    fields_.push_back(Field{key.Scalar(), key, it->second});
  }
}

void Mapping::RejectUnknownKeys(std::span<const std::string_view> valid) const {
  for (const Field& f : fields_) {
    bool known = false;
    for (std::string_view k : valid) known = known || f.key == k;
    if (!known) {
      source_.Fail(f.key_node.Mark(), "unknown key '" + Shorten(f.key) + "' in " + what_ + "; valid keys: " + JoinKeys(valid));
    }
  }
}

const Field* Mapping::Find(std::string_view key) const {
  for (const Field& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

const Field& Mapping::Require(std::string_view key) const {
  const Field* f = Find(key);
  if (f == nullptr) source_.Fail(node_.Mark(), what_ + " is missing required key '" + std::string(key) + "'");
  return *f;
}

std::string ReadString(const Source& source, const Field& field) {
  const std::string& text = RequireScalar(source, field, "a string");
  if (text.empty()) source.Fail(field.value_mark(), "'" + field.key + "' must not be an empty string");
  return text;
}

bool ReadBool(const Source& source, const Field& field) {
  const std::string& text = RequireScalar(source, field, "a boolean (true or false)");
  // YAML 1.1 also reads yes/no/on/off/True/TRUE as booleans; this schema
  // accepts only the two spellings nobody can misread, and never a quoted one.
  if (IsPlain(field.value)) {
    if (text == "true") return true;
    if (text == "false") return false;
  }
  source.Fail(field.value_mark(),
              "'" + field.key + "' must be a boolean (true or false), got " + Describe(field.value));
}

namespace {

// A plain decimal scalar that is a finite number: from_chars alone would
// also take "inf", "nan" and "infinity", hence the character check.
bool ParseFiniteNumber(const Field& field, const std::string& text, double* value) {
  if (!IsPlain(field.value) || text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
    if (!ok) return false;
  }
  const char* end = text.data() + text.size();
  auto res = std::from_chars(text.data(), end, *value, std::chars_format::general);
  return res.ec == std::errc() && res.ptr == end && std::isfinite(*value);
}

}  // namespace

double ReadNumber(const Source& source, const Field& field) {
  const std::string& text = RequireScalar(source, field, "a number");
  double value = 0;
  if (!ParseFiniteNumber(field, text, &value)) {
    source.Fail(field.value_mark(), "'" + field.key + "' must be a finite number, got " + Describe(field.value));
  }
  return value == 0 ? 0.0 : value;  // -0 reads as 0
}

double ReadNonNegativeNumber(const Source& source, const Field& field) {
  const std::string& text = RequireScalar(source, field, "a number");
  double value = 0;
  if (!ParseFiniteNumber(field, text, &value)) {
    source.Fail(field.value_mark(),
                "'" + field.key + "' must be a finite number >= 0, got " + Describe(field.value));
  }
  if (value < 0) {
    source.Fail(field.value_mark(), "'" + field.key + "' must be >= 0, got " + text);
  }
  return value == 0 ? 0.0 : value;  // -0 reads as 0
}

std::int64_t ReadInteger(const Source& source, const Field& field, std::int64_t min, std::int64_t max) {
  const std::string& text = RequireScalar(source, field, "an integer");
  std::int64_t value = 0;
  bool parsed = false;
  if (IsPlain(field.value) && !text.empty()) {
    const char* end = text.data() + text.size();
    auto res = std::from_chars(text.data(), end, value, 10);
    parsed = res.ec == std::errc() && res.ptr == end;
    if (res.ec == std::errc::result_out_of_range && res.ptr == end) {
      source.Fail(field.value_mark(), "'" + field.key + "' is out of range: " + Shorten(text));
    }
  }
  if (!parsed) {
    source.Fail(field.value_mark(), "'" + field.key + "' must be an integer, got " + Describe(field.value));
  }
  if (value < min || value > max) {
    source.Fail(field.value_mark(), "'" + field.key + "' must be between " + std::to_string(min) + " and " +
                                        std::to_string(max) + ", got " + text);
  }
  return value;
}

Severity ReadSeverity(const Source& source, const Field& field) {
  const std::string& text = RequireScalar(source, field, "a severity");
  if (auto s = ParseSeverity(text)) return *s;
  source.Fail(field.value_mark(), "'" + field.key + "' must be one of low, medium, high, critical; got " +
                                      Describe(field.value));
}

std::vector<Scalar> ReadStringList(const Source& source, const Field& field, bool allow_empty) {
  RejectExplicitTag(source, field);
  if (!field.value.IsSequence()) {
    source.Fail(field.value_mark(), "'" + field.key + "' must be a list (e.g. [a, b]), got " +
                                        Describe(field.value));
  }
  std::vector<Scalar> out;
  for (const YAML::Node& item : field.value) {
    const std::string& tag = item.Tag();
    if (!item.IsScalar() || !(tag == "?" || tag == "!")) {
      source.Fail(item.Mark(), "'" + field.key + "' must hold only strings, got " + Describe(item));
    }
    if (item.Scalar().empty()) {
      source.Fail(item.Mark(), "'" + field.key + "' holds an empty string");
    }
    out.push_back(Scalar{item.Scalar(), item.Mark()});
  }
  if (out.empty() && !allow_empty) {
    source.Fail(field.value_mark(), "'" + field.key + "' must not be an empty list");
  }
  return out;
}

}  // namespace agentos::yaml
