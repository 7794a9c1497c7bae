// The conventions every `agentos` subcommand follows (jq and ripgrep are the
// model): --help exits 0 with the usage on stdout; a usage error is one line
// plus "try 'agentos CMD --help'" on stderr and exit 2.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cli_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::size_t LineCount(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("--help on every command and subcommand prints its usage on stdout and exits 0") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--help"}, "usage: agentos <command>"},
      {{"check", "--help"}, "usage: agentos check"},
      {{"check", "--policy", "x.yaml", "-h"}, "usage: agentos check"},
      {{"policy", "--help"}, "usage: agentos policy validate"},
      {{"policy", "validate", "--help"}, "usage: agentos policy validate"},
      {{"audit", "--help"}, "usage: agentos audit verify"},
      {{"audit", "verify", "--help"}, "usage: agentos audit verify"},
      {{"audit", "export", "--help"}, "usage: agentos audit verify"},
      {{"audit", "stats", "--help"}, "usage: agentos audit verify"},
      {{"audit", "replay", "--help"}, "usage: agentos audit verify"},
      {{"audit", "verify", "some.db", "--help"}, "usage: agentos audit verify"},
      {{"env", "--help"}, "usage: agentos env step"},
      {{"env", "step", "--help"}, "usage: agentos env step"},
      {{"help", "env"}, "usage: agentos env step"},
      {{"help", "audit"}, "usage: agentos audit verify"},
  };
  for (const auto& [args, usage] : cases) {
    CliResult r = Run(cli::RunMain, args);
    INFO(args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.rfind(usage, 0) == 0);
    CHECK(r.err.empty());
  }
  // The audit usage covers every audit subcommand.
  const std::string audit = Run(cli::RunMain, {"audit", "--help"}).out;
  for (const char* sub : {"audit verify LOG", "audit export LOG", "audit stats LOG", "audit replay LOG"}) {
    CHECK(audit.find(sub) != std::string::npos);
  }
}

TEST_CASE("a usage error is one line and a hint naming the command's --help, exit 2") {
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  const Case cases[] = {
      {{"check"}, "agentos check: --policy FILE.yaml is required"},
      {{"check", "--policy", "p.yaml", "--colour"}, "agentos check: unknown option '--colour'"},
      {{"policy"}, "agentos policy: missing subcommand (expected 'validate')"},
      {{"policy", "lint"}, "agentos policy: unknown subcommand 'lint'"},
      {{"policy", "validate"}, "agentos policy validate: no policy file given"},
      {{"audit"}, "agentos audit: missing subcommand (expected verify, export, stats or replay)"},
      {{"audit", "shred", "x.db"}, "agentos audit: unknown subcommand 'shred'"},
      {{"audit", "verify"}, "agentos audit verify: missing LOG"},
      {{"audit", "verify", "a.db", "b.db"}, "agentos audit verify: unexpected argument 'b.db'"},
      {{"audit", "verify", "a.db", "--key-file"}, "agentos audit verify: --key-file needs a value"},
      {{"audit", "export", "a.db", "--format", "xml"},
       "agentos audit export: unknown format 'xml' (expected json, jsonl or spans)"},
      {{"audit", "export", "a.db", "--pretty"}, "agentos audit export: unknown option '--pretty'"},
      {{"audit", "stats", "a.db", "--json=yes"}, "agentos audit stats: --json takes no value"},
      {{"audit", "replay", "a.db"}, "agentos audit replay: --policy FILE.yaml is required"},
      {{"env"}, "agentos env: missing subcommand (expected 'step')"},
      {{"env", "run"}, "agentos env: unknown subcommand 'run'"},
      {{"env", "step", "--policy", "p.yaml"}, "agentos env step: --task SPEC is required"},
      {{"env", "step", "--task", "{}"}, "agentos env step: --policy FILE.yaml is required"},
      {{"env", "step", "--policy", "p.yaml", "--task", "{}", "--seed", "-1"},
       "agentos env step: --seed must be an integer in [0, 2^64), not '-1'"},
      {{"env", "step", "--policy", "p.yaml", "--task", "{}", "--max-steps", "0"},
       "agentos env step: --max-steps must be an integer in [1, 2^32), not '0'"},
  };
  for (const Case& c : cases) {
    CliResult r = Run(cli::RunMain, c.args);
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    REQUIRE(LineCount(r.err) == 2);
    CHECK(r.err.substr(0, r.err.find('\n')) == c.line);
    // The hint names the command as the user typed it, up to the subcommand.
    const std::string command = c.line.substr(0, c.line.find(':'));
    CHECK(r.err.substr(r.err.find('\n') + 1) == "try '" + command + " --help'\n");
  }
}

TEST_CASE("an invalid policy exits 1 with one FILE:LINE:COLUMN line, in every command that loads one") {
  TempFile bad("bad.yaml", "version: 1\npolicies:\n  - name: b\n    type: cost\n    max_cost_usd: -3\n");
  TempFile actions("a.jsonl", "{\"sql\":\"SELECT 1\"}\n");
  const std::vector<std::vector<std::string>> commands = {
      {"check", "--policy", bad.path(), "--input", actions.path()},
      {"policy", "validate", bad.path()},
      {"env", "step", "--policy", bad.path(), "--task", R"({"type":"noop"})", "--input", actions.path()},
      {"audit", "replay", "/nonexistent/log.db", "--policy", bad.path()},
  };
  for (const auto& args : commands) {
    CliResult r = Run(cli::RunMain, args);
    INFO(args[0] << ": " << r.err);
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(LineCount(r.err) == 1);
    CHECK(r.err.rfind(bad.path() + ":5:", 0) == 0);
  }
}

TEST_CASE("an unknown SQL statement kind lists the kinds there are") {
  TempFile bad("kinds.yaml", "version: 1\npolicies:\n  - name: s\n    type: sql\n    deny: [DROP, OBLITERATE]\n");
  CliResult r = Run(cli::RunMain, {"policy", "validate", bad.path()});
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(r.err.rfind(bad.path() + ":5:", 0) == 0);
  CHECK(r.err.find("unknown SQL statement kind 'OBLITERATE'") != std::string::npos);
  CHECK(r.err.find("SELECT, INSERT, UPDATE, DELETE") != std::string::npos);
  CHECK(r.err.find("FETCH, CLOSE") != std::string::npos);
  CHECK(r.err.find(".h") == std::string::npos);  // no C++ header to go and read
}
