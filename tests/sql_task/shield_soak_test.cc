// The shield soak: SQL-task envs behind the governed kernels
// (examples/policies/train_governed.yaml, then sql_safety.yaml) take
// adversarial actions: policy-denied operations (DROP, DELETE, ALTER,
// CREATE, UPDATE without WHERE, PRAGMA, ATTACH, VACUUM, REPLACE) hidden
// behind comment and quote openers, ASCII control bytes, Unicode spaces and
// line separators, stacked statements and mixed case, next to benign reads
// and writes. Every generated action knows its benign effect (the allowed
// write it carries, if any). A replica database per env receives only the
// benign effects of the actions the env reports as executed. At every
// episode end the env's database must have the replica's content digest;
// the authorizers behind the kernel must count 0 destructive operations;
// nothing may crash.
//
// Hidden from the default run (tag [.soak]). Full size, per kernel:
//   build/release/tests/test_sql_task "[soak]"                  (1,000,000 steps)
// AGENTOS_SOAK_STEPS=N sets the steps per kernel (CI: tests/sql_task/link.cmake).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "env/sql/sql_session.h"
#include "env/vector_env.h"
#include "policies/policy_loader.h"
#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

constexpr std::size_t kEnvs = 16;
constexpr std::uint32_t kEpisodeSteps = 128;  // episodes truncate here: the database is compared, then reset
constexpr std::size_t kDefaultSteps = 1000000;

std::size_t SoakSteps() {
  const char* env = std::getenv("AGENTOS_SOAK_STEPS");
  if (env == nullptr || *env == '\0') return kDefaultSteps;
  return static_cast<std::size_t>(std::strtoull(env, nullptr, 10));
}

// Operations both governed kernels deny. Any of them reaching SQLite is a
// breach; each would also change the database away from the replica.
const char* const kDenied[] = {
    "DROP TABLE orders",
    "DROP TABLE IF EXISTS customers",
    "DELETE FROM payments",
    "DELETE FROM reviews WHERE id > 3",
    "delete from order_items",
    "UPDATE products SET price = 0",
    "update customers set tier = 'gold'",
    "ALTER TABLE orders RENAME TO o2",
    "ALTER TABLE customers DROP COLUMN phone",
    "CREATE TABLE loot AS SELECT * FROM customers",
    "CREATE TRIGGER t AFTER INSERT ON reviews BEGIN DELETE FROM orders; END",
    "PRAGMA user_version = 9",
    "PRAGMA foreign_keys = ON",
    "ATTACH DATABASE ':memory:' AS aux",
    "VACUUM",
    "REPLACE INTO categories (id, name, parent_id) VALUES (1, 'Gadgets', NULL)",
    "WITH x AS (SELECT 1) DELETE FROM orders WHERE id IN (SELECT * FROM x)",
    "DrOp TaBlE products",
};

// Pieces that make lexers disagree: comment and quote openers and closers,
// every ASCII control byte, Unicode spaces and separators, statement breaks.
const char* const kTricks[] = {
    "--", "-- ", "/*", "*/", "#", "'", "\"", "`", "[", "]", "$$", "$a$", "E'", "x'", "\\", "\\'", "''",
    ";", "; ", ";\n", "\n", "\r", "\r\n", "\n\r", "\v", "\f", "\t", " ",
    "",  // a NUL byte (AddTrick; the environment's screen blocks it)
    "\x01", "\x02", "\x03", "\x04", "\x05", "\x06", "\x07", "\x08", "\x0e", "\x0f", "\x10", "\x11", "\x12",
    "\x13", "\x14", "\x15", "\x16", "\x17", "\x18", "\x19", "\x1a", "\x1b", "\x1c", "\x1d", "\x1e", "\x1f",
    "\x7f",
    "\xc2\x85",      // U+0085 NEXT LINE
    "\xc2\xa0",      // U+00A0 NO-BREAK SPACE
    "\xe1\x9a\x80",  // U+1680 OGHAM SPACE MARK
    "\xe2\x80\x80",  // U+2000 EN QUAD
    "\xe2\x80\x8a",  // U+200A HAIR SPACE
    "\xe2\x80\x8b",  // U+200B ZERO WIDTH SPACE
    "\xe2\x80\xa8",  // U+2028 LINE SEPARATOR
    "\xe2\x80\xa9",  // U+2029 PARAGRAPH SEPARATOR
    "\xe2\x80\xaf",  // U+202F NARROW NO-BREAK SPACE
    "\xe2\x81\x9f",  // U+205F MEDIUM MATHEMATICAL SPACE
    "\xe3\x80\x80",  // U+3000 IDEOGRAPHIC SPACE
    "\xef\xbb\xbf",  // U+FEFF BYTE ORDER MARK
    "\x85",          // a lone continuation byte: invalid UTF-8
    "SELECT", "1", "'x'", "N'", "U&'",
};
constexpr std::size_t kTrickCount = sizeof kTricks / sizeof kTricks[0];

// The control bytes put where the known bypass has its \r.
const char* const kCommentEnders[] = {"\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xc2\x85",
                                      "\xe2\x80\xa8", "\xe2\x80\xa9", "\r\r", "\t", "\x0b\r", "\x7f"};

const char* const kReads[] = {
    "SELECT 1",
    "SELECT id FROM orders WHERE id = 3",
    "SELECT COUNT(*) FROM customers WHERE tier = 'gold'",
    "select name from categories where id = 2",
};

struct Generated {
  std::string text;
  std::string effect;  // the allowed write the text carries, run on the replica when the env executed it
  bool attack = true;  // carries an operation the kernels deny
};

class Adversary {
 public:
  Adversary(std::uint64_t seed, const SqlDataset& ds) : rng_(seed), ds_(ds) {}

  Generated Next() {
    const unsigned roll = Pick(100);
    if (roll < 8) return {kReads[Pick(std::size(kReads))], "", false};
    if (roll < 16) {
      std::string w = BenignWrite();
      return {w, w, false};
    }
    if (roll < 20) return Candidate();
    if (roll < 23) return {"SELECT 1 --\r'\n; DROP TABLE orders; --'", ""};  // the known bypass, verbatim
    if (roll < 33) return CommentEnderVariant();
    return Mixed();
  }

 private:
  std::size_t Pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

  std::string BenignWrite() {
    char buf[200];
    switch (Pick(3)) {
      case 0:
        std::snprintf(buf, sizeof buf,
                      "INSERT INTO reviews (product_id, customer_id, rating, review_date, comment) "
                      "VALUES (%d, %d, %d, '2025-02-%02d', 'soak')",
                      static_cast<int>(Pick(160) + 1), static_cast<int>(Pick(320) + 1),
                      static_cast<int>(Pick(5) + 1), static_cast<int>(Pick(28) + 1));
        break;
      case 1:
        std::snprintf(buf, sizeof buf, "UPDATE products SET stock = stock + %d WHERE id = %d",
                      static_cast<int>(Pick(9) + 1), static_cast<int>(Pick(160) + 1));
        break;
      default:
        std::snprintf(buf, sizeof buf, "update customers set tier = 'silver' where id = %d",
                      static_cast<int>(Pick(320) + 1));
        break;
    }
    return buf;
  }

  // A dataset candidate: correct and wrong ones are reads (their effect is
  // themselves, so a write among them would still be mirrored); destructive
  // ones must never run.
  Generated Candidate() {
    const SqlTaskSpec& t = ds_.task(Pick(ds_.size()));
    const SqlCandidate& c = t.candidates[Pick(t.candidates.size())];
    if (c.label == CandidateLabel::kDestructive) return {c.sql, "", true};
    return {c.sql, c.sql, false};
  }

  // `SELECT 1 --<ender>'\n; <denied>; --'` for every ender.
  Generated CommentEnderVariant() {
    std::string s = Pick(2) ? "SELECT 1 --" : "SELECT 1 #";
    s += kCommentEnders[Pick(std::size(kCommentEnders))];
    s += Pick(2) ? "'" : "\"";
    s += Pick(2) ? "\n; " : "\n;";
    s += kDenied[Pick(std::size(kDenied))];
    s += Pick(2) ? "; --'" : "; -- '";
    return {s, ""};
  }

  // [benign statement;] tricks, a denied operation, tricks.
  Generated Mixed() {
    Generated g;
    switch (Pick(4)) {
      case 0: break;
      case 1: g.text = kReads[Pick(std::size(kReads))]; break;  // may run on into the tricks: no effect either way
      case 2:
        g.text = kReads[Pick(std::size(kReads))];
        g.text += ";\n";
        break;
      default:
        g.effect = BenignWrite();
        g.text = g.effect + ";\n";  // a statement of its own, whatever follows
        break;
    }
    for (std::size_t k = Pick(5) + 1; k > 0; --k) AddTrick(&g.text);
    g.text += kDenied[Pick(std::size(kDenied))];
    for (std::size_t k = Pick(4); k > 0; --k) AddTrick(&g.text);
    return g;
  }

  void AddTrick(std::string* s) {
    const std::size_t i = Pick(kTrickCount);
    if (kTricks[i][0] == '\0') {
      s->push_back('\0');
    } else {
      *s += kTricks[i];
    }
  }

  std::mt19937_64 rng_;
  const SqlDataset& ds_;
};

// Control and non-ASCII bytes as \xNN, for failure messages.
std::string Escaped(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::uint64_t Digest(SqlSession& s) {
  std::uint64_t d = 0;
  REQUIRE(s.Digest(&d).ok());
  return d;
}

struct SoakCounts {
  std::size_t steps = 0, executed = 0, blocked = 0, effects_replayed = 0, comparisons = 0, resets = 0;
  std::uint64_t destructive = 0;  // operations the authorizers behind the kernel counted
};

SoakCounts Soak(const std::string& policy_file, std::size_t steps, std::uint64_t seed) {
  auto ds = Shop();
  std::shared_ptr<const KernelSpace> kernel;
  Status s = LoadKernelFromFile(std::string(AGENTOS_SOURCE_DIR) + "/examples/policies/" + policy_file, &kernel);
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(kernel->mode() == EnforcementMode::kEnforce);

  SqlTaskConfig task_config;
  task_config.split = "all";
  task_config.finish_on_success = false;
  std::unique_ptr<TaskFactory> factory;
  REQUIRE(MakeSqlTaskFactory(task_config, ds, &factory).ok());
  VectorEnvConfig config;
  config.num_envs = kEnvs;
  config.num_threads = 2;
  config.min_envs_per_thread = 1;
  config.env.max_steps = kEpisodeSteps;
  config.env.terminate_on_critical = false;
  config.env.autoreset = AutoresetMode::kNextStep;
  std::unique_ptr<VectorEnv> venv;
  s = VectorEnv::Create(kernel, config, *factory, &venv);
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(venv->Reset(seed).ok());

  std::vector<std::unique_ptr<SqlSession>> replica(kEnvs);
  for (auto& r : replica) {
    REQUIRE(SqlSession::Open(ds->image(), std::size_t{task_config.growth_limit_kb} * 1024, &r).ok());
  }
  const SqlLimits limits{task_config.time_limit_ms, task_config.row_limit};
  ResultSet ignored;
  Adversary adversary(seed, *ds);
  std::vector<Generated> actions(kEnvs);
  std::string bytes;
  std::vector<std::uint64_t> offsets;
  SoakCounts n;
  // Per env, the attacks its episode executed: the suspects when its
  // database differs from the replica.
  std::vector<std::vector<std::string>> suspects(kEnvs);

  auto compare = [&](std::size_t i) {
    auto* task = dynamic_cast<const SqlTask*>(&venv->env(i).task());
    REQUIRE(task != nullptr);
    const std::uint64_t env_digest = DigestOf(*task);
    if (env_digest != Digest(*replica[i])) {
      std::string list;
      for (const std::string& a : suspects[i]) list += "\n  " + Escaped(a);
      FAIL("env " << i << " differs from its replica after step " << n.steps << " under " << policy_file
                  << "; attacks it executed:" << list);
    }
    REQUIRE(task->BackendDestructiveOps() == 0);
    ++n.comparisons;
  };

  while (n.steps < steps) {
    bytes.clear();
    offsets.assign(1, 0);
    for (std::size_t i = 0; i < kEnvs; ++i) {
      actions[i] = adversary.Next();
      bytes += actions[i].text;
      offsets.push_back(bytes.size());
    }
    BatchActions b;
    b.bytes = bytes;
    b.offsets = offsets;
    s = venv->Step(b);
    INFO(s.ToString());
    REQUIRE(s.ok());
    const VectorBuffers& out = venv->buffers();
    for (std::size_t i = 0; i < kEnvs; ++i) {
      const auto row = static_cast<Eigen::Index>(i);
      if (out.autoreset[row] != 0) {  // the env reset instead of stepping: so does its replica
        REQUIRE(replica[i]->Restore().ok());
        suspects[i].clear();
        ++n.resets;
        continue;
      }
      ++n.steps;
      if (out.executed[row] == 0) {
        ++n.blocked;
      } else {
        ++n.executed;
        if (actions[i].attack) suspects[i].push_back(actions[i].text);
        if (!actions[i].effect.empty()) {
          replica[i]->Run(actions[i].effect, limits, &ignored);
          ++n.effects_replayed;
        }
      }
      if (out.truncated[row] != 0 || out.terminated[row] != 0) compare(i);
    }
  }
  for (std::size_t i = 0; i < kEnvs; ++i) compare(i);
  EnvMetrics m = venv->Metrics();
  n.destructive = m.backend_destructive_ops;
  CHECK(m.backend_destructive_ops == 0);
  for (const auto& r : replica) CHECK(r->lifetime().destructive_statements == 0);
  return n;
}

}  // namespace

TEST_CASE("shield soak: adversarial steps leave exactly the allowed writes and 0 destructive operations",
          "[.soak][soak]") {
  const std::size_t steps = SoakSteps();
  REQUIRE(steps > 0);
  for (const char* policy : {"train_governed.yaml", "sql_safety.yaml"}) {
    INFO(policy);
    const auto start = std::chrono::steady_clock::now();
    SoakCounts n = Soak(policy, steps, 20261206);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("shield soak %s: %zu steps (%zu executed, %zu blocked), %zu allowed effects replayed on the "
                "replicas, %zu resets, %zu database comparisons, %llu destructive operations, %.1f s\n",
                policy, n.steps, n.executed, n.blocked, n.effects_replayed, n.resets, n.comparisons,
                static_cast<unsigned long long>(n.destructive), seconds);
    std::fflush(stdout);
    CHECK(n.steps >= steps);
    CHECK(n.blocked > n.steps / 2);  // most of the mix is attacks
    CHECK(n.executed > n.steps / 20);
  }
}
