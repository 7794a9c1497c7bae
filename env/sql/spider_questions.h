// The questions file of a Spider/BIRD-style dataset: a JSON array of objects
// (Spider's train_spider.json and dev.json, BIRD's train.json and dev.json)
// or JSON Lines, one object per line. Each object names its database and
// gives a question and its gold SQL:
//
//   {"db_id": "concert_singer", "question": "How many singers?",
//    "query": "SELECT count(*) FROM singer"}
//
// The gold SQL is "query" (Spider) or "SQL" (BIRD), exactly one of them;
// "evidence" (BIRD's hint for the question) and "difficulty" are optional
// strings. Other keys (Spider's query_toks, sql, ...) are ignored.
#ifndef AGENTOS_ENV_SQL_SPIDER_QUESTIONS_H_
#define AGENTOS_ENV_SQL_SPIDER_QUESTIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "kernel/status.h"

namespace agentos {

struct SpiderQuestion {
  std::string db_id;
  std::string question;
  std::string gold_sql;
  std::string evidence;    // may be empty
  std::string difficulty;  // may be empty
  // Where the question is, for messages: "FILE:LINE" (JSON Lines) or
  // "FILE: question [INDEX]" (a JSON array, 0-based).
  std::string where;
};

// Parses `text`, read from `file` (used in messages only). A document whose
// first non-blank byte is '[' is one JSON array; anything else is JSON
// Lines (blank lines skipped). Fails, naming the file and the line or array
// index, on invalid JSON, a question that is not an object, a missing or
// empty db_id, question or gold SQL, both "query" and "SQL", a known key
// with a non-string value or given twice, a db_id that is not a plain
// directory name, or no questions at all.
Status ParseSpiderQuestions(std::string_view text, const std::string& file, std::vector<SpiderQuestion>* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SPIDER_QUESTIONS_H_
