// Specification of SqlSession::Restore across episodes that change the
// schema, the connection or both: whatever an episode did, the next episode
// runs on a session indistinguishable from a fresh one, and nothing it does
// there can reach state the previous episode left behind.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "env/sql/sql_session.h"
#include "sql_test_support.h"

using namespace agentos;
using agentos::testing::Shop;

namespace {

std::unique_ptr<SqlSession> OpenShop() {
  std::unique_ptr<SqlSession> s;
  Status st = SqlSession::Open(Shop()->image(), 1 << 20, &s);
  INFO(st.ToString());
  REQUIRE(st.ok());
  return s;
}

ResultSet Query(SqlSession& s, const std::string& sql) {
  ResultSet rs;
  SqlRunStatus st = s.Run(sql, SqlLimits{}, &rs);
  INFO(sql << ": " << s.error());
  REQUIRE(st == SqlRunStatus::kOk);
  return rs;
}

std::int64_t Scalar(SqlSession& s, const std::string& sql) {
  ResultSet rs = Query(s, sql);
  REQUIRE(rs.rows() == 1);
  REQUIRE(rs.at(0, 0).kind == ResultSet::Kind::kInteger);
  return rs.at(0, 0).integer;
}

std::uint64_t Digest(SqlSession& s) {
  std::uint64_t d = 0;
  REQUIRE(s.Digest(&d).ok());
  return d;
}

// Eponymous virtual tables: SQLite builds one per connection on first use
// and keeps it in the main schema, so it must not outlive that schema.
const char* const kVirtualTableReads[] = {
    "SELECT COUNT(*) FROM json_each('[1,2,3]')",
    "SELECT COUNT(*) FROM pragma_table_info('orders')",
    "SELECT COUNT(*) FROM pragma_function_list",
    "SELECT COUNT(*) FROM json_tree('{\"a\":[1,2]}')",
};
const std::int64_t kVirtualTableCounts[] = {3, 5, -1, 4};  // -1: any count

}  // namespace

TEST_CASE("a schema change then an eponymous virtual table survives a reset and runs again") {
  for (std::size_t v = 0; v < sizeof kVirtualTableReads / sizeof kVirtualTableReads[0]; ++v) {
    const std::string read = kVirtualTableReads[v];
    INFO(read);
    auto s = OpenShop();
    for (int episode = 0; episode < 4; ++episode) {
      INFO("episode " << episode);
      Query(*s, "CREATE TABLE scratch (x)");
      const std::int64_t n = Scalar(*s, read);
      if (kVirtualTableCounts[v] >= 0) CHECK(n == kVirtualTableCounts[v]);
      REQUIRE(s->Restore().ok());
      CHECK(Digest(*s) == Shop()->template_digest());
    }
    const std::int64_t n = Scalar(*s, read);
    if (kVirtualTableCounts[v] >= 0) CHECK(n == kVirtualTableCounts[v]);
  }
}

TEST_CASE("the virtual table may be used before or after the schema change in either episode") {
  auto s = OpenShop();
  Query(*s, "SELECT COUNT(*) FROM json_each('[1]')");
  Query(*s, "CREATE INDEX scratch_idx ON orders(status)");
  REQUIRE(s->Restore().ok());
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM json_each('[1,2]')") == 2);
  Query(*s, "DROP TABLE reviews");
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM pragma_table_list WHERE name = 'reviews'") == 0);
  REQUIRE(s->Restore().ok());
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM pragma_table_list WHERE name = 'reviews'") == 1);
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM reviews") == 650);
  CHECK(Digest(*s) == Shop()->template_digest());
}

TEST_CASE("a reset after a schema change leaves no object of the old schema visible") {
  auto s = OpenShop();
  Query(*s, "CREATE TABLE scratch (x)");
  Query(*s, "CREATE VIEW v AS SELECT id FROM orders");
  Query(*s, "CREATE TRIGGER tr AFTER INSERT ON categories BEGIN DELETE FROM payments; END");
  Query(*s, "ALTER TABLE customers ADD COLUMN nickname TEXT");
  REQUIRE(s->Restore().ok());
  ResultSet rs;
  CHECK(s->Run("SELECT * FROM scratch", SqlLimits{}, &rs) == SqlRunStatus::kSqlError);
  CHECK(s->Run("SELECT * FROM v", SqlLimits{}, &rs) == SqlRunStatus::kSqlError);
  CHECK(s->Run("SELECT nickname FROM customers", SqlLimits{}, &rs) == SqlRunStatus::kSqlError);
  // The trigger went with the old schema: this insert deletes no payment.
  Query(*s, "INSERT INTO categories (name) VALUES ('Garden')");
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM payments") > 0);
  REQUIRE(s->Restore().ok());
  CHECK(Digest(*s) == Shop()->template_digest());
}

TEST_CASE("a schema change inside a transaction or a savepoint left open is undone by the reset") {
  const char* const openers[] = {"BEGIN", "SAVEPOINT sp", "BEGIN; SAVEPOINT sp"};
  for (const char* opener : openers) {
    INFO(opener);
    auto s = OpenShop();
    Query(*s, opener);
    Query(*s, "CREATE TABLE scratch (x)");
    Query(*s, "SELECT COUNT(*) FROM json_each('[1,2,3]')");
    Query(*s, "DROP TABLE orders");
    REQUIRE(s->Restore().ok());
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM json_each('[1,2,3]')") == 3);
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM orders") == 1100);
    Query(*s, "BEGIN");  // no transaction is left over
    Query(*s, "COMMIT");
    CHECK(Digest(*s) == Shop()->template_digest());
  }
}

TEST_CASE("temp objects and settings and virtual tables are all gone after one reset") {
  auto s = OpenShop();
  Query(*s, "CREATE TEMP TABLE t AS SELECT 1 AS x");
  Query(*s, "CREATE TEMP VIEW tv AS SELECT * FROM json_each('[1]')");
  Query(*s, "CREATE TABLE scratch (x)");
  Query(*s, "PRAGMA case_sensitive_like = ON");
  Query(*s, "SELECT COUNT(*) FROM tv");
  REQUIRE(s->Restore().ok());
  ResultSet rs;
  CHECK(s->Run("SELECT * FROM temp.t", SqlLimits{}, &rs) == SqlRunStatus::kSqlError);
  CHECK(s->Run("SELECT * FROM tv", SqlLimits{}, &rs) == SqlRunStatus::kSqlError);
  CHECK(Scalar(*s, "SELECT 'a' LIKE 'A'") == 1);
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM json_each('[1,2]')") == 2);
  CHECK(Digest(*s) == Shop()->template_digest());
}

TEST_CASE("prepared-statement caches do not carry the old schema across many resets") {
  // Alternating schema-changing, data-only and read-only episodes over the
  // same statements exercises every restore path against the same texts.
  auto s = OpenShop();
  const std::uint64_t base = Digest(*s);
  for (int episode = 0; episode < 60; ++episode) {
    INFO("episode " << episode);
    switch (episode % 3) {
      case 0:
        Query(*s, "CREATE TABLE scratch AS SELECT value FROM json_each('[1,2,3]')");
        Query(*s, "DROP TABLE payments");
        break;
      case 1: Query(*s, "DELETE FROM order_items WHERE order_id % 2 = 0"); break;
      default: break;
    }
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM json_each('[1,2,3]')") == 3);
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM pragma_table_info('orders')") == 5);
    REQUIRE(s->Restore().ok());
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM payments") > 0);
  }
  CHECK(Digest(*s) == base);
}

TEST_CASE("statements that change the schema without saying so are still undone by the reset") {
  // ANALYZE creates sqlite_stat1; PRAGMA optimize may run ANALYZE while it
  // steps, where the authorizer no longer counts what it sees.
  const char* const episodes[] = {
      "ANALYZE",
      "SELECT COUNT(*) FROM orders WHERE customer_id = 7; SELECT COUNT(*) FROM orders WHERE order_date > '2024'; "
      "PRAGMA optimize",
      "PRAGMA optimize(0x10002)",
  };
  for (const char* episode : episodes) {
    INFO(episode);
    auto s = OpenShop();
    Query(*s, episode);
    Query(*s, "SELECT COUNT(*) FROM json_each('[1]')");
    REQUIRE(s->Restore().ok());
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM json_each('[1,2]')") == 2);
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'") == 0);
    CHECK(Digest(*s) == Shop()->template_digest());
  }
}

TEST_CASE("virtual tables created by an episode are gone after the reset") {
  const char* const creates[] = {
      "CREATE VIRTUAL TABLE ft USING fts5(body)",
      "CREATE VIRTUAL TABLE rt USING rtree(id, x0, x1)",
      "CREATE VIRTUAL TABLE f4 USING fts4(body)",
  };
  for (const char* create : creates) {
    INFO(create);
    auto s = OpenShop();
    ResultSet rs;
    if (s->Run(create, SqlLimits{}, &rs) != SqlRunStatus::kOk) {
      WARN("this SQLite lacks the module: " << s->error());
      continue;
    }
    Query(*s, "SELECT COUNT(*) FROM json_each('[1]')");
    REQUIRE(s->Restore().ok());
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM json_each('[1,2]')") == 2);
    CHECK(Scalar(*s, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'") == 0);
    CHECK(Digest(*s) == Shop()->template_digest());
  }
}
