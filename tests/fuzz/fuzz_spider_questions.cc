// Fuzzes the Spider/BIRD questions parser (env/sql/spider_questions.h) with
// arbitrary bytes, read as a JSON array or as JSON Lines. Either every
// question it returns has a db_id that is a plain directory name, a
// question and a gold SQL, and a place naming the file; or it fails with a
// ParseError naming the file and returns nothing. The same bytes always
// give the same answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "env/sql/spider_questions.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

const std::string kFile = "q.json";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size copy, so any read past the end is a sanitizer report.
  std::unique_ptr<char[]> bytes(new char[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(bytes.get(), data, size);
  const std::string_view text(bytes.get(), size);

  std::vector<agentos::SpiderQuestion> out, again;
  const agentos::Status s = agentos::ParseSpiderQuestions(text, kFile, &out);
  const agentos::Status s2 = agentos::ParseSpiderQuestions(text, kFile, &again);
  Require(s.code() == s2.code() && s.message() == s2.message());
  Require(out.size() == again.size());
  if (!s.ok()) {
    Require(s.code() == agentos::Status::Code::kParseError);
    Require(s.message().compare(0, kFile.size(), kFile) == 0);
    Require(out.empty());
    return 0;
  }
  Require(!out.empty());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const agentos::SpiderQuestion& q = out[i];
    Require(q.db_id == again[i].db_id && q.gold_sql == again[i].gold_sql);
    Require(!q.db_id.empty() && q.db_id != "." && q.db_id != "..");
    Require(q.db_id.find('/') == std::string::npos && q.db_id.find('\\') == std::string::npos);
    Require(!q.question.empty() && !q.gold_sql.empty());
    Require(q.where.compare(0, kFile.size(), kFile) == 0);
  }
  return 0;
}
