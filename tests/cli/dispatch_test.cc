// Specification of the `agentos` command line: dispatch, help, version.
#include <catch2/catch.hpp>

#include "cli_support.h"

using namespace agentos;
using namespace agentos::testing;

TEST_CASE("agentos --help and help print the overview on stdout") {
  for (const char* flag : {"--help", "-h", "help"}) {
    CliResult r = Run(cli::RunMain, {flag});
    CHECK(r.code == 0);
    CHECK(r.out.find("usage: agentos <command>") == 0);
    CHECK(r.out.find("check --policy FILE.yaml") != std::string::npos);
    CHECK(r.out.find("policy validate FILE.yaml") != std::string::npos);
    CHECK(r.err.empty());
  }
}

TEST_CASE("agentos help COMMAND and COMMAND --help print that command's usage") {
  CHECK(Run(cli::RunMain, {"help", "check"}).out.find("usage: agentos check") == 0);
  CHECK(Run(cli::RunMain, {"check", "--help"}).out.find("usage: agentos check") == 0);
  CHECK(Run(cli::RunMain, {"help", "policy"}).out.find("usage: agentos policy") == 0);
  CHECK(Run(cli::RunMain, {"policy", "--help"}).code == 0);
  CliResult unknown = Run(cli::RunMain, {"help", "frobnicate"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("unknown command 'frobnicate'") != std::string::npos);
}

TEST_CASE("agentos with no command, an unknown command or an unknown flag: one line and a hint, exit 2") {
  CliResult none = Run(cli::RunMain, {});
  CHECK(none.code == 2);
  CHECK(none.out.empty());
  CHECK(none.err == "agentos: missing command\ntry 'agentos --help'\n");
  CliResult unknown = Run(cli::RunMain, {"frobnicate"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err == "agentos: unknown command 'frobnicate'\ntry 'agentos --help'\n");
  CliResult flag = Run(cli::RunMain, {"--frobnicate"});
  CHECK(flag.code == 2);
  CHECK(flag.err == "agentos: unknown option '--frobnicate'\ntry 'agentos --help'\n");
}

TEST_CASE("agentos --version") {
  CliResult r = Run(cli::RunMain, {"--version"});
  CHECK(r.code == 0);
  CHECK(r.out.rfind("agentos ", 0) == 0);
  CHECK(Run(cli::RunMain, {"--version", "x"}).code == 2);
}

TEST_CASE("subcommands receive the arguments after their name") {
  TempFile f("spend.yaml", kSpendPolicy);
  CliResult check = Run(cli::RunMain, {"check", "--policy", f.path()}, "{\"tool\":\"search\"}\n");
  CHECK(check.code == 0);
  CHECK(check.out == "{\"line\":1,\"allowed\":true,\"violations\":[]}\n");
  CliResult validate = Run(cli::RunMain, {"policy", "validate", f.path()});
  CHECK(validate.code == 0);
  // `audit` belongs to the flight recorder; dispatch must reach it, whatever it answers.
  CliResult audit = Run(cli::RunMain, {"audit"});
  CHECK(audit.err.find("unknown command") == std::string::npos);
}
