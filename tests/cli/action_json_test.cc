// Specification of the JSONL action format `agentos check` reads.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "bindings/cli/action_json.h"

using namespace agentos;
using namespace agentos::cli;

namespace {

JsonAction Parse(const std::string& line) {
  JsonAction a;
  Status s = ParseActionJson(line, &a);
  INFO(line << " -> " << s.message());
  REQUIRE(s.ok());
  return a;
}

// The error message for a line that must be refused.
std::string Refuse(const std::string& line) {
  JsonAction a;
  Status s = ParseActionJson(line, &a);
  INFO(line);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK_FALSE(s.message().empty());
  return s.message();
}

}  // namespace

TEST_CASE("a bare sql field means an SQL action") {
  JsonAction a = Parse(R"({"sql":"SELECT 1"})");
  CHECK(a.kind == ActionKind::kSql);
  CHECK(a.payload == "SELECT 1");
  CHECK(a.view().payload == "SELECT 1");
  CHECK(a.view().kind == ActionKind::kSql);
}

TEST_CASE("every field lands in the action") {
  JsonAction a = Parse(
      R"({"kind":"tool_call","agent_id":"a-1","tool":"db.query","args":{"q":"x","n":[1,2.5,true,null]},"cost_usd":0.25,"tokens":1200})");
  CHECK(a.kind == ActionKind::kToolCall);
  CHECK(a.agent_id == "a-1");
  CHECK(a.tool == "db.query");
  CHECK(a.payload == R"({"q":"x","n":[1,2.5,true,null]})");
  CHECK(a.cost_usd == 0.25);
  CHECK(a.tokens == 1200);
  Action v = a.view();
  CHECK(v.agent_id == "a-1");
  CHECK(v.tool == "db.query");
  CHECK(v.cost_usd == 0.25);
  CHECK(v.tokens == 1200);
}

TEST_CASE("kinds are inferred only from fields that imply one") {
  CHECK(Parse(R"({"tool":"search","args":["q"]})").kind == ActionKind::kToolCall);
  CHECK(Parse(R"({"tool":"search"})").kind == ActionKind::kToolCall);
  CHECK(Parse(R"({"text":"hello"})").kind == ActionKind::kMessage);
  CHECK(Parse(R"({"kind":"spend","cost_usd":1})").kind == ActionKind::kSpend);
  CHECK(Parse(R"({"kind":"message","payload":"hi"})").payload == "hi");
  CHECK(Parse(R"({"kind":"sql","payload":"SELECT 2"})").payload == "SELECT 2");
  CHECK(Refuse(R"({"payload":"x"})").find("\"kind\" is required") != std::string::npos);
  CHECK(Refuse(R"({})").find("\"kind\" is required") != std::string::npos);
  CHECK(Refuse(R"({"cost_usd":1})").find("\"kind\" is required") != std::string::npos);
}

TEST_CASE("args of any JSON type are re-serialised compactly") {
  CHECK(Parse(R"({"tool":"t","args":"plain"})").payload == R"("plain")");
  CHECK(Parse(R"({"tool":"t","args": [ 1 , {"a" : "b\"c"} ] })").payload == R"([1,{"a":"b\"c"}])");
  CHECK(Parse(R"({"tool":"t","args":12345678901234567890})").payload == "12345678901234567890");
}

TEST_CASE("strings keep every byte, including escaped NULs and non-ASCII text") {
  JsonAction a = Parse(R"({"sql":"SELECT 'a\u0000b'"})");
  CHECK(a.payload == std::string("SELECT 'a\0b'", 12));
  CHECK(Parse(R"({"text":"caf\u00e9 \u2603"})").payload == "caf\xC3\xA9 \xE2\x98\x83");
  CHECK(Parse("{\"text\":\"caf\xC3\xA9\"}").payload == "caf\xC3\xA9");
}

TEST_CASE("values the kernel must judge are passed through, not silently fixed") {
  // Negative amounts are well-formed JSON; the kernel denies them.
  CHECK(Parse(R"({"kind":"spend","cost_usd":-1})").cost_usd == -1);
  CHECK(Parse(R"({"kind":"spend","tokens":-5})").tokens == -5);
  CHECK(Parse(R"({"sql":""})").payload.empty());
}

TEST_CASE("unknown, repeated and conflicting fields are refused") {
  CHECK(Refuse(R"({"sql":"SELECT 1","sqll":"x"})").find("unknown field \"sqll\"") != std::string::npos);
  CHECK(Refuse(R"({"sql":"SELECT 1","Kind":"sql"})").find("unknown field \"Kind\"") != std::string::npos);
  CHECK(Refuse(R"({"sql":"SELECT 1","sql":"DROP TABLE t"})").find("appears twice") != std::string::npos);
  CHECK(Refuse(R"({"kind":"sql","kind":"sql","sql":"x"})").find("appears twice") != std::string::npos);
  CHECK(Refuse(R"({"sql":"SELECT 1","payload":"DROP TABLE t"})").find("cannot be combined") != std::string::npos);
  CHECK(Refuse(R"({"text":"a","args":{}})").find("cannot be combined") != std::string::npos);
  CHECK(Refuse(R"({"kind":"tool_call","sql":"DROP TABLE t"})").find("does not belong to kind") != std::string::npos);
  CHECK(Refuse(R"({"kind":"sql","args":{"q":1}})").find("does not belong") != std::string::npos);
  CHECK(Refuse(R"({"kind":"sql","text":"x"})").find("does not belong") != std::string::npos);
  CHECK(Refuse(R"({"kind":"message","sql":"x"})").find("does not belong") != std::string::npos);
  CHECK(Refuse(R"({"kind":"sql"})").find("needs \"sql\"") != std::string::npos);
  CHECK(Refuse(R"({"kind":"tool_call"})") == "a tool_call action needs \"tool\"");
  CHECK(Refuse(R"({"kind":"tool_call","args":{"cmd":"ls"}})") == "a tool_call action needs \"tool\"");
  CHECK(Refuse(R"({"args":{"cmd":"ls"}})") == "a tool_call action needs \"tool\"");
}

TEST_CASE("wrong types are refused, naming the field") {
  CHECK(Refuse(R"({"sql":1})").find("\"sql\" must be a string") != std::string::npos);
  CHECK(Refuse(R"({"sql":null})").find("must be a string") != std::string::npos);
  CHECK(Refuse(R"({"sql":["SELECT 1"]})").find("must be a string") != std::string::npos);
  CHECK(Refuse(R"({"kind":3,"sql":"x"})").find("\"kind\" must be a string") != std::string::npos);
  CHECK(Refuse(R"({"kind":"SQL","sql":"x"})").find("must be one of") != std::string::npos);
  CHECK(Refuse(R"({"kind":"exec","sql":"x"})").find("must be one of") != std::string::npos);
  CHECK(Refuse(R"({"sql":"x","agent_id":7})").find("\"agent_id\" must be a string") != std::string::npos);
  CHECK(Refuse(R"({"tool":true})").find("\"tool\" must be a string") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","cost_usd":"1"})").find("\"cost_usd\" must be a number") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","tokens":1.5})").find("\"tokens\" must be an integer") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","tokens":"3"})").find("must be an integer") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","tokens":1e3})").find("must be an integer") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","tokens":99999999999999999999})").find("must be an integer") !=
        std::string::npos);
}

TEST_CASE("anything but one well-formed JSON object is refused") {
  CHECK(Refuse(R"(["sql","x"])").find("must be a JSON object") != std::string::npos);
  CHECK(Refuse(R"("SELECT 1")").find("must be a JSON object") != std::string::npos);
  CHECK(Refuse("null").find("must be a JSON object") != std::string::npos);
  CHECK(Refuse(R"({"sql":"x")").find("invalid JSON at column") != std::string::npos);
  CHECK(Refuse(R"({"sql":"x"} {"sql":"y"})").find("invalid JSON") != std::string::npos);
  CHECK(Refuse(R"({"sql":"x",})").find("invalid JSON") != std::string::npos);
  CHECK(Refuse(R"({'sql':'x'})").find("invalid JSON") != std::string::npos);
  CHECK(Refuse(R"({"sql":"x"} // comment)").find("invalid JSON") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","cost_usd":NaN})").find("invalid JSON") != std::string::npos);
  CHECK(Refuse(R"({"kind":"spend","cost_usd":1e999})").find("invalid JSON") != std::string::npos);
  CHECK(Refuse("").find("invalid JSON") != std::string::npos);
  CHECK(Refuse("{\"sql\":\"\xC3\x28\"}").find("invalid JSON") != std::string::npos);  // bad UTF-8
  CHECK(Refuse(R"({"sql":"\ud800"})").find("invalid JSON") != std::string::npos);    // lone surrogate
  CHECK(Refuse(std::string("{\"sql\":\"x\"}\0", 12)).find("invalid JSON") != std::string::npos);
}

TEST_CASE("deeply nested args are refused without exhausting the stack") {
  auto nested = [](int depth) {
    return R"({"tool":"t","args":)" + std::string(static_cast<size_t>(depth), '[') +
           std::string(static_cast<size_t>(depth), ']') + "}";
  };
  CHECK(Parse(nested(kMaxArgsDepth)).payload.size() == 2 * static_cast<size_t>(kMaxArgsDepth));
  CHECK(Refuse(nested(kMaxArgsDepth + 1)).find("nested deeper") != std::string::npos);
  // Far deeper than any stack would allow recursion for.
  CHECK(Refuse(nested(200000)).find("nested deeper") != std::string::npos);
}

TEST_CASE("trailing carriage return and surrounding spaces are JSON whitespace") {
  CHECK(Parse("  {\"sql\":\"SELECT 1\"}\r").payload == "SELECT 1");
  CHECK(IsBlankLine(""));
  CHECK(IsBlankLine(" \t\r"));
  CHECK_FALSE(IsBlankLine(" x"));
}

// ---- LineReader -------------------------------------------------------------

namespace {

// Hands out its text one byte per read, like a slow pipe.
class TrickleBuf : public std::streambuf {
 public:
  explicit TrickleBuf(std::string text) : text_(std::move(text)) {}

 protected:
  int_type underflow() override {
    if (pos_ >= text_.size()) return traits_type::eof();
    ch_ = text_[pos_++];
    setg(&ch_, &ch_, &ch_ + 1);
    return traits_type::to_int_type(ch_);
  }

 private:
  std::string text_;
  std::size_t pos_ = 0;
  char ch_ = 0;
};

std::vector<std::pair<LineReader::Result, std::string>> ReadAll(std::istream& in, std::size_t max = 16) {
  LineReader r(in, max);
  std::vector<std::pair<LineReader::Result, std::string>> out;
  std::string line;
  for (LineReader::Result res; (res = r.Next(&line)) != LineReader::Result::kEnd;) {
    CHECK(r.line_number() == out.size() + 1);
    out.emplace_back(res, line);
  }
  return out;
}

}  // namespace

TEST_CASE("lines: a last line without newline counts, blank lines are lines, an over-long line ends the input") {
  const std::string text = "one\n\ntwo\r\n" + std::string(40, 'x') + "\nthree";
  using R = LineReader::Result;
  const std::vector<std::pair<R, std::string>> expected = {
      {R::kLine, "one"}, {R::kLine, ""}, {R::kLine, "two\r"}, {R::kTooLong, ""}};
  std::istringstream in(text);
  CHECK(ReadAll(in) == expected);
  TrickleBuf slow(text);
  std::istream slow_in(&slow);
  CHECK(ReadAll(slow_in) == expected);
}

TEST_CASE("lines: exactly the limit is fine, one more byte is too long") {
  std::istringstream in(std::string(16, 'a') + "\n" + std::string(17, 'b') + "\n" + std::string(17, 'c'));
  auto lines = ReadAll(in);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].first == LineReader::Result::kLine);
  CHECK(lines[0].second.size() == 16);
  CHECK(lines[1].first == LineReader::Result::kTooLong);
}

TEST_CASE("lines: an endless line is cut at the limit without reading on") {
  // Counts the bytes handed out: the reader must stop near the limit.
  class Endless : public std::streambuf {
   public:
    std::size_t served = 0;

   protected:
    int_type underflow() override {
      served += sizeof block_;
      setg(block_, block_, block_ + sizeof block_);
      return 'z';
    }

   private:
    char block_[4096] = {};
  } endless;
  std::istream in(&endless);
  LineReader reader(in, 100000);
  std::string line;
  CHECK(reader.Next(&line) == LineReader::Result::kTooLong);
  CHECK(reader.line_number() == 1);
  CHECK(reader.Next(&line) == LineReader::Result::kEnd);
  CHECK(endless.served < 200000);
}

TEST_CASE("lines: a read that fails ends the input and says why") {
  class Failing : public std::streambuf {
   protected:
    int_type underflow() override { throw std::ios_base::failure("Is a directory"); }
  } failing;
  std::istream in(&failing);
  LineReader reader(in);
  std::string line;
  CHECK(reader.Next(&line) == LineReader::Result::kEnd);
  CHECK(reader.read_error().find("Is a directory") != std::string::npos);
}

TEST_CASE("lines: empty input has no lines; a lone newline is one blank line") {
  std::istringstream empty("");
  CHECK(ReadAll(empty).empty());
  std::istringstream nl("\n");
  CHECK(ReadAll(nl).size() == 1);
}

TEST_CASE("lines: a line longer than the read buffer is assembled whole") {
  std::string big(200000, 'q');
  std::istringstream in(big + "\nend\n");
  auto lines = ReadAll(in, kMaxActionLineBytes);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].second == big);
  CHECK(lines[1].second == "end");
}
