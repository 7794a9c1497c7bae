// Crash safety: a child process records as fast as it can and is SIGKILLed
// at a random moment. After every kill, each record the writer reported as
// committed is in the log and the log verifies, in both durability modes;
// and a crashed log can be reopened and appended to.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "kernel/recorder/audit_verify.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::OpenRecorder;
using agentos::testing::Sample;
using agentos::testing::TempDir;

namespace {

// Written by the child, read by the parent after the kill.
struct Shared {
  std::atomic<std::uint64_t> committed{0};  // set by the writer thread after each COMMIT returned
  std::atomic<std::uint32_t> ready{0};      // the log exists
  std::atomic<std::uint32_t> failed{0};     // the child hit an error before being killed
};

[[noreturn]] void Child(const std::string& path, Durability durability, Shared* shared) {
  RecorderOptions o;
  o.durability = durability;
  o.queue_capacity = 1024;
  o.checkpoint_every = 2000;
  o.checkpoint_interval_ms = 20;
  o.on_commit = [shared](std::uint64_t seq) { shared->committed.store(seq, std::memory_order_release); };
  std::shared_ptr<FlightRecorder> r;
  if (!FlightRecorder::Open(path, o, &r).ok()) {
    shared->failed.store(1);
    _exit(1);
  }
  shared->ready.store(1, std::memory_order_release);
  auto produce = [&](std::uint64_t env) {
    Sample s;
    for (std::uint64_t i = 0;; ++i) {
      s.Make(i, env);
      if (!r->Append(s.event).ok()) {
        shared->failed.store(1);
        _exit(2);
      }
    }
  };
  std::thread second(produce, 1);
  produce(0);
  second.join();
  _exit(0);
}

struct RoundResult {
  std::uint64_t committed = 0;
  std::uint64_t records = 0;
};

RoundResult Round(const std::string& path, Durability durability, std::mt19937_64& rng, bool wait_for_commit,
                  bool append_after) {
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  auto* shared = new (mem) Shared;
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) Child(path, durability, shared);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (shared->ready.load(std::memory_order_acquire) == 0 && shared->failed.load() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  REQUIRE(shared->ready.load() == 1);
  if (wait_for_commit) {
    // Half the rounds kill only once records flow, however loaded the machine.
    while (shared->committed.load(std::memory_order_acquire) == 0 && shared->failed.load() == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  // Anywhere from right away to well into steady recording.
  std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 60000)(rng)));
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(shared->failed.load() == 0);
  RoundResult out;
  out.committed = shared->committed.load(std::memory_order_acquire);
  munmap(mem, sizeof(Shared));

  VerifyResult v;
  Status s = VerifyLog(path, {}, &v);
  INFO("committed " << out.committed << ": " << s.message() << v.message);
  REQUIRE(s.ok());
  REQUIRE(v.valid);
  REQUIRE(v.records >= out.committed);  // dense from 1: every committed record is there
  out.records = v.records;

  if (append_after) {
    // Recovery: the crashed log is reopened and extended; the chain goes on.
    RecorderOptions o;
    o.durability = durability;
    auto r = OpenRecorder(path, o);
    Sample smp;
    for (std::uint64_t i = 0; i < 10; ++i) {
      smp.Make(i, 9);
      REQUIRE(r->Append(smp.event).ok());
    }
    REQUIRE(r->Close().ok());
    VerifyResult again;
    REQUIRE(VerifyLog(path, {}, &again).ok());
    INFO(again.message);
    REQUIRE(again.valid);
    REQUIRE(again.records == v.records + 10);
    REQUIRE(again.closed);
  }
  return out;
}

void Rounds(Durability durability, int rounds, std::uint64_t seed) {
  TempDir dir;
  std::mt19937_64 rng(seed);
  int with_records = 0;
  std::uint64_t most = 0;
  for (int i = 0; i < rounds; ++i) {
    const std::string path = dir.File("crash-" + std::to_string(i) + ".db");
    RoundResult r = Round(path, durability, rng, i % 2 == 0, i % 5 == 4);
    with_records += r.committed > 0 ? 1 : 0;
    most = std::max(most, r.committed);
  }
  // The kills must land while records are flowing, not only before the first commit.
  CHECK(with_records >= rounds / 2);
  CHECK(most > 0);
  WARN("durability " << ToString(durability) << ": " << rounds << " SIGKILL rounds, " << with_records
                     << " with committed records, up to " << most << " committed");
}

}  // namespace

TEST_CASE("SIGKILL during relaxed recording loses nothing committed (30 rounds)") {
  Rounds(Durability::kRelaxed, 30, 1);
}

TEST_CASE("SIGKILL during synced recording loses nothing committed (30 rounds)") {
  Rounds(Durability::kSync, 30, 2);
}
