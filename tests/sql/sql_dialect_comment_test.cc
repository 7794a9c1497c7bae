// Specification: a `--` comment that PostgreSQL ends at a \r while SQLite and
// MySQL read on to the \n is denied under the shipped example policies, so
// text hidden from one reading can never run in another database.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "policies/policy_loader.h"
#include "tests/sql/sql_test_support.h"

using namespace agentos;
using namespace agentos::sqltest;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const KernelSpace> LoadExample(const std::string& file) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromFile((fs::path(AGENTOS_SOURCE_DIR) / "examples" / "policies" / file).string(), &k);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return k;
}

}  // namespace

TEST_CASE("a -- comment ended by \\r in one dialect and \\n in another is denied as ambiguous") {
  for (const char* file : {"sql_safety.yaml", "train_governed.yaml"}) {
    const auto kernel = LoadExample(file);
    for (const char* sql : {
             "SELECT 1 --\r'\n; DROP TABLE orders; --'",
             "SELECT 1 --\r'\n; DELETE FROM orders; --'",
             "SELECT 1 --\r\"\n; DROP TABLE orders; --\"",
             "SELECT 1 -- x\r;DROP TABLE orders",
         }) {
      Decision d = Check(*kernel, sql);
      INFO(file << "\nSQL: " << sql << "\ngot: " << Describe(d));
      CHECK_FALSE(d.allowed());
      CHECK(HasRule(d, "sql.ambiguous"));
    }
  }
}

TEST_CASE("a -- comment ending in CRLF is read alike everywhere and allowed") {
  for (const char* file : {"sql_safety.yaml", "train_governed.yaml"}) {
    const auto kernel = LoadExample(file);
    Decision d = Check(*kernel, "SELECT 1 -- total\r\nFROM orders -- all of them\r\n");
    INFO(file << "\ngot: " << Describe(d));
    CHECK(d.allowed());
  }
}
