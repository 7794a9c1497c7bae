#include "tests/sql_pgdiff/corpus_generator.h"

namespace agentos::pgdiff {

std::uint64_t CorpusGenerator::Rand() {
  // splitmix64
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string CorpusGenerator::Kw(const char* keyword) {
  std::string k = keyword;
  int mode = static_cast<int>(Pick(10));
  for (std::size_t i = 0; i < k.size(); ++i) {
    char& c = k[i];
    bool lower = mode < 3 || (mode == 3 && i % 2 == 1) || (mode == 4 && Chance(50));
    if (lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return k;
}

std::string CorpusGenerator::Sp() {
  static const char* const kSpaces[] = {" ", " ", " ", " ", " ", " ", "\n", "\t", "  ", "\r\n"};
  static const char* const kComments[] = {
      " /* DROP TABLE x */ ", " -- DELETE FROM t WHERE 1\n", " /* where */ ", "/**/",
      " -- ; UPDATE t SET a = 1\n", " /* ; TRUNCATE t; */ ", " /* 'quoted' \"x\" */ ",
  };
  if (Chance(4)) return OneOf(kComments);
  return OneOf(kSpaces);
}

std::string CorpusGenerator::Table() {
  static const char* const kTables[] = {
      "t", "users", "orders", "accounts", "public.accounts", "\"Order Items\"", "\"drop\"",
      "\"delete\"", "drop_log", "deleted_rows", "s.\"where\"", "items", "comment", "\"select\"",
      "ONLY t",
  };
  return OneOf(kTables);
}

std::string CorpusGenerator::Column() {
  static const char* const kColumns[] = {
      "a", "b", "id", "name", "amount", "drop_date", "\"delete\"", "\"where\"", "updated_at",
      "t.a", "status", "\"Select\"", "update", "delete_flag",
      // Unreserved PostgreSQL keywords are valid column names.
      "insert", "merge", "set", "comment", "copy", "explain", "prepare", "lock", "show", "delete",
  };
  return OneOf(kColumns);
}

std::string CorpusGenerator::Literal() {
  static const char* const kLiterals[] = {
      "1", "42", "-7", "3.14", "'x'", "'DROP TABLE users'", "'it''s'", "'; DELETE FROM t'",
      "E'line\\n'", "$$DELETE FROM t$$", "$q$ WHERE $q$", "NULL", "true", "'where'",
      "U&'\\0041'", "'C:\\dir'", "B'101'", "X'1F'", "'/* not a comment */'", "'-- nor this'",
  };
  return OneOf(kLiterals);
}

std::string CorpusGenerator::Expr(int depth) {
  static const char* const kFancy[] = {
      "a[1]", "ARRAY[1, 2]", "row(1, 2)", "now() - interval '1 day'", "a->>'k'",
      "count(*) FILTER (WHERE a > 1)", "sum(a) OVER (PARTITION BY b ORDER BY c DESC)",
      "a COLLATE \"C\"", "(a).b", "$1", "'x' || update", "(insert)", "(update)", "(delete) + 1",
      "greatest(a, (SELECT 1 WHERE false))",
  };
  if (Chance(10)) return OneOf(kFancy);
  switch (Pick(depth > 2 ? 4 : 9)) {
    case 0: case 1: return Column();
    case 2: return Literal();
    case 3: return Column() + Sp() + OneOf({"+", "-", "*", "||"}) + Sp() + Literal();
    case 4: return "(" + Subquery(depth + 1) + ")";
    case 5:
      return Kw("CASE") + Sp() + Kw("WHEN") + Sp() + Cond(depth + 1) + Sp() + Kw("THEN") + Sp() + Literal() +
             Sp() + Kw("ELSE") + Sp() + Column() + Sp() + Kw("END");
    case 6: return OneOf({"lower", "coalesce", "abs", "length"}) + std::string("(") + Column() + ")";
    case 7: return Column() + "::" + OneOf({"int", "text", "numeric"});
    default: return Kw("COALESCE") + "(" + Expr(depth + 1) + ", " + Literal() + ")";
  }
}

std::string CorpusGenerator::Cond(int depth) {
  switch (Pick(depth > 2 ? 3 : 8)) {
    case 0: case 1: return Column() + Sp() + OneOf({"=", "<>", "<", ">=", "="}) + Sp() + Expr(depth + 1);
    case 2: return Column() + Sp() + Kw("IS NULL");
    case 3: return Cond(depth + 1) + Sp() + Kw(Chance(50) ? "AND" : "OR") + Sp() + Cond(depth + 1);
    case 4: return Kw("EXISTS") + Sp() + "(" + Subquery(depth + 1) + ")";
    case 5: return Column() + Sp() + Kw("IN") + Sp() + "(" + Subquery(depth + 1) + ")";
    case 6: return Kw("NOT") + Sp() + "(" + Cond(depth + 1) + ")";
    default: {
      static const char* const kPredicates[] = {
          " IN (1, 2)", " BETWEEN 1 AND 2", " IS DISTINCT FROM 3", " LIKE 'a%'", " ILIKE '%DROP%'",
          " NOT IN (SELECT a FROM t WHERE b)", " IS NOT NULL", " = ANY (ARRAY[1, 2])", " SIMILAR TO 'x'",
          " NOTNULL", " ISNULL", " IN (" ,
      };
      std::string p = OneOf(kPredicates);
      if (p == " IN (") p += Literal() + ", " + Literal() + ")";
      return Column() + p;
    }
  }
}

std::string CorpusGenerator::Subquery(int depth) {
  std::string s = Kw("SELECT") + Sp() + Expr(depth + 1) + Sp() + Kw("FROM") + Sp() + Table();
  if (Chance(60)) s += Sp() + Kw("WHERE") + Sp() + Cond(depth + 1);
  return s;
}

std::string CorpusGenerator::Select(int depth, bool allow_into) {
  std::string s = Kw("SELECT") + Sp();
  if (Chance(10)) s += Kw("DISTINCT") + Sp();
  s += Chance(30) ? std::string("*") : Expr(depth) + (Chance(40) ? ", " + Expr(depth) : "");
  if (allow_into && Chance(8)) s += Sp() + Kw("INTO") + Sp() + OneOf({"backup", "TEMP tmp_x", "new_t"});
  if (Chance(90)) {
    s += Sp() + Kw("FROM") + Sp() + Table();
    if (Chance(20)) s += Sp() + Kw("JOIN") + Sp() + Table() + " j " + Kw("ON") + Sp() + Cond(depth + 1);
    if (Chance(10)) s += ", (" + Subquery(depth + 1) + ") " + Kw("AS") + " sq";
    if (Chance(5)) s += ", (" + Kw("VALUES") + " (1), (2)) v(x)";
    if (Chance(5)) s += ", " + Kw("LATERAL") + " (" + Subquery(depth + 1) + ") l";
  }
  if (Chance(55)) s += Sp() + Kw("WHERE") + Sp() + Cond(depth);
  if (Chance(15)) s += Sp() + Kw("GROUP BY") + Sp() + Column();
  if (Chance(15)) s += Sp() + Kw("ORDER BY") + Sp() + Column() + Sp() + Kw(Chance(50) ? "DESC" : "ASC");
  if (Chance(10)) s += Sp() + Kw("LIMIT") + " 10";
  if (Chance(5)) s += Sp() + Kw("FOR UPDATE");
  if (Chance(8)) s += Sp() + Kw("UNION ALL") + Sp() + Subquery(depth + 1);
  return s;
}

std::string CorpusGenerator::Returning() {
  return Chance(40) ? Sp() + Kw("RETURNING") + Sp() + (Chance(50) ? "*" : Column()) : "";
}

std::string CorpusGenerator::Insert(int depth) {
  std::string s = Kw("INSERT INTO") + Sp() + Table();
  if (Chance(50)) s += " (" + Column() + ", " + Column() + ")";
  switch (Pick(3)) {
    case 0: s += Sp() + Kw("VALUES") + Sp() + "(" + Literal() + ", " + Expr(depth + 1) + ")"; break;
    case 1: s += Sp() + Select(depth + 1, false); break;
    default: s += Sp() + Kw("DEFAULT VALUES"); break;
  }
  if (Chance(20)) {
    s += Sp() + Kw("ON CONFLICT");
    if (Chance(50)) {
      s += Sp() + Kw("DO NOTHING");
    } else {
      s += " (id)" + Sp() + Kw("DO UPDATE SET") + Sp() + Column() + " = " + Kw("EXCLUDED") + ".a";
      if (Chance(40)) s += Sp() + Kw("WHERE") + Sp() + Cond(depth + 1);
    }
  }
  return s + Returning();
}

std::string CorpusGenerator::Update(int depth) {
  std::string s = Kw("UPDATE") + Sp() + Table() + Sp() + Kw("SET") + Sp();
  s += Chance(10) ? "(a, b) = (" + Subquery(depth + 1) + ")" : Column() + " = " + Expr(depth + 1);
  if (Chance(30)) s += ", " + Column() + " = " + Expr(depth + 1);
  if (Chance(15)) s += Sp() + Kw("FROM") + Sp() + Table() + " f";
  if (Chance(60)) s += Sp() + Kw("WHERE") + Sp() + Cond(depth + 1);
  return s + Returning();
}

std::string CorpusGenerator::Delete(int depth) {
  std::string s = Kw("DELETE FROM") + Sp() + Table();
  if (Chance(10)) s += Sp() + Kw("USING") + Sp() + Table() + " u";
  if (Chance(60)) s += Sp() + Kw("WHERE") + Sp() + (Chance(5) ? Kw("CURRENT OF") + " cur" : Cond(depth + 1));
  return s + Returning();
}

std::string CorpusGenerator::Merge(int depth) {
  std::string s = Kw("MERGE INTO") + Sp() + Table() + " m " + Kw("USING") + Sp() + Table() + " src " +
                  Kw("ON") + " m.id = src.id";
  int arms = 1 + static_cast<int>(Pick(2));
  for (int i = 0; i < arms; ++i) {
    if (Chance(50)) {
      s += Sp() + Kw("WHEN MATCHED");
      if (Chance(30)) s += Sp() + Kw("AND") + Sp() + Cond(depth + 1);
      s += Sp() + Kw("THEN") + Sp();
      switch (Pick(3)) {
        case 0: s += Kw("UPDATE SET") + " a = src.a"; break;
        case 1: s += Kw("DELETE"); break;
        default: s += Kw("DO NOTHING"); break;
      }
    } else {
      s += Sp() + Kw("WHEN NOT MATCHED THEN") + Sp();
      switch (Pick(3)) {
        case 0: s += Kw("INSERT") + " (a) " + Kw("VALUES") + " (src.a)"; break;
        case 1: s += Kw("INSERT DEFAULT VALUES"); break;
        default: s += Kw("DO NOTHING"); break;
      }
    }
  }
  return s;
}

std::string CorpusGenerator::With(int depth) {
  std::string s = Kw("WITH") + Sp();
  if (Chance(15)) s += Kw("RECURSIVE") + Sp();
  int n = 1 + static_cast<int>(Pick(2));
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += "," + Sp();
    s += "c" + std::to_string(i);
    if (Chance(20)) s += " (x)";
    s += Sp() + Kw("AS") + Sp();
    if (Chance(10)) s += Kw(Chance(50) ? "MATERIALIZED" : "NOT MATERIALIZED") + Sp();
    s += "(";
    // Data-modifying CTEs are only allowed at the top level in PostgreSQL.
    switch (depth == 0 ? Pick(5) : 0) {
      case 0: case 1: s += Select(depth + 1, false); break;
      case 2: s += Update(depth + 1) + (Chance(70) ? Sp() + Kw("RETURNING") + " *" : ""); break;
      case 3: s += Delete(depth + 1) + (Chance(70) ? Sp() + Kw("RETURNING") + " *" : ""); break;
      default: s += Insert(depth + 1); break;
    }
    s += ")";
  }
  s += Sp();
  switch (depth == 0 ? Pick(5) : 0) {
    case 0: case 1: s += Select(depth, true); break;
    case 2: s += Update(depth); break;
    case 3: s += Delete(depth); break;
    default: s += Insert(depth); break;
  }
  return s;
}

std::string CorpusGenerator::Utility() {
  static const char* const kUtilities[] = {
      "DROP TABLE t", "DROP TABLE IF EXISTS users CASCADE", "TRUNCATE t", "TRUNCATE TABLE orders, items",
      "ALTER TABLE t ADD COLUMN c int", "ALTER TABLE t RENAME TO u", "GRANT SELECT ON t TO bob",
      "REVOKE ALL ON t FROM bob", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT sp",
      "RELEASE SAVEPOINT sp", "START TRANSACTION", "END", "SET search_path = public", "SHOW search_path",
      "RESET search_path", "VACUUM t", "VACUUM ANALYZE t", "ANALYZE t", "COPY t TO STDOUT",
      "COPY (SELECT 1) TO STDOUT", "CALL p(1)", "DO $$BEGIN NULL END$$", "EXECUTE p(1)",
      "DEALLOCATE p", "LOCK TABLE t", "COMMENT ON TABLE t IS 'DROP'", "REINDEX TABLE t",
      "VALUES (1), (2)", "TABLE t", "LISTEN ch", "NOTIFY ch", "UNLISTEN *",
      "REFRESH MATERIALIZED VIEW mv", "CLUSTER t", "DISCARD ALL", "CHECKPOINT",
      "DECLARE c CURSOR FOR SELECT 1", "FETCH 1 FROM c", "CLOSE c", "CREATE TABLE n (a int)",
      "CREATE TABLE n (a int REFERENCES t ON DELETE CASCADE)", "CREATE INDEX i ON t (a)",
      "CREATE VIEW v AS SELECT * FROM t WHERE a = 1", "CREATE TABLE n AS SELECT * FROM t",
      "CREATE MATERIALIZED VIEW mv AS SELECT 1", "PREPARE p AS SELECT 1",
      "PREPARE q (int) AS UPDATE t SET a = $1 WHERE id = 1", "PREPARE r AS DELETE FROM t",
      "CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING",
      "CREATE RULE r AS ON DELETE TO t DO ALSO DELETE FROM u WHERE u.id = old.id",
      "IMPORT FOREIGN SCHEMA s FROM SERVER srv INTO public", "LOAD 'auto_explain'",
      "DROP VIEW v", "DROP INDEX i", "ALTER INDEX i RENAME TO j", "CREATE SCHEMA s",
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
      "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()",
      "SECURITY LABEL ON TABLE t IS 'x'", "REASSIGN OWNED BY a TO b", "ALTER SYSTEM SET work_mem = 1",
      // Not PostgreSQL: exercise the "Postgres rejects" path.
      "INSERT OR REPLACE INTO t VALUES (1)", "REPLACE INTO t VALUES (1)", "PRAGMA table_info(t)",
      "SELECT `a` FROM t", "SELECT [a] FROM t", "ATTACH DATABASE 'x' AS y", "USE db",
      "SELECT 'a\\'b'", "SELECT 1 --x", "DELETE FROM t WHERE", "SELECT FROM WHERE",
      "(SELECT 1) UNION (SELECT 2)", "TABLE t UNION SELECT 1", "VALUES (1) UNION SELECT 2",
      "SELECT 1 INTO x UNION SELECT 2", "(TABLE t)", "((SELECT 1))",
      "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT c DO UPDATE SET a = 2",
      "INSERT INTO t OVERRIDING USER VALUE VALUES (1)", "DELETE FROM t WHERE CURRENT OF c",
      "UPDATE t SET a = 1 WHERE CURRENT OF c", "SELECT x AS update, y AS delete FROM t",
      "SELECT * FROM t AS insert", "WITH \"c\" AS (DELETE FROM t RETURNING 1) SELECT 1",
      "EXPLAIN (ANALYZE false) DELETE FROM t", "EXPLAIN MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
      "CREATE TABLE n AS WITH w AS (SELECT 1) SELECT * FROM w", "CREATE VIEW v AS (SELECT 1) UNION (SELECT 2)",
      "PREPARE s AS WITH d AS (DELETE FROM t RETURNING 1) SELECT 1",
      "DECLARE c2 CURSOR WITH HOLD FOR SELECT * FROM t WHERE a", "COPY (UPDATE t SET a = 1 RETURNING *) TO STDOUT",
      "SELECT 1 /* a /* nested */ b */", "SELECT $a$ ; $a$", "SELECT E'\\''",
  };
  return OneOf(kUtilities);
}

std::string CorpusGenerator::Statement() {
  int r = static_cast<int>(Pick(100));
  if (r < 22) return Select(0, true);
  if (r < 32) return Insert(0);
  if (r < 45) return Update(0);
  if (r < 56) return Delete(0);
  if (r < 62) return Merge(0);
  if (r < 76) return With(0);
  if (r < 84) {
    std::string e = Kw("EXPLAIN") + Sp();
    switch (Pick(4)) {
      case 0: e += Kw("ANALYZE") + Sp(); break;
      case 1: e += "(" + Kw("ANALYZE") + ", " + Kw("BUFFERS") + ")" + Sp(); break;
      case 2: e += Kw("VERBOSE") + Sp(); break;
      default: break;
    }
    switch (Pick(5)) {
      case 0: return e + Select(0, false);
      case 1: return e + Update(0);
      case 2: return e + Delete(0);
      case 3: return e + Insert(0);
      default: return e + With(0);
    }
  }
  return Utility();
}

std::string CorpusGenerator::Next() {
  std::string text = Statement();
  int extra = Chance(15) ? 1 + static_cast<int>(Pick(2)) : 0;
  for (int i = 0; i < extra; ++i) text += ";" + Sp() + Statement();
  if (Chance(20)) text += ";";
  return text;
}

}  // namespace agentos::pgdiff
