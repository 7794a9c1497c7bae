// Specification of `agentos env step`, `agentos audit export --format jsonl`
// with `audit verify --export`, and `agentos audit replay`, run end to end:
// env step on the SQL task writes an audit log, which is exported, checked
// and replayed under a stricter policy.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agentos-cli-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string SqlTaskSpec() {
  return std::string(R"({"type":"sql","dataset_dir":")") + AGENTOS_SOURCE_DIR + R"(/env/sql/data/shop"})";
}

// Reads and writes, denies destructive statements.
constexpr const char kPermissive[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
)";

// Reads only.
constexpr const char kReadOnly[] = R"(version: 1
policies:
  - name: read_only
    type: sql
    allow: [SELECT]
)";

// Line 1 a read, 2 a write, 3 a DROP (critical: ends the episode), 4 a read
// in the next episode.
const std::string kActions =
    R"({"sql":"SELECT count(*) FROM orders"})" "\n"
    R"({"sql":"UPDATE orders SET status = 'shipped' WHERE id = 1"})" "\n"
    R"({"sql":"DROP TABLE orders"})" "\n"
    R"({"sql":"SELECT 1"})" "\n";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Signals(const rapidjson::Value& v) {
  std::string s;
  for (const auto& name : v.GetArray()) s += std::string(name.GetString()) + " ";
  return s;
}

}  // namespace

TEST_CASE("env step: the SQL task, one JSON line per action with reward, flags, signal names and decision") {
  TempDir dir;
  TempFile policy("permissive.yaml", kPermissive);
  CliResult r = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", SqlTaskSpec()}, kActions);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  auto lines = r.lines();
  REQUIRE(lines.size() == 4);

  auto read = Json(lines[0]);
  CHECK(read["line"].GetInt() == 1);
  CHECK(read["episode"].GetInt() == 0);
  CHECK(read["step"].GetInt() == 1);
  CHECK(read["allowed"].GetBool());
  CHECK(read["executed"].GetBool());
  CHECK_FALSE(read["terminated"].GetBool());
  CHECK_FALSE(read["truncated"].GetBool());
  CHECK(read["signals"].Empty());

  auto write = Json(lines[1]);
  CHECK(write["step"].GetInt() == 2);
  CHECK(read["observation"].GetInt64() >= 0);  // the episode's question
  CHECK(write["observation"].GetInt64() == read["observation"].GetInt64());
  CHECK(write["executed"].GetBool());

  auto drop = Json(lines[2]);
  CHECK(drop["line"].GetInt() == 3);
  CHECK_FALSE(drop["allowed"].GetBool());
  CHECK_FALSE(drop["executed"].GetBool());
  CHECK(drop["terminated"].GetBool());  // a critical violation ends the episode
  CHECK(drop["reward"].GetDouble() < 0);
  CHECK(Signals(drop["signals"]) == "SIGPOLICY ");
  REQUIRE(drop["violations"].Size() == 1);
  CHECK(std::string(drop["violations"][0]["rule"].GetString()) == "sql.denied_kind");

  auto next = Json(lines[3]);
  CHECK(next["episode"].GetInt() == 1);  // the action after an ended episode starts the next one
  CHECK(next["step"].GetInt() == 1);
  CHECK(next["allowed"].GetBool());
}

TEST_CASE("env step: a malformed line is reported with its line number and the others still run") {
  TempFile policy("permissive.yaml", kPermissive);
  CliResult r = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", R"({"type":"noop"})"},
                    "{\"sql\":\"SELECT 1\"}\n\n{\"kind\":\"tool_call\"}\n{\"sql\":\"SELECT 2\"}\n");
  CHECK(r.code == 1);
  auto lines = r.lines();
  REQUIRE(lines.size() == 3);
  CHECK(Json(lines[0])["line"].GetInt() == 1);
  auto bad = Json(lines[1]);
  CHECK(bad["line"].GetInt() == 3);
  CHECK(std::string(bad["error"].GetString()) == "a tool_call action needs \"tool\"");
  auto last = Json(lines[2]);
  CHECK(last["line"].GetInt() == 4);
  CHECK(last["step"].GetInt() == 2);
}

TEST_CASE("env step: an invalid task spec exits 1 naming the key; a missing spec file exits 2") {
  TempFile policy("permissive.yaml", kPermissive);
  CliResult bad = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", R"({"type":"sql"})"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("dataset_dir") != std::string::npos);
  CliResult missing = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", "/nonexistent/t.json"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("/nonexistent/t.json") != std::string::npos);
  TempFile spec("task.json", R"({"type":"noop"})");
  CliResult from_file = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", spec.path()},
                            "{\"sql\":\"SELECT 1\"}\n");
  CHECK(from_file.code == 0);
  CHECK(from_file.lines().size() == 1);
}

TEST_CASE("audit: env step --audit, export --format jsonl, verify --export, replay under a stricter policy") {
  TempDir dir;
  TempFile permissive("permissive.yaml", kPermissive);
  TempFile read_only("read_only.yaml", kReadOnly);
  const std::string log = dir.File("steps.db");
  CliResult step = Run(cli::RunMain, {"env", "step", "--policy", permissive.path(), "--task", SqlTaskSpec(),
                                      "--audit", log},
                       kActions);
  INFO(step.err);
  REQUIRE(step.code == 0);

  // JSON Lines: one record per line, no enclosing array.
  CliResult jsonl = Run(cli::RunMain, {"audit", "export", log, "--format", "jsonl"});
  REQUIRE(jsonl.code == 0);
  auto records = jsonl.lines();
  REQUIRE(records.size() == 4);
  for (std::size_t i = 0; i < records.size(); ++i) CHECK(Json(records[i])["seq"].GetUint64() == i + 1);
  CHECK(std::string(Json(records[2])["action"]["payload"].GetString()) == "DROP TABLE orders");

  // Round trip: the export is checked against the verified log, byte for byte.
  const std::string exported = dir.File("steps.jsonl");
  REQUIRE(Run(cli::RunMain, {"audit", "export", log, "--format", "jsonl", "--out", exported}).code == 0);
  CHECK(Slurp(exported) == jsonl.out);
  CliResult verified = Run(cli::RunMain, {"audit", "verify", log, "--export", exported});
  INFO(verified.out << verified.err);
  CHECK(verified.code == 0);
  CHECK(verified.out.find(exported + ": all 4 of the log's 4 records, byte for byte\n") != std::string::npos);

  // The array form round-trips too.
  const std::string array = dir.File("steps.json");
  REQUIRE(Run(cli::RunMain, {"audit", "export", log, "--out", array}).code == 0);
  CHECK(Slurp(array).rfind("[\n{\"seq\"", 0) == 0);
  CHECK(Run(cli::RunMain, {"audit", "verify", log, "--export", array}).code == 0);

  // The first lines of a JSON Lines export are a valid prefix (the log may have grown).
  const std::string head = dir.File("head.jsonl");
  std::ofstream(head, std::ios::binary) << records[0] << "\n" << records[1] << "\n";
  CliResult prefix = Run(cli::RunMain, {"audit", "verify", log, "--export", head});
  CHECK(prefix.code == 0);
  CHECK(prefix.out.find(head + ": the first 2 of the log's 4 records, byte for byte\n") != std::string::npos);

  // An edited export is caught at its line.
  std::string edited = jsonl.out;
  edited.replace(edited.find("DROP TABLE orders"), 4, "drop");
  const std::string forged = dir.File("forged.jsonl");
  std::ofstream(forged, std::ios::binary) << edited;
  CliResult caught = Run(cli::RunMain, {"audit", "verify", log, "--export", forged});
  CHECK(caught.code == 1);
  CHECK(caught.out.find(forged + ":3: INVALID: differs from what exporting " + log + " writes\n") !=
        std::string::npos);

  // Replay under the recording policy: nothing changes.
  CliResult same = Run(cli::RunMain, {"audit", "replay", log, "--policy", permissive.path()});
  CHECK(same.code == 0);
  CHECK(same.out.empty());
  CHECK(same.err == "replayed 4 records: 0 decisions change (0 now denied, 0 now allowed)\n");

  // Under a read-only policy the UPDATE (record 2) would have been denied.
  CliResult stricter = Run(cli::RunMain, {"audit", "replay", log, "--policy", read_only.path()});
  INFO(stricter.out << stricter.err);
  CHECK(stricter.code == 1);
  CHECK(stricter.err == "replayed 4 records: 1 decision changes (1 now denied, 0 now allowed)\n");
  auto changed = stricter.lines();
  REQUIRE(changed.size() == 1);
  auto c = Json(changed[0]);
  CHECK(c["seq"].GetInt() == 2);
  CHECK(c["episode"].GetInt() == 0);
  CHECK(c["step"].GetInt() == 2);
  CHECK(c["changed"].GetBool());
  CHECK(c["recorded"]["allowed"].GetBool());
  CHECK_FALSE(c["replayed"]["allowed"].GetBool());
  REQUIRE(c["replayed"]["violations"].Size() == 1);
  CHECK(std::string(c["replayed"]["violations"][0]["policy"].GetString()) == "read_only");

  // --all prints every record, changed or not.
  CliResult all = Run(cli::RunMain, {"audit", "replay", log, "--policy", read_only.path(), "--all"});
  CHECK(all.lines().size() == 4);
  CHECK_FALSE(Json(all.lines()[0])["changed"].GetBool());
}

TEST_CASE("audit replay and verify --export: files that are not logs or exports exit 2") {
  TempFile policy("permissive.yaml", kPermissive);
  CliResult replay = Run(cli::RunMain, {"audit", "replay", "/nonexistent/log.db", "--policy", policy.path()});
  CHECK(replay.code == 2);
  CHECK(replay.err.rfind("agentos audit replay: ", 0) == 0);
  CHECK(replay.err.find('\n') == replay.err.size() - 1);
}
