// Specification of the SQL analyzer: which kinds each statement has, and
// which UPDATE/DELETE lack a WHERE at their own level.
#include <catch2/catch.hpp>

#include <string>

#include "policies/sql/keywords.h"
#include "policies/sql/sql_analyzer.h"
#include "policies/sql/statement_kind.h"

using namespace agentos::sql;

namespace {

// "SELECT+DELETE" style: the kinds of statement `i`, in Kind order, then
// "!update-where" / "!delete-where" for missing WHEREs.
std::string Summary(const Analysis& a, std::size_t i) {
  const StatementInfo& s = a.statements[i];
  std::string out;
  for (int k = 0; k < kKindCount; ++k) {
    if (Has(s.kinds, static_cast<Kind>(k))) {
      if (!out.empty()) out += '+';
      out += KindName(static_cast<Kind>(k));
    }
  }
  if (s.update_without_where) out += " !update-where";
  if (s.delete_without_where) out += " !delete-where";
  return out;
}

// One statement expected: its summary.
std::string One(const std::string& sql) {
  Analysis a;
  Analyze(sql, a);
  if (a.problem != Problem::kNone) return "problem: " + std::string(ProblemMessage(a.problem));
  if (a.count != 1) return "statements: " + std::to_string(a.count);
  return Summary(a, 0);
}

Problem ProblemOf(const std::string& sql) {
  Analysis a;
  Analyze(sql, a);
  return a.problem;
}

}  // namespace

TEST_CASE("keywords are found case-insensitively and only for ASCII letters") {
  CHECK(LookupKeyword("select") == Keyword::kSELECT);
  CHECK(LookupKeyword("SeLeCt") == Keyword::kSELECT);
  CHECK(LookupKeyword("MATERIALIZED") == Keyword::kMATERIALIZED);
  CHECK(LookupKeyword("TRANSACTION") == Keyword::kTRANSACTION);
  CHECK(LookupKeyword("selects") == Keyword::kNone);
  CHECK(LookupKeyword("sel") == Keyword::kNone);
  CHECK(LookupKeyword("drop_") == Keyword::kNone);
  CHECK(LookupKeyword("DR\xd0\x9eP") == Keyword::kNone);
  CHECK(LookupKeyword("") == Keyword::kNone);
  CHECK(KeywordName(Keyword::kWHERE) == "WHERE");
}

TEST_CASE("statement kind names round-trip and UNKNOWN is not a config name") {
  for (int k = 0; k < kKindCount - 1; ++k) {
    auto kind = static_cast<Kind>(k);
    CHECK(ParseKindName(KindName(kind)) == kind);
  }
  CHECK(ParseKindName("drop") == Kind::kDrop);
  CHECK_FALSE(ParseKindName("UNKNOWN").has_value());
  CHECK_FALSE(ParseKindName("BEGIN").has_value());
  CHECK_FALSE(ParseKindName("DROPS").has_value());
}

TEST_CASE("a statement's kind comes from its leading keyword") {
  CHECK(One("SELECT 1") == "SELECT");
  CHECK(One("INSERT INTO t VALUES (1)") == "INSERT");
  CHECK(One("UPDATE t SET a = 1 WHERE b") == "UPDATE");
  CHECK(One("DELETE FROM t WHERE b") == "DELETE");
  CHECK(One("REPLACE INTO t VALUES (1)") == "REPLACE");
  CHECK(One("DROP TABLE t") == "DROP");
  CHECK(One("TRUNCATE t") == "TRUNCATE");
  CHECK(One("ALTER TABLE t ADD c int") == "ALTER");
  CHECK(One("CREATE INDEX i ON t (a)") == "CREATE");
  CHECK(One("GRANT SELECT ON t TO u") == "GRANT");
  CHECK(One("REVOKE SELECT ON t FROM u") == "REVOKE");
  CHECK(One("PRAGMA table_info(t)") == "PRAGMA");
  CHECK(One("ATTACH DATABASE 'f' AS x") == "ATTACH");
  CHECK(One("DETACH x") == "DETACH");
  CHECK(One("VACUUM") == "VACUUM");
  for (const char* txn : {"BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT",
                          "SAVEPOINT s", "RELEASE SAVEPOINT s", "ROLLBACK TO SAVEPOINT s",
                          "PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'"}) {
    INFO(txn);
    CHECK(One(txn) == "TRANSACTION");
  }
  CHECK(One("SET search_path = x") == "SET");
  CHECK(One("SHOW search_path") == "SHOW");
  CHECK(One("COPY t TO STDOUT") == "COPY");
  CHECK(One("CALL p(1)") == "CALL");
  CHECK(One("DO $$ SELECT 1 $$") == "DO");
  CHECK(One("EXECUTE p(1)") == "EXECUTE");
  CHECK(One("PREPARE p AS SELECT 1") == "SELECT+PREPARE");
  CHECK(One("DEALLOCATE p") == "DEALLOCATE");
  CHECK(One("LOCK TABLE t") == "LOCK");
  CHECK(One("COMMENT ON TABLE t IS 'x'") == "COMMENT");
  CHECK(One("REINDEX TABLE t") == "REINDEX");
  CHECK(One("ANALYZE t") == "ANALYZE");
  CHECK(One("VALUES (1), (2)") == "VALUES");
  CHECK(One("TABLE t") == "SELECT+TABLE");  // TABLE t reads t
  CHECK(One("RENAME TABLE a TO b") == "RENAME");
  CHECK(One("USE db") == "USE");
  CHECK(One("LOAD 'plugin'") == "LOAD");
  CHECK(One("REFRESH MATERIALIZED VIEW v") == "REFRESH");
  CHECK(One("CLUSTER t") == "CLUSTER");
  CHECK(One("DISCARD ALL") == "DISCARD");
  CHECK(One("RESET ALL") == "RESET");
  CHECK(One("LISTEN c") == "LISTEN");
  CHECK(One("UNLISTEN c") == "LISTEN");
  CHECK(One("NOTIFY c") == "NOTIFY");
  CHECK(One("IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y") == "IMPORT");
  CHECK(One("CHECKPOINT") == "CHECKPOINT");
  CHECK(One("DECLARE c CURSOR FOR SELECT 1") == "SELECT+DECLARE");
  CHECK(One("FETCH NEXT FROM c") == "FETCH");
  CHECK(One("MOVE NEXT IN c") == "FETCH");
  CHECK(One("CLOSE c") == "CLOSE");
  CHECK(One("MERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING") == "MERGE");
  CHECK(One("whatever this is") == "UNKNOWN");
  CHECK(One("42") == "UNKNOWN");
}

TEST_CASE("one statement carries every kind it runs") {
  SECTION("data-modifying CTEs") {
    CHECK(One("WITH d AS (DELETE FROM t WHERE a RETURNING *) SELECT * FROM d") == "SELECT+DELETE");
    CHECK(One("WITH u AS (UPDATE t SET a = 1 WHERE b RETURNING *) SELECT 1") == "SELECT+UPDATE");
    CHECK(One("WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1") == "SELECT+INSERT");
    CHECK(One("WITH a AS (SELECT 1) DELETE FROM t WHERE x") == "DELETE");
    CHECK(One("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a") == "INSERT");
    CHECK(One("WITH RECURSIVE a(n) AS (SELECT 1 UNION SELECT n + 1 FROM a WHERE n < 3) SELECT * FROM a") ==
          "SELECT");
    CHECK(One("WITH a AS (SELECT 1) SEARCH DEPTH FIRST BY x SET o, b AS (DELETE FROM t WHERE x RETURNING 1) "
              "SELECT 1") == "SELECT+DELETE");
    CHECK(One("WITH a AS (SELECT 1) CYCLE x, y SET c TO true DEFAULT false USING p SELECT 1") == "SELECT");
    CHECK(One("WITH a AS (SELECT 1) (SELECT * FROM a)") == "SELECT");
  }
  SECTION("EXPLAIN carries what it explains, with or without ANALYZE") {
    CHECK(One("EXPLAIN ANALYZE DELETE FROM t WHERE a") == "DELETE+EXPLAIN");
    CHECK(One("EXPLAIN DELETE FROM t WHERE a") == "DELETE+EXPLAIN");
    CHECK(One("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1") == "SELECT+EXPLAIN");
    CHECK(One("EXPLAIN FORMAT=TREE SELECT 1") == "SELECT+EXPLAIN");
    CHECK(One("EXPLAIN QUERY PLAN SELECT 1") == "SELECT+EXPLAIN");
    CHECK(One("EXPLAIN tbl") == "EXPLAIN");
    CHECK(One("DESCRIBE tbl") == "EXPLAIN");
  }
  SECTION("SELECT INTO and CREATE ... AS") {
    CHECK(One("SELECT * INTO x FROM t") == "SELECT+CREATE");
    CHECK(One("CREATE TABLE x AS SELECT * FROM t") == "SELECT+CREATE");
    CHECK(One("CREATE TABLE x AS (SELECT * FROM t) WITH NO DATA") == "SELECT+CREATE");
    CHECK(One("CREATE MATERIALIZED VIEW v AS SELECT 1") == "SELECT+CREATE");
    CHECK(One("CREATE TABLE x AS EXECUTE p") == "CREATE+EXECUTE");
    CHECK(One("CREATE TABLE x (a int GENERATED ALWAYS AS (1) STORED)") == "CREATE");
    CHECK(One("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql") == "CREATE");
    CHECK(One("INSERT INTO t SELECT * FROM u") == "INSERT");  // INTO belongs to INSERT
  }
  SECTION("MERGE arms, upserts, INSERT OR REPLACE") {
    CHECK(One("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1 "
              "WHEN NOT MATCHED THEN INSERT (a) VALUES (1)") == "INSERT+UPDATE+MERGE");
    CHECK(One("MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE") == "DELETE+MERGE");
    CHECK(One("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2") == "INSERT+UPDATE");
    CHECK(One("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING") == "INSERT");
    CHECK(One("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 2") == "INSERT+UPDATE");
    CHECK(One("INSERT OR REPLACE INTO t VALUES (1)") == "INSERT+REPLACE");
    CHECK(One("INSERT OR IGNORE INTO t VALUES (1)") == "INSERT");
    CHECK(One("UPDATE OR REPLACE t SET a = 1 WHERE b") == "UPDATE+REPLACE");
    CHECK(One("CREATE OR REPLACE VIEW v AS SELECT 1") == "SELECT+CREATE");
  }
  SECTION("rules and triggers carry their actions") {
    CHECK(One("CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING") == "CREATE");
    CHECK(One("CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM u WHERE x") == "DELETE+CREATE");
    CHECK(One("CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); NOTIFY c)") ==
          "INSERT+CREATE+NOTIFY");
    CHECK(One("CREATE TRIGGER tr BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION f()") == "CREATE");
    CHECK(One("CREATE TRIGGER tr INSTEAD OF UPDATE ON v FOR EACH ROW EXECUTE FUNCTION f()") == "CREATE");
    CHECK(One("CREATE POLICY p ON t AS PERMISSIVE FOR DELETE USING (true)") == "CREATE");
    CHECK(One("CREATE TABLE c (p int REFERENCES t ON DELETE CASCADE ON UPDATE SET NULL)") == "CREATE");
  }
  SECTION("read-only subqueries add nothing; DML in any parentheses does") {
    CHECK(One("SELECT * FROM t WHERE a IN (SELECT b FROM u)") == "SELECT");
    CHECK(One("INSERT INTO t (SELECT * FROM u)") == "INSERT");
    CHECK(One("COPY (SELECT 1) TO STDOUT") == "COPY");
    CHECK(One("COPY (DELETE FROM t WHERE a RETURNING *) TO STDOUT") == "DELETE+COPY");
    CHECK(One("SELECT (update) FROM t") == "SELECT");
  }
}

TEST_CASE("WHERE counts only at the UPDATE/DELETE's own level") {
  CHECK(One("UPDATE t SET a = 1 WHERE id = 2") == "UPDATE");
  CHECK(One("UPDATE t SET a = 1") == "UPDATE !update-where");
  CHECK(One("UPDATE t SET a = (SELECT x FROM y WHERE z)") == "UPDATE !update-where");
  CHECK(One("UPDATE t SET a = (SELECT x FROM y WHERE z) WHERE id = 1") == "UPDATE");
  CHECK(One("DELETE FROM t WHERE 1=1") == "DELETE");  // present; tautologies are not judged
  CHECK(One("DELETE FROM t") == "DELETE !delete-where");
  CHECK(One("DELETE FROM t WHERE CURRENT OF c") == "DELETE");
  CHECK(One("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d WHERE a") == "SELECT+DELETE !delete-where");
  CHECK(One("WITH x AS (SELECT 1 WHERE true) DELETE FROM t") == "DELETE !delete-where");
  CHECK(One("WITH u AS (UPDATE t SET a = (SELECT 1 WHERE b) RETURNING 1) SELECT 1") ==
        "SELECT+UPDATE !update-where");
  CHECK(One("EXPLAIN ANALYZE UPDATE t SET a = 1") == "UPDATE+EXPLAIN !update-where");
  CHECK(One("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1") == "INSERT+UPDATE");
  CHECK(One("CREATE RULE r AS ON UPDATE TO t WHERE x DO INSTEAD UPDATE u SET a = 1") ==
        "UPDATE+CREATE !update-where");
  CHECK(One("UPDATE t SET a = 1 FROM u WHERE t.id = u.id") == "UPDATE");
}

TEST_CASE("statements are split on top-level semicolons and each is analysed") {
  Analysis a;
  Analyze("SELECT 1; ; DELETE FROM t;\nUPDATE t SET a = ';' WHERE b;", a);
  REQUIRE(a.problem == Problem::kNone);
  REQUIRE(a.count == 3);
  CHECK(Summary(a, 0) == "SELECT");
  CHECK(Summary(a, 1) == "DELETE !delete-where");
  CHECK(Summary(a, 2) == "UPDATE");
  CHECK(a.statements[1].offset == 12);
  CHECK(a.statements[1].primary == Kind::kDelete);
}

TEST_CASE("what cannot be tokenized unambiguously is a problem") {
  CHECK(ProblemOf("") == Problem::kEmpty);
  CHECK(ProblemOf(" ;; -- x") == Problem::kEmpty);
  CHECK(ProblemOf(std::string("SELECT \0", 8)) == Problem::kNulByte);
  CHECK(ProblemOf("SELECT '\xc0\x80'") == Problem::kInvalidUtf8);
  CHECK(ProblemOf("SELECT\x02") == Problem::kControlCharacter);
  CHECK(ProblemOf("SELECT a\xc2\xa0" "b") == Problem::kUnicodeSpace);
  CHECK(ProblemOf("SELECT 'x") == Problem::kUnterminatedString);
  CHECK(ProblemOf("SELECT \"x") == Problem::kUnterminatedIdentifier);
  CHECK(ProblemOf("SELECT `x") == Problem::kUnterminatedIdentifier);
  CHECK(ProblemOf("SELECT [x") == Problem::kUnterminatedIdentifier);
  CHECK(ProblemOf("SELECT /* x") == Problem::kUnterminatedComment);
  CHECK(ProblemOf("SELECT $a$ x") == Problem::kUnterminatedDollarQuote);
  CHECK(ProblemOf("SELECT (1") == Problem::kUnbalancedParentheses);
  CHECK(ProblemOf("SELECT 1)") == Problem::kUnbalancedParentheses);
  CHECK(ProblemOf("SELECT /*! 1 */") == Problem::kConditionalComment);
  CHECK(ProblemOf("SELECT /*+ x */ 1") == Problem::kConditionalComment);
  CHECK(ProblemOf("SELECT /* /* */ */") == Problem::kNestedComment);
  CHECK(ProblemOf("SELECT 1 --x") == Problem::kAmbiguousDashComment);
  CHECK(ProblemOf("SELECT 1 # x") == Problem::kHashCharacter);
  CHECK(ProblemOf("SELECT 1 --\r'\n; DROP TABLE orders; --'") == Problem::kAmbiguousCommentEnd);
  CHECK(ProblemOf("SELECT 1 -- x\r\n") == Problem::kNone);
  CHECK(ProblemOf("SELECT 'a\\'b'") == Problem::kAmbiguousBackslash);
  CHECK(ProblemOf("SELECT $$'$$") == Problem::kAmbiguousDollarQuote);
  CHECK(ProblemOf("SELECT a[';']") == Problem::kAmbiguousBracket);
  CHECK(ProblemOf("SELECT `a;b` FROM t") == Problem::kAmbiguousBacktick);
  CHECK(ProblemOf("SELECT `a``b` FROM t") == Problem::kAmbiguousBacktick);
  CHECK(ProblemOf("SELECT `order_id`, `nÃ¤me` FROM t") == Problem::kNone);
  CHECK(ProblemOf("SELECT 1into backup FROM t") == Problem::kAmbiguousNumber);
  CHECK(ProblemOf("SELECT 1e5, 0x1F, 1.5e-3, .5, 3.") == Problem::kNone);
  std::string deep = std::string(Analysis::kMaxDepth + 1, '(') + "1" + std::string(Analysis::kMaxDepth + 1, ')');
  CHECK(ProblemOf(deep) == Problem::kTooDeep);
  std::string ok_deep = std::string(Analysis::kMaxDepth - 1, '(') + "SELECT 1" +
                        std::string(Analysis::kMaxDepth - 1, ')');
  CHECK(ProblemOf(ok_deep) == Problem::kNone);
  std::string many;
  for (std::size_t i = 0; i < Analysis::kMaxStatements; ++i) many += "SELECT 1;";
  CHECK(ProblemOf(many) == Problem::kNone);
  CHECK(ProblemOf(many + "SELECT 1") == Problem::kTooManyStatements);
}

TEST_CASE("every problem maps to a documented rule id and a message") {
  for (int p = 1; p <= static_cast<int>(Problem::kTooDeep); ++p) {
    auto pr = static_cast<Problem>(p);
    CHECK(ProblemRule(pr).substr(0, 4) == "sql.");
    CHECK_FALSE(ProblemMessage(pr).empty());
  }
}
