#include "env/sql/spider_questions.h"

#include "kernel/rapidjson.h"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace agentos {

namespace {

Status At(const std::string& where, const std::string& msg) { return Status::ParseError(where + ": " + msg); }

// "'KEY' <what>", built by appending (GCC 12 warns, wrongly, about
// operator+ chains on a string_view-made temporary here).
std::string KeyMessage(std::string_view key, const char* what) {
  std::string msg = "'";
  msg.append(key);
  msg += "' ";
  msg += what;
  return msg;
}

// 1-based line of byte `offset` of `text`.
std::size_t LineOf(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string JsonError(const rapidjson::Document& doc) {
  return std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError());
}

// The db_id becomes a path component: nothing that could leave the
// databases directory.
bool IsPlainName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

Status ParseQuestion(const rapidjson::Value& v, SpiderQuestion* out) {
  const std::string& where = out->where;
  if (!v.IsObject()) return At(where, "a question must be a JSON object");
  bool has_db = false, has_question = false, has_query = false, has_sql = false, has_evidence = false,
       has_difficulty = false;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string_view key(m->name.GetString(), m->name.GetStringLength());
    std::string* field = nullptr;
    bool* seen = nullptr;
    if (key == "db_id") field = &out->db_id, seen = &has_db;
    else if (key == "question") field = &out->question, seen = &has_question;
    else if (key == "query") field = &out->gold_sql, seen = &has_query;
    else if (key == "SQL") field = &out->gold_sql, seen = &has_sql;
    else if (key == "evidence") field = &out->evidence, seen = &has_evidence;
    else if (key == "difficulty") field = &out->difficulty, seen = &has_difficulty;
    if (field == nullptr) continue;  // Spider's query_toks, sql, ... are not needed
    if (*seen) return At(where, KeyMessage(key, "is given twice"));
    *seen = true;
    if (!m->value.IsString()) return At(where, KeyMessage(key, "must be a string"));
    field->assign(m->value.GetString(), m->value.GetStringLength());
  }
  if (has_query && has_sql) return At(where, "give the gold SQL as 'query' or as 'SQL', not both");
  if (!has_db) return At(where, "missing key 'db_id'");
  if (!has_question) return At(where, "missing key 'question'");
  if (!has_query && !has_sql) return At(where, "missing the gold SQL ('query', or BIRD's 'SQL')");
  if (!IsPlainName(out->db_id)) {
    return At(where, "'db_id' must be a plain directory name (no '/', not '.' or '..'), got \"" + out->db_id + "\"");
  }
  if (out->question.empty()) return At(where, "'question' is empty");
  if (out->gold_sql.find_first_not_of(" \t\r\n") == std::string::npos) return At(where, "the gold SQL is empty");
  return Status::Ok();
}

// Iterative parsing: deep nesting in a hostile file cannot exhaust the stack.
constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

Status ParseArray(std::string_view text, const std::string& file, std::vector<SpiderQuestion>* out) {
  rapidjson::Document doc;
  doc.Parse<kFlags>(text.data(), text.size());
  if (doc.HasParseError()) {
    return At(file + ":" + std::to_string(LineOf(text, doc.GetErrorOffset())), JsonError(doc));
  }
  if (!doc.IsArray()) return At(file, "must be a JSON array of questions");
  out->reserve(doc.Size());
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    SpiderQuestion q;
    q.where = file + ": question [" + std::to_string(i) + "]";
    if (Status s = ParseQuestion(doc[i], &q); !s.ok()) return s;
    out->push_back(std::move(q));
  }
  return Status::Ok();
}

Status ParseLines(std::string_view text, const std::string& file, std::vector<SpiderQuestion>* out) {
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    SpiderQuestion q;
    q.where = file + ":" + std::to_string(line_no);
    rapidjson::Document doc;
    doc.Parse<kFlags>(line.data(), line.size());
    if (doc.HasParseError()) return At(q.where, JsonError(doc) + " at column " + std::to_string(doc.GetErrorOffset() + 1));
    if (Status s = ParseQuestion(doc, &q); !s.ok()) return s;
    out->push_back(std::move(q));
  }
  return Status::Ok();
}

}  // namespace

Status ParseSpiderQuestions(std::string_view text, const std::string& file, std::vector<SpiderQuestion>* out) {
  if (out == nullptr) return Status::InvalidArgument("ParseSpiderQuestions: out is null");
  out->clear();
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  Status s = first != std::string_view::npos && text[first] == '[' ? ParseArray(text, file, out)
                                                                    : ParseLines(text, file, out);
  if (s.ok() && out->empty()) s = At(file, "no questions");
  if (!s.ok()) out->clear();
  return s;
}

}  // namespace agentos
