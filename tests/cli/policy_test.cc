// Specification of `agentos policy validate`.
#include <catch2/catch.hpp>

#include <algorithm>

#include "cli_support.h"

using namespace agentos;
using namespace agentos::testing;

TEST_CASE("policy validate: a valid file prints a summary of its policies") {
  TempFile f("spend.yaml", kSpendPolicy);
  CliResult r = Run(cli::RunPolicy, {"validate", f.path()});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == f.path() + ": OK (2 policies: budget (cost), tools (tool))\n");
}

TEST_CASE("policy validate: the three-rule policy file") {
  TempFile f("issue.yaml", kIssuePolicy);
  CliResult r = Run(cli::RunPolicy, {"validate", f.path()});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.out == f.path() + ": OK (2 policies: budget (cost), sql_safety (sql))\n");
}

TEST_CASE("policy validate: an invalid file prints its error at file:line:col and exits 1") {
  TempFile f("bad.yaml", "version: 1\npolicies:\n  - name: tools\n    type: tool\n    alow: [x]\n");
  CliResult r = Run(cli::RunPolicy, {"validate", f.path()});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  INFO(r.err);
  CHECK(r.err.rfind(f.path() + ":5:", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find("alow") != std::string::npos);
}

TEST_CASE("policy validate: a missing file exits 2 naming it") {
  CliResult r = Run(cli::RunPolicy, {"validate", "/nonexistent/p.yaml"});
  CHECK(r.code == 2);
  CHECK(r.err.rfind("agentos policy validate: ", 0) == 0);
  CHECK(r.err.find("/nonexistent/p.yaml") != std::string::npos);
}

TEST_CASE("policy validate: several files, each reported; an invalid one exits 1, an unreadable one 2") {
  TempFile good("good.yaml", kSpendPolicy);
  TempFile bad("bad.yaml", "version: 2\npolicies: []\n");
  CliResult r = Run(cli::RunPolicy, {"validate", good.path(), bad.path()});
  CHECK(r.code == 1);
  CHECK(r.out.find(good.path() + ": OK") == 0);
  CHECK(r.err.find(bad.path()) == 0);
  CHECK(Run(cli::RunPolicy, {"validate", bad.path(), "/nonexistent/p.yaml", good.path()}).code == 2);
}

TEST_CASE("policy: usage") {
  CliResult none = Run(cli::RunPolicy, {});
  CHECK(none.code == 2);
  CHECK(none.err == "agentos policy: missing subcommand (expected 'validate')\ntry 'agentos policy --help'\n");
  CliResult unknown = Run(cli::RunPolicy, {"lint", "x.yaml"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("unknown subcommand 'lint'") != std::string::npos);
  CliResult no_file = Run(cli::RunPolicy, {"validate"});
  CHECK(no_file.code == 2);
  CHECK(no_file.err.find("no policy file given") != std::string::npos);
  CliResult flag = Run(cli::RunPolicy, {"validate", "--strict", "x.yaml"});
  CHECK(flag.code == 2);
  CHECK(flag.err == "agentos policy validate: unknown option '--strict'\ntry 'agentos policy validate --help'\n");
  for (auto args : {std::vector<std::string>{"--help"}, std::vector<std::string>{"validate", "--help"}}) {
    CliResult help = Run(cli::RunPolicy, args);
    CHECK(help.code == 0);
    CHECK(help.out.find("usage: agentos policy validate") == 0);
  }
}
