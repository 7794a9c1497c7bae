// Files that are not intact audit logs: every tool says what the file is
// instead (missing, empty, not SQLite, foreign SQLite, half-written), exits
// 2 from the CLI, and never crashes or reports a damaged file as valid.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "bindings/cli/commands.h"
#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_stats.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/checkpoint.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;

namespace {

struct CliRun {
  int code;
  std::string out, err;
};

CliRun Cli(std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  cli::Io io{in, out, err};
  int code = cli::RunAudit(args, io);
  return {code, out.str(), err.str()};
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every reader refuses the file with a message containing `what`, and the
// CLI exits 2 for each subcommand.
void ExpectRefused(const std::string& path, const std::string& what) {
  INFO("file " << path << ", expecting '" << what << "'");
  VerifyResult v;
  Status s = VerifyLog(path, {}, &v);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find(what) != std::string::npos);
  AuditStats st;
  CHECK_FALSE(ComputeStats(path, &st).ok());
  std::ostringstream sink;
  CHECK_FALSE(ExportLog(path, {}, sink, nullptr).ok());
  for (const char* sub : {"verify", "stats", "export"}) {
    CliRun r = Cli({sub, path});
    INFO(sub << ": " << r.err);
    CHECK(r.code == cli::kExitUsage);
    CHECK(r.err.find(what) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("a missing file") {
  TempDir dir;
  ExpectRefused(dir.File("nope.db"), "no such file");
}

TEST_CASE("an empty file") {
  TempDir dir;
  WriteBytes(dir.File("empty.db"), "");
  ExpectRefused(dir.File("empty.db"), "empty file");
}

TEST_CASE("a directory") {
  TempDir dir;
  ExpectRefused(dir.path().string(), "is a directory");
}

TEST_CASE("a file that is not SQLite") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is a text file, not a database\n";
  WriteBytes(dir.File("text.db"), text);
  ExpectRefused(dir.File("text.db"), "not an SQLite database");
}

TEST_CASE("an SQLite database that is not an audit log") {
  TempDir dir;
  const std::string path = dir.File("foreign.db");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES(1, 'a')", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  ExpectRefused(path, "without agentos audit tables");
  // Opening it for recording must not touch it either.
  std::string before = ReadBytes(path);
  std::shared_ptr<FlightRecorder> r;
  CHECK_FALSE(FlightRecorder::Open(path, {}, &r).ok());
  CHECK(ReadBytes(path) == before);
}

TEST_CASE("an SQLite database with a meta table of another program") {
  TempDir dir;
  const std::string path = dir.File("other-meta.db");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE meta(key TEXT, value TEXT); INSERT INTO meta VALUES('format', 'other')",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  ExpectRefused(path, "not 'agentos-audit'");
}

TEST_CASE("a half-created log: header without record tables") {
  TempDir dir;
  const std::string path = dir.File("half.db");
  WriteLog(path, 5);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TABLE records", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  ExpectRefused(path, "incomplete agentos audit log");
}

TEST_CASE("a keyed log without its key cannot be verified (exit 2, not 'valid')") {
  TempDir dir;
  const std::string path = dir.File("keyed.db");
  RecorderOptions o;
  o.hmac_key = {1, 2, 3};
  WriteLog(path, 5, o);
  CliRun r = Cli({"verify", path});
  CHECK(r.code == cli::kExitUsage);
  CHECK(r.err.find("needs its key") != std::string::npos);
}

TEST_CASE("a log cut at any byte is never reported valid, and nothing crashes") {
  TempDir dir;
  const std::string path = dir.File("whole.db");
  WriteLog(path, 300);
  const std::string whole = ReadBytes(path);
  REQUIRE(whole.size() > 8192);
  const std::string cut = dir.File("cut.db");
  std::filesystem::copy_file(CheckpointPathFor(path), CheckpointPathFor(cut));
  int refused = 0, invalid = 0;
  for (std::size_t n = 1; n < whole.size(); n += 509) {  // a prime stride lands everywhere in a page
    WriteBytes(cut, whole.substr(0, n));
    std::filesystem::remove(cut + "-wal");
    std::filesystem::remove(cut + "-shm");
    VerifyResult v;
    Status s = VerifyLog(cut, {}, &v);
    INFO("cut at " << n << ": " << s.message() << v.message);
    if (!s.ok()) {
      ++refused;
    } else {
      CHECK_FALSE(v.valid);
      ++invalid;
    }
    AuditStats st;
    (void)ComputeStats(cut, &st);
    std::ostringstream sink;
    (void)ExportLog(cut, {}, sink, nullptr);
  }
  CHECK(refused + invalid > 10);
}

TEST_CASE("random bytes behind a valid SQLite header never crash a reader") {
  TempDir dir;
  const std::string path = dir.File("noise.db");
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    std::string bytes("SQLite format 3\0", 16);
    std::size_t n = 512 + rng() % 16384;
    while (bytes.size() < n) bytes.push_back(static_cast<char>(rng()));
    WriteBytes(path, bytes);
    VerifyResult v;
    Status s = VerifyLog(path, {}, &v);
    CHECK((!s.ok() || !v.valid));
    AuditStats st;
    (void)ComputeStats(path, &st);
  }
}

TEST_CASE("the CLI refuses bad usage with exit 2 and explains itself") {
  CHECK(Cli({}).code == cli::kExitUsage);
  CHECK(Cli({"frobnicate"}).code == cli::kExitUsage);
  CHECK(Cli({"verify"}).code == cli::kExitUsage);
  CHECK(Cli({"verify", "a.db", "b.db"}).code == cli::kExitUsage);
  CHECK(Cli({"verify", "a.db", "--key-file"}).code == cli::kExitUsage);
  CHECK(Cli({"verify", "a.db", "--bogus"}).code == cli::kExitUsage);
  CHECK(Cli({"export", "a.db", "--format", "xml"}).err.find("unknown format") != std::string::npos);
  CHECK(Cli({"verify", "a.db", "--key-file", "/nonexistent/key"}).code == cli::kExitUsage);
  CliRun help = Cli({"--help"});
  CHECK(help.code == cli::kExitOk);
  CHECK(help.out.find("agentos audit verify LOG") != std::string::npos);
}
