// agentos env step: runs JSON actions through one governed environment (the
// policy kernel in front of a task, env/governed_environment.h) and prints
// what each step returned, one JSON line per action.
#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "bindings/cli/action_stream.h"
#include "bindings/cli/cli_common.h"
#include "bindings/cli/commands.h"
#include "bindings/cli/decision_json.h"
#include "env/governed_environment.h"
#include "env/signals.h"
#include "env/task_registry.h"
#include "kernel/recorder/flight_recorder.h"

namespace agentos::cli {
namespace {

constexpr const char kUsage[] =
    "usage: agentos env step --policy FILE.yaml --task SPEC [--input FILE.jsonl]\n"
    "                        [--seed N] [--max-steps N] [--audit LOG]\n"
    "\n"
    "Runs agent actions through one governed environment: every action is\n"
    "decided by the policy and only an allowed one reaches the task. Reads one\n"
    "JSON action per line, as `agentos check` does (standard input if no\n"
    "--input or \"-\"), and prints one JSON line per action:\n"
    "  {\"line\":1,\"episode\":0,\"step\":1,\"observation\":4,\"reward\":-1,\"terminated\":false,\n"
    "   \"truncated\":false,\"executed\":false,\"success\":false,\n"
    "   \"signals\":[\"SIGPOLICY\"],\"allowed\":false,\"violations\":[...]}\n"
    "(\"observation\" is the task's observation index after the step, e.g. the SQL\n"
    "question; \"task_error\" is added when the task could not run an allowed action).\n"
    "When an episode ends the next action starts a new one (\"episode\" counts up).\n"
    "\n"
    "  --task SPEC      a task spec: JSON text or a file holding it, e.g.\n"
    "                   '{\"type\":\"sql\",\"dataset_dir\":\"env/sql/data/shop\"}'\n"
    "                   or '{\"type\":\"noop\"}'. Keys of an sql task: dataset_dir\n"
    "                   (required), split, task_index, time_limit_ms, row_limit,\n"
    "                   finish_on_success, growth_limit_kb, episode (single or\n"
    "                   multi_turn), submit_marker, feedback, feedback_rows,\n"
    "                   feedback_bytes; for the Spider/BIRD layout\n"
    "                   questions_file and databases_dir instead of\n"
    "                   dataset_dir, e.g. '{\"type\":\"sql\",\"questions_file\":\n"
    "                   \"spider/dev.json\",\"databases_dir\":\"spider/database\"}'\n"
    "  --seed N         seed of the first episode (default 0)\n"
    "  --max-steps N    steps after which an episode is truncated (default 100)\n"
    "  --audit LOG      record every step in the flight-recorder log LOG\n"
    "\n"
    "Exit status: 0 every action was stepped (denied ones included); 1 some line\n"
    "malformed, or the policy or task spec invalid; 2 bad arguments, a file that\n"
    "cannot be read, or an environment or recorder error.\n";

constexpr const char kCommand[] = "env step";

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

bool ParseUint(const std::string& text, std::uint64_t max, std::uint64_t* out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && p == end && *out <= max;
}

// The spec's text: SPEC itself when it is JSON, else the file it names.
Status ReadTaskSpec(const std::string& spec, std::string* text) {
  if (spec.find_first_not_of(" \t\r\n") != std::string::npos && spec[spec.find_first_not_of(" \t\r\n")] == '{') {
    *text = spec;
    return Status::Ok();
  }
  std::ifstream in;
  if (Status s = OpenInputFile(spec, &in); !s.ok()) return s;
  text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text->size() > kMaxTaskSpecBytes) {
    return Status::InvalidArgument("task spec '" + spec + "' is larger than " + std::to_string(kMaxTaskSpecBytes) +
                                   " bytes");
  }
  return Status::Ok();
}

void WriteSignals(JsonWriter& w, std::uint32_t mask) {
  w.StartArray();
  for (const std::string& name : SignalNames(mask)) {
    w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  w.EndArray();
}

std::string_view StepJson(rapidjson::StringBuffer& buf, std::size_t line, std::uint64_t episode,
                          const StepResult& r, std::string* scratch) {
  buf.Clear();
  JsonWriter w(buf);
  w.StartObject();
  w.Key("line");
  w.Uint64(line);
  w.Key("episode");
  w.Uint64(episode);
  w.Key("step");
  w.Uint(r.episode_step);
  w.Key("observation");
  w.Int64(r.observation);
  w.Key("reward");
  w.Double(r.reward);
  w.Key("terminated");
  w.Bool(r.terminated);
  w.Key("truncated");
  w.Bool(r.truncated);
  w.Key("executed");
  w.Bool(r.executed);
  w.Key("success");
  w.Bool(r.success);
  w.Key("signals");
  WriteSignals(w, r.signals);
  if (r.task_error) {
    w.Key("task_error");
    std::string_view msg = ValidUtf8(r.task_message(), scratch);
    w.String(msg.data(), static_cast<rapidjson::SizeType>(msg.size()));
  }
  WriteDecisionMembers(w, r.decision, scratch);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

int ExitFor(const Status& s) {
  return s.code() == Status::Code::kIoError || s.code() == Status::Code::kNotFound ? kExitUsage : kExitInvalid;
}

}  // namespace

int RunEnv(const std::vector<std::string>& args, Io io) {
  if (args.empty()) return UsageError(io, "env", "missing subcommand (expected 'step')");
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    io.out << kUsage;
    return kExitOk;
  }
  if (args[0] != "step") return UsageError(io, "env", "unknown subcommand '" + args[0] + "'");
  ParsedArgs p;
  if (auto why = ParseArgs({args.begin() + 1, args.end()},
                           {{"--policy", true},
                            {"--task", true},
                            {"--input", true},
                            {"--seed", true},
                            {"--max-steps", true},
                            {"--audit", true}},
                           &p)) {
    return UsageError(io, kCommand, *why);
  }
  if (p.help) {
    io.out << kUsage;
    return kExitOk;
  }
  if (!p.positional.empty()) return UsageError(io, kCommand, "unexpected argument '" + p.positional[0] + "'");
  if (!p.has("--policy")) return UsageError(io, kCommand, "--policy FILE.yaml is required");
  if (!p.has("--task")) return UsageError(io, kCommand, "--task SPEC is required");
  std::uint64_t seed = 0;
  if (auto v = p.value("--seed"); v && !ParseUint(*v, UINT64_MAX, &seed)) {
    return UsageError(io, kCommand, "--seed must be an integer in [0, 2^64), not '" + *v + "'");
  }
  EnvironmentConfig config;
  if (auto v = p.value("--max-steps")) {
    std::uint64_t n = 0;
    if (!ParseUint(*v, UINT32_MAX, &n) || n == 0) {
      return UsageError(io, kCommand, "--max-steps must be an integer in [1, 2^32), not '" + *v + "'");
    }
    config.max_steps = static_cast<std::uint32_t>(n);
  }
  // A CLI user sees every episode start: the action after an ended episode
  // starts the next one instead of being swallowed by an autoreset step.
  config.autoreset = AutoresetMode::kDisabled;

  std::shared_ptr<const KernelSpace> kernel;
  if (int code = LoadPolicy(io, kCommand, *p.value("--policy"), &kernel); code >= 0) return code;

  std::string spec;
  std::unique_ptr<TaskFactory> factory;
  Status s = ReadTaskSpec(*p.value("--task"), &spec);
  if (s.ok()) s = MakeTaskFactoryFromJson(spec, &factory);
  if (!s.ok()) {
    io.err << "agentos env step: task spec: " << s.message() << "\n";
    return ExitFor(s);
  }

  ActionStream actions;
  if (s = actions.Open(p.value("--input"), io.in); !s.ok()) {
    io.err << "agentos env step: " << s.message() << "\n";
    return kExitUsage;
  }

  std::shared_ptr<FlightRecorder> recorder;
  if (auto log = p.value("--audit")) {
    if (s = FlightRecorder::Open(*log, RecorderOptions{}, &recorder); !s.ok()) {
      io.err << "agentos env step: " << s.message() << "\n";
      return kExitUsage;
    }
    config.audit_sink = recorder;
  }

  std::unique_ptr<GovernedEnvironment> env;
  ResetInfo reset;
  if (s = GovernedEnvironment::Create(kernel, config, *factory, &env); s.ok()) s = env->Reset(seed, &reset);
  if (!s.ok()) {
    io.err << "agentos env step: " << s.message() << "\n";
    return kExitUsage;
  }

  rapidjson::StringBuffer buf;
  DecisionJsonWriter errors;
  std::string scratch, error;
  JsonAction action;
  StepResult result;
  int code = kExitOk;
  for (;;) {
    ActionStream::Item item = actions.Next(&action, &error);
    if (item == ActionStream::Item::kEnd) break;
    std::string_view json;
    if (item != ActionStream::Item::kAction) {
      json = errors.WriteError(actions.line(), error);
      code = kExitInvalid;
    } else {
      if (env->episode_ended() && !(s = env->Reset(std::nullopt, &reset)).ok()) break;
      StepInput input;
      const Action view = action.view();
      input.action = &view;
      if (!(s = env->Step(input, &result)).ok()) break;
      json = StepJson(buf, actions.line(), reset.episode, result, &scratch);
    }
    io.out.write(json.data(), static_cast<std::streamsize>(json.size()));
    io.out.put('\n');
    if (item == ActionStream::Item::kTooLong) {
      io.out.flush();
      io.err << "agentos env step: " << actions.name() << ":" << actions.line() << ": " << error
             << "; the rest of the input is not read\n";
      break;
    }
    if (actions.drained()) io.out.flush();
  }
  io.out.flush();
  if (!s.ok()) {
    io.err << "agentos env step: " << actions.name() << ":" << actions.line() << ": " << s.message() << "\n";
    code = kExitUsage;
  }
  if (recorder) {
    if (Status closed = recorder->Close(); !closed.ok()) {
      io.err << "agentos env step: " << closed.message() << "\n";
      code = kExitUsage;
    }
  }
  if (std::string why = actions.read_error(); !why.empty()) {
    io.err << "agentos env step: error reading " << actions.name() << ": " << why << "\n";
    return kExitUsage;
  }
  if (!io.out) {
    io.err << "agentos env step: error writing results\n";
    return kExitUsage;
  }
  return code;
}

}  // namespace agentos::cli
