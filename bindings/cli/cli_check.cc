// agentos check: decides a stream of JSON actions against a policy file.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "bindings/cli/action_json.h"
#include "bindings/cli/commands.h"
#include "bindings/cli/decision_json.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace agentos::cli {
namespace {

constexpr const char kUsage[] =
    "usage: agentos check --policy FILE.yaml [--input FILE.jsonl]\n"
    "\n"
    "Decides agent actions against a policy file. Reads one JSON action per line\n"
    "from FILE.jsonl (standard input if absent or \"-\") and prints one JSON\n"
    "decision per line, in the same order.\n"
    "\n"
    "Actions:\n"
    "  {\"kind\":\"sql\",\"sql\":\"DELETE FROM users\"}      (a bare {\"sql\":...} is kind sql)\n"
    "  {\"kind\":\"tool_call\",\"tool\":\"shell.exec\",\"args\":{\"cmd\":\"ls\"}}\n"
    "  {\"kind\":\"message\",\"text\":\"...\"}\n"
    "  {\"kind\":\"spend\",\"cost_usd\":0.25,\"tokens\":1200}\n"
    "Other fields: agent_id, payload (text for any kind). Unknown fields and wrong\n"
    "types make that line an error. Each agent_id is one episode: the cost, tokens\n"
    "and tool calls of its allowed actions count toward its later actions.\n"
    "\n"
    "Decisions:\n"
    "  {\"allowed\":false,\"violations\":[{\"policy\":...,\"rule\":...,\"severity\":...,\n"
    "   \"blocked\":true,\"reason\":...}]}\n"
    "  {\"line\":N,\"allowed\":false,\"error\":...,\"violations\":[]}   for a malformed line\n"
    "Blank lines are skipped; a line over 1 MiB is an error.\n"
    "\n"
    "Exit status: 0 every action allowed, 1 some action denied or malformed,\n"
    "2 bad arguments or an unreadable or invalid policy file.\n";

struct CheckArgs {
  std::string policy;
  std::optional<std::string> input;
};

int UsageError(Io io, const std::string& msg) {
  io.err << "agentos check: " << msg << "\n\n" << kUsage;
  return kExitUsage;
}

// Returns -1 when the arguments are usable, else the exit code.
int ParseArgs(const std::vector<std::string>& args, Io io, CheckArgs* out) {
  std::optional<std::string> policy;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      io.out << kUsage;
      return kExitOk;
    }
    std::string name = a;
    std::optional<std::string> value;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    if (name != "--policy" && name != "--input") {
      if (!a.empty() && a[0] == '-') return UsageError(io, "unknown option '" + a + "'");
      return UsageError(io, "unexpected argument '" + a + "'");
    }
    if (!value) {
      if (i + 1 == args.size()) return UsageError(io, name + " needs a value");
      value = args[++i];
    }
    if (value->empty()) return UsageError(io, name + " needs a non-empty value");
    std::optional<std::string>& slot = name == "--policy" ? policy : out->input;
    if (slot) return UsageError(io, name + " given twice");
    slot = *value;
  }
  if (!policy) return UsageError(io, "--policy FILE.yaml is required");
  out->policy = *policy;
  return -1;
}

// Strips a UTF-8 byte order mark, which some editors put before line 1.
void StripBom(std::string* line) {
  if (line->size() >= 3 && line->compare(0, 3, "\xEF\xBB\xBF") == 0) line->erase(0, 3);
}

}  // namespace

int RunCheck(const std::vector<std::string>& args, Io io) {
  CheckArgs opts;
  if (int code = ParseArgs(args, io, &opts); code >= 0) return code;

  std::shared_ptr<const KernelSpace> kernel;
  Status st = LoadKernelFromFile(opts.policy, &kernel);
  if (!st.ok() || !kernel) {
    io.err << "agentos check: " << (st.ok() ? opts.policy + ": no kernel" : st.message()) << "\n";
    return kExitUsage;
  }

  std::ifstream file;
  std::istream* in = &io.in;
  if (opts.input && *opts.input != "-") {
    file.open(*opts.input, std::ios::binary);
    if (!file) {
      io.err << "agentos check: cannot open input '" << *opts.input << "'\n";
      return kExitUsage;
    }
    in = &file;
  }

  LineReader reader(*in);
  DecisionJsonWriter writer;
  Decision decision;
  JsonAction action;
  std::unordered_map<std::string, EpisodeState> episodes;  // by agent_id
  std::string line;
  bool any_denied = false;
  for (;;) {
    LineReader::Result r = reader.Next(&line);
    if (r == LineReader::Result::kEnd) break;
    std::string_view json;
    if (r == LineReader::Result::kTooLong) {
      json = writer.WriteError(reader.line_number(),
                               "line is longer than " + std::to_string(kMaxActionLineBytes) + " bytes");
      any_denied = true;
    } else {
      if (reader.line_number() == 1) StripBom(&line);
      if (IsBlankLine(line)) continue;
      Status parsed = ParseActionJson(line, &action);
      if (!parsed.ok()) {
        json = writer.WriteError(reader.line_number(), parsed.message());
        any_denied = true;
      } else {
        kernel->Check(action.view(), episodes[action.agent_id], decision);
        json = writer.Write(decision);
        if (!decision.allowed()) any_denied = true;
      }
    }
    io.out.write(json.data(), static_cast<std::streamsize>(json.size()));
    io.out.put('\n');
    // Someone may be waiting for this decision before sending the next action.
    if (reader.drained()) io.out.flush();
  }
  io.out.flush();
  if (in->bad()) {
    io.err << "agentos check: error reading " << (in == &file ? "'" + *opts.input + "'" : "standard input") << "\n";
    return kExitUsage;
  }
  if (!io.out) {
    io.err << "agentos check: error writing decisions\n";
    return kExitUsage;
  }
  return any_denied ? kExitDenied : kExitOk;
}

}  // namespace agentos::cli
