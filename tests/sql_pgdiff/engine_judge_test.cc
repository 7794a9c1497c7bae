// Specification of the differential judge (judge/engine_judge.h): what
// SQLite and PostgreSQL really do with a text, and when that breaks a
// shipped SQL policy. Then a bounded differential run: generated texts the
// shipped kernels allow never make either engine do what the policy denies.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/sql_pgdiff/judge/dialect_text_generator.h"
#include "tests/sql_pgdiff/judge/engine_judge.h"

using namespace agentos;
using namespace agentos::sqljudge;

namespace {

const std::string kDropsOrders = "SELECT 1 --\r'\n; DROP TABLE orders; --'";

const PolicySpec& SqlSafety() { return ShippedSqlPolicies()[0]; }
const PolicySpec& TrainGoverned() { return ShippedSqlPolicies()[1]; }

SqliteProbe& Probe() {
  static std::unique_ptr<SqliteProbe> probe = [] {
    std::unique_ptr<SqliteProbe> p;
    REQUIRE(SqliteProbe::Open("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT);"
                              "CREATE TABLE products (id INTEGER PRIMARY KEY, price REAL);"
                              "CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT UNIQUE);",
                              &p)
                .ok());
    return p;
  }();
  return *probe;
}

std::vector<SqliteStatement> SqliteRuns(const std::string& text) {
  std::vector<SqliteStatement> out;
  Probe().Statements(text, &out, [](const SqliteStatement&) { return true; });
  return out;
}

std::string SqliteBreachOf(const PolicySpec& p, const std::string& text) {
  return SqliteBreach(p, text, SqliteRuns(text));
}

std::string PostgresBreachOf(const PolicySpec& p, const std::string& text) {
  bool parsed = false;
  return PostgresBreach(p, text, &parsed);
}

}  // namespace

TEST_CASE("judge: SQLite ends a -- comment at \\n only, so the \\r text drops orders there") {
  const auto statements = SqliteRuns(kDropsOrders);
  REQUIRE(statements.size() == 2);
  CHECK(statements[0].prepared);
  CHECK(kDropsOrders.substr(statements[0].begin, statements[0].end - statements[0].begin) == "SELECT 1 --\r'\n;");
  CHECK(statements[1].prepared);
  CHECK(std::find(statements[1].actions.begin(), statements[1].actions.end(), SQLITE_DROP_TABLE) !=
        statements[1].actions.end());
  CHECK(SqliteBreachOf(SqlSafety(), kDropsOrders).find("DROP_TABLE:orders") != std::string::npos);
  CHECK(SqliteBreachOf(TrainGoverned(), kDropsOrders).find("DROP_TABLE:orders") != std::string::npos);
}

TEST_CASE("judge: PostgreSQL ends a -- comment at \\r, so it runs what follows") {
  const std::string text = "SELECT 1 -- x\r; DROP TABLE orders";
  CHECK(PostgresBreachOf(SqlSafety(), text) == "PostgreSQL would run DROP");
  CHECK(SqliteBreachOf(SqlSafety(), text).empty());  // a comment to the end for SQLite
  bool parsed = true;
  CHECK(PostgresBreach(SqlSafety(), kDropsOrders, &parsed).empty());
  CHECK_FALSE(parsed);  // SELECT 1 '...' is no statement: PostgreSQL runs nothing
}

TEST_CASE("judge: each policy's permitted SQLite actions") {
  CHECK(SqliteBreachOf(SqlSafety(), "SELECT id FROM orders WHERE id = 1").empty());
  CHECK(SqliteBreachOf(TrainGoverned(), "SELECT id FROM orders WHERE id = 1").empty());
  CHECK(SqliteBreachOf(SqlSafety(), "INSERT INTO categories (name) VALUES ('x')").empty());
  CHECK(SqliteBreachOf(TrainGoverned(), "INSERT INTO categories (name) VALUES ('x')") ==
        "SQLite would perform INSERT:categories: in statement \"INSERT INTO categories (name) VALUES ('x')\"");
  CHECK(SqliteBreachOf(SqlSafety(), "UPDATE products SET price = 0 WHERE id = 1").empty());
  CHECK(SqliteBreachOf(SqlSafety(), "UPDATE products SET price = 0") ==
        "SQLite would run an UPDATE without WHERE: \"UPDATE products SET price = 0\"");
  CHECK(SqliteBreachOf(SqlSafety(), "UPDATE products SET price = 0 --\rWHERE id = 1").find("without WHERE") !=
        std::string::npos);
  // An upsert's DO UPDATE is keyed on the conflict and needs no WHERE.
  CHECK(SqliteBreachOf(SqlSafety(), "INSERT INTO categories (id, name) VALUES (1, 'x') "
                                    "ON CONFLICT (id) DO UPDATE SET name = excluded.name")
            .empty());
  CHECK(SqliteBreachOf(SqlSafety(), "DELETE FROM orders WHERE id = 1").find("DELETE:orders") != std::string::npos);
  CHECK(SqliteBreachOf(SqlSafety(), "PRAGMA user_version = 7").find("PRAGMA:user_version:7") != std::string::npos);
  CHECK(SqliteBreachOf(SqlSafety(), "CREATE TABLE t2 (a)").find("CREATE_TABLE:t2") != std::string::npos);
  CHECK(SqliteBreachOf(SqlSafety(), "ALTER TABLE orders RENAME TO gone").find("ALTER_TABLE") != std::string::npos);
  CHECK(SqliteBreachOf(SqlSafety(), "ATTACH ':memory:' AS aux").find("ATTACH") != std::string::npos);
  // SQLite stops at the first statement it refuses: nothing after it runs.
  CHECK(SqliteBreachOf(SqlSafety(), "SELECT nonsense FROM nowhere; DROP TABLE orders").empty());
}

TEST_CASE("judge: SQLite's own lexer decides whether an UPDATE has a top-level WHERE") {
  CHECK(SqliteSeesTopLevelWhere("UPDATE t SET a = 1 WHERE id = 1"));
  CHECK(SqliteSeesTopLevelWhere("UPDATE t SET a = 1 where\tid = 1"));
  CHECK(SqliteSeesTopLevelWhere("UPDATE t SET a = 1 WHERE(1)"));
  CHECK(SqliteSeesTopLevelWhere("UPDATE t SET a = (SELECT 1) WHERE id = 1"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET a = 1"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET a = 1 -- x\rWHERE id = 1"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET a = 1 /* WHERE */"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET a = 'WHERE'"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET \"where\" = 1"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET [where] = 1"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET a = (SELECT b FROM u WHERE c)"));
  CHECK_FALSE(SqliteSeesTopLevelWhere("UPDATE t SET nowhere = 1, whereabouts = 2"));
}

TEST_CASE("judge: a lax kernel is caught, the shipped ones are not") {
  std::unique_ptr<DifferentialJudge> lax;
  REQUIRE(DifferentialJudge::CreateWithKernels(AGENTOS_SOURCE_DIR, {KernelSpace::AllowAll(), KernelSpace::AllowAll()},
                                               &lax)
              .ok());
  std::vector<Finding> findings;
  lax->Judge(kDropsOrders, &findings);
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].policy == "sql_safety.yaml");
  CHECK(findings[0].engine == "sqlite");
  CHECK(findings[1].policy == "train_governed.yaml");
  CHECK(lax->counts().texts_with_findings == 1);

  std::unique_ptr<DifferentialJudge> shipped;
  REQUIRE(DifferentialJudge::Create(AGENTOS_SOURCE_DIR, &shipped).ok());
  findings.clear();
  shipped->Judge(kDropsOrders, &findings);
  shipped->Judge("SELECT id FROM orders WHERE id = 1", &findings);
  CHECK(findings.empty());
  CHECK(shipped->counts().allowed == 2);  // the SELECT, under both policies
}

TEST_CASE("generator: every separator sits right before and right after every opener") {
  const Atoms& atoms = GeneratorAtoms();
  DialectTextGenerator gen(11);
  std::vector<std::string> texts;
  for (int i = 0; i < 200000; ++i) texts.push_back(gen.Next());
  std::size_t missing = 0;
  for (const std::string& op : {std::string("--"), std::string("'"), std::string("\""), std::string("/*"),
                                std::string("`"), std::string("["), std::string("$$"), std::string("#")}) {
    for (const std::string& sep : atoms.separators) {
      bool before = false, after = false;
      for (const std::string& t : texts) {
        before = before || t.find(sep + op) != std::string::npos;
        after = after || t.find(op + sep) != std::string::npos;
        if (before && after) break;
      }
      if (!before || !after) {
        ++missing;
        UNSCOPED_INFO("opener " << op << " separator bytes " << sep.size() << " first 0x" << std::hex
                                << (static_cast<unsigned>(static_cast<unsigned char>(sep[0]))));
      }
    }
  }
  CHECK(missing == 0);
}

TEST_CASE("differential: 20,000 generated texts, none allowed that an engine runs as a denied operation") {
  std::unique_ptr<DifferentialJudge> judge;
  REQUIRE(DifferentialJudge::Create(AGENTOS_SOURCE_DIR, &judge).ok());
  DialectTextGenerator gen(0x5EED5AFE);
  std::vector<Finding> findings;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = gen.Next();
    findings.clear();
    judge->Judge(text, &findings);
    for (const auto& f : findings) FAIL_CHECK(f.policy << " / " << f.engine << ": " << f.why);
  }
  const JudgeCounts& c = judge->counts();
  WARN("differential: " << c.texts << " texts, " << c.allowed << " allowed (text, policy) pairs, "
                        << c.sqlite_statements << " SQLite statements, " << c.postgres_parsed
                        << " parsed by PostgreSQL, " << c.texts_with_findings << " with findings");
  CHECK(c.texts_with_findings == 0);
  // The generator must give the engines real work, not only texts the kernel refuses.
  CHECK(c.allowed >= 2000);
}
