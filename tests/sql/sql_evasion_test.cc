// Evasion suite: SQL an adversarial agent could write to get a forbidden
// statement past the policy. Every case must be DENIED, and for the rule the
// table names. False-positive suite: ordinary SQL that merely mentions
// forbidden words (in names, strings, comments) must be ALLOWED.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/sql/sql_test_support.h"

using namespace agentos;
using namespace agentos::sqltest;

namespace {

enum class Pol { kThreeRule, kDefault };

struct Evasion {
  Pol policy;
  std::string sql;
  std::string rule;  // a violation with this rule id must be among the reasons
};

const KernelSpace& KernelOf(Pol p) { return p == Pol::kThreeRule ? ThreeRule() : Default(); }

constexpr Pol T = Pol::kThreeRule;
constexpr Pol D = Pol::kDefault;

const char* const kDenied = "sql.denied_kind";
const char* const kNotAllowed = "sql.not_allowed";
const char* const kUpdWhere = "sql.update_without_where";
const char* const kDelWhere = "sql.delete_without_where";
const char* const kUnknown = "sql.unknown_statement";
const char* const kLex = "sql.lex_error";
const char* const kInvalid = "sql.invalid_input";
const char* const kCond = "sql.conditional_comment";
const char* const kAmbig = "sql.ambiguous";
const char* const kEmpty = "sql.empty";
const char* const kComplex = "sql.too_complex";

std::vector<Evasion> EvasionCases() {
  using std::string;
  std::vector<Evasion> c = {
      // ---- comments inside and around keywords
      {T, "DROP/**/TABLE t", kDenied},
      {T, "DR/**/OP TABLE t", kUnknown},  // two identifiers, not DROP: unknown, so denied
      {T, "DEL/**/ETE FROM t WHERE a = 1", kUnknown},
      {T, "DROP/* x */TABLE t", kDenied},
      {T, "/**/DROP TABLE t", kDenied},
      {T, "/* leading */ DELETE FROM t WHERE id = 1", kDenied},
      {T, "DROP-- x\nTABLE t", kDenied},
      {T, "DROP -- comment\rTABLE t", kAmbig},
      {T, "TRUNCATE/**/t", kDenied},
      {T, "SELECT 1/**/;/**/DROP TABLE t", kDenied},
      {T, "SELECT 1 -- a\n; DROP TABLE t", kDenied},
      {T, "SELECT 1 -- a\r; DROP TABLE t", kAmbig},
      // PostgreSQL ends a -- comment at \r, SQLite and MySQL only at \n: a
      // quote opened after the \r hides from one reading what the other runs.
      {T, "SELECT 1 --\r'\n; DROP TABLE orders; --'", kAmbig},
      {T, "SELECT 1 --\r'\n; DELETE FROM orders; --'", kAmbig},
      {T, "SELECT 1 -- x\r\r'\n; DROP TABLE t; --'", kAmbig},
      {T, "SELECT 1 --\r \"\n; DROP TABLE t; --\"", kAmbig},
      {T, "SELECT 1 --\r/*\n; DROP TABLE t; --*/", kAmbig},
      {T, "SELECT 1 --\r$$\n; DROP TABLE t; --$$", kAmbig},
      {T, "SELECT 1 --\r\f'\n; DROP TABLE t; --'", kAmbig},
      {T, "SELECT 1 --\r\v'\n; DROP TABLE t; --'", kAmbig},
      {T, "SELECT 1 --\r'", kAmbig},
      {T, "SELECT 1 --\r;DROP TABLE t", kAmbig},
      // PostgreSQL lexes ` as an operator character and reads on as code.
      {T, "SELECT `a;b` FROM t", kAmbig},
      {T, "SELECT id FROM orders WHERE status = `;ANALYZE --\t`", kAmbig},
      {T, "SELECT `x'`; DROP TABLE t; --'`", kAmbig},
      {T, "SELECT `/*` FROM t; DROP TABLE t; -- */`", kAmbig},
      {T, "SELECT `$$`; DROP TABLE t; $$`", kAmbig},
      {T, "select \"where\", pre`pare::text\tinto backup\nFROM t\nWhErE no`t", kAmbig},
      {T, "SELECT `a into backup from t where b` FROM t", kAmbig},
      {T, "SELECT `a b` FROM t", kAmbig},
      {T, "SELECT `1into` x", kAmbig},
      // PostgreSQL before 15 ends a number where its digits end: 1into is 1 INTO.
      {T, "SELECT 1into backup FROM t", kAmbig},
      {T, "SELECT 1e5into backup FROM t", kAmbig},
      {T, "SELECT 0x1Finto backup FROM t", kAmbig},
      {T, "SELECT 1.5from t", kAmbig},
      {T, "UPDATE t SET a = 1where id = 1", kAmbig},
      {T, "SELECT 1union DELETE FROM t", kAmbig},
      {T, "SELECT 1_000", kAmbig},
      {T, "SELECT 1$$; DROP TABLE t; $$", kAmbig},
      {T, "-- comment\nDROP TABLE t", kDenied},
      {T, "/* DROP */ DROP TABLE t", kDenied},
      // ---- case mixing
      {T, "drop table t", kDenied},
      {T, "DrOp TaBlE t", kDenied},
      {T, "dRoP table t", kDenied},
      {T, "truncate t", kDenied},
      {T, "Truncate Table t", kDenied},
      {T, "delete from t where id = 1", kDenied},
      {T, "DeLeTe FROM t WHERE x", kDenied},
      {T, "uPdAtE t SeT a = 1", kUpdWhere},
      {T, "cReAtE TABLE t (a int)", kNotAllowed},
      // ---- whitespace of every kind
      {T, "DROP\tTABLE t", kDenied},
      {T, "DROP\nTABLE t", kDenied},
      {T, "DROP\fTABLE t", kDenied},
      {T, "DROP\vTABLE t", kDenied},
      {T, "DROP\rTABLE t", kDenied},
      {T, "\n\n  DROP TABLE t", kDenied},
      {T, "\t\tDELETE FROM t WHERE a = 1", kDenied},
      {T, " \f\v DROP TABLE t", kDenied},
      {T, "SELECT 1;\n\n\tDROP TABLE t", kDenied},
      // ---- several statements
      {T, "SELECT 1; DROP TABLE t", kDenied},
      {T, "SELECT 1;DROP TABLE t", kDenied},
      {T, "SELECT 1 ; ; DROP TABLE t", kDenied},
      {T, "INSERT INTO t VALUES (1); TRUNCATE t", kDenied},
      {T, "UPDATE t SET a = 1 WHERE b = 2; DELETE FROM t WHERE a = 1", kDenied},
      {T, "SELECT 1;\nDROP TABLE t;", kDenied},
      {T, "SELECT ';'; DROP TABLE t", kDenied},
      {T, "SELECT \";\"; DROP TABLE t", kDenied},
      {T, "SELECT 1; SELECT 2; SELECT 3; DROP TABLE t", kDenied},
      {T, "SELECT 1; UPDATE t SET a = 1", kUpdWhere},
      {T, "UPDATE t SET a = 1 WHERE id = 1; UPDATE t SET b = 2", kUpdWhere},
      {T, "SELECT (1; DROP TABLE t)", kDenied},
      {T, "SELECT 1 WHERE (1; DELETE FROM t)", kDenied},
      {T, "(SELECT 1); DROP TABLE t", kDenied},
      {T, "BEGIN; DROP TABLE t; COMMIT", kDenied},
      // ---- quoting tricks
      {T, "SELECT 'x'; DROP TABLE t", kDenied},
      {T, "SELECT 'a''; DROP TABLE t", kLex},  // '' is an escaped quote: unterminated
      {T, "SELECT 'a\\'; DROP TABLE t; --'", kAmbig},
      {T, "SELECT 'a\\' , ' ; DROP TABLE t; -- '", kAmbig},
      {T, "SELECT \"a\\\"; DROP TABLE t; --\"", kAmbig},
      {T, "SELECT `a`; DROP TABLE t", kDenied},
      {T, "SELECT [a]; DROP TABLE t", kDenied},
      {T, "SELECT [a;b]", kAmbig},
      {T, "SELECT a['] ; DROP TABLE t; --']", kAmbig},
      {T, "SELECT N'x'; DROP TABLE t", kDenied},
      {T, "SELECT U&'x'; DROP TABLE t", kDenied},
      {T, "SELECT X'00'; DROP TABLE t", kDenied},
      {T, "\"DROP\" TABLE t", kUnknown},
      {T, "`DROP` TABLE t", kUnknown},
      {T, "[DROP] TABLE t", kUnknown},
      {T, "'DROP TABLE t'", kUnknown},
      {T, "SELECT `x``; DROP TABLE t", kLex},
      // ---- nested comments (PostgreSQL nests, MySQL/SQLite do not)
      {T, "/* /* */ DROP TABLE t */", kAmbig},
      {T, "SELECT 1 /* /* */ ; DROP TABLE t; /* */ */", kAmbig},
      {T, "SELECT 1 /* /* */ , ' */ ; DROP TABLE t; --'", kAmbig},
      {T, "/* a /* b */ c */ SELECT 1", kAmbig},
      {T, "SELECT 1 /*/* x */ */", kAmbig},
      // ---- dollar quotes
      {T, "SELECT $$x$$; DROP TABLE t", kDenied},
      {T, "SELECT $$;$$; DROP TABLE t", kAmbig},
      {T, "SELECT $a$ ; DROP TABLE t; $a$", kAmbig},
      {T, "SELECT $a$'$a$, '; DROP TABLE t; --'", kAmbig},
      {T, "UPDATE t SET a = $x$ || ' $x$ WHERE id = 1 --'", kAmbig},
      {T, "SELECT $$unterminated", kLex},
      {T, "SELECT $tag$ x $tag; DROP TABLE t", kLex},
      {T, "SELECT $a$ x $b$; DROP TABLE t", kLex},
      {T, "SELECT $q$ -- $q$; DROP TABLE t", kAmbig},
      {T, "SELECT $q$ # $q$", kAmbig},
      {T, "SELECT $$ /* $$; DROP TABLE t", kAmbig},
      // ---- E'' strings and backslashes
      {T, "SELECT E'\\''; DROP TABLE t", kAmbig},
      {T, "SELECT E'\\\\'; DROP TABLE t", kDenied},
      {T, "SELECT e'\\x41'; DROP TABLE t", kDenied},
      {T, "SELECT E'it\\'s'", kAmbig},
      {T, "SELECT E'abc\\'", kLex},
      // ---- data-modifying CTEs
      {T, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", kDenied},
      {T, "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d", kDenied},
      {T, "WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM u", kUpdWhere},
      {T, "WITH u AS (UPDATE t SET a = (SELECT 1 WHERE true) RETURNING *) SELECT 1", kUpdWhere},
      {T, "WITH a AS (SELECT 1), d AS (DELETE FROM t RETURNING 1) SELECT * FROM a", kDenied},
      {T, "WITH RECURSIVE d AS (DELETE FROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH d AS MATERIALIZED (DELETE FROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH d AS NOT MATERIALIZED (DELETE FROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH d (a) AS (DELETE FROM t RETURNING a) SELECT 1", kDenied},
      {T, "WITH \"x\" AS (DELETE FROM t RETURNING 1) SELECT 1", kDenied},
      {T, "WITH x AS (SELECT 1) DELETE FROM t", kDenied},
      {T, "WITH x AS (SELECT 1) UPDATE t SET a = 1", kUpdWhere},
      {T, "WITH x AS (SELECT 1 WHERE true) UPDATE t SET a = 1", kUpdWhere},
      {T, "WITH i AS (INSERT INTO t VALUES (1) RETURNING *) DELETE FROM t WHERE id IN (SELECT id FROM i)",
       kDenied},
      {T, "SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s", kDenied},
      {T, "with d as (delete from t returning *) select * from d", kDenied},
      {T, "WITH d AS (DeLeTe FROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH d AS (/* c */ DELETE FROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH d AS ( DELETE FROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH d AS (\nDELETE\nFROM t RETURNING *) SELECT 1", kDenied},
      {T, "WITH a AS (SELECT 1) SELECT * FROM a; WITH d AS (DELETE FROM t RETURNING 1) SELECT 1", kDenied},
      {T, "WITH x AS (SELECT 1)", kUnknown},  // no main statement
      {T, "WITH AS (SELECT 1) SELECT 1", kUnknown},
      {T, "WITH x AS (SELECT 1) DROP TABLE t", kDenied},
      {T, "WITH u AS (UPDATE t SET a = 1 WHERE id IN (SELECT 1) RETURNING 1), v AS (UPDATE t SET b = 2 RETURNING 1) SELECT 1",
       kUpdWhere},
      {D, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", kDelWhere},
      {D, "WITH x AS (SELECT 1 FROM u WHERE a) DELETE FROM t", kDelWhere},
      // ---- EXPLAIN runs what it explains (ANALYZE) and carries its kinds
      {T, "EXPLAIN ANALYZE DELETE FROM t WHERE id = 1", kDenied},
      {T, "EXPLAIN ANALYZE DROP TABLE t", kDenied},
      {T, "EXPLAIN (ANALYZE) DELETE FROM t", kDenied},
      {T, "EXPLAIN (ANALYZE true, BUFFERS) DELETE FROM t", kDenied},
      {T, "EXPLAIN ANALYSE DELETE FROM t", kDenied},
      {T, "EXPLAIN ANALYZE VERBOSE DELETE FROM t", kDenied},
      {T, "explain analyze delete from t", kDenied},
      {T, "EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING 1) SELECT 1", kDenied},
      {T, "EXPLAIN ANALYZE UPDATE t SET a = 1", kUpdWhere},
      {T, "EXPLAIN FORMAT=JSON DELETE FROM t", kDenied},
      {T, "EXPLAIN QUERY PLAN DELETE FROM t", kDenied},
      {T, "DESCRIBE DELETE FROM t", kDenied},
      {T, "EXPLAIN SELECT 1", kNotAllowed},
      {D, "EXPLAIN ANALYZE UPDATE t SET a = 1", kUpdWhere},
      {D, "EXPLAIN ANALYZE DELETE FROM t", kDelWhere},
      {D, "EXPLAIN ANALYZE TRUNCATE t", kDenied},
      {D, "EXPLAIN (ANALYZE, COSTS OFF) DELETE FROM t", kDelWhere},
      // ---- SELECT ... INTO creates a table; CREATE ... AS runs its query
      {T, "SELECT * INTO backup FROM t", kNotAllowed},
      {T, "SELECT a, b INTO TEMP x FROM t", kNotAllowed},
      {T, "SELECT * INTO UNLOGGED x FROM t", kNotAllowed},
      {T, "select * into x from t", kNotAllowed},
      {T, "WITH c AS (SELECT 1) SELECT * INTO x FROM c", kNotAllowed},
      {T, "SELECT 1 INTO OUTFILE '/tmp/x'", kNotAllowed},
      {T, "(SELECT * INTO x FROM t)", kNotAllowed},
      {T, "CREATE TABLE x AS SELECT * FROM t", kNotAllowed},
      {T, "CREATE TABLE x AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", kDenied},
      {D, "CREATE TABLE x AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", kDelWhere},
      {D, "PREPARE p AS DELETE FROM t", kDelWhere},
      {D, "PREPARE p (int) AS UPDATE t SET a = $1", kUpdWhere},
      // ---- MERGE and its arms
      {T, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", kDenied},
      {T, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a", kNotAllowed},
      {T, "merge into t using s on true when not matched then insert values (1)", kNotAllowed},
      {T, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND s.x THEN DELETE WHEN NOT MATCHED THEN DO NOTHING",
       kDenied},
      // ---- UPDATE whose only WHERE is somewhere else
      {T, "UPDATE t SET a = 1", kUpdWhere},
      {T, "UPDATE t SET a = (SELECT x FROM y WHERE z)", kUpdWhere},
      {T, "UPDATE t SET a = 1 -- WHERE id = 1", kUpdWhere},
      {T, "UPDATE t SET a = 1 /* WHERE id = 1 */", kUpdWhere},
      {T, "UPDATE t SET a = 'WHERE id = 1'", kUpdWhere},
      {T, "UPDATE t SET a = \"where\"", kUpdWhere},
      {T, "UPDATE t SET a = $$ WHERE id = 1 $$", kUpdWhere},
      {T, "UPDATE t SET a = 1 RETURNING (SELECT 1 WHERE true)", kUpdWhere},
      {T, "UPDATE t SET a = EXISTS (SELECT 1 FROM u WHERE u.id = t.id)", kUpdWhere},
      {T, "UPDATE t SET \"WHERE\" = 1", kUpdWhere},
      {T, "UPDATE t SET a = 1 FROM (SELECT * FROM u WHERE true) s", kUpdWhere},
      {T, "UPDATE t SET a = 1 WHERE_x = 1", kUpdWhere},
      {T, "UPDATE t SET a = 1 WHER\xD0\x95 id = 1", kUpdWhere},  // Cyrillic Ie: not WHERE
      {T, "UPDATE t SET a = 1; SELECT 1 WHERE true", kUpdWhere},
      {T, "update t set a = 1", kUpdWhere},
      {T, "UPDATE t SET a = 1 ORDER BY id LIMIT 1", kUpdWhere},
      {T, "UPDATE t SET a = CASE WHEN b THEN 1 END", kUpdWhere},
      {T, "UPDATE t SET a = `where`", kUpdWhere},
      {T, "UPDATE t SET a = [where]", kUpdWhere},
      {T, "UPDATE OR REPLACE t SET a = 1 WHERE id = 1", kNotAllowed},
      {T, "UPDATE t SET a = 1 WHERE\xC2\xA0id = 1", kInvalid},
      // ---- DELETE without WHERE (default policy)
      {D, "DELETE FROM t", kDelWhere},
      {D, "DELETE FROM t -- WHERE id = 1", kDelWhere},
      {D, "DELETE FROM t /* WHERE */", kDelWhere},
      {D, "DELETE FROM t USING u", kDelWhere},
      {D, "DELETE FROM t RETURNING (SELECT 1 WHERE true)", kDelWhere},
      {D, "delete from t", kDelWhere},
      {D, "DELETE t FROM t JOIN u ON t.a = u.a", kDelWhere},
      {D, "DELETE FROM t WHERE id = 1; DELETE FROM u", kDelWhere},
      {D, "DELETE FROM t AS \"WHERE\"", kDelWhere},
      {D, "UPDATE t SET a = 1", kUpdWhere},
      // ---- unterminated things
      {T, "SELECT 'abc", kLex},
      {T, "SELECT \"abc", kLex},
      {T, "SELECT `abc", kLex},
      {T, "SELECT [abc", kLex},
      {T, "SELECT 1 /* abc", kLex},
      {T, "SELECT 1 /* abc *", kLex},
      {T, "SELECT $x$abc$y$", kLex},
      {T, "SELECT 'abc''", kLex},
      {T, "SELECT (1", kLex},
      {T, "SELECT 1)", kLex},
      {T, "/*", kLex},
      {T, "'", kLex},
      {T, "\"", kLex},
      {T, "SELECT U&'x", kLex},
      {T, "SELECT 1; DROP TABLE t; SELECT 'oops", kLex},
      // ---- NUL bytes and control characters
      {T, string("SELECT 1\0; DROP TABLE t", 24), kInvalid},
      {T, string("\0", 1), kInvalid},
      {T, string("SELECT '\0'", 10), kInvalid},
      {T, string("SELECT 1 -- \0", 13), kInvalid},
      {T, string("SELECT 1 /* \0 */", 16), kInvalid},
      {T, "SELECT 1\x01", kLex},
      {T, "DROP\x1bTABLE t", kLex},
      {T, "SELECT 1\x7f", kLex},
      // ---- invalid UTF-8
      {T, "SELECT '\xff'", kInvalid},
      {T, "SELECT '\xc0\xaf'", kInvalid},          // overlong '/'
      {T, "SELECT '\xe0\x80\xaf'", kInvalid},      // overlong 3-byte
      {T, "SELECT '\xf0\x80\x80\xaf'", kInvalid},  // overlong 4-byte
      {T, "SELECT '\xed\xa0\x80'", kInvalid},      // UTF-16 surrogate
      {T, "SELECT '\xf4\x90\x80\x80'", kInvalid},  // above U+10FFFF
      {T, "SELECT '\xf5\x80\x80\x80'", kInvalid},
      {T, "SELECT '\xe2\x82'", kInvalid},          // truncated
      {T, "SELECT \x80", kInvalid},                // stray continuation byte
      {T, "SELECT 1 -- \xfe", kInvalid},
      {T, "SELECT 1 \xc3", kInvalid},
      {T, "SELECT 1; DROP TABLE t \xc3", kInvalid},
      // ---- Unicode spaces and look-alikes
      {T, "DROP\xc2\xa0TABLE t", kInvalid},           // NO-BREAK SPACE inside a word
      {T, "SELECT 1;\xc2\xa0" "DROP TABLE t", kInvalid},
      {T, "DELETE\xe2\x80\x8b FROM t", kInvalid},     // ZERO WIDTH SPACE
      {T, "\xef\xbb\xbf" "DROP TABLE t", kInvalid},   // BOM glued to the keyword
      {T, "DROP\xe3\x80\x80TABLE t", kInvalid},       // IDEOGRAPHIC SPACE
      {T, "\xef\xbc\xa4\xef\xbc\xb2\xef\xbc\xaf\xef\xbc\xb0 TABLE t", kUnknown},  // fullwidth DROP
      {T, "DR\xd0\x9eP TABLE t", kUnknown},           // Cyrillic O
      {T, "SELECT 1; \xce\x91LTER TABLE t", kUnknown},  // Greek Alpha
      // ---- executable comments and hints
      {T, "/*! DROP TABLE t */", kCond},
      {T, "SELECT 1 /*!50000 , (SELECT 1) */", kCond},
      {T, "SELECT /*+ SET_VAR(sql_safe_updates=0) */ 1", kCond},
      {T, "/*M! DROP TABLE t */ SELECT 1", kCond},
      {T, "SELECT 1 /*!*/", kCond},
      // ---- text dialects tokenize differently
      {T, "SELECT 1 --1; DROP TABLE t", kAmbig},
      {T, "SELECT 1 #\n; DROP TABLE t", kAmbig},
      {T, "UPDATE t SET a = 1 # WHERE id = 2", kAmbig},
      {T, "SELECT 1 --+ hint", kAmbig},
      // ---- no statement at all
      {T, "", kEmpty},
      {T, "   ", kEmpty},
      {T, ";", kEmpty},
      {T, ";;;", kEmpty},
      {T, "-- only a comment", kEmpty},
      {T, "/* */", kEmpty},
      // ---- statements of no known kind
      {T, "FOO BAR", kUnknown},
      {T, "KILL 1", kUnknown},
      {T, "SHUTDOWN", kUnknown},
      {T, "HANDLER t OPEN", kUnknown},
      {T, "FLUSH TABLES", kUnknown},
      {T, "OPTIMIZE TABLE t", kUnknown},
      {T, "START SLAVE", kUnknown},
      {T, "REASSIGN OWNED BY a TO b", kUnknown},
      {T, "1", kUnknown},
      {T, "((DROP TABLE t))", kUnknown},
      {T, "()", kUnknown},
      {D, "SECURITY LABEL ON TABLE t IS 'x'", kUnknown},
      // ---- kinds outside the allow list / on the default deny list
      {T, "(DELETE FROM t)", kDenied},
      {T, "SELECT * FROM t WHERE a IN (DELETE FROM u RETURNING a)", kDenied},
      {T, "COPY (DELETE FROM t RETURNING *) TO STDOUT", kDenied},
      {T, "CREATE TABLE t (a int)", kNotAllowed},
      {T, "ALTER TABLE t ADD b int", kNotAllowed},
      {T, "PRAGMA writable_schema = 1", kNotAllowed},
      {T, "ATTACH 'x' AS y", kNotAllowed},
      {T, "VACUUM", kNotAllowed},
      {T, "SET ROLE admin", kNotAllowed},
      {T, "RESET ALL", kNotAllowed},
      {T, "CALL p()", kNotAllowed},
      {T, "EXECUTE p", kNotAllowed},
      {T, "PREPARE p AS SELECT 1", kNotAllowed},
      {T, "LOCK TABLE t", kNotAllowed},
      {T, "COPY t TO STDOUT", kNotAllowed},
      {T, "BEGIN", kNotAllowed},
      {T, "COMMIT", kNotAllowed},
      {T, "SHOW ALL", kNotAllowed},
      {T, "VALUES (1)", kNotAllowed},
      {T, "TABLE t", kNotAllowed},
      {T, "LISTEN c", kNotAllowed},
      {T, "NOTIFY c", kNotAllowed},
      {T, "REINDEX TABLE t", kNotAllowed},
      {T, "CLUSTER t", kNotAllowed},
      {T, "REFRESH MATERIALIZED VIEW v", kNotAllowed},
      {T, "DISCARD ALL", kNotAllowed},
      {T, "CHECKPOINT", kNotAllowed},
      {T, "COMMENT ON TABLE t IS 'x'", kNotAllowed},
      {T, "GRANT SELECT ON t TO u", kNotAllowed},
      {T, "REVOKE SELECT ON t FROM u", kNotAllowed},
      {T, "ANALYZE t", kNotAllowed},
      {T, "USE db", kNotAllowed},
      {T, "DEALLOCATE p", kNotAllowed},
      {T, "DECLARE c CURSOR FOR SELECT 1", kNotAllowed},
      {T, "FETCH c", kNotAllowed},
      {T, "CLOSE c", kNotAllowed},
      {T, "INSERT OR REPLACE INTO t VALUES (1)", kNotAllowed},
      {T, "REPLACE INTO t VALUES (1)", kNotAllowed},
      {T, "CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u", kDenied},
      {T, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END", kDenied},
      {T, "DO $$ SELECT 1 $$", kNotAllowed},
      {D, "DROP TABLE t", kDenied},
      {D, "drop database prod", kDenied},
      {D, "TRUNCATE t", kDenied},
      {D, "SELECT 1; TRUNCATE t", kDenied},
      {D, "ALTER TABLE t DROP COLUMN a", kDenied},
      {D, "GRANT ALL ON t TO u", kDenied},
      {D, "REVOKE ALL ON t FROM u", kDenied},
      {D, "ATTACH DATABASE 'x' AS y", kDenied},
      {D, "DETACH DATABASE y", kDenied},
      {D, "RENAME TABLE a TO b", kDenied},
      {D, "COPY t FROM PROGRAM 'rm -rf /'", kDenied},
      {D, "LOAD DATA INFILE 'x' INTO TABLE t", kDenied},
      {D, "DO $$ SELECT 1 $$", kDenied},
      {D, "IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y", kDenied},
      {D, "EXPLAIN DROP TABLE t", kDenied},
      {D, "CREATE RULE r AS ON SELECT TO t DO INSTEAD DELETE FROM u", kDelWhere},
      {D, "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW DELETE FROM u", kDelWhere},
  };
  // Capacity limits fail closed.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "SELECT 1;";
  c.push_back({T, many, kComplex});
  c.push_back({T, std::string(200, '(') + "SELECT 1" + std::string(200, ')'), kComplex});
  c.push_back({D, "SELECT 1 -- " + std::string((1 << 20) + 1, 'x'), "sql.too_long"});
  return c;
}

// Generated variants of a few destructive statements: each must be denied
// whatever is wrapped around it.
std::vector<Evasion> VariantCases() {
  const std::vector<std::string> bases = {"DROP TABLE t", "TRUNCATE t", "DELETE FROM t WHERE id = 1",
                                          "drop table users cascade", "TRUNCATE TABLE t RESTART IDENTITY"};
  const std::vector<std::pair<std::string, std::string>> wraps = {
      {"SELECT 1; ", ""},          {"", "; SELECT 1"},         {"/* x */ ", " -- y"},
      {"SELECT 'a'; ", ";"},       {"INSERT INTO t VALUES (1);\n", ""}, {"\t\n", "\n\t"},
      {"UPDATE t SET a = 1 WHERE b;", ""}, {"SELECT $$ok$$;", ""},
  };
  std::vector<Evasion> out;
  for (const auto& b : bases) {
    for (const auto& [pre, post] : wraps) out.push_back({T, pre + b + post, kDenied});
  }
  return out;
}

// The kernel screens an action's bytes before any policy runs
// (kernel/action_screen.h), so byte-level cases are denied by its rule for
// the same problem instead of the SQL policy's.
bool DeniedFor(const Decision& d, std::string_view rule) {
  if (HasRule(d, rule)) return true;
  if (rule == "sql.invalid_input") return HasRule(d, "kernel.nul_byte") || HasRule(d, "kernel.invalid_utf8");
  if (rule == "sql.empty") return HasRule(d, "kernel.empty_action");
  if (rule == "sql.too_long") return HasRule(d, "kernel.action_too_large");
  return false;
}

}  // namespace

TEST_CASE("evasion suite: every case is denied, for the named rule") {
  auto cases = EvasionCases();
  auto variants = VariantCases();
  // At least 200 hand-written evasion cases are required; the
  // generated variants come on top.
  REQUIRE(cases.size() >= 200);
  cases.insert(cases.end(), variants.begin(), variants.end());
  std::size_t denied = 0;
  for (const auto& c : cases) {
    Decision d = Check(KernelOf(c.policy), c.sql);
    INFO("SQL: " << c.sql.substr(0, 120) << "\npolicy: " << (c.policy == T ? "three-rule" : "default")
                 << "\nexpected rule: " << c.rule << "\ngot: " << Describe(d));
    CHECK_FALSE(d.allowed());
    CHECK(DeniedFor(d, c.rule));
    if (!d.allowed()) ++denied;
  }
  CHECK(denied == cases.size());
  WARN("evasion suite: " << cases.size() << " cases (" << (cases.size() - variants.size())
                         << " hand-written), " << denied << " denied");
}

TEST_CASE("false-positive suite: ordinary SQL mentioning forbidden words is allowed") {
  const std::vector<std::string> allowed = {
      "SELECT drop_date FROM t",
      "SELECT 'DROP TABLE x'",
      "SELECT 1 -- DROP TABLE t",
      "SELECT 1 /* DROP TABLE t */",
      "SELECT 1 -- x; DROP TABLE t",
      "UPDATE t SET a=1 WHERE id=2",
      "SELECT \"delete\" FROM t",
      "SELECT * FROM \"DROP\"",
      "SELECT $$DROP TABLE x$$",
      "SELECT $tag$ DELETE FROM t $tag$",
      "SELECT `drop` FROM t",
      "SELECT [drop] FROM t",
      "SELECT truncate_at FROM t",
      "SELECT deleted, dropped, altered, granted FROM t",
      "SELECT * FROM deletes",
      "INSERT INTO log (msg) VALUES ('DROP TABLE users')",
      "INSERT INTO t VALUES (1)",
      "INSERT INTO t SELECT * FROM u WHERE a = 1",
      "SELECT * FROM t WHERE name = 'x; DROP TABLE t'",
      "SELECT 'it''s'",
      "SELECT E'line\\nbreak'",
      "SELECT 'C:\\path'",
      "SELECT * FROM t WHERE a LIKE '%\\_%'",
      "UPDATE t SET a = 1 WHERE id IN (SELECT id FROM u)",
      "UPDATE t SET a = (SELECT max(b) FROM u) WHERE id = 1",
      "UPDATE t SET note = 'no where here' WHERE id = 1",
      "UPDATE t SET a = 1 WHERE 1 = 1",  // trivially true WHEREs are not judged
      "UPDATE t SET a = a + 1 WHERE true",
      "UPDATE t SET a = 1 WHERE id = 1 RETURNING *",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
      "WITH u AS (UPDATE t SET a = 1 WHERE id = 1 RETURNING *) SELECT * FROM u",
      "WITH i AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM i",
      "WITH recursive AS (SELECT 1) SELECT * FROM recursive",
      "WITH x AS (SELECT 1) UPDATE t SET a = 1 WHERE b IN (SELECT * FROM x)",
      "SELECT * FROM t FOR UPDATE",
      "SELECT * FROM t FOR UPDATE OF t NOWAIT",
      "SELECT CASE WHEN a THEN 'DELETE' ELSE 'DROP' END FROM t",
      "select 1",
      "SELECT 1;",
      "SELECT 1; SELECT 2;",
      ";SELECT 1;;",
      "SELECT 1 -- comment\n",
      "SELECT 1 --\n",
      "SELECT 1 -- ",
      "SELECT 1 --",
      "SELECT 1 --\tx",
      "SELECT a[1] FROM t",
      "SELECT a[1:2] FROM t",
      "SELECT a[$1] FROM t",
      "SELECT count(*) FILTER (WHERE a) FROM t",
      "SELECT 'DROP' AS \"DELETE\"",
      "SELECT * FROM t WHERE \"update\" = 1",
      "INSERT INTO t (\"drop\", \"delete\") VALUES (1, 2)",
      "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
      "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = excluded.a",
      "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1",
      "SELECT '\xef\xbc\xa4\xef\xbc\xb2\xef\xbc\xaf\xef\xbc\xb0'",
      "SELECT 'na\xc3\xafve caf\xc3\xa9'",
      "SELECT \"\xe5\x90\x8d\xe5\x89\x8d\" FROM \"\xe8\xa1\xa8\"",
      "SELECT * FROM t -- \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
      "SELECT '\xc2\xa0 no-break space inside a string is fine'",
      "SELECT 1 /* multi\nline\ncomment */",
      "SELECT $1, $2 FROM t WHERE a = $3",
      "SELECT ? FROM t",
      "SELECT :name",
      "SELECT @var",
      "SELECT x::int FROM t",
      "SELECT a->>'b' FROM t",
      "SELECT 1e10, .5, 0x1F, 1.5e-3",
      "SELECT N'unicode'",
      "SELECT X'DEADBEEF'",
      "SELECT B'1010'",
      "SELECT U&'\\0041'",
      "SELECT U&\"\\0041\" FROM t",
      "(SELECT 1) UNION (SELECT 2)",
      "((SELECT 1))",
      "SELECT * FROM (SELECT 1) AS s",
      "SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
      "SELECT 1 UNION SELECT 2 INTERSECT SELECT 3",
      "SELECT * FROM t ORDER BY a DESC LIMIT 10 OFFSET 5",
      "SELECT\ta\nFROM\tt",
      "SELECT\f1",
      "SELECT\v1",
      "SELECT\r\n1",
      // A CRLF line end after a -- comment: every dialect resumes after the \n.
      "SELECT 1 -- note\r\nFROM t",
      "SELECT 1 -- note\r\r\n",
      "SELECT 1 -- note \r \t\r\n, 2",
      "SELECT 1 -- note\r",
      "SELECT 1 --\r\n--\r\n",
      "SELECT replace(a, 'x', 'y') FROM t",
      "SELECT * FROM t WHERE a IN ('DELETE', 'DROP', 'TRUNCATE')",
      "SELECT 'a' || 'b'",
      "SELECT 1 AS \"a;b\"",
      "SELECT ';DROP TABLE t;'",
      "SELECT \"x\"\"y\"",
      "INSERT INTO t VALUES ('a', 'b''c')",
      "SELECT * FROM t WHERE d > now() - interval '1 day'",
      "SELECT update, delete FROM t",
      "SELECT (update) FROM t",
      "SELECT 1 FROM t WHERE a = (SELECT 2)",
      "SELECT /* a */ 1 /* b */",
      "SELECT 1 /**/",
      "SELECT 1 /***/",
      "SELECT 1 /* ** / */",
      "SELECT 1 /* - */",
      "SELECT 2-1, 3 - -1",
      "SELECT 1/2",
      "SELECT a*/*c*/b FROM t",
  };
  for (const auto& sql : allowed) {
    Decision d = Check(ThreeRule(), sql);
    INFO("SQL: " << sql << "\ngot: " << Describe(d));
    CHECK(d.allowed());
  }
  WARN("false-positive suite: " << allowed.size() << " cases");
}
