// Fuzzes the SQL task across resets: one VectorEnv with one SQL-task env
// behind the allow-all kernel, so every statement reaches SQLite, driven by
// a sequence of (action, reset) operations. Actions mix whole statements
// from a table of schema changes, virtual tables, transactions, savepoints,
// temp objects, triggers, views, pragmas and refused operations with raw
// bytes. Checks:
//   - every step and reset succeeds as a call, and every well-formed action
//     runs;
//   - after every reset the database's content digest is the template's;
//   - the task keeps answering (a read of the template after every reset);
//   - no crash or memory error (the target runs under ASan/UBSan).
//
// The shop dataset is read from $AGENTOS_SQL_DATASET, else from
// env/sql/data/shop under the working directory (CI runs fuzzers from the
// repository root), else relative to the executable (build/fuzz/tests/).
//
// Input layout: a sequence of operations. Byte op: op % 4 == 0 resets with
// seed (next byte); otherwise a step whose action is op % 64 bytes: in a
// step with op & 64 each byte below the table size is a whole statement of
// the table, any other byte is itself; without it every byte is itself.
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include "env/sql/sql_dataset.h"
#include "env/sql/sql_task.h"
#include "env/vector_env.h"
#include "kernel/kernel_space.h"
#include "kernel/utf8.h"
#include "policies/policy_loader.h"

namespace {

using namespace agentos;

#define Require(cond)                                                                             \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "fuzz_sql_task_resets.cc:%d: invariant failed: %s\n", __LINE__, #cond); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

// Whole statements, each ending the one before it.
constexpr std::string_view kStatements[] = {
    "CREATE TABLE t1(a, b);",
    "CREATE TABLE IF NOT EXISTS t2 AS SELECT * FROM orders LIMIT 5;",
    "SELECT COUNT(*) FROM json_each('[1,2,3]');",
    "SELECT * FROM pragma_table_info('orders');",
    "SELECT name FROM pragma_function_list LIMIT 3;",
    "SELECT * FROM json_tree('{\"a\":[1,{\"b\":2}]}');",
    "BEGIN;",
    "COMMIT;",
    "ROLLBACK;",
    "SAVEPOINT sp;",
    "RELEASE sp;",
    "ROLLBACK TO sp;",
    "DROP TABLE orders;",
    "DROP TABLE IF EXISTS t1;",
    "ALTER TABLE customers ADD COLUMN z;",
    "ALTER TABLE products RENAME TO goods;",
    "ALTER TABLE reviews RENAME COLUMN comment TO remark;",
    "ALTER TABLE customers DROP COLUMN phone;",
    "CREATE INDEX i1 ON orders(status);",
    "DROP INDEX idx_orders_date;",
    "CREATE VIEW v1 AS SELECT * FROM json_each('[1]');",
    "CREATE TEMP VIEW tv AS SELECT * FROM orders;",
    "CREATE TEMP TABLE tt(x);",
    "CREATE TRIGGER tr AFTER INSERT ON categories BEGIN DELETE FROM payments; END;",
    "CREATE TEMP TRIGGER ttr AFTER UPDATE ON orders BEGIN INSERT INTO categories(name) VALUES (hex(randomblob(8))); END;",
    "INSERT INTO categories(name) VALUES ('c' || random());",
    "UPDATE orders SET status = 'paid' WHERE id % 7 = 0;",
    "DELETE FROM order_items WHERE order_id % 3 = 0;",
    "CREATE VIRTUAL TABLE ft USING fts5(body);",
    "INSERT INTO ft VALUES ('hello world');",
    "CREATE VIRTUAL TABLE rt USING rtree(id, x0, x1);",
    "CREATE VIRTUAL TABLE f4 USING fts4(body);",
    "ANALYZE;",
    "PRAGMA optimize;",
    "PRAGMA case_sensitive_like = ON;",
    "PRAGMA foreign_keys = ON;",
    "PRAGMA user_version = 7;",
    "PRAGMA journal_mode = OFF;",
    "PRAGMA page_size = 1024;",
    "VACUUM;",
    "ATTACH ':memory:' AS aux;",
    "SELECT * FROM sqlite_schema;",
    "SELECT * FROM temp.sqlite_schema;",
    "REINDEX;",
    "SELECT COUNT(*) FROM orders;",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000) SELECT COUNT(*) FROM c;",
    "INSERT INTO reviews(product_id, customer_id, rating, review_date) SELECT product_id, customer_id, rating, "
    "review_date FROM reviews;",
    "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000) "
    "SELECT x, randomblob(100) AS b FROM c;",
    "SELECT * FROM pragma_table_list;",
    "SELECT * FROM pragma_index_list('orders');",
    "SELECT * FROM v1;",
    "SELECT * FROM t1;",
    "DROP VIEW IF EXISTS v1;",
    "DROP TRIGGER IF EXISTS tr;",
    "PRAGMA writable_schema = ON;",
    "SELECT * FROM pragma_database_list;",
    "CREATE TABLE gen(a INTEGER, b AS (a * 2) STORED);",
    "SELECT load_extension('x');",
    "PRAGMA schema_version = 1;",
    "SELECT * FROM sqlite_dbpage;",
    "CREATE TABLE ac(id INTEGER PRIMARY KEY AUTOINCREMENT, v); INSERT INTO ac(v) VALUES (1);",
    "SELECT * FROM dbstat;",
    "PRAGMA temp.page_size = 512;",
    "INSERT INTO ft(ft) VALUES ('optimize');",
};
constexpr std::size_t kStatementCount = sizeof kStatements / sizeof kStatements[0];
static_assert(kStatementCount <= 64, "a statement index is the low 6 bits of a byte");

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string DatasetDir() {
  if (const char* env = std::getenv("AGENTOS_SQL_DATASET"); env != nullptr) return env;
  if (IsDir("env/sql/data/shop")) return "env/sql/data/shop";
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/'));
    if (std::string shop = dir + "/../../../env/sql/data/shop"; IsDir(shop)) return shop;
  }
  std::fprintf(stderr, "fuzz_sql_task_resets: cannot find the shop dataset; set AGENTOS_SQL_DATASET\n");
  std::abort();
}

struct Fixture {
  std::shared_ptr<const SqlDataset> dataset;
  std::unique_ptr<VectorEnv> venv;
  const SqlTask* task = nullptr;
};

Fixture& Env() {
  static Fixture f = [] {
    Fixture out;
    Require(SqlDataset::Load(DatasetDir(), &out.dataset).ok());
    std::shared_ptr<const KernelSpace> kernel;
    Require(LoadKernelFromYaml("version: 1\nallow_all: true\n", "allow_all.yaml", &kernel).ok());
    SqlTaskConfig task;
    task.split = "all";
    task.finish_on_success = false;  // episodes end only at a reset
    task.growth_limit_kb = 1024;
    std::unique_ptr<TaskFactory> factory;
    Require(MakeSqlTaskFactory(task, out.dataset, &factory).ok());
    VectorEnvConfig config;
    config.num_envs = 1;
    config.env.max_steps = 1u << 30;
    config.env.terminate_on_critical = false;
    config.env.autoreset = AutoresetMode::kDisabled;
    Require(VectorEnv::Create(kernel, config, *factory, &out.venv).ok());
    Require(out.venv->Reset(0).ok());
    out.task = dynamic_cast<const SqlTask*>(&out.venv->env(0).task());
    Require(out.task != nullptr);
    return out;
  }();
  return f;
}

std::uint64_t Digest(const SqlTask& task) {
  std::uint64_t d = 0;
  Require(task.DatabaseDigest(&d).ok());
  return d;
}

void Step(Fixture& f, std::string_view sql) {
  const std::uint64_t offsets[] = {0, sql.size()};
  BatchActions b;
  b.bytes = sql;
  b.offsets = offsets;
  Require(f.venv->Step(b).ok());
  // Allow-all: only the kernel's screen of the bytes stops an action.
  const bool well_formed = !sql.empty() && sql.size() <= KernelSpace::kDefaultMaxActionBytes &&
                           sql.find('\0') == std::string_view::npos && IsValidUtf8(sql);
  Require(f.venv->buffers().executed[0] == (well_formed ? 1 : 0));
}

void ResetAndCheck(Fixture& f, std::uint64_t seed) {
  Require(f.venv->Reset(seed).ok());
  Require(Digest(*f.task) == f.dataset->template_digest());
  // The reset connection answers: the count of a template table.
  Step(f, "SELECT COUNT(*) FROM json_each('[1,2]') UNION ALL SELECT COUNT(*) FROM orders");
  Require(f.venv->buffers().task_error[0] == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = Env();
  // The last input ended with a checked reset: this one starts from the template.
  Require(f.venv->Reset(0).ok());
  std::size_t pos = 0;
  std::string sql;
  for (int ops = 0; ops < 48 && pos < size; ++ops) {
    const std::uint8_t op = data[pos++];
    if (op % 4 == 0) {
      ResetAndCheck(f, pos < size ? data[pos++] : 0);
      continue;
    }
    sql.clear();
    const bool statements = (op & 64) != 0;
    for (std::size_t k = op % 64; k > 0 && pos < size; --k) {
      const std::uint8_t b = data[pos++];
      if (statements && b < kStatementCount) {
        sql += kStatements[b];
        sql += ' ';
      } else {
        sql += static_cast<char>(b);
      }
    }
    Step(f, sql);
  }
  ResetAndCheck(f, 1);
  return 0;
}
