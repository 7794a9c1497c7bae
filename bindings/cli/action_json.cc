#include "bindings/cli/action_json.h"

#include "kernel/rapidjson.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <istream>
#include <optional>

namespace agentos::cli {
namespace {

enum Field : unsigned {
  kKind = 1u << 0,
  kAgentId = 1u << 1,
  kTool = 1u << 2,
  kSqlField = 1u << 3,
  kPayload = 1u << 4,
  kText = 1u << 5,
  kArgs = 1u << 6,
  kCost = 1u << 7,
  kTokens = 1u << 8,
};

struct FieldName {
  std::string_view name;
  Field field;
};

constexpr FieldName kFields[] = {
    {"kind", kKind},     {"agent_id", kAgentId}, {"tool", kTool}, {"sql", kSqlField},   {"payload", kPayload},
    {"text", kText},     {"args", kArgs},        {"cost_usd", kCost}, {"tokens", kTokens},
};

constexpr unsigned kTextFields = kSqlField | kPayload | kText | kArgs;

std::string Quoted(std::string_view name) {
  std::string q;
  q.reserve(name.size() + 2);
  q.push_back('"');
  q.append(name);
  q.push_back('"');
  return q;
}

Status Error(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

std::string_view StringOf(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Depth of nested arrays/objects, counted only up to limit + 1 so the
// recursion is bounded whatever the input.
int Depth(const rapidjson::Value& v, int limit) {
  if (limit < 0) return 1;
  int deepest = 0;
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) deepest = std::max(deepest, Depth(e, limit - 1));
    return deepest + 1;
  }
  if (v.IsObject()) {
    // Iterators compared with < : RapidJSON's != is ambiguous under C++20.
    for (auto m = v.MemberBegin(), end = v.MemberEnd(); m < end; ++m) {
      deepest = std::max(deepest, Depth(m->value, limit - 1));
    }
    return deepest + 1;
  }
  return 0;
}

// The kind a payload field implies, if any.
std::optional<ActionKind> ImpliedKind(unsigned seen) {
  if (seen & kSqlField) return ActionKind::kSql;
  if (seen & kArgs) return ActionKind::kToolCall;
  if (seen & kText) return ActionKind::kMessage;
  if (seen & kTool) return ActionKind::kToolCall;
  return std::nullopt;
}

std::string_view FieldOf(unsigned seen) {
  if (seen & kSqlField) return "sql";
  if (seen & kArgs) return "args";
  if (seen & kText) return "text";
  return "tool";
}

}  // namespace

Action JsonAction::view() const {
  Action a;
  a.kind = kind;
  a.agent_id = agent_id;
  a.tool = tool;
  a.payload = payload;
  a.cost_usd = cost_usd;
  a.tokens = tokens;
  return a;
}

Status ParseActionJson(std::string_view line, JsonAction* out) {
  // Iterative parsing: nesting depth costs heap, not stack.
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
                              rapidjson::kParseFullPrecisionFlag;
  // RapidJSON reads a NUL byte as the end of the text, which would hide what
  // follows it; JSON never needs a raw NUL (strings write \u0000).
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    return Error("invalid JSON at column " +
                 std::to_string(static_cast<const char*>(nul) - line.data() + 1) + ": raw NUL byte");
  }
  rapidjson::Document doc;
  doc.Parse<kFlags>(line.data(), line.size());
  if (doc.HasParseError()) {
    return Error("invalid JSON at column " + std::to_string(doc.GetErrorOffset() + 1) + ": " +
                 rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Error("an action must be a JSON object");

  JsonAction a;
  unsigned seen = 0;
  std::string_view payload_field;  // the one of sql/payload/text/args given
  std::optional<ActionKind> kind;
  for (auto member = doc.MemberBegin(), end = doc.MemberEnd(); member < end; ++member) {
    std::string_view key = StringOf(member->name);
    const rapidjson::Value& v = member->value;
    const FieldName* f = std::find_if(std::begin(kFields), std::end(kFields),
                                      [&](const FieldName& fn) { return fn.name == key; });
    if (f == std::end(kFields)) {
      return Error("unknown field " + Quoted(key.substr(0, 64)) +
                   " (expected kind, agent_id, tool, sql, payload, text, args, cost_usd, tokens)");
    }
    if (seen & f->field) return Error("field " + Quoted(key) + " appears twice");
    if (f->field & kTextFields) {
      if (!payload_field.empty()) {
        return Error("fields " + Quoted(payload_field) + " and " + Quoted(key) +
                     " cannot be combined: an action has one payload");
      }
      payload_field = f->name;
    }
    seen |= f->field;
    switch (f->field) {
      case kKind: {
        if (!v.IsString()) return Error("field \"kind\" must be a string");
        kind = ParseActionKind(StringOf(v));
        if (!kind) return Error("field \"kind\" must be one of \"sql\", \"tool_call\", \"spend\", \"message\"");
        break;
      }
      case kAgentId:
      case kTool:
      case kSqlField:
      case kPayload:
      case kText: {
        if (!v.IsString()) return Error("field " + Quoted(key) + " must be a string");
        std::string* dst = f->field == kAgentId ? &a.agent_id : f->field == kTool ? &a.tool : &a.payload;
        dst->assign(v.GetString(), v.GetStringLength());
        break;
      }
      case kArgs: {
        if (Depth(v, kMaxArgsDepth) > kMaxArgsDepth) {
          return Error("field \"args\" is nested deeper than " + std::to_string(kMaxArgsDepth) + " levels");
        }
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
        v.Accept(writer);
        a.payload.assign(buf.GetString(), buf.GetSize());
        break;
      }
      case kCost: {
        if (!v.IsNumber()) return Error("field \"cost_usd\" must be a number");
        a.cost_usd = v.GetDouble();
        break;
      }
      case kTokens: {
        if (!v.IsInt64()) return Error("field \"tokens\" must be an integer");
        a.tokens = v.GetInt64();
        break;
      }
    }
  }

  std::optional<ActionKind> implied = ImpliedKind(seen);
  if (!kind) {
    if (!implied) return Error("field \"kind\" is required unless the action has \"sql\", \"args\", \"text\" or \"tool\"");
    kind = implied;
  }
  // A payload field that belongs to another kind makes the line ambiguous.
  auto conflict = [&](Field field, ActionKind expected) {
    return (seen & field) && *kind != expected;
  };
  if (conflict(kSqlField, ActionKind::kSql) || conflict(kArgs, ActionKind::kToolCall) ||
      conflict(kText, ActionKind::kMessage)) {
    return Error("field " + Quoted(FieldOf(seen & (kSqlField | kArgs | kText))) + " does not belong to kind " +
                 Quoted(ToString(*kind)));
  }
  if (*kind == ActionKind::kSql && !(seen & (kSqlField | kPayload))) {
    return Error("an sql action needs \"sql\" (or \"payload\")");
  }
  // Tool policies judge a call by its tool's name; a call without one is
  // not a call the kernel can judge.
  if (*kind == ActionKind::kToolCall && !(seen & kTool)) {
    return Error("a tool_call action needs \"tool\"");
  }
  a.kind = *kind;
  *out = std::move(a);
  return Status::Ok();
}

bool IsBlankLine(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

LineReader::LineReader(std::istream& in, std::size_t max_line) : in_(in), max_line_(max_line), buf_(64 * 1024) {}

bool LineReader::Fill() {
  using traits = std::istream::traits_type;
  std::streambuf* sb = in_.rdbuf();
  if (sb == nullptr || stopped_) return false;
  // A file stream's buffer throws when the read(2) under it fails (EISDIR,
  // EIO); the stream is then finished, and the caller says why.
  try {
    std::streamsize avail = sb->in_avail();
    if (avail < 0) return false;
    if (avail == 0) {
      // Waits for at most one read, then takes whatever it brought.
      if (traits::eq_int_type(sb->sgetc(), traits::eof())) return false;
      avail = std::max<std::streamsize>(sb->in_avail(), 1);
    }
    std::streamsize want = std::min<std::streamsize>(avail, static_cast<std::streamsize>(buf_.size()));
    std::streamsize got = sb->sgetn(buf_.data(), want);
    pos_ = 0;
    end_ = got > 0 ? static_cast<std::size_t>(got) : 0;
    return end_ > 0;
  } catch (const std::exception& e) {
    read_error_ = e.what();
  } catch (...) {
    read_error_ = "read failed";
  }
  stopped_ = true;
  pos_ = end_ = 0;
  return false;
}

LineReader::Result LineReader::Next(std::string* line) {
  line->clear();
  if (stopped_) return Result::kEnd;
  bool any = false;
  for (;;) {
    if (pos_ == end_ && !Fill()) {
      if (!any || stopped_) return Result::kEnd;
      ++line_number_;
      return Result::kLine;
    }
    any = true;
    const char* start = buf_.data() + pos_;
    std::size_t avail = end_ - pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
    std::size_t take = nl != nullptr ? static_cast<std::size_t>(nl - start) : avail;
    if (line->size() + take > max_line_) {
      stopped_ = true;
      ++line_number_;
      line->clear();
      line->shrink_to_fit();
      return Result::kTooLong;
    }
    line->append(start, take);
    pos_ += take;
    if (nl != nullptr) {
      ++pos_;
      ++line_number_;
      return Result::kLine;
    }
  }
}

bool LineReader::drained() const {
  if (stopped_) return true;
  if (std::memchr(buf_.data() + pos_, '\n', end_ - pos_) != nullptr) return false;
  std::streambuf* sb = in_.rdbuf();
  return sb == nullptr || sb->in_avail() <= 0;
}

}  // namespace agentos::cli
