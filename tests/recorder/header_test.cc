// The log header: every field of a format-2 header is bound into the chain,
// so editing any of them, keyed or not, makes verification fail; logs of the
// older format 1 (fixtures written by the format-1 recorder) still verify,
// are reported as format 1, and are appended to in their own format.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/flight_recorder.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::OpenRecorder;
using agentos::testing::Sample;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;

namespace {

const std::filesystem::path kData = std::filesystem::path(AGENTOS_SOURCE_DIR) / "tests" / "recorder" / "data";

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO(sql << " -> " << (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Outcome {
  bool readable = false;
  VerifyResult result;
  std::string error;
};

Outcome Verify(const std::string& path, const std::vector<std::uint8_t>& key) {
  VerifyOptions o;
  o.key = key;
  Outcome out;
  Status s = VerifyLog(path, o, &out.result);
  out.readable = s.ok();
  out.error = s.message();
  return out;
}

std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// A closed format-2 log of 12 records, created with sync durability, 4096
// payload bytes and no redaction.
void WriteNewLog(const std::string& path, const std::vector<std::uint8_t>& key) {
  RecorderOptions o;
  o.hmac_key = key;
  o.durability = Durability::kSync;
  o.payload_max_bytes = 4096;
  o.redact_payloads = false;
  WriteLog(path, 12, o);
}

std::string Copy(const TempDir& dir, const std::string& base, const std::string& name) {
  const std::string copy = dir.File(name);
  std::filesystem::copy_file(base, copy, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(CheckpointPathFor(base), CheckpointPathFor(copy),
                             std::filesystem::copy_options::overwrite_existing);
  return copy;
}

// A format-1 fixture restored from its SQL dump, with its checkpoint file.
std::string RestoreFixture(const TempDir& dir, const std::string& name) {
  const std::string path = dir.File(name + ".db");
  ExecSql(path, ReadText(kData / (name + ".sql")));
  std::ofstream(CheckpointPathFor(path), std::ios::binary) << ReadText(kData / (name + ".checkpoint"));
  return path;
}

const std::string kFixtureKey = "v1-fixture-key";

}  // namespace

TEST_CASE("a new log is written in format 2 and verifies without an older-format remark") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteNewLog(path, {});
  Outcome out = Verify(path, {});
  REQUIRE(out.readable);
  CHECK(out.result.valid);
  CHECK(out.result.format_version == 2);
  CHECK(out.result.message.find("older") == std::string::npos);
}

TEST_CASE("editing durability, payload_max_bytes or redact_payloads of a new log fails verify, keyed and unkeyed") {
  TempDir dir;
  for (const std::vector<std::uint8_t>& key : {std::vector<std::uint8_t>{}, Bytes("header-key")}) {
    const std::string base = dir.File(key.empty() ? "plain.db" : "keyed.db");
    WriteNewLog(base, key);
    for (const char* edit : {"UPDATE meta SET value = 'relaxed' WHERE key = 'durability'",
                             "UPDATE meta SET value = '65536' WHERE key = 'payload_max_bytes'",
                             "UPDATE meta SET value = '1' WHERE key = 'redact_payloads'"}) {
      const std::string copy = Copy(dir, base, "t.db");
      ExecSql(copy, edit);
      Outcome out = Verify(copy, key);
      INFO((key.empty() ? "unkeyed: " : "keyed: ") << edit << " -> " << out.error << out.result.message);
      REQUIRE(out.readable);
      CHECK_FALSE(out.result.valid);
      CHECK(out.result.first_bad_seq == 0);
      CHECK(out.result.message ==
            "log header: genesis hash mismatch (a header field such as the record level was edited)");
    }
  }
}

TEST_CASE("editing, adding or removing any header field of a new log fails verify, keyed and unkeyed") {
  struct Edit {
    const char* sql;
    bool unreadable;  // refused as a malformed header rather than reported invalid
  };
  // Every meta key of a format-2 log, each changed to another well-formed
  // value where one exists, plus an added and a removed key.
  const std::vector<Edit> edits = {
      {"UPDATE meta SET value = 'agentos-audix' WHERE key = 'format'", true},
      {"UPDATE meta SET value = '1' WHERE key = 'version'", false},
      {"UPDATE meta SET value = '3' WHERE key = 'version'", true},
      {"UPDATE meta SET value = '00112233445566778899aabbccddeeff' WHERE key = 'file_id'", false},
      {"UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'created_ns'", false},
      {"UPDATE meta SET value = 'violations' WHERE key = 'level'", false},
      {"UPDATE meta SET value = '0.5' WHERE key = 'sample_rate'", false},
      {"UPDATE meta SET value = "
       "'0000000000000000000000000000000000000000000000000000000000000000' WHERE key = 'genesis'",
       false},
      {"UPDATE meta SET value = 'relaxed' WHERE key = 'durability'", false},
      {"UPDATE meta SET value = '4095' WHERE key = 'payload_max_bytes'", false},
      {"UPDATE meta SET value = '1' WHERE key = 'redact_payloads'", false},
      {"UPDATE meta SET value = 'fast' WHERE key = 'durability'", true},
      {"INSERT INTO meta VALUES('comment', 'harmless?')", true},
      {"DELETE FROM meta WHERE key = 'redact_payloads'", true},
  };
  TempDir dir;
  for (const std::vector<std::uint8_t>& key : {std::vector<std::uint8_t>{}, Bytes("header-key")}) {
    const std::string base = dir.File(key.empty() ? "plain.db" : "keyed.db");
    WriteNewLog(base, key);
    std::vector<Edit> all = edits;
    // The hash and key_check fields: what is well-formed depends on the key.
    if (key.empty()) {
      all.push_back({"UPDATE meta SET value = 'hmac-sha256' WHERE key = 'hash'", true});
      all.push_back({"UPDATE meta SET value = "
                     "'1111111111111111111111111111111111111111111111111111111111111111' WHERE key = 'key_check'",
                     true});
    } else {
      all.push_back({"UPDATE meta SET value = 'sha256' WHERE key = 'hash'", true});
      all.push_back({"UPDATE meta SET value = "
                     "'1111111111111111111111111111111111111111111111111111111111111111' WHERE key = 'key_check'",
                     false});
    }
    for (const Edit& e : all) {
      const std::string copy = Copy(dir, base, "t.db");
      ExecSql(copy, e.sql);
      Outcome out = Verify(copy, key);
      INFO((key.empty() ? "unkeyed: " : "keyed: ") << e.sql << " -> " << out.error << out.result.message);
      CHECK_FALSE((out.readable && out.result.valid));
      if (e.unreadable) {
        CHECK_FALSE(out.readable);
        CHECK(out.error.find("log header") != std::string::npos);
      } else {
        REQUIRE(out.readable);
        CHECK(out.result.message.rfind("log header: ", 0) == 0);
      }
      // Appending refuses it as well (a keyed log with its key).
      std::shared_ptr<FlightRecorder> r;
      RecorderOptions o;
      o.hmac_key = key;
      CHECK_FALSE(FlightRecorder::Open(copy, o, &r).ok());
    }
  }
}

TEST_CASE("format-1 logs (written by the format-1 recorder) still verify and are reported as format 1") {
  TempDir dir;
  const std::string plain = RestoreFixture(dir, "v1_unkeyed");
  const std::string keyed = RestoreFixture(dir, "v1_keyed");
  Outcome p = Verify(plain, {});
  INFO(p.error << p.result.message);
  REQUIRE(p.readable);
  CHECK(p.result.valid);
  CHECK(p.result.records == 5);
  CHECK(p.result.format_version == 1);
  CHECK(p.result.message ==
        "valid: 5 record(s), SHA-256 chain, head cfa348b12b54cab0c4f27c318ed7ab15f001bafd26b466e248c0b4d85ea906d8, "
        "checkpoint file covers 5 (closed); older log format 1: its durability, payload_max_bytes and "
        "redact_payloads are not bound into the chain");
  Outcome k = Verify(keyed, Bytes(kFixtureKey));
  INFO(k.error << k.result.message);
  REQUIRE(k.readable);
  CHECK(k.result.valid);
  CHECK(k.result.records == 5);
  CHECK(k.result.format_version == 1);
  CHECK(k.result.message.find("HMAC-SHA-256 chain, head "
                              "f1a0151a7dfba71b7fa4b1c16531c865692e310d2797154ceb5ddd806fc4a752") !=
        std::string::npos);
  CHECK(k.result.message.find("; older log format 1:") != std::string::npos);
  // The wrong key is still caught on an old log.
  Outcome wrong = Verify(keyed, Bytes("another key"));
  REQUIRE(wrong.readable);
  CHECK_FALSE(wrong.result.valid);
}

TEST_CASE("format 1 binds what it always bound: a level edit fails, a durability edit is the documented gap") {
  TempDir dir;
  const std::string level = RestoreFixture(dir, "v1_keyed");
  ExecSql(level, "UPDATE meta SET value = 'violations' WHERE key = 'level'");
  Outcome l = Verify(level, Bytes(kFixtureKey));
  REQUIRE(l.readable);
  CHECK_FALSE(l.result.valid);

  const std::string durability = RestoreFixture(dir, "v1_unkeyed");
  ExecSql(durability, "UPDATE meta SET value = 'sync' WHERE key = 'durability'");
  Outcome d = Verify(durability, {});
  REQUIRE(d.readable);
  CHECK(d.result.valid);
  CHECK(d.result.format_version == 1);
}

TEST_CASE("appending to a format-1 log keeps it format 1 and valid") {
  TempDir dir;
  const std::string path = RestoreFixture(dir, "v1_keyed");
  RecorderOptions o;
  o.hmac_key = Bytes(kFixtureKey);
  {
    auto r = OpenRecorder(path, o);
    CHECK(r->header().version == 1);
    Sample s;
    s.Make(1);
    REQUIRE(r->Append(s.event).ok());
    REQUIRE(r->Close().ok());
  }
  Outcome out = Verify(path, o.hmac_key);
  INFO(out.error << out.result.message);
  REQUIRE(out.readable);
  CHECK(out.result.valid);
  CHECK(out.result.records == 6);
  CHECK(out.result.format_version == 1);
}
