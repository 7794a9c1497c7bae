// Specification of LoadKernelFromFile and of the shipped example policy
// files: every file in examples/policies/ loads, and each means what its
// comments say.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policies/policy_loader.h"
#include "policy_test_support.h"

using namespace agentos;
using namespace agentos::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kExamples = fs::path(AGENTOS_SOURCE_DIR) / "examples" / "policies";

std::shared_ptr<const KernelSpace> LoadExample(const std::string& file) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromFile((kExamples / file).string(), &k);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return k;
}

// A scratch directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "agentos-policies-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

}  // namespace

TEST_CASE("files: every example policy file loads") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    std::shared_ptr<const KernelSpace> k;
    Status s = LoadKernelFromFile(entry.path().string(), &k);
    INFO(entry.path() << ": " << s.ToString());
    CHECK(s.ok());
    CHECK(k != nullptr);
  }
  CHECK(count >= 5);
}

TEST_CASE("files: sql_safety.yaml is the three-rule example and means what it says") {
  auto k = LoadExample("sql_safety.yaml");
  CHECK(k->Check(Sql("SELECT * FROM orders")).allowed());
  CHECK(HasRule(k->Check(Sql("DROP TABLE orders")), "sql.denied_kind"));
  CHECK(HasRule(k->Check(Sql("DELETE FROM orders WHERE id = 1")), "sql.denied_kind"));
  CHECK(HasRule(k->Check(Sql("UPDATE orders SET total = 0")), "sql.update_without_where"));
  CHECK(k->Check(Sql("UPDATE orders SET total = 0 WHERE id = 1")).allowed());
  EpisodeState st;
  st.cost_usd = 99.5;
  Decision d;
  Action a = Sql("SELECT 1");
  a.cost_usd = 0.5;
  k->Check(a, st, d);
  CHECK(d.allowed());
  a.cost_usd = 0.01;
  k->Check(a, st, d);
  CHECK(HasRule(d, "cost.episode_budget"));
}

TEST_CASE("files: research_agents.yaml scopes tools and budgets by agent") {
  auto k = LoadExample("research_agents.yaml");
  Action search = ToolCall("web.search", R"({"q": "llm safety"})");
  search.agent_id = "research-1";
  CHECK(k->Check(search).allowed());
  Action shell = ToolCall("shell.exec", "ls");
  shell.agent_id = "research-1";
  CHECK(HasRule(k->Check(shell), "tool.denied"));
  Action write = Sql("INSERT INTO notes VALUES ('x')");
  write.agent_id = "research-1";
  CHECK(HasRule(k->Check(write), "sql.not_allowed"));
  Action report = Sql("INSERT INTO notes VALUES ('x')");
  report.agent_id = "writer-1";
  CHECK(k->Check(report).allowed());
}

TEST_CASE("files: secrets.yaml denies credentials in messages and tool arguments") {
  auto k = LoadExample("secrets.yaml");
  CHECK(k->Check(OfKind(ActionKind::kMessage, "the answer is 42")).allowed());
  CHECK(HasRule(k->Check(OfKind(ActionKind::kMessage, "use AKIAIOSFODNN7EXAMPLE")), "content.denied_pattern"));
  CHECK(HasRule(k->Check(ToolCall("http.post", "-----BEGIN OPENSSH PRIVATE KEY-----")), "content.denied_pattern"));
  // Bytes no pattern can be checked against: the kernel's screen denies them first.
  CHECK(HasRule(k->Check(OfKind(ActionKind::kMessage, "bad \xff byte")), "kernel.invalid_utf8"));
}

TEST_CASE("files: audit_rollout.yaml reports but never blocks policy violations") {
  auto k = LoadExample("audit_rollout.yaml");
  CHECK(k->mode() == EnforcementMode::kAudit);
  Decision d = k->Check(Sql("DROP TABLE t"));
  CHECK(d.allowed());
  CHECK(d.total_violations() >= 1);
}

TEST_CASE("files: allow_all.yaml is an explicit allow-all kernel") {
  auto k = LoadExample("allow_all.yaml");
  CHECK(k->allow_all());
}

TEST_CASE("files: a missing, unreadable or oversized file is an I/O error naming the path") {
  std::shared_ptr<const KernelSpace> k;
  Status missing = LoadKernelFromFile("/nonexistent/agentos/policy.yaml", &k);
  CHECK(missing.code() == Status::Code::kIoError);
  CHECK(missing.message() == "cannot open policy file '/nonexistent/agentos/policy.yaml': No such file or directory");

  TempDir dir;
  Status directory = LoadKernelFromFile(dir.path.string(), &k);
  CHECK(directory.code() == Status::Code::kIoError);
  CHECK(directory.message().find("is not a regular file") != std::string::npos);

  fs::path big = dir.Write("big.yaml", "version: 1\n#" + std::string((1 << 20) + 1, 'x'));
  Status too_big = LoadKernelFromFile(big.string(), &k);
  CHECK(too_big.code() == Status::Code::kIoError);
  CHECK(too_big.message().find("the limit is 1048576 (1 MiB)") != std::string::npos);
  CHECK(k == nullptr);
}

TEST_CASE("files: parse errors name the file path, line and column") {
  TempDir dir;
  fs::path p = dir.Write("bad.yaml", "version: 1\npolicies:\n  - {name: b, type: cost, max_cost_usd: lots}\n");
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromFile(p.string(), &k);
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message() == p.string() + ":3:41: 'max_cost_usd' must be a finite number >= 0, got 'lots'");

  fs::path good = dir.Write("good.yaml", "version: 1\npolicies:\n  - {name: b, type: cost, max_cost_usd: 5}\n");
  CHECK(LoadKernelFromFile(good.string(), &k).ok());
  CHECK(k != nullptr);
}
