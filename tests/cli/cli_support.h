// Drives CLI commands in-process and reads what they print.
#ifndef AGENTOS_TESTS_CLI_CLI_SUPPORT_H_
#define AGENTOS_TESTS_CLI_CLI_SUPPORT_H_

#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bindings/cli/commands.h"
#include "kernel/rapidjson.h"

namespace agentos::testing {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;

  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream s(out);
    for (std::string l; std::getline(s, l);) v.push_back(l);
    return v;
  }
};

template <typename Command>
CliResult Run(Command command, const std::vector<std::string>& args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  CliResult r;
  r.code = command(args, cli::Io{in, out, err});
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A file in the temp directory, removed when the test ends.
class TempFile {
 public:
  TempFile(const std::string& leaf, const std::string& content) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("agentos_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + leaf))
                .string();
    std::ofstream f(path_, std::ios::binary);
    f << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Parses one output line strictly (fails the test if it is not JSON).
inline rapidjson::Document Json(const std::string& line) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size());
  INFO("line: " << line);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

inline constexpr const char kIssuePolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
  - name: budget
    type: cost
    max_cost_usd: 100
)";

// Needs no SQL analysis: spending and tools only.
inline constexpr const char kSpendPolicy[] = R"(version: 1
policies:
  - name: budget
    type: cost
    max_cost_usd: 10
    max_cost_per_action_usd: 6
  - name: tools
    type: tool
    allow: ["db.*", "search"]
    deny: ["db.drop*"]
)";

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_CLI_CLI_SUPPORT_H_
