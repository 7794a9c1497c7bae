// Specification of the execution match (env/sql/result_set.h): what counts
// as "the same answer" when an agent's rows are compared with the gold rows.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "env/sql/result_set.h"
#include "env/sql/sql_session.h"

using namespace agentos;

namespace {

// Runs `sql` on an empty in-memory database and returns its rows.
ResultSet Rows(const std::string& sql) {
  static std::shared_ptr<const DatabaseImage> image = [] {
    std::shared_ptr<const DatabaseImage> img;
    REQUIRE(DatabaseImage::FromSql("CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x'), (2, 'y'), (2, 'y');",
                                   &img)
                .ok());
    return img;
  }();
  std::unique_ptr<SqlSession> session;
  REQUIRE(SqlSession::Open(image, 0, &session).ok());
  ResultSet rs;
  SqlRunStatus st = session->Run(sql, SqlLimits{}, &rs);
  INFO(sql << ": " << session->error());
  REQUIRE(st == SqlRunStatus::kOk);
  return rs;
}

bool Same(const std::string& gold, const std::string& got) {
  return ResultsMatch(Rows(gold), Rows(got), HasTopLevelOrderBy(gold));
}

}  // namespace

TEST_CASE("rows match as a multiset when the gold query has no ORDER BY") {
  CHECK(Same("SELECT a FROM t", "SELECT a FROM t ORDER BY a DESC"));
  CHECK(Same("SELECT a, b FROM t", "SELECT a, b FROM t ORDER BY b DESC, a DESC"));
}

TEST_CASE("duplicates count: a multiset, not a set") {
  CHECK_FALSE(Same("SELECT a FROM t", "SELECT DISTINCT a FROM t"));
  CHECK_FALSE(Same("SELECT DISTINCT a FROM t", "SELECT a FROM t"));
  CHECK_FALSE(Same("SELECT a FROM t", "SELECT a FROM t UNION ALL SELECT 1"));
}

TEST_CASE("row order matters when the gold query has a top-level ORDER BY") {
  CHECK(Same("SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a ASC"));
  CHECK_FALSE(Same("SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC"));
  // An ORDER BY inside a subquery or a window does not make the answer ordered.
  CHECK(Same("SELECT a FROM (SELECT a FROM t ORDER BY a) ", "SELECT a FROM t ORDER BY a DESC"));
  CHECK(Same("SELECT a, row_number() OVER (ORDER BY a, b) > 0 FROM t", "SELECT a, 1 FROM t ORDER BY a DESC"));
}

TEST_CASE("numbers compare by value whatever the storage class") {
  CHECK(Same("SELECT 3", "SELECT 3.0"));
  CHECK(Same("SELECT 3.0", "SELECT 3"));
  CHECK(Same("SELECT COUNT(*) FROM t", "SELECT SUM(1.0) FROM t"));
  CHECK_FALSE(Same("SELECT 3", "SELECT 3.5"));
  CHECK_FALSE(Same("SELECT 2.5", "SELECT 2"));
  // Floating-point noise from a different summation order is not a difference.
  CHECK(Same("SELECT 0.3", "SELECT 0.1 + 0.2"));
  CHECK(Same("SELECT 1.1 + 2.2 + 3.3", "SELECT 3.3 + 2.2 + 1.1"));
  // ...but a real difference in the 2nd decimal is.
  CHECK_FALSE(Same("SELECT 12.34", "SELECT 12.35"));
  // Large integers compare exactly.
  CHECK_FALSE(Same("SELECT 9007199254740993", "SELECT 9007199254740992"));
  CHECK(Same("SELECT 9007199254740993", "SELECT 9007199254740993"));
}

TEST_CASE("text never equals a number, NULL equals NULL") {
  CHECK_FALSE(Same("SELECT 3", "SELECT '3'"));
  CHECK_FALSE(Same("SELECT '3'", "SELECT 3"));
  CHECK(Same("SELECT NULL", "SELECT NULL"));
  CHECK_FALSE(Same("SELECT NULL", "SELECT 0"));
  CHECK_FALSE(Same("SELECT NULL", "SELECT ''"));
  CHECK_FALSE(Same("SELECT 'abc'", "SELECT 'ABC'"));
  CHECK(Same("SELECT x'00ff'", "SELECT x'00ff'"));
  CHECK_FALSE(Same("SELECT x'00ff'", "SELECT '00ff'"));
}

TEST_CASE("column count matters, column names do not") {
  CHECK(Same("SELECT a AS first FROM t", "SELECT a AS other FROM t"));
  CHECK_FALSE(Same("SELECT a FROM t", "SELECT a, b FROM t"));
  CHECK_FALSE(Same("SELECT a, b FROM t", "SELECT a FROM t"));
  CHECK_FALSE(Same("SELECT a, b FROM t", "SELECT b, a FROM t"));
}

TEST_CASE("an empty result matches only an empty result") {
  CHECK(Same("SELECT a FROM t WHERE a > 5", "SELECT a FROM t WHERE a < 0"));
  CHECK_FALSE(Same("SELECT a FROM t WHERE a > 5", "SELECT a FROM t"));
}

TEST_CASE("values added to a ResultSet read back canonically") {
  ResultSet rs;
  rs.Reset(5);
  rs.AddInteger(-7);
  rs.AddReal(2.0);
  rs.AddReal(2.5);
  rs.AddText("héllo");
  rs.AddNull();
  REQUIRE(rs.rows() == 1);
  CHECK(rs.at(0, 0).kind == ResultSet::Kind::kInteger);
  CHECK(rs.at(0, 0).integer == -7);
  CHECK(rs.at(0, 1).kind == ResultSet::Kind::kInteger);  // integral real
  CHECK(rs.at(0, 1).integer == 2);
  CHECK(rs.at(0, 2).kind == ResultSet::Kind::kReal);
  CHECK(rs.at(0, 2).real == 2.5);
  CHECK(rs.at(0, 3).bytes == "héllo");
  CHECK(rs.at(0, 4).kind == ResultSet::Kind::kNull);
  CHECK(rs.Describe() == "1 row(s) x 5 column(s): (-7, 2, 2.5, 'héllo', NULL)");
}

TEST_CASE("top-level ORDER BY detection skips strings, comments, parentheses and earlier statements") {
  CHECK(HasTopLevelOrderBy("SELECT a FROM t ORDER BY a"));
  CHECK(HasTopLevelOrderBy("select a from t order\n  by a"));
  CHECK(HasTopLevelOrderBy("WITH x AS (SELECT 1) SELECT * FROM x ORDER BY 1"));
  CHECK(HasTopLevelOrderBy("DELETE FROM t; SELECT a FROM t ORDER BY a;"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a FROM t"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a FROM (SELECT a FROM t ORDER BY a)"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT 'order by' FROM t"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a AS \"ORDER BY\" FROM t"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a FROM t -- ORDER BY a"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a FROM t /* ORDER BY a */"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a FROM t ORDER BY a; SELECT a FROM t"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT row_number() OVER (ORDER BY a) FROM t"));
  CHECK_FALSE(HasTopLevelOrderBy("SELECT a AS order_by FROM t"));
}
