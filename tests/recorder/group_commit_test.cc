// Group-commit wait (RecorderOptions::group_commit_us) and opening files a
// crash left half-created.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/checkpoint.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::OpenRecorder;
using agentos::testing::Sample;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;
using Clock = std::chrono::steady_clock;

namespace {

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Polls until committed_seq() reaches want; false after timeout_ms.
bool WaitCommitted(FlightRecorder& r, std::uint64_t want, double timeout_ms) {
  auto t0 = Clock::now();
  while (r.committed_seq() < want) {
    if (MsSince(t0) > timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

VerifyResult VerifyOk(const std::string& path) {
  VerifyResult v;
  Status s = VerifyLog(path, {}, &v);
  INFO(s.message());
  REQUIRE(s.ok());
  INFO(v.message);
  return v;
}

void AppendN(FlightRecorder& r, std::uint64_t from, std::uint64_t n) {
  Sample s;
  for (std::uint64_t i = from; i < from + n; ++i) {
    s.Make(i);
    REQUIRE(r.Append(s.event).ok());
  }
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An SQLite database whose schema is empty, with its first page written:
// what a crash between creating a log's file and committing its schema leaves.
void MakeSchemaless(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; CREATE TABLE t(x); DROP TABLE t;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  REQUIRE(std::filesystem::file_size(path) > 0);
}

}  // namespace

TEST_CASE("group commit: the default waits a little, 0 turns it off, more than 1 s is refused") {
  RecorderOptions d;
  CHECK(d.group_commit_us == 1000);
  TempDir dir;
  RecorderOptions o;
  o.group_commit_us = RecorderOptions::kMaxGroupCommitUs + 1;
  std::shared_ptr<FlightRecorder> r;
  Status s = FlightRecorder::Open(dir.File("a.db"), o, &r);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("group_commit_us") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("a.db")));

  o.group_commit_us = 0;
  o.durability = Durability::kRelaxed;
  r = OpenRecorder(dir.File("b.db"), o);
  AppendN(*r, 1, 3);
  CHECK(WaitCommitted(*r, 3, 5000));  // committed without Flush
  REQUIRE(r->Close().ok());
  CHECK(VerifyOk(dir.File("b.db")).records == 3);
}

TEST_CASE("group commit: a small group waits for group_commit_us, and is then committed without Flush") {
  TempDir dir;
  RecorderOptions o;
  o.durability = Durability::kRelaxed;
  o.group_commit_us = 300000;  // 300 ms
  auto r = OpenRecorder(dir.File("a.db"), o);
  auto t0 = Clock::now();
  AppendN(*r, 1, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (MsSince(t0) < 250) CHECK(r->committed_seq() == 0);  // still held back
  REQUIRE(WaitCommitted(*r, 1, 10000));
  CHECK(MsSince(t0) >= 250);
  REQUIRE(r->Close().ok());
}

TEST_CASE("group commit: Flush cuts the wait short") {
  TempDir dir;
  for (Durability mode : {Durability::kRelaxed, Durability::kSync}) {
    RecorderOptions o;
    o.durability = mode;
    o.group_commit_us = RecorderOptions::kMaxGroupCommitUs;  // 1 s
    const std::string path = dir.File(mode == Durability::kSync ? "sync.db" : "relaxed.db");
    auto r = OpenRecorder(path, o);
    for (std::uint64_t round = 0; round < 5; ++round) {
      AppendN(*r, 1 + round * 3, 3);
      auto t0 = Clock::now();
      REQUIRE(r->Flush().ok());
      INFO("round " << round << ": Flush took " << MsSince(t0) << " ms");
      CHECK(MsSince(t0) < 900);
      CHECK(r->committed_seq() == 3 * (round + 1));
    }
    // A Flush from another thread while the writer holds a group back.
    AppendN(*r, 16, 1);
    std::atomic<bool> flushed{false};  // Catch2 assertions are for the main thread only
    std::thread flusher([&] { flushed = r->Flush().ok(); });
    auto t0 = Clock::now();
    flusher.join();
    CHECK(flushed.load());
    CHECK(MsSince(t0) < 900);
    CHECK(r->committed_seq() == 16);
    REQUIRE(r->Close().ok());
    VerifyResult v = VerifyOk(path);
    CHECK(v.valid);
    CHECK(v.records == 16);
  }
}

TEST_CASE("group commit: a half-full queue cuts the wait short") {
  TempDir dir;
  RecorderOptions o;
  o.durability = Durability::kRelaxed;
  o.queue_capacity = 64;
  o.group_commit_us = RecorderOptions::kMaxGroupCommitUs;  // 1 s
  auto r = OpenRecorder(dir.File("a.db"), o);
  auto t0 = Clock::now();
  AppendN(*r, 1, 32);  // half of queue_capacity
  CHECK(WaitCommitted(*r, 32, 800));
  INFO("32 records committed after " << MsSince(t0) << " ms");
  CHECK(MsSince(t0) < 800);
  REQUIRE(r->Close().ok());
  CHECK(VerifyOk(dir.File("a.db")).records == 32);
}

TEST_CASE("group commit: Close never loses records and does not wait out the group") {
  TempDir dir;
  RecorderOptions o;
  o.durability = Durability::kSync;
  o.group_commit_us = RecorderOptions::kMaxGroupCommitUs;  // 1 s
  o.queue_capacity = 256;
  const std::string path = dir.File("a.db");
  auto r = OpenRecorder(path, o);
  constexpr int kThreads = 4;
  constexpr std::uint64_t kEach = 300;
  std::vector<std::thread> producers;
  std::atomic<int> append_failures{0};  // Catch2 assertions are for the main thread only
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      Sample s;
      for (std::uint64_t i = 0; i < kEach; ++i) {
        s.Make(i, static_cast<std::uint64_t>(t));
        if (!r->Append(s.event).ok()) ++append_failures;
      }
    });
  }
  for (auto& p : producers) p.join();
  CHECK(append_failures.load() == 0);
  AppendN(*r, 1, 1);  // one more, surely still held back when Close starts
  auto t0 = Clock::now();
  REQUIRE(r->Close().ok());
  CHECK(MsSince(t0) < 900);
  const std::uint64_t total = kThreads * kEach + 1;
  CHECK(r->committed_seq() == total);
  CHECK(r->last_seq() == total);
  VerifyResult v = VerifyOk(path);
  CHECK(v.valid);
  CHECK(v.records == total);
  CHECK(v.closed);
  CHECK(v.checkpoint_records == total);
}

TEST_CASE("group commit: records trickling in share commits; committed counts stay exact") {
  TempDir dir;
  RecorderOptions o;
  o.durability = Durability::kSync;
  o.group_commit_us = 100000;  // 100 ms
  std::mutex mu;
  std::vector<std::uint64_t> commits;
  o.on_commit = [&](std::uint64_t seq) {
    std::lock_guard<std::mutex> lk(mu);
    commits.push_back(seq);
  };
  const std::string path = dir.File("a.db");
  auto r = OpenRecorder(path, o);
  constexpr std::uint64_t kRecords = 50;
  Sample s;
  for (std::uint64_t i = 1; i <= kRecords; ++i) {
    s.Make(i);
    std::uint64_t seq = 0;
    REQUIRE(r->Append(s.event, &seq).ok());
    CHECK(seq == i);
    CHECK(r->committed_seq() < seq);  // never reported before it is committed
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  REQUIRE(r->Flush().ok());
  CHECK(r->committed_seq() == kRecords);
  REQUIRE(r->Close().ok());
  std::lock_guard<std::mutex> lk(mu);
  INFO(commits.size() << " commits for " << kRecords << " records");
  REQUIRE_FALSE(commits.empty());
  CHECK(commits.size() <= 10);  // without the wait: about one fsync per record
  for (std::size_t i = 1; i < commits.size(); ++i) CHECK(commits[i] > commits[i - 1]);
  CHECK(commits.back() == kRecords);
  CHECK(VerifyOk(path).records == kRecords);
}

// ---- files a crash left half-created -------------------------------------

TEST_CASE("half-created: a zero-length file with nothing beside it becomes a new log") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteBytes(path, "");
  WriteLog(path, 4);
  VerifyResult v = VerifyOk(path);
  CHECK(v.valid);
  CHECK(v.records == 4);
}

TEST_CASE("half-created: an SQLite file without tables is refused by readers with advice, and becomes a new log") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  MakeSchemaless(path);
  VerifyResult v;
  Status s = VerifyLog(path, {}, &v);
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message().find("no tables") != std::string::npos);
  CHECK(s.message().find("half-created") != std::string::npos);

  // The crash left the checkpoint file of 0 records that Open writes first.
  {
    TempDir other;
    WriteLog(other.File("b.db"), 0);
    std::filesystem::copy_file(CheckpointPathFor(other.File("b.db")), CheckpointPathFor(path));
  }
  WriteLog(path, 7);
  v = VerifyOk(path);
  CHECK(v.valid);
  CHECK(v.records == 7);
  CHECK(v.closed);
}

TEST_CASE("half-created: no log but a checkpoint file covering records is refused, nothing changed") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  const std::string cp = CheckpointPathFor(path);
  WriteLog(path, 5);
  const std::string cp_before = ReadBytes(cp);

  auto expect_refused = [&](const char* what) {
    INFO(what);
    std::shared_ptr<FlightRecorder> r;
    Status s = FlightRecorder::Open(path, {}, &r);
    CHECK(s.code() == Status::Code::kState);
    CHECK(s.message().find("covers 5 record(s)") != std::string::npos);
    CHECK(r == nullptr);
    CHECK(ReadBytes(cp) == cp_before);
  };
  std::filesystem::remove(path);
  expect_refused("log deleted");
  WriteBytes(path, "");
  expect_refused("log emptied");
  CHECK(std::filesystem::file_size(path) == 0);
  std::filesystem::remove(path);
  MakeSchemaless(path);
  const std::string db_before = ReadBytes(path);
  expect_refused("log replaced by an empty database");
  CHECK(ReadBytes(path) == db_before);

  // An unreadable checkpoint file is not overwritten either.
  WriteBytes(cp, "not a checkpoint");
  std::shared_ptr<FlightRecorder> r;
  Status s = FlightRecorder::Open(path, {}, &r);
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("cannot be read") != std::string::npos);
  CHECK(ReadBytes(cp) == "not a checkpoint");
}

TEST_CASE("half-created: a WAL without its main file is not started over") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteBytes(path + "-wal", "pretend WAL pages");
  std::shared_ptr<FlightRecorder> r;
  Status s = FlightRecorder::Open(path, {}, &r);
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("-wal") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(ReadBytes(path + "-wal") == "pretend WAL pages");
}

TEST_CASE("half-created: a real log is never mistaken for one") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 3);
  bool no_log = true;
  REQUIRE(AuditStore::HoldsNoLog(path, &no_log).ok());
  CHECK_FALSE(no_log);
  WriteLog(path, 2);  // appends
  CHECK(VerifyOk(path).records == 5);
}
