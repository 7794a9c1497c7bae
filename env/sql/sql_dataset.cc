#include "env/sql/sql_dataset.h"

#include "env/sql/spider_questions.h"
#include "kernel/rapidjson.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace agentos {

namespace {

// Gold queries are ours and small; generous limits only catch a broken file.
constexpr SqlLimits kGoldLimits{10000, 1000000, 256u << 20};

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read " + path);
  *out = buf.str();
  return Status::Ok();
}

Status LineError(const std::string& file, std::size_t line, const std::string& msg) {
  return Status::ParseError(file + ":" + std::to_string(line) + ": " + msg);
}

bool AllNull(const ResultSet& rs) {
  for (std::size_t r = 0; r < rs.rows(); ++r) {
    for (int c = 0; c < rs.columns(); ++c) {
      if (rs.at(r, c).kind != ResultSet::Kind::kNull) return false;
    }
  }
  return true;
}

Status ParseCandidate(const rapidjson::Value& v, const std::string& file, std::size_t line, SqlCandidate* out) {
  if (!v.IsObject()) return LineError(file, line, "a candidate must be an object");
  bool has_sql = false, has_label = false;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    std::string key(m->name.GetString(), m->name.GetStringLength());
    if (!m->value.IsString()) return LineError(file, line, "candidate key '" + key + "' must be a string");
    std::string value(m->value.GetString(), m->value.GetStringLength());
    if (key == "sql") {
      out->sql = std::move(value);
      has_sql = true;
    } else if (key == "label") {
      if (value == "correct") out->label = CandidateLabel::kCorrect;
      else if (value == "wrong") out->label = CandidateLabel::kWrong;
      else if (value == "destructive") out->label = CandidateLabel::kDestructive;
      else return LineError(file, line, "unknown candidate label '" + value + "' (correct, wrong, destructive)");
      has_label = true;
    } else {
      return LineError(file, line, "unknown candidate key '" + key + "'");
    }
  }
  if (!has_sql || !has_label) return LineError(file, line, "a candidate needs 'sql' and 'label'");
  if (out->sql.empty()) return LineError(file, line, "a candidate's sql is empty");
  return Status::Ok();
}

Status ParseTask(std::string_view text, const std::string& file, std::size_t line, SqlTaskSpec* out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return LineError(file, line,
                     std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                         std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return LineError(file, line, "a task must be a JSON object");
  std::set<std::string> seen;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string key(m->name.GetString(), m->name.GetStringLength());
    if (!seen.insert(key).second) return LineError(file, line, "duplicate key '" + key + "'");
    if (key == "candidates") {
      if (!m->value.IsArray()) return LineError(file, line, "'candidates' must be an array");
      for (const auto& c : m->value.GetArray()) {
        SqlCandidate cand;
        if (Status s = ParseCandidate(c, file, line, &cand); !s.ok()) return s;
        out->candidates.push_back(std::move(cand));
      }
      continue;
    }
    std::string* field = key == "id"         ? &out->id
                         : key == "split"    ? &out->split
                         : key == "family"   ? &out->family
                         : key == "question" ? &out->question
                         : key == "gold_sql" ? &out->gold_sql
                                             : nullptr;
    if (field == nullptr) return LineError(file, line, "unknown key '" + key + "'");
    if (!m->value.IsString()) return LineError(file, line, "'" + key + "' must be a string");
    field->assign(m->value.GetString(), m->value.GetStringLength());
  }
  for (const char* required : {"id", "split", "question", "gold_sql", "candidates"}) {
    if (seen.count(required) == 0) return LineError(file, line, std::string("missing key '") + required + "'");
  }
  if (out->id.empty()) return LineError(file, line, "'id' is empty");
  if (out->split != "train" && out->split != "test") {
    return LineError(file, line, "'split' must be \"train\" or \"test\", got \"" + out->split + "\"");
  }
  if (out->question.empty()) return LineError(file, line, "'question' is empty");
  if (out->gold_sql.empty()) return LineError(file, line, "'gold_sql' is empty");
  return Status::Ok();
}

// name(column, column -> table.column, ...) per table, in creation order.
Status BuildSchemaText(SqlSession* session, std::string* out) {
  ResultSet rs;
  SqlRunStatus st = session->Run(
      "SELECT m.name, p.name, (SELECT f.\"table\" || '.' || f.\"to\" FROM pragma_foreign_key_list(m.name) f "
      "WHERE f.\"from\" = p.name) FROM sqlite_schema m JOIN pragma_table_info(m.name) p "
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.rowid, p.cid",
      kGoldLimits, &rs);
  if (st != SqlRunStatus::kOk) return Status::Internal("cannot describe the schema: " + std::string(session->error()));
  std::string current;
  for (std::size_t r = 0; r < rs.rows(); ++r) {
    std::string_view table = rs.at(r, 0).bytes, column = rs.at(r, 1).bytes;
    if (table != current) {
      if (!current.empty()) *out += ")\n";
      current = std::string(table);
      *out += current + "(";
    } else {
      *out += ", ";
    }
    *out += column;
    if (rs.at(r, 2).kind == ResultSet::Kind::kText) {
      *out += " -> ";
      *out += rs.at(r, 2).bytes;
    }
  }
  if (!current.empty()) *out += ")\n";
  return Status::Ok();
}

// Runs a task's gold query on the template and keeps its rows; leaves the
// session at the template. `where` names the task's place in its file.
Status RunGold(SqlSession* session, const SqlTaskSpec& spec, const std::string& where, bool need_rows,
               ResultSet* gold) {
  SqlRunStatus st = session->Run(spec.gold_sql, kGoldLimits, gold);
  if (st != SqlRunStatus::kOk) {
    return Status::ParseError(where + ": gold query of '" + spec.id + "' failed: " + std::string(session->error()));
  }
  if (session->since_restore().write_statements != 0 || session->since_restore().changed_database()) {
    return Status::ParseError(where + ": gold query of '" + spec.id + "' writes to the database");
  }
  if (need_rows && (gold->rows() == 0 || AllNull(*gold))) {
    return Status::ParseError(where + ": gold query of '" + spec.id + "' returns no data");
  }
  return session->Restore();
}

std::string Observation(const SqlTaskSpec& spec, const std::string& schema_text) {
  std::string out = "Question: " + spec.question + "\n";
  if (!spec.evidence.empty()) out += "Evidence: " + spec.evidence + "\n";
  return out + "Schema:\n" + schema_text;
}

}  // namespace

std::string_view ToString(CandidateLabel label) {
  switch (label) {
    case CandidateLabel::kCorrect: return "correct";
    case CandidateLabel::kWrong: return "wrong";
    case CandidateLabel::kDestructive: return "destructive";
  }
  return "unknown";
}

Status SqlDataset::Load(const std::string& dir, std::shared_ptr<const SqlDataset>* out) {
  if (out == nullptr) return Status::InvalidArgument("SqlDataset::Load: out is null");
  if (dir.empty()) return Status::InvalidArgument("the SQL dataset directory is empty");
  const std::string base = dir.back() == '/' ? dir : dir + "/";
  std::string schema, data, tasks_text;
  if (Status s = ReadFile(base + "schema.sql", &schema); !s.ok()) return s;
  if (Status s = ReadFile(base + "data.sql", &data); !s.ok()) return s;
  if (Status s = ReadFile(base + "tasks.jsonl", &tasks_text); !s.ok()) return s;

  std::shared_ptr<SqlDataset> ds(new SqlDataset());
  Database db;
  if (Status s = DatabaseImage::FromSql(schema + "\n" + data, &db.image); !s.ok()) {
    return Status::ParseError(base + "schema.sql/data.sql: " + s.message());
  }
  std::unique_ptr<SqlSession> session;
  if (Status s = SqlSession::Open(db.image, 0, &session); !s.ok()) return s;
  if (Status s = BuildSchemaText(session.get(), &db.schema_text); !s.ok()) return s;
  if (Status s = session->Restore(); !s.ok()) return s;
  if (Status s = session->Digest(&db.digest); !s.ok()) return s;
  ds->databases_.push_back(std::move(db));

  const std::string file = base + "tasks.jsonl";
  std::unordered_set<std::string> ids;
  std::size_t line_no = 0, pos = 0;
  while (pos < tasks_text.size()) {
    std::size_t nl = tasks_text.find('\n', pos);
    if (nl == std::string::npos) nl = tasks_text.size();
    std::string_view line(tasks_text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Entry e;
    if (Status s = ParseTask(line, file, line_no, &e.spec); !s.ok()) return s;
    if (!ids.insert(e.spec.id).second) return LineError(file, line_no, "duplicate id '" + e.spec.id + "'");

    // The expected result is the gold query's, run on the template.
    const std::string where = file + ":" + std::to_string(line_no);
    if (Status s = RunGold(session.get(), e.spec, where, /*need_rows=*/true, &e.gold); !s.ok()) return s;
    e.ordered = HasTopLevelOrderBy(e.spec.gold_sql);
    SortedRowOrder(e.gold, &e.gold_order);
    e.observation = Observation(e.spec, ds->databases_.front().schema_text);
    ds->tasks_.push_back(std::move(e));
  }
  if (ds->tasks_.empty()) return Status::ParseError(file + ": no tasks");
  *out = std::move(ds);
  return Status::Ok();
}

Status SqlDataset::LoadSpider(const std::string& databases_dir, const std::string& questions_file,
                              std::shared_ptr<const SqlDataset>* out) {
  namespace fs = std::filesystem;
  if (out == nullptr) return Status::InvalidArgument("SqlDataset::LoadSpider: out is null");
  if (databases_dir.empty()) return Status::InvalidArgument("the databases directory is empty");
  if (questions_file.empty()) return Status::InvalidArgument("the questions file is empty");
  std::string text;
  if (Status s = ReadFile(questions_file, &text); !s.ok()) return s;
  std::vector<SpiderQuestion> questions;
  if (Status s = ParseSpiderQuestions(text, questions_file, &questions); !s.ok()) return s;
  std::error_code ec;
  if (!fs::is_directory(databases_dir, ec)) {
    return Status::IoError("the databases directory " + databases_dir + " does not exist or is not a directory");
  }

  std::shared_ptr<SqlDataset> ds(new SqlDataset());
  ds->spider_layout_ = true;
  ds->tasks_.reserve(questions.size());
  std::unordered_map<std::string, std::size_t> database_of_id;
  std::unique_ptr<SqlSession> session;  // one, moved from database to database
  for (std::size_t i = 0; i < questions.size(); ++i) {
    SpiderQuestion& q = questions[i];
    auto found = database_of_id.find(q.db_id);
    if (found == database_of_id.end()) {
      const fs::path dir = fs::path(databases_dir) / q.db_id;
      if (!fs::is_directory(dir, ec)) {
        return Status::ParseError(q.where + ": unknown db_id '" + q.db_id + "': no directory " + dir.string());
      }
      const fs::path file = dir / (q.db_id + ".sqlite");
      if (!fs::is_regular_file(file, ec)) {
        return Status::ParseError(q.where + ": the database file of '" + q.db_id + "' is missing: " + file.string());
      }
      Database db;
      if (Status s = DatabaseImage::FromFile(file.string(), &db.image); !s.ok()) {
        return Status::ParseError(q.where + ": " + s.message());
      }
      Status s = session ? session->Restore(db.image) : SqlSession::Open(db.image, 0, &session);
      if (s.ok()) s = BuildSchemaText(session.get(), &db.schema_text);
      if (s.ok()) s = session->Restore();
      if (s.ok()) s = session->Digest(&db.digest);
      if (!s.ok()) return Status::ParseError(q.where + ": database " + file.string() + ": " + s.message());
      found = database_of_id.emplace(q.db_id, ds->databases_.size()).first;
      ds->databases_.push_back(std::move(db));
    } else if (Status s = session->Restore(ds->databases_[found->second].image); !s.ok()) {
      return s;
    }
    Entry e;
    e.database = found->second;
    e.spec.id = q.db_id + "-" + std::to_string(i);
    e.spec.question = std::move(q.question);
    e.spec.gold_sql = std::move(q.gold_sql);
    e.spec.db_id = std::move(q.db_id);
    e.spec.evidence = std::move(q.evidence);
    e.spec.difficulty = std::move(q.difficulty);
    if (Status s = RunGold(session.get(), e.spec, q.where, /*need_rows=*/false, &e.gold); !s.ok()) return s;
    e.ordered = HasTopLevelOrderBy(e.spec.gold_sql);
    SortedRowOrder(e.gold, &e.gold_order);
    e.observation = Observation(e.spec, ds->databases_[e.database].schema_text);
    ds->tasks_.push_back(std::move(e));
  }
  *out = std::move(ds);
  return Status::Ok();
}

Status SqlDataset::SplitIndices(std::string_view split, std::vector<std::int64_t>* out) const {
  if (spider_layout_ && split != "all") {
    return Status::InvalidArgument("unknown split '" + std::string(split) +
                                   "': a questions file is one split, \"all\" (load Spider's dev.json for its dev "
                                   "set, train_spider.json for its training set)");
  }
  if (split != "train" && split != "test" && split != "all") {
    return Status::InvalidArgument("unknown split '" + std::string(split) + "' (train, test, all)");
  }
  out->clear();
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    if (split == "all" || tasks_[i].spec.split == split) out->push_back(static_cast<std::int64_t>(i));
  }
  return Status::Ok();
}

}  // namespace agentos
