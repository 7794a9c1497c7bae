// agentos check: decides a stream of JSON actions against a policy file.
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>

#include "bindings/cli/action_stream.h"
#include "bindings/cli/cli_common.h"
#include "bindings/cli/commands.h"
#include "bindings/cli/decision_json.h"
#include "kernel/kernel_space.h"

namespace agentos::cli {
namespace {

constexpr const char kUsage[] =
    "usage: agentos check --policy FILE.yaml [--input FILE.jsonl]\n"
    "\n"
    "Decides agent actions against a policy file. Reads one JSON action per line\n"
    "from FILE.jsonl (standard input if absent or \"-\"; a file, pipe or character\n"
    "device, not a directory) and prints one JSON decision per line, in the same\n"
    "order.\n"
    "\n"
    "Actions:\n"
    "  {\"kind\":\"sql\",\"sql\":\"DELETE FROM users\"}      (a bare {\"sql\":...} is kind sql)\n"
    "  {\"kind\":\"tool_call\",\"tool\":\"shell.exec\",\"args\":{\"cmd\":\"ls\"}}   (\"tool\" required)\n"
    "  {\"kind\":\"message\",\"text\":\"...\"}\n"
    "  {\"kind\":\"spend\",\"cost_usd\":0.25,\"tokens\":1200}\n"
    "Other fields: agent_id, payload (text for any kind). Unknown fields and wrong\n"
    "types make that line an error. Each agent_id is one episode: the cost, tokens\n"
    "and tool calls of its allowed actions count toward its later actions.\n"
    "\n"
    "Decisions (\"line\" is the input line, from 1):\n"
    "  {\"line\":3,\"allowed\":false,\"violations\":[{\"policy\":...,\"rule\":...,\n"
    "   \"severity\":...,\"blocked\":true,\"reason\":...}]}\n"
    "  {\"line\":4,\"allowed\":false,\"error\":...,\"violations\":[]}   for a malformed line\n"
    "Blank lines are skipped. A line over 1 MiB is an error line and ends the\n"
    "input (the rest is not read).\n"
    "\n"
    "Exit status: 0 every action allowed; 1 some action denied or malformed, or\n"
    "the policy file invalid (FILE:LINE:COLUMN: why, on stderr); 2 bad arguments\n"
    "or a file that cannot be read.\n";

constexpr const char kCommand[] = "check";

void Emit(Io io, std::string_view json) {
  io.out.write(json.data(), static_cast<std::streamsize>(json.size()));
  io.out.put('\n');
}

}  // namespace

int RunCheck(const std::vector<std::string>& args, Io io) {
  ParsedArgs parsed;
  if (auto why = ParseArgs(args, {{"--policy", true}, {"--input", true}}, &parsed)) {
    return UsageError(io, kCommand, *why);
  }
  if (parsed.help) {
    io.out << kUsage;
    return kExitOk;
  }
  if (!parsed.positional.empty()) return UsageError(io, kCommand, "unexpected argument '" + parsed.positional[0] + "'");
  auto policy = parsed.value("--policy");
  if (!policy) return UsageError(io, kCommand, "--policy FILE.yaml is required");

  std::shared_ptr<const KernelSpace> kernel;
  if (int code = LoadPolicy(io, kCommand, *policy, &kernel); code >= 0) return code;

  ActionStream actions;
  if (Status s = actions.Open(parsed.value("--input"), io.in); !s.ok()) {
    io.err << "agentos check: " << s.message() << "\n";
    return kExitUsage;
  }

  DecisionJsonWriter writer;
  Decision decision;
  JsonAction action;
  std::unordered_map<std::string, EpisodeState> episodes;  // by agent_id
  std::string error;
  bool any_denied = false;
  for (;;) {
    ActionStream::Item item = actions.Next(&action, &error);
    if (item == ActionStream::Item::kEnd) break;
    if (item == ActionStream::Item::kAction) {
      kernel->Check(action.view(), episodes[action.agent_id], decision);
      Emit(io, writer.Write(actions.line(), decision));
      if (!decision.allowed()) any_denied = true;
    } else {
      Emit(io, writer.WriteError(actions.line(), error));
      any_denied = true;
      if (item == ActionStream::Item::kTooLong) {
        io.out.flush();
        io.err << "agentos check: " << actions.name() << ":" << actions.line() << ": " << error
               << "; the rest of the input is not read\n";
        break;
      }
    }
    // Someone may be waiting for this decision before sending the next action.
    if (actions.drained()) io.out.flush();
  }
  io.out.flush();
  if (std::string why = actions.read_error(); !why.empty()) {
    io.err << "agentos check: error reading " << actions.name() << ": " << why << "\n";
    return kExitUsage;
  }
  if (!io.out) {
    io.err << "agentos check: error writing decisions\n";
    return kExitUsage;
  }
  return any_denied ? kExitDenied : kExitOk;
}

}  // namespace agentos::cli
