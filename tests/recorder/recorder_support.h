// Shared helpers for the recorder tests: temporary directories and decisions
// built the way the kernel builds them.
#ifndef AGENTOS_TESTS_RECORDER_RECORDER_SUPPORT_H_
#define AGENTOS_TESTS_RECORDER_RECORDER_SUPPORT_H_

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernel/audit_sink.h"
#include "kernel/decision.h"
#include "kernel/recorder/flight_recorder.h"

namespace agentos::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agentos-recorder-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One decision and the action it was made for, with storage that outlives
// both (the views in Action and Violation point into it).
struct Sample {
  std::string agent = "agent-0";
  std::string tool;
  std::string payload;
  Action action;
  Decision decision;
  AuditEvent event;

  // i-th sample of a deterministic mix: every third denied with 1..3
  // violations, one in five allowed in audit mode with a low violation.
  void Make(std::uint64_t i, std::uint64_t env = 0) {
    payload = "MARK" + std::to_string(1000000 + i) + "| SELECT * FROM t WHERE id = " + std::to_string(i);
    tool = i % 2 == 0 ? "sql" : "db.query";
    action = Action{};
    action.kind = i % 4 == 1 ? ActionKind::kToolCall : ActionKind::kSql;
    action.agent_id = agent;
    action.tool = tool;
    action.payload = payload;
    action.cost_usd = 0.25 * static_cast<double>(i % 7);
    action.tokens = static_cast<std::int64_t>(i % 100);
    decision.Clear();
    if (i % 3 == 0) {
      int n = 1 + static_cast<int>(i % 3 == 0 ? (i / 3) % 3 : 0);
      for (int k = 0; k < n; ++k) {
        decision.Add(k == 0 ? "sql_safety" : (k == 1 ? "budget" : "tools"), k == 0 ? "sql.deny_kind" : "cost.max",
                     static_cast<Severity>((i + static_cast<std::uint64_t>(k)) % 4))
            .Append("reason ")
            .Append(static_cast<std::int64_t>(i))
            .Append(" REASONMARK")
            .Append(static_cast<std::int64_t>(1000000 + i));
      }
      decision.Finish(true);
    } else if (i % 5 == 0) {
      decision.Add("content", "content.pattern", Severity::kLow).Append("audit only");
      decision.Finish(false);
    } else {
      decision.Finish(true);
    }
    event = AuditEvent{};
    event.env_id = env;
    event.episode = i / 10;
    event.step = static_cast<std::uint32_t>(i % 10 + 1);
    event.action = &action;
    event.decision = &decision;
    event.executed = decision.allowed();
    event.reward = decision.allowed() ? 1.0 : -10.0;
    event.penalty = decision.allowed() ? 0.0 : -10.0;
    event.signals = static_cast<std::uint32_t>(i % 3 == 0 ? 1 : 0);
  }
};

// Opens a recorder or fails the test with the message.
inline std::shared_ptr<FlightRecorder> OpenRecorder(const std::string& path, RecorderOptions options) {
  std::shared_ptr<FlightRecorder> r;
  Status s = FlightRecorder::Open(path, std::move(options), &r);
  if (!s.ok()) throw std::runtime_error("FlightRecorder::Open: " + s.message());
  return r;
}

// Writes n samples (seq 1..n) and closes the log.
inline void WriteLog(const std::string& path, std::uint64_t n, RecorderOptions options = {}) {
  auto r = OpenRecorder(path, std::move(options));
  Sample s;
  for (std::uint64_t i = 1; i <= n; ++i) {
    s.Make(i);
    Status st = r->Append(s.event);
    if (!st.ok()) throw std::runtime_error("Append: " + st.message());
  }
  Status st = r->Close();
  if (!st.ok()) throw std::runtime_error("Close: " + st.message());
}

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_RECORDER_RECORDER_SUPPORT_H_
