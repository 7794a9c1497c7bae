// Specification of the FlightRecorder: what a record holds, levels and
// sampling, payload truncation and redaction, keys, appending, backpressure
// with many producers, and fatal write errors.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_stats.h"
#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/hash_chain.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::OpenRecorder;
using agentos::testing::Sample;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;

namespace {

std::vector<AuditRecord> ReadAll(const std::string& path) {
  std::unique_ptr<AuditStore> store;
  LogHeader header;
  Status s = AuditStore::OpenForRead(path, &header, &store);
  REQUIRE(s.ok());
  std::unique_ptr<RecordCursor> cursor;
  REQUIRE(store->OpenCursor(0, &cursor).ok());
  std::vector<AuditRecord> out;
  for (;;) {
    RecordCursor::Step step;
    AuditRecord rec;
    RecordCursor::Row row;
    REQUIRE(cursor->Next(&step, &rec, &row).ok());
    if (step == RecordCursor::Step::kEnd) break;
    REQUIRE(row.problem.empty());
    out.push_back(std::move(rec));
  }
  return out;
}

VerifyResult Verify(const std::string& path, std::vector<std::uint8_t> key = {}) {
  VerifyOptions o;
  o.key = std::move(key);
  VerifyResult r;
  Status s = VerifyLog(path, o, &r);
  INFO(s.message());
  REQUIRE(s.ok());
  return r;
}

}  // namespace

TEST_CASE("each decision becomes one record holding every field, after the verdict") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  auto r = OpenRecorder(path, {});
  Sample s;
  s.Make(3, /*env=*/42);  // denied, with violations
  std::uint64_t seq = 0;
  REQUIRE(r->Append(s.event, &seq).ok());
  CHECK(seq == 1);
  REQUIRE(r->Flush().ok());
  CHECK(r->committed_seq() == 1);
  REQUIRE(r->Close().ok());

  auto recs = ReadAll(path);
  REQUIRE(recs.size() == 1);
  const AuditRecord& a = recs[0];
  CHECK(a.seq == 1);
  CHECK(a.time_ns > 0);
  CHECK(a.env_id == 42);
  CHECK(a.agent_id == "agent-0");
  CHECK(a.episode == 0);
  CHECK(a.step == 4);
  CHECK(a.kind == ActionKind::kSql);
  CHECK(a.payload == s.payload);
  CHECK(a.payload_form == PayloadForm::kFull);
  CHECK(a.payload_len == s.payload.size());
  CHECK(a.cost_usd == 0.75);
  CHECK(a.tokens == 3);
  CHECK_FALSE(a.allowed);
  CHECK(a.total_violations == s.decision.total_violations());
  REQUIRE(a.violations.size() == s.decision.violations().size());
  for (std::size_t i = 0; i < a.violations.size(); ++i) {
    const Violation& v = s.decision.violations()[i];
    CHECK(a.violations[i].policy == v.policy());
    CHECK(a.violations[i].rule == v.rule());
    CHECK(a.violations[i].severity == v.severity());
    CHECK(a.violations[i].blocked == v.blocked());
    CHECK(a.violations[i].reason == v.reason());
  }
  CHECK_FALSE(a.executed);
  CHECK(a.signals == 1);
  CHECK(*a.reward == -10.0);
  CHECK(*a.penalty == -10.0);
  CHECK(Verify(path).valid);
}

TEST_CASE("sequence numbers are dense from 1 and the chain verifies") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 500);
  auto recs = ReadAll(path);
  REQUIRE(recs.size() == 500);
  for (std::size_t i = 0; i < recs.size(); ++i) CHECK(recs[i].seq == i + 1);
  for (std::size_t i = 1; i < recs.size(); ++i) CHECK(recs[i].prev_hash == recs[i - 1].entry_hash);
  VerifyResult v = Verify(path);
  CHECK(v.valid);
  CHECK(v.records == 500);
  CHECK(v.closed);
  CHECK(v.checkpoint_records == 500);
  CHECK(v.head == recs.back().entry_hash);
}

TEST_CASE("a closed log is one file plus its checkpoint, and reading it adds none") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  namespace fs = std::filesystem;
  auto sidecars = [&] { return fs::exists(path + "-wal") || fs::exists(path + "-shm"); };
  WriteLog(path, 50);
  CHECK_FALSE(sidecars());
  CHECK(Verify(path).valid);
  CHECK_FALSE(sidecars());
  {
    auto r = OpenRecorder(path, {});  // appending turns WAL on again
    Sample s;
    s.Make(51);
    REQUIRE(r->Append(s.event, nullptr).ok());
    REQUIRE(r->Flush().ok());
    CHECK(fs::exists(path + "-wal"));
    REQUIRE(r->Close().ok());
  }
  CHECK_FALSE(sidecars());
  VerifyResult v = Verify(path);
  CHECK(v.valid);
  CHECK(v.records == 51);
  CHECK_FALSE(sidecars());
}

TEST_CASE("an empty log verifies and says so") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 0);
  VerifyResult v = Verify(path);
  CHECK(v.valid);
  CHECK(v.records == 0);
}

TEST_CASE("payloads are cut to the configured length, keeping the original length") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  RecorderOptions o;
  o.payload_max_bytes = 10;
  auto r = OpenRecorder(path, o);
  Sample s;
  s.Make(1);
  std::string text = "abcdefgh\xe2\x82\xac and more";  // the euro sign straddles byte 10
  s.action.payload = text;
  REQUIRE(r->Append(s.event).ok());
  s.action.payload = "short";
  REQUIRE(r->Append(s.event).ok());
  REQUIRE(r->Close().ok());
  auto recs = ReadAll(path);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].payload == "abcdefgh");  // not half a character
  CHECK(recs[0].payload_form == PayloadForm::kTruncated);
  CHECK(recs[0].payload_len == text.size());
  CHECK(recs[1].payload == "short");
  CHECK(recs[1].payload_form == PayloadForm::kFull);
  CHECK(Verify(path).valid);
}

TEST_CASE("redaction stores the payload's SHA-256 instead of the payload") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  RecorderOptions o;
  o.redact_payloads = true;
  auto r = OpenRecorder(path, o);
  Sample s;
  s.Make(1);
  REQUIRE(r->Append(s.event).ok());
  REQUIRE(r->Close().ok());
  auto recs = ReadAll(path);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].payload_form == PayloadForm::kRedacted);
  CHECK(recs[0].payload == ToHex(Sha256(s.payload)));
  CHECK(recs[0].payload_len == s.payload.size());
  CHECK(recs[0].payload.find("MARK") == std::string::npos);
  CHECK(Verify(path).valid);
}

TEST_CASE("level violations keeps every violation and a deterministic sample of the rest") {
  TempDir dir;
  auto run = [&](const std::string& name, double rate) {
    RecorderOptions o;
    o.level = RecordLevel::kViolations;
    o.sample_rate = rate;
    auto r = OpenRecorder(dir.File(name), o);
    Sample s;
    for (std::uint64_t i = 1; i <= 3000; ++i) {
      s.Make(i);
      REQUIRE(r->Append(s.event).ok());
    }
    REQUIRE(r->Close().ok());
    CHECK(r->decisions_seen() == 3000);
    return ReadAll(dir.File(name));
  };
  auto none = run("none.db", 0.0);
  auto some = run("some.db", 0.1);
  auto again = run("again.db", 0.1);
  std::size_t violating = 0;
  for (const auto& rec : none) {
    CHECK(rec.total_violations > 0);
    ++violating;
  }
  // Samples 1..3000: every third has violations, and one in five of the rest.
  CHECK(violating == 1000 + 400);
  std::size_t clean = 0;
  for (const auto& rec : some) clean += rec.total_violations == 0 ? 1 : 0;
  CHECK(clean > 100);  // about 10% of 1600
  CHECK(clean < 220);
  REQUIRE(some.size() == again.size());
  for (std::size_t i = 0; i < some.size(); ++i) {
    CHECK(some[i].episode == again[i].episode);
    CHECK(some[i].step == again[i].step);
  }
  CHECK(Verify(dir.File("some.db")).valid);

  AuditStats st;
  REQUIRE(ComputeStats(dir.File("some.db"), &st).ok());
  CHECK(st.level == RecordLevel::kViolations);
  CHECK(st.sample_rate == 0.1);
  REQUIRE(st.decisions_seen);
  CHECK(*st.decisions_seen == 3000);
  CHECK(st.rate_basis == "decisions_seen");
  REQUIRE(st.violation_rate);
  CHECK(*st.violation_rate == Approx(1400.0 / 3000.0));
}

TEST_CASE("stats count violations by policy and severity") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 300);
  AuditStats st;
  REQUIRE(ComputeStats(path, &st).ok());
  CHECK(st.level == RecordLevel::kAll);
  CHECK(st.records == 300);
  CHECK(st.violating_records == 100 + 40);
  CHECK(st.blocked_records == 100);
  REQUIRE(st.violation_rate);
  CHECK(*st.violation_rate == Approx(140.0 / 300.0));
  CHECK(st.by_policy["sql_safety"].violations == 100);
  CHECK(st.by_policy["content"].violations == 40);
  CHECK(st.by_policy["content"].blocked == 0);
  std::uint64_t by_sev = 0;
  for (auto n : st.by_severity) by_sev += n;
  CHECK(by_sev == st.kept_violations);
  std::string json = StatsToJson(st);
  CHECK(json.find("\"level\":\"all\"") != std::string::npos);
  CHECK(StatsToText(st).find("level:             all") != std::string::npos);
}

TEST_CASE("a keyed log needs its key to verify and to append") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  RecorderOptions o;
  o.hmac_key = {9, 8, 7, 6, 5};
  WriteLog(path, 50, o);
  CHECK(Verify(path, o.hmac_key).valid);

  VerifyResult r;
  Status s = VerifyLog(path, {}, &r);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("needs its key") != std::string::npos);

  VerifyResult wrong = Verify(path, {1, 2, 3});
  CHECK_FALSE(wrong.valid);
  CHECK(wrong.message.find("key does not match") != std::string::npos);

  std::shared_ptr<FlightRecorder> rec;
  CHECK_FALSE(FlightRecorder::Open(path, RecorderOptions{}, &rec).ok());
  RecorderOptions wrong_key = o;
  wrong_key.hmac_key = {1};
  CHECK_FALSE(FlightRecorder::Open(path, wrong_key, &rec).ok());
}

TEST_CASE("reopening a log appends to its chain") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 20);
  {
    auto r = OpenRecorder(path, {});
    Sample s;
    s.Make(21);
    std::uint64_t seq = 0;
    REQUIRE(r->Append(s.event, &seq).ok());
    CHECK(seq == 21);
    REQUIRE(r->Close().ok());
  }
  VerifyResult v = Verify(path);
  CHECK(v.valid);
  CHECK(v.records == 21);
  // A different level would make the log's statistics lie: refused.
  RecorderOptions other;
  other.level = RecordLevel::kViolations;
  std::shared_ptr<FlightRecorder> rec;
  Status s = FlightRecorder::Open(path, other, &rec);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("level") != std::string::npos);
}

TEST_CASE("a log shorter than its checkpoint file is not appended to") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 20);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DELETE FROM records WHERE seq > 15; DELETE FROM violations WHERE seq > 15", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::shared_ptr<FlightRecorder> rec;
  Status s = FlightRecorder::Open(path, {}, &rec);
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("truncated") != std::string::npos);
}

TEST_CASE("invalid options are refused") {
  TempDir dir;
  std::shared_ptr<FlightRecorder> r;
  RecorderOptions o;
  o.sample_rate = 1.5;
  o.level = RecordLevel::kViolations;
  CHECK(FlightRecorder::Open(dir.File("a.db"), o, &r).code() == Status::Code::kInvalidArgument);
  o = {};
  o.queue_capacity = 0;
  CHECK(FlightRecorder::Open(dir.File("a.db"), o, &r).code() == Status::Code::kInvalidArgument);
  o = {};
  o.payload_max_bytes = RecorderOptions::kMaxPayloadBytes + 1;
  CHECK(FlightRecorder::Open(dir.File("a.db"), o, &r).code() == Status::Code::kInvalidArgument);
  CHECK(FlightRecorder::Open("", {}, &r).code() == Status::Code::kInvalidArgument);
  CHECK_FALSE(FlightRecorder::Open(dir.File("no/such/dir/a.db"), {}, &r).ok());
  CHECK_FALSE(std::filesystem::exists(dir.File("a.db")));
}

TEST_CASE("many producers through a tiny queue: backpressure, nothing dropped, nothing reordered") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  RecorderOptions o;
  o.queue_capacity = 4;
  o.checkpoint_every = 100;
  o.durability = Durability::kRelaxed;
  auto r = OpenRecorder(path, o);
  constexpr int kThreads = 6;
  constexpr std::uint64_t kEach = 2000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Sample s;
      for (std::uint64_t i = 0; i < kEach; ++i) {
        s.Make(i, static_cast<std::uint64_t>(t));
        std::uint64_t seq = 0;
        if (!r->Append(s.event, &seq).ok() || seq == 0) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(failures == 0);
  REQUIRE(r->Close().ok());
  auto recs = ReadAll(path);
  REQUIRE(recs.size() == kThreads * kEach);
  // Each producer's records keep their order (episode/step rise with i).
  std::vector<std::uint64_t> next(kThreads, 0);
  for (const auto& rec : recs) {
    std::uint64_t i = rec.episode * 10 + rec.step - 1;
    CHECK(i == next[rec.env_id]);
    next[rec.env_id] = i + 1;
  }
  VerifyResult v = Verify(path);
  CHECK(v.valid);
  CHECK(v.records == kThreads * kEach);
}

TEST_CASE("the recorder is an AuditSink: Record() throws once it is closed") {
  TempDir dir;
  auto r = OpenRecorder(dir.File("a.db"), {});
  std::shared_ptr<AuditSink> sink = r;
  Sample s;
  s.Make(1);
  sink->Record(s.event);
  REQUIRE(r->Close().ok());
  CHECK_THROWS_AS(sink->Record(s.event), AuditError);
  AuditEvent empty;
  auto r2 = OpenRecorder(dir.File("b.db"), {});
  CHECK(r2->Append(empty).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("the on_commit hook reports each group's highest committed seq") {
  TempDir dir;
  RecorderOptions o;
  std::atomic<std::uint64_t> seen{0};
  o.on_commit = [&](std::uint64_t seq) { seen.store(seq); };
  auto r = OpenRecorder(dir.File("a.db"), o);
  Sample s;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    s.Make(i);
    REQUIRE(r->Append(s.event).ok());
  }
  REQUIRE(r->Flush().ok());
  CHECK(seen.load() == 100);
  CHECK(r->committed_seq() == 100);
  REQUIRE(r->Close().ok());
}

// A write failure is produced for real: the child process may not grow any
// file beyond a few hundred KB (RLIMIT_FSIZE), so SQLite's writes fail.
TEST_CASE("a failed write is fatal: the recorder stops, reports it, and never retries") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    signal(SIGXFSZ, SIG_IGN);
    int code = 0;
    {
      RecorderOptions o;
      o.queue_capacity = 64;
      std::shared_ptr<FlightRecorder> r;
      if (!FlightRecorder::Open(path, o, &r).ok()) _exit(10);
      struct rlimit lim = {256 * 1024, 256 * 1024};
      setrlimit(RLIMIT_FSIZE, &lim);
      Sample s;
      Status first;
      std::uint64_t i = 0;
      for (; i < 1000000 && first.ok(); ++i) {
        s.Make(i);
        first = r->Append(s.event);
      }
      // Every later call fails with the same error; nothing is accepted.
      s.Make(1);
      Status again = r->Append(s.event);
      Status flush = r->Flush();
      Status close = r->Close();
      if (first.ok()) code = 11;
      else if (first.code() != Status::Code::kIoError) code = 12;
      else if (again.message() != first.message() || flush.message() != first.message() ||
               close.message() != first.message()) code = 13;
      std::uint64_t committed = r->committed_seq();
      (void)!write(fds[1], &committed, sizeof committed);
    }
    _exit(code);
  }
  close(fds[1]);
  std::uint64_t committed = 0;
  REQUIRE(read(fds[0], &committed, sizeof committed) == sizeof committed);
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // What was reported committed before the failure is there and verifies.
  VerifyResult v;
  VerifyOptions vo;
  REQUIRE(VerifyLog(path, vo, &v).ok());
  INFO(v.message);
  CHECK(v.valid);
  CHECK(v.records >= committed);
  CHECK(committed > 0);
}
