// Tampering: every edit to a closed log — a changed field, a rewritten
// verdict, deleted, inserted, swapped or renumbered rows, a cut tail, raw
// byte flips in the file — makes verification fail and name the first
// record that is wrong. Trials are random but seeded, so a failure replays.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/record_codec.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;

namespace {

constexpr std::uint64_t kRecords = 120;

// Records of the Sample mix that carry violations: every third.
bool HasViolations(std::uint64_t seq) { return seq % 3 == 0 || seq % 5 == 0; }
bool IsBlocked(std::uint64_t seq) { return seq % 3 == 0; }

class Db {
 public:
  explicit Db(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    // The edits need no durability; skipping fsync keeps 1,200 trials fast.
    sqlite3_exec(db_, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
  }
  ~Db() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << " -> " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  int Changes() { return sqlite3_changes(db_); }

 private:
  sqlite3* db_ = nullptr;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Outcome {
  bool readable = false;  // VerifyLog could read the file
  VerifyResult result;
  std::string error;
};

Outcome Check(const std::string& path, const std::vector<std::uint8_t>& key) {
  VerifyOptions o;
  o.key = key;
  Outcome out;
  Status s = VerifyLog(path, o, &out.result);
  out.readable = s.ok();
  out.error = s.message();
  return out;
}

// One tamper: edits the copy at `path`, returns the seq verification must
// name (0: a fault that is not one record's, e.g. the header or checkpoint).
using Tamper = std::function<std::uint64_t(const std::string& path, std::mt19937_64& rng)>;

std::uint64_t Pick(std::mt19937_64& rng, std::uint64_t lo, std::uint64_t hi) {
  return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
}

std::uint64_t PickWithViolations(std::mt19937_64& rng, bool blocked) {
  for (;;) {
    std::uint64_t k = Pick(rng, 1, kRecords);
    if (blocked ? IsBlocked(k) : HasViolations(k)) return k;
  }
}

// Column edits that change the value (never a no-op), all type-preserving so
// the STRICT tables accept them.
const std::vector<std::string> kRecordEdits = {
    "time_ns = time_ns + 1",
    "env_id = env_id + 1",
    "agent_id = agent_id || 'x'",
    "episode = episode + 1",
    "step = step + 1",
    "kind = (kind + 1) % 4",
    "tool = tool || '_'",
    "payload = substr(payload, 1, 5) || 'X' || substr(payload, 7)",
    "payload_form = (payload_form + 1) % 3",
    "payload_len = payload_len + 1",
    "cost_usd = cost_usd + 0.5",
    "tokens = tokens - 1",
    "allowed = 1 - allowed",
    "total_violations = total_violations + 1",
    "executed = 1 - executed",
    "signals = signals + 2",
    "reward = CASE WHEN reward IS NULL THEN 1.0 ELSE reward + 1.0 END",
    "penalty = NULL",
    "prev_hash = CAST(zeroblob(32) AS BLOB)",
    "entry_hash = CAST(randomblob(32) AS BLOB)",
};

const std::vector<std::string> kViolationEdits = {
    "policy = policy || 'x'",
    "rule = 'other.rule'",
    "severity = (severity + 1) % 4",
    "blocked = 1 - blocked",
    "reason = reason || '.'",
};

std::vector<std::pair<std::string, Tamper>> Tampers() {
  std::vector<std::pair<std::string, Tamper>> t;
  t.emplace_back("field edit", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = Pick(rng, 1, kRecords);
    const std::string& edit = kRecordEdits[Pick(rng, 0, kRecordEdits.size() - 1)];
    Db(path).Exec("UPDATE records SET " + edit + " WHERE seq = " + std::to_string(k));
    return k;
  });
  t.emplace_back("verdict rewritten blocked -> allowed", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = PickWithViolations(rng, true);
    Db db(path);
    db.Exec("UPDATE records SET allowed = 1, executed = 1 WHERE seq = " + std::to_string(k));
    db.Exec("UPDATE violations SET blocked = 0 WHERE seq = " + std::to_string(k));
    return k;
  });
  t.emplace_back("violations erased", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = PickWithViolations(rng, false);
    Db db(path);
    db.Exec("DELETE FROM violations WHERE seq = " + std::to_string(k));
    db.Exec("UPDATE records SET allowed = 1, total_violations = 0 WHERE seq = " + std::to_string(k));
    return k;
  });
  t.emplace_back("violation field edit", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = PickWithViolations(rng, false);
    const std::string& edit = kViolationEdits[Pick(rng, 0, kViolationEdits.size() - 1)];
    Db(path).Exec("UPDATE violations SET " + edit + " WHERE seq = " + std::to_string(k) + " AND idx = 0");
    return k;
  });
  t.emplace_back("violation row deleted", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = PickWithViolations(rng, false);
    Db(path).Exec("DELETE FROM violations WHERE seq = " + std::to_string(k) +
                  " AND idx = (SELECT max(idx) FROM violations WHERE seq = " + std::to_string(k) + ")");
    return k;
  });
  t.emplace_back("violation row added", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = Pick(rng, 1, kRecords);
    Db(path).Exec("INSERT INTO violations VALUES(" + std::to_string(k) + ", (SELECT count(*) FROM violations WHERE seq = " +
                  std::to_string(k) + "), 'fake', 'fake.rule', 0, 0, 'invented')");
    return k;
  });
  t.emplace_back("record deleted", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = Pick(rng, 1, kRecords);
    Db db(path);
    db.Exec("DELETE FROM records WHERE seq = " + std::to_string(k));
    if (rng() % 2 == 0) db.Exec("DELETE FROM violations WHERE seq = " + std::to_string(k));
    return k;
  });
  t.emplace_back("records swapped", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t j = Pick(rng, 1, kRecords - 1);
    std::uint64_t k = Pick(rng, j + 1, kRecords);
    Db db(path);
    std::string J = std::to_string(j), K = std::to_string(k);
    // Swap the rows' seq numbers through a free one, so both rows keep their
    // hashes and links and change place.
    db.Exec("UPDATE records SET seq = -1 WHERE seq = " + J);
    db.Exec("UPDATE records SET seq = " + J + " WHERE seq = " + K);
    db.Exec("UPDATE records SET seq = " + K + " WHERE seq = -1");
    db.Exec("UPDATE violations SET seq = -1 WHERE seq = " + J);
    db.Exec("UPDATE violations SET seq = " + J + " WHERE seq = " + K);
    db.Exec("UPDATE violations SET seq = " + K + " WHERE seq = -1");
    return j;
  });
  t.emplace_back("record renumbered", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = Pick(rng, 1, kRecords - 1);
    Db(path).Exec("UPDATE records SET seq = seq + 100000 WHERE seq = " + std::to_string(k));
    return k;
  });
  t.emplace_back("tail truncated", [](const std::string& path, std::mt19937_64& rng) {
    std::uint64_t k = Pick(rng, 1, kRecords);  // records k.. are cut
    Db db(path);
    db.Exec("DELETE FROM records WHERE seq >= " + std::to_string(k));
    if (rng() % 2 == 0) db.Exec("DELETE FROM violations WHERE seq >= " + std::to_string(k));
    // A careful attacker removes the checkpoint rows that would betray the cut.
    if (rng() % 2 == 0) db.Exec("DELETE FROM checkpoints WHERE records >= " + std::to_string(k));
    return k;
  });
  t.emplace_back("header level rewritten", [](const std::string& path, std::mt19937_64&) {
    Db(path).Exec("UPDATE meta SET value = 'violations' WHERE key = 'level'");
    return std::uint64_t{0};
  });
  t.emplace_back("checkpoint file removed", [](const std::string& path, std::mt19937_64&) {
    std::filesystem::remove(CheckpointPathFor(path));
    return std::uint64_t{0};
  });
  // Raw bytes: the payload and the violation reasons carry unique markers;
  // flipping one digit of a marker inside the database file changes exactly
  // that record (the file stays a readable database).
  t.emplace_back("raw byte flip in a payload", [](const std::string& path, std::mt19937_64& rng) {
    std::string bytes = ReadFile(path);
    std::uint64_t k = Pick(rng, 1, kRecords);
    std::string marker = "MARK" + std::to_string(1000000 + k) + "|";
    std::size_t at = bytes.find(marker);
    REQUIRE(at != std::string::npos);
    REQUIRE(bytes.find(marker, at + 1) == std::string::npos);
    std::size_t digit = at + 4 + Pick(rng, 0, 6);
    bytes[digit] = bytes[digit] == '9' ? '0' : static_cast<char>(bytes[digit] + 1);
    WriteFile(path, bytes);
    return k;
  });
  t.emplace_back("raw byte flip in a reason", [](const std::string& path, std::mt19937_64& rng) {
    std::string bytes = ReadFile(path);
    // A record with several violations repeats its marker, and a WITHOUT
    // ROWID table may copy a row into an interior page as a divider: take a
    // record whose marker occurs exactly once, so the flip lands in the row.
    std::uint64_t k = 0;
    std::size_t at = std::string::npos;
    for (int attempt = 0; attempt < 1000 && at == std::string::npos; ++attempt) {
      k = PickWithViolations(rng, true);
      std::string marker = "REASONMARK" + std::to_string(1000000 + k);
      std::size_t first = bytes.find(marker);
      if (first != std::string::npos && bytes.find(marker, first + 1) == std::string::npos) at = first;
    }
    REQUIRE(at != std::string::npos);
    std::size_t digit = at + 10 + Pick(rng, 0, 6);
    bytes[digit] = bytes[digit] == '9' ? '0' : static_cast<char>(bytes[digit] + 1);
    WriteFile(path, bytes);
    return k;
  });
  return t;
}

void RunTrials(const std::vector<std::uint8_t>& key, int trials, std::uint64_t seed, int* total) {
  TempDir dir;
  const std::string base = dir.File("base.db");
  RecorderOptions o;
  o.hmac_key = key;
  o.checkpoint_every = 25;  // checkpoint rows inside the log too
  WriteLog(base, kRecords, o);
  {
    Outcome ok = Check(base, key);
    REQUIRE(ok.readable);
    REQUIRE(ok.result.valid);
  }
  const auto tampers = Tampers();
  std::mt19937_64 rng(seed);
  std::map<std::string, int> per_kind;
  for (int trial = 0; trial < trials; ++trial) {
    const std::string copy = dir.File("t.db");
    std::filesystem::copy_file(base, copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(CheckpointPathFor(base), CheckpointPathFor(copy),
                               std::filesystem::copy_options::overwrite_existing);
    const auto& [name, tamper] = tampers[trial % tampers.size()];
    std::uint64_t expected = tamper(copy, rng);
    Outcome out = Check(copy, key);
    INFO("trial " << trial << " (" << name << "), expected record " << expected << ": " << out.error
                  << out.result.message);
    REQUIRE(out.readable);
    CHECK_FALSE(out.result.valid);
    CHECK(out.result.first_bad_seq == expected);
    if (expected != 0) {
      CHECK(out.result.message.rfind("record " + std::to_string(expected) + ":", 0) == 0);
    }
    per_kind[name]++;
    ++*total;
    std::filesystem::remove(copy);
    std::filesystem::remove(CheckpointPathFor(copy));
  }
  CHECK(per_kind.size() == tampers.size());
}

}  // namespace

TEST_CASE("every tamper of an unkeyed log is detected and located (600 trials)") {
  int total = 0;
  RunTrials({}, 600, 20240611, &total);
  CHECK(total == 600);
}

TEST_CASE("every tamper of a keyed log is detected and located (600 trials)") {
  int total = 0;
  RunTrials({0x5e, 0xc7, 0x3e, 0x70}, 600, 77, &total);
  CHECK(total == 600);
}

namespace {

// What an attacker without the key can do: edit a record, then recompute
// every later hash with plain SHA-256 (the algorithm is public), and rewrite
// the checkpoint file to match.
void RecomputeChainWithoutKey(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  ChainHasher plain({});
  sqlite3_stmt* genesis_q = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'genesis'", -1, &genesis_q, nullptr);
  REQUIRE(sqlite3_step(genesis_q) == SQLITE_ROW);
  std::vector<std::uint8_t> g;
  REQUIRE(FromHex(reinterpret_cast<const char*>(sqlite3_column_text(genesis_q, 0)), &g));
  sqlite3_finalize(genesis_q);
  Digest prev;
  std::copy(g.begin(), g.end(), prev.begin());
  sqlite3_close(db);

  // Re-read every record through the store and rewrite its hashes.
  std::unique_ptr<AuditStore> store;
  LogHeader header;
  REQUIRE(AuditStore::OpenForRead(path, &header, &store).ok());
  std::unique_ptr<RecordCursor> cursor;
  REQUIRE(store->OpenCursor(0, &cursor).ok());
  std::vector<std::pair<std::uint64_t, std::pair<Digest, Digest>>> fixes;
  std::vector<ViolationView> views;
  for (;;) {
    RecordCursor::Step step;
    AuditRecord rec;
    RecordCursor::Row row;
    REQUIRE(cursor->Next(&step, &rec, &row).ok());
    if (step == RecordCursor::Step::kEnd) break;
    std::string enc;
    EncodeContent(rec.View(&views), &enc);
    Digest entry = plain.Entry(rec.seq, rec.time_ns, prev, Sha256(enc));
    fixes.push_back({rec.seq, {prev, entry}});
    prev = entry;
  }
  cursor.reset();
  store.reset();
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* up = nullptr;
  sqlite3_prepare_v2(db, "UPDATE records SET prev_hash = ?1, entry_hash = ?2 WHERE seq = ?3", -1, &up, nullptr);
  for (const auto& [seq, hashes] : fixes) {
    sqlite3_bind_blob(up, 1, hashes.first.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(up, 2, hashes.second.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(up, 3, static_cast<sqlite3_int64>(seq));
    REQUIRE(sqlite3_step(up) == SQLITE_DONE);
    sqlite3_reset(up);
  }
  sqlite3_finalize(up);
  sqlite3_exec(db, "DELETE FROM checkpoints", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string file_id;
  Checkpoint cp;
  REQUIRE(ReadCheckpointFile(CheckpointPathFor(path), &file_id, &cp).ok());
  cp.head = prev;
  cp.mac = cp.ComputeMac(plain, file_id);
  REQUIRE(WriteCheckpointFile(CheckpointPathFor(path), file_id, cp, false).ok());
}

}  // namespace

TEST_CASE("HMAC: an attacker who edits a record and recomputes the chain with SHA-256 is still caught") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  const std::vector<std::uint8_t> key = {1, 2, 3, 4, 5, 6, 7, 8};
  RecorderOptions o;
  o.hmac_key = key;
  WriteLog(path, 60, o);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE records SET allowed = 1 WHERE seq = 30; UPDATE violations SET blocked = 0 "
                             "WHERE seq = 30",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  RecomputeChainWithoutKey(path);
  Outcome out = Check(path, key);
  REQUIRE(out.readable);
  CHECK_FALSE(out.result.valid);
  CHECK(out.result.first_bad_seq == 1);  // the forged chain breaks at its first MAC
  // Stripping the key from the header as well does not help: a verifier
  // that holds the key always verifies with it.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE meta SET value = 'sha256' WHERE key = 'hash'; "
                             "UPDATE meta SET value = '' WHERE key = 'key_check'",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  Outcome stripped = Check(path, key);
  REQUIRE(stripped.readable);
  CHECK_FALSE(stripped.result.valid);
  CHECK(stripped.result.message.find("not keyed, but a key was given") != std::string::npos);
}

TEST_CASE("documented limit: an unkeyed log rewritten consistently by someone with write access verifies") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 30);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE records SET allowed = 1 WHERE seq = 9", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  RecomputeChainWithoutKey(path);
  Outcome out = Check(path, {});
  REQUIRE(out.readable);
  CHECK(out.result.valid);  // this is why production logs should be keyed
}

TEST_CASE("a checkpoint file edited without the key is caught") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  const std::vector<std::uint8_t> key = {42};
  RecorderOptions o;
  o.hmac_key = key;
  WriteLog(path, 40, o);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DELETE FROM records WHERE seq > 30; DELETE FROM violations WHERE seq > 30; "
                             "DELETE FROM checkpoints WHERE records > 30",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  // The attacker lowers the count in the checkpoint file to hide the cut.
  std::string file_id;
  Checkpoint cp;
  REQUIRE(ReadCheckpointFile(CheckpointPathFor(path), &file_id, &cp).ok());
  cp.records = 30;
  REQUIRE(WriteCheckpointFile(CheckpointPathFor(path), file_id, cp, false).ok());
  Outcome out = Check(path, key);
  REQUIRE(out.readable);
  CHECK_FALSE(out.result.valid);
  CHECK(out.result.message.find("MAC mismatch") != std::string::npos);
}
