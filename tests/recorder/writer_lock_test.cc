// One writer per log: a second recorder on a log that a recorder holds open,
// in the same process or another, is refused at open with a message saying
// who holds it, and the first recorder's records are all kept. The lock
// dies with its holder, so a crashed writer never leaves the log locked.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/writer_lock.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::OpenRecorder;
using agentos::testing::Sample;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;

namespace {

Status TryOpen(const std::string& path, std::shared_ptr<FlightRecorder>* r) {
  return FlightRecorder::Open(path, RecorderOptions{}, r);
}

void AppendSamples(FlightRecorder& r, std::uint64_t from, std::uint64_t to) {
  Sample s;
  for (std::uint64_t i = from; i <= to; ++i) {
    s.Make(i);
    REQUIRE(r.Append(s.event).ok());
  }
}

VerifyResult VerifyOk(const std::string& path) {
  VerifyResult v;
  Status s = VerifyLog(path, VerifyOptions{}, &v);
  INFO(s.message() << v.message);
  REQUIRE(s.ok());
  CHECK(v.valid);
  return v;
}

std::string Refusal(const std::string& path, const std::string& holder_pid) {
  return path + ": another recorder is writing this log (process " + holder_pid + " holds " + path +
         ".lock); a log has one writer at a time: close that recorder first, or record into another file";
}

}  // namespace

TEST_CASE("a second recorder on a new log in the same process is refused; the first keeps every record") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  auto first = OpenRecorder(path, {});
  AppendSamples(*first, 1, 10);

  std::shared_ptr<FlightRecorder> second;
  Status s = TryOpen(path, &second);
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message() == Refusal(path, std::to_string(getpid())));
  CHECK(second == nullptr);

  AppendSamples(*first, 11, 20);
  REQUIRE(first->Close().ok());
  CHECK(VerifyOk(path).records == 20);
  CHECK_FALSE(std::filesystem::exists(WriterLockPathFor(path)));  // a clean close leaves LOG and LOG.checkpoint
}

TEST_CASE("a second recorder appending to an existing log is refused while the first is open, accepted after") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 5);
  auto first = OpenRecorder(path, {});
  std::shared_ptr<FlightRecorder> second;
  CHECK(TryOpen(path, &second).code() == Status::Code::kState);
  AppendSamples(*first, 6, 8);
  REQUIRE(first->Close().ok());

  REQUIRE(TryOpen(path, &second).ok());
  AppendSamples(*second, 9, 9);
  REQUIRE(second->Close().ok());
  CHECK(VerifyOk(path).records == 9);
}

TEST_CASE("a recorder that failed to open releases the lock") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 3);
  RecorderOptions keyed;
  keyed.hmac_key = {1, 2, 3};
  std::shared_ptr<FlightRecorder> r;
  CHECK(FlightRecorder::Open(path, keyed, &r).code() == Status::Code::kInvalidArgument);  // not keyed
  REQUIRE(TryOpen(path, &r).ok());
  REQUIRE(r->Close().ok());
}

TEST_CASE("a lock file left by a crashed writer does not lock the log") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 3);
  std::ofstream(WriterLockPathFor(path)) << "999999999\n";  // no such process holds it
  auto r = OpenRecorder(path, {});
  AppendSamples(*r, 4, 4);
  REQUIRE(r->Close().ok());
  CHECK(VerifyOk(path).records == 4);
}

TEST_CASE("a recorder in another process holds the log until it dies; then the log opens and verifies") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    std::shared_ptr<FlightRecorder> r;
    if (!TryOpen(path, &r).ok()) _exit(1);
    Sample s;
    for (std::uint64_t i = 1; i <= 7; ++i) {
      s.Make(i);
      if (!r->Append(s.event).ok()) _exit(2);
    }
    if (!r->Flush().ok()) _exit(3);
    char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(4);
    for (;;) pause();  // holds the recorder open until killed
  }
  close(ready[1]);
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);

  std::shared_ptr<FlightRecorder> r;
  Status s = TryOpen(path, &r);
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message() == Refusal(path, std::to_string(child)));

  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));

  s = TryOpen(path, &r);
  INFO(s.message());
  REQUIRE(s.ok());
  AppendSamples(*r, 8, 9);
  REQUIRE(r->Close().ok());
  CHECK(VerifyOk(path).records == 9);
}
