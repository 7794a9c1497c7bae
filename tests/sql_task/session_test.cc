// Specification of SqlSession (env/sql/sql_session.h): restoring from the
// template image, what a restore has to do, and connection state.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "env/sql/cpu_deadline.h"
#include "env/sql/sql_session.h"
#include "sql_test_support.h"

using namespace agentos;
using agentos::testing::Shop;

namespace {

std::unique_ptr<SqlSession> OpenShop(std::size_t growth = 1 << 20) {
  std::unique_ptr<SqlSession> s;
  Status st = SqlSession::Open(Shop()->image(), growth, &s);
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

}  // namespace

TEST_CASE("a session starts as the template and reads values with their SQLite types") {
  auto s = OpenShop();
  CHECK(Digest(*s) == Shop()->template_digest());
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM orders") == 1100);
  ResultSet rs = Query(*s, "SELECT 1, 2.5, 'x', x'01', NULL");
  REQUIRE(rs.columns() == 5);
  CHECK(rs.at(0, 0).kind == ResultSet::Kind::kInteger);
  CHECK(rs.at(0, 1).kind == ResultSet::Kind::kReal);
  CHECK(rs.at(0, 2).kind == ResultSet::Kind::kText);
  CHECK(rs.at(0, 3).kind == ResultSet::Kind::kBlob);
  CHECK(rs.at(0, 4).kind == ResultSet::Kind::kNull);
}

TEST_CASE("a restore does only what the episode made necessary") {
  auto s = OpenShop();
  Query(*s, "SELECT COUNT(*) FROM orders");
  REQUIRE(s->Restore().ok());
  CHECK(s->restore_counts().skipped == 1);  // reads leave nothing to undo

  Query(*s, "DELETE FROM orders WHERE id < 100");
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM orders") == 1001);
  REQUIRE(s->Restore().ok());
  CHECK(s->restore_counts().copied == 1);
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM orders") == 1100);

  Query(*s, "DROP TABLE reviews");
  REQUIRE(s->Restore().ok());
  CHECK(s->restore_counts().reopened == 1);  // a schema change needs a new connection
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM reviews") == 650);

  Query(*s, "CREATE TEMP TABLE t AS SELECT 1 AS x");
  REQUIRE(s->Restore().ok());
  CHECK(s->restore_counts().reopened == 2);
  ResultSet ignored;
  CHECK(s->Run("SELECT x FROM temp.t", SqlLimits{}, &ignored) == SqlRunStatus::kSqlError);
  CHECK(Digest(*s) == Shop()->template_digest());
}

TEST_CASE("connection settings do not leak into the next episode") {
  auto s = OpenShop();
  CHECK(Scalar(*s, "SELECT 'a' LIKE 'A'") == 1);
  Query(*s, "PRAGMA case_sensitive_like = ON");
  CHECK(Scalar(*s, "SELECT 'a' LIKE 'A'") == 0);
  Query(*s, "PRAGMA foreign_keys = ON");
  REQUIRE(s->Restore().ok());
  CHECK(Scalar(*s, "SELECT 'a' LIKE 'A'") == 1);
  CHECK(Scalar(*s, "PRAGMA foreign_keys") == 0);
  CHECK(Scalar(*s, "SELECT last_insert_rowid()") == 0);
}

TEST_CASE("a restore ends a transaction the episode left open") {
  auto s = OpenShop();
  Query(*s, "BEGIN");
  Query(*s, "DELETE FROM customers");
  REQUIRE(s->Restore().ok());
  CHECK(Scalar(*s, "SELECT COUNT(*) FROM customers") == 320);
  Query(*s, "BEGIN");  // a fresh transaction can start: the old one is gone
  Query(*s, "COMMIT");
  CHECK(Digest(*s) == Shop()->template_digest());
}

TEST_CASE("the digest sees content, not layout") {
  auto s = OpenShop();
  const std::uint64_t base = Digest(*s);
  Query(*s, "UPDATE customers SET phone = phone");  // rewrites rows, same content
  CHECK(Digest(*s) == base);
  Query(*s, "UPDATE customers SET tier = 'gold' WHERE id = 1 AND tier <> 'gold'");
  Query(*s, "UPDATE customers SET tier = 'silver' WHERE id = 2 AND tier <> 'silver'");
  CHECK(Digest(*s) != base);
  REQUIRE(s->Restore().ok());
  Query(*s, "CREATE VIEW v AS SELECT 1");
  CHECK(Digest(*s) != base);
  REQUIRE(s->Restore().ok());
  Query(*s, "PRAGMA user_version = 1");
  CHECK(Digest(*s) != base);
  REQUIRE(s->Restore().ok());
  CHECK(Digest(*s) == base);
}

TEST_CASE("a session refuses SQL with an embedded NUL and a missing image") {
  auto s = OpenShop();
  ResultSet rs;
  CHECK(s->Run(std::string("SELECT 1\0", 9), SqlLimits{}, &rs) == SqlRunStatus::kSqlError);
  CHECK(s->error() == "the SQL text contains a NUL byte");
  std::unique_ptr<SqlSession> none;
  CHECK(SqlSession::Open(nullptr, 0, &none).code() == Status::Code::kInvalidArgument);
  CHECK(none == nullptr);
}

TEST_CASE("in-place restores stay exact over many write episodes, growth included") {
  auto s = OpenShop(4 << 20);
  const std::uint64_t base = Digest(*s);
  const char* writes[] = {
      "DELETE FROM order_items WHERE order_id % 3 = 0",
      "UPDATE products SET price = price * 2, stock = 0",
      "INSERT INTO reviews (product_id, customer_id, rating, review_date) SELECT product_id, customer_id, "
      "rating, review_date FROM reviews",  // doubles the table: the file grows past the template
      "UPDATE customers SET email = email || '.bak' WHERE id % 2 = 1",
      "DELETE FROM payments",
      "INSERT INTO categories (name) SELECT 'copy of ' || name FROM categories",
  };
  std::string reads[] = {"SELECT COUNT(*), SUM(quantity) FROM order_items", "SELECT SUM(price) FROM products",
                         "SELECT COUNT(*) FROM reviews", "SELECT COUNT(*) FROM customers WHERE email LIKE '%.bak'",
                         "SELECT COUNT(*) FROM payments", "SELECT COUNT(*) FROM categories"};
  std::vector<ResultSet> expected;
  for (const auto& r : reads) expected.push_back(Query(*s, r));
  for (int episode = 0; episode < 120; ++episode) {
    INFO("episode " << episode);
    const std::size_t w = static_cast<std::size_t>(episode) % 6;
    Query(*s, reads[w]);  // pages of the template in the cache...
    Query(*s, writes[w]);  // ...then changed...
    Query(*s, reads[w]);   // ...and the changed pages cached
    if (episode % 4 == 0) Query(*s, writes[(w + 1) % 6]);
    REQUIRE(s->Restore().ok());
    for (std::size_t r = 0; r < 6; ++r) CHECK(ResultsMatch(expected[r], Query(*s, reads[r]), false));
    if (episode % 20 == 0) {
      CHECK(Digest(*s) == base);
      ResultSet ok = Query(*s, "PRAGMA integrity_check");
      CHECK(ok.at(0, 0).bytes == "ok");
    }
  }
  CHECK(s->restore_counts().copied == 120);
  CHECK(Digest(*s) == base);
}

TEST_CASE("the CPU deadline charges CPU time, not time spent descheduled") {
  CpuDeadline d;
  d.Start(std::chrono::milliseconds(20));
  CHECK_FALSE(d.Expired());
  // Sleeping uses no CPU: 60 ms later the 20 ms budget is still there.
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK_FALSE(d.Expired());
  // Spinning spends it.
  const auto start = std::chrono::steady_clock::now();
  while (!d.Expired()) {
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(5)) FAIL("the deadline never expired");
  }
  d.Disarm();
  CHECK_FALSE(d.Expired());

  SECTION("the wall-clock cap ends even an idle wait") {
    CpuDeadline capped;
    capped.Start(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * CpuDeadline::kWallCapFactor + 10));
    CHECK(capped.Expired());
  }
}
