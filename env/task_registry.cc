#include "env/task_registry.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "kernel/rapidjson.h"

#include "env/external_task.h"
#include "env/noop_task.h"
#include "env/numeric_task.h"
#include "env/sql/sql_task.h"

namespace agentos {
namespace {

using Value = rapidjson::Value;

Status Bad(const std::string& msg) { return Status::ParseError("task spec: " + msg); }

std::string KeyOf(const Value::ConstMemberIterator& m) {
  return std::string(m->name.GetString(), m->name.GetStringLength());
}

// Fails on a key outside `known` or a key given twice.
Status CheckKeys(const Value& obj, std::string_view type, std::initializer_list<std::string_view> known) {
  std::set<std::string> seen;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    std::string key = KeyOf(m);
    if (!seen.insert(key).second) return Bad("key '" + key + "' is given twice");
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Bad("unknown key '" + key + "' for type '" + std::string(type) + "' (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Status GetString(const Value& v, const char* key, std::string* out) {
  if (!v.IsString()) return Bad(std::string("'") + key + "' must be a string");
  out->assign(v.GetString(), v.GetStringLength());
  return Status::Ok();
}

Status GetInt(const Value& v, const char* key, std::int64_t lo, std::int64_t hi, std::int64_t* out) {
  if (!v.IsInt64()) return Bad(std::string("'") + key + "' must be an integer");
  const std::int64_t x = v.GetInt64();
  if (x < lo || x > hi) {
    return Bad(std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
               "], got " + std::to_string(x));
  }
  *out = x;
  return Status::Ok();
}

// Where the tasks come from: dataset_dir, or the Spider/BIRD layout
// (questions_file and databases_dir, whose questions file is the split, so
// split defaults to "all" there).
Status GetSqlSource(const Value& doc, SqlTaskConfig* config) {
  const auto end = doc.MemberEnd();
  const auto dir = doc.FindMember("dataset_dir"), databases = doc.FindMember("databases_dir"),
             questions = doc.FindMember("questions_file");
  if (dir != end && (databases != end || questions != end)) {
    return Bad("give 'dataset_dir', or 'questions_file' and 'databases_dir' (the Spider/BIRD layout), not both");
  }
  if (dir != end) {
    if (Status s = GetString(dir->value, "dataset_dir", &config->dataset_dir); !s.ok()) return s;
    if (config->dataset_dir.empty()) return Bad("'dataset_dir' is empty");
    return Status::Ok();
  }
  if (databases == end && questions == end) {
    return Bad("type 'sql' needs 'dataset_dir' (or 'questions_file' and 'databases_dir' for the Spider/BIRD layout)");
  }
  if (questions == end) return Bad("'databases_dir' needs 'questions_file' (the JSON or JSON Lines questions)");
  if (databases == end) return Bad("'questions_file' needs 'databases_dir' (the directory of <db_id>/<db_id>.sqlite)");
  if (Status s = GetString(questions->value, "questions_file", &config->questions_file); !s.ok()) return s;
  if (Status s = GetString(databases->value, "databases_dir", &config->databases_dir); !s.ok()) return s;
  if (config->questions_file.empty()) return Bad("'questions_file' is empty");
  if (config->databases_dir.empty()) return Bad("'databases_dir' is empty");
  config->split = "all";
  return Status::Ok();
}

Status MakeSql(const Value& doc, std::unique_ptr<TaskFactory>* out) {
  Status s = CheckKeys(doc, "sql",
                       {"type", "dataset_dir", "databases_dir", "questions_file", "split", "task_index", "time_limit_ms",
                        "row_limit", "finish_on_success", "growth_limit_kb", "episode", "submit_marker", "feedback",
                        "feedback_rows", "feedback_bytes"});
  if (!s.ok()) return s;
  SqlTaskConfig config;
  if (s = GetSqlSource(doc, &config); !s.ok()) return s;
  if (auto m = doc.FindMember("split"); m != doc.MemberEnd()) {
    if (s = GetString(m->value, "split", &config.split); !s.ok()) return s;
    if (config.split != "train" && config.split != "test" && config.split != "all") {
      return Bad("'split' must be \"train\", \"test\" or \"all\", got \"" + config.split + "\"");
    }
  }
  std::int64_t x = 0;
  if (auto m = doc.FindMember("task_index"); m != doc.MemberEnd()) {
    if (s = GetInt(m->value, "task_index", -1, std::numeric_limits<std::int64_t>::max(), &x); !s.ok()) return s;
    config.task_index = x;
  }
  if (auto m = doc.FindMember("time_limit_ms"); m != doc.MemberEnd()) {
    if (s = GetInt(m->value, "time_limit_ms", 1, std::numeric_limits<std::uint32_t>::max(), &x); !s.ok()) return s;
    config.time_limit_ms = static_cast<std::uint32_t>(x);
  }
  if (auto m = doc.FindMember("row_limit"); m != doc.MemberEnd()) {
    if (s = GetInt(m->value, "row_limit", 1, std::numeric_limits<std::uint32_t>::max(), &x); !s.ok()) return s;
    config.row_limit = static_cast<std::uint32_t>(x);
  }
  if (auto m = doc.FindMember("growth_limit_kb"); m != doc.MemberEnd()) {
    if (s = GetInt(m->value, "growth_limit_kb", 1, std::numeric_limits<std::uint32_t>::max(), &x); !s.ok()) return s;
    config.growth_limit_kb = static_cast<std::uint32_t>(x);
  }
  if (auto m = doc.FindMember("finish_on_success"); m != doc.MemberEnd()) {
    if (!m->value.IsBool()) return Bad("'finish_on_success' must be true or false");
    config.finish_on_success = m->value.GetBool();
  }
  if (auto m = doc.FindMember("episode"); m != doc.MemberEnd()) {
    std::string episode;
    if (s = GetString(m->value, "episode", &episode); !s.ok()) return s;
    if (!ParseSqlEpisode(episode, &config.episode)) {
      return Bad("'episode' must be \"single\" or \"multi_turn\", got \"" + episode.substr(0, 64) + "\"");
    }
  }
  if (auto m = doc.FindMember("submit_marker"); m != doc.MemberEnd()) {
    if (s = GetString(m->value, "submit_marker", &config.submit_marker); !s.ok()) return s;
    if (s = CheckSubmitMarker(config.submit_marker); !s.ok()) return Bad(s.message());
  }
  if (auto m = doc.FindMember("feedback"); m != doc.MemberEnd()) {
    if (!m->value.IsBool()) return Bad("'feedback' must be true or false");
    config.feedback = m->value.GetBool();
  }
  if (auto m = doc.FindMember("feedback_rows"); m != doc.MemberEnd()) {
    if (s = GetInt(m->value, "feedback_rows", 1, 100000, &x); !s.ok()) return s;
    config.feedback_rows = static_cast<std::uint32_t>(x);
  }
  if (auto m = doc.FindMember("feedback_bytes"); m != doc.MemberEnd()) {
    if (s = GetInt(m->value, "feedback_bytes", 64, 1 << 20, &x); !s.ok()) return s;
    config.feedback_bytes = static_cast<std::uint32_t>(x);
  }
  return MakeSqlTaskFactory(config, out);
}

// A registered task (env/task_api.h): its maker gets the spec without "type".
Status MakeRegistered(const Value& doc, const std::string& type, std::unique_ptr<TaskFactory>* out) {
  std::set<std::string> seen;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    if (!seen.insert(KeyOf(m)).second) return Bad("key '" + KeyOf(m) + "' is given twice");
  }
  rapidjson::StringBuffer params;
  rapidjson::Writer<rapidjson::StringBuffer> writer(params);
  writer.StartObject();
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    if (KeyOf(m) == "type") continue;
    writer.Key(m->name.GetString(), m->name.GetStringLength());
    m->value.Accept(writer);
  }
  writer.EndObject();
  Status s = MakeRegisteredTaskFactory(type, std::string(params.GetString(), params.GetSize()), out);
  if (s.code() == Status::Code::kNotFound) {
    return Bad("unknown type '" + type + "' (known: sql, external, noop, " + RegisteredTaskNames() + ")");
  }
  return s;
}

}  // namespace

Status MakeTaskFactoryFromJson(std::string_view spec, std::unique_ptr<TaskFactory>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeTaskFactoryFromJson: out is null");
  if (spec.size() > kMaxTaskSpecBytes) {
    return Bad("spec has " + std::to_string(spec.size()) + " bytes, more than " + std::to_string(kMaxTaskSpecBytes));
  }
  rapidjson::Document doc;
  // Iterative parsing: deep nesting cannot exhaust the stack. No full
  // precision: every number a spec takes is an integer, which RapidJSON
  // reads exactly anyway (a double is refused by IsInt64), and its
  // full-precision path has undefined behaviour on numbers such as 0e-59
  // (clz(0) and signed overflow in internal/diyfp.h, RapidJSON 1.1; found by
  // tests/fuzz/fuzz_task_spec, reproducers in its corpus).
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(spec.data(), spec.size());
  if (doc.HasParseError()) {
    return Bad(std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at byte " +
               std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return Bad("must be a JSON object such as {\"type\": \"noop\"}");
  auto type_it = doc.FindMember("type");
  if (type_it == doc.MemberEnd()) return Bad("missing 'type' (\"sql\", \"external\" or \"noop\")");
  std::string type;
  Status s = GetString(type_it->value, "type", &type);
  if (!s.ok()) return s;
  std::unique_ptr<TaskFactory> factory;
  if (type == "noop") {
    if (s = CheckKeys(doc, type, {"type"}); !s.ok()) return s;
    factory = MakeNoopTaskFactory();
  } else if (type == "external") {
    if (s = CheckKeys(doc, type, {"type"}); !s.ok()) return s;
    factory = MakeExternalTaskFactory();
  } else if (type == "sql") {
    if (s = MakeSql(doc, &factory); !s.ok()) return s;
    if (!factory) return Status::Internal("the SQL task factory returned nothing");
  } else {
    if (s = MakeRegistered(doc, type, &factory); !s.ok()) return s;
  }
  *out = std::move(factory);
  return Status::Ok();
}

}  // namespace agentos
