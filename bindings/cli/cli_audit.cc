// `agentos audit verify|export|stats|replay`: the flight recorder's log tools.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bindings/cli/audit_replay.h"
#include "bindings/cli/cli_common.h"
#include "bindings/cli/commands.h"
#include "bindings/cli/export_match.h"
#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_stats.h"
#include "kernel/recorder/audit_verify.h"

namespace agentos::cli {
namespace {

constexpr const char* kUsage =
    "usage: agentos audit verify LOG [--key-file KEY] [--no-checkpoint-file] [--export FILE]\n"
    "       agentos audit export LOG [--format json|jsonl|spans] [--out PATH]\n"
    "       agentos audit stats LOG [--json]\n"
    "       agentos audit replay LOG --policy FILE.yaml [--all]\n"
    "\n"
    "verify  recomputes every record's hash, checks the chain, the sequence and the\n"
    "        checkpoints (LOG.checkpoint), and names the first bad record.\n"
    "        --key-file KEY   the log's HMAC key: the exact bytes of KEY\n"
    "        --no-checkpoint-file  do not fail when LOG.checkpoint is missing\n"
    "        --export FILE    also check that FILE, written by `audit export`, holds\n"
    "                         exactly the log's records (a JSON Lines export may hold\n"
    "                         only the first ones: the log may have grown since)\n"
    "        exit 0 valid, 1 invalid, 2 not a readable audit log or bad usage\n"
    "export  writes the records as one JSON array (json, the default), as JSON Lines,\n"
    "        one record per line, streamed (jsonl), or as Agent-Lightning\n"
    "        LightningStore spans (spans); to stdout or --out PATH.\n"
    "        Export does not verify.\n"
    "stats   totals, violation rate, violations by policy, rule and severity, and\n"
    "        the record level the log was written at. Stats do not verify.\n"
    "replay  re-decides every recorded action under FILE.yaml, in log order, one\n"
    "        episode state per (env_id, episode), and prints one JSON line per\n"
    "        decision that changes (--all: per record):\n"
    "          {\"seq\":7,\"env_id\":0,\"episode\":2,\"step\":3,\"changed\":true,\n"
    "           \"recorded\":{\"allowed\":true,\"rules\":[]},\n"
    "           \"replayed\":{\"allowed\":false,\"violations\":[...]}}\n"
    "        and a summary on stderr. Records whose payload the log truncated or\n"
    "        redacted cannot be re-decided: they are counted and printed as\n"
    "        {\"seq\":N,...,\"replayable\":false}. Replay does not verify.\n"
    "        exit 0 nothing changes, 1 some decision changes or the policy is\n"
    "        invalid, 2 not a readable audit log or bad usage\n";

int Usage(Io io, const std::string& sub, const std::string& why) {
  return UsageError(io, sub.empty() ? "audit" : "audit " + sub, why);
}

// Parses the words after the subcommand: exactly one LOG plus `specs`.
// Returns -1 when usable, else the exit code (help printed, usage error).
int ParseLogArgs(const std::vector<std::string>& args, const std::string& sub, const std::vector<OptionSpec>& specs,
                 Io io, ParsedArgs* p) {
  if (auto why = ParseArgs({args.begin() + 1, args.end()}, specs, p)) return Usage(io, sub, *why);
  if (p->help) {
    io.out << kUsage;
    return kExitOk;
  }
  if (p->positional.empty()) return Usage(io, sub, "missing LOG");
  if (p->positional.size() > 1) return Usage(io, sub, "unexpected argument '" + p->positional[1] + "'");
  return -1;
}

// The export options that reproduce the file `in` holds, from its first bytes.
ExportOptions DetectExport(std::istream& in) {
  char head[16] = {};
  in.read(head, sizeof head);
  std::string start(head, static_cast<std::size_t>(in.gcount()));
  in.clear();
  in.seekg(0);
  ExportOptions o;
  o.json_lines = start.empty() || start[0] != '[';
  const std::size_t object = start.find('{');
  o.format = object != std::string::npos && start.compare(object, 13, "{\"rollout_id\"") == 0 ? ExportFormat::kSpans
                                                                                              : ExportFormat::kJson;
  return o;
}

// `verify --export FILE`: after LOG verified. Returns the exit code.
int MatchExport(const std::string& log, const std::string& file, Io io) {
  std::ifstream expected;
  if (Status s = OpenInputFile(file, &expected); !s.ok()) {
    io.err << "agentos audit verify: " << s.message() << "\n";
    return kExitUsage;
  }
  ExportOptions options = DetectExport(expected);
  ExportMatchBuf match(expected);
  std::ostream sink(&match);
  ExportSummary summary;
  if (Status s = ExportLog(log, options, sink, &summary); !s.ok()) {
    io.err << "agentos audit verify: " << s.message() << "\n";
    return kExitUsage;
  }
  match.Finish();
  if (match.differs() || (match.prefix() && !options.json_lines) || (match.prefix() && match.matched_lines() == 0)) {
    io.out << file << ":" << match.diff_line() << ": INVALID: differs from what exporting " << log
           << " writes\n";
    return kExitDenied;
  }
  const std::size_t records = match.prefix() ? match.matched_lines() : summary.records;
  io.out << file << ": " << (match.prefix() ? "the first " : "all ") << records << " of the log's "
         << summary.records << " records, byte for byte\n";
  return kExitOk;
}

int Verify(const std::vector<std::string>& args, Io io) {
  ParsedArgs p;
  if (int code = ParseLogArgs(args, "verify",
                              {{"--no-checkpoint-file", false}, {"--key-file", true}, {"--export", true}}, io, &p);
      code >= 0) {
    return code;
  }
  const std::string& log = p.positional[0];
  VerifyOptions options;
  if (auto key_file = p.value("--key-file")) {
    std::ifstream in;
    if (Status s = OpenInputFile(*key_file, &in); !s.ok()) {
      io.err << "agentos audit verify: cannot read key file: " << s.message() << "\n";
      return kExitUsage;
    }
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.empty()) {
      io.err << "agentos audit verify: key file " << *key_file << " is empty\n";
      return kExitUsage;
    }
    options.key.assign(key.begin(), key.end());
  }
  options.require_checkpoint_file = !p.has("--no-checkpoint-file");
  VerifyResult r;
  Status s = VerifyLog(log, options, &r);
  if (!s.ok()) {
    io.err << "agentos audit verify: " << s.message() << "\n";
    return kExitUsage;
  }
  if (!r.valid) {
    io.out << log << ": INVALID: " << r.message << "\n";
    if (r.records > 0) io.out << "records 1.." << r.records << " verified before that\n";
    return kExitDenied;
  }
  io.out << log << ": " << r.message << "\n";
  for (const std::string& note : r.notes) io.out << "note: " << note << "\n";
  if (auto file = p.value("--export")) return MatchExport(log, *file, io);
  return kExitOk;
}

int Export(const std::vector<std::string>& args, Io io) {
  ParsedArgs p;
  if (int code = ParseLogArgs(args, "export", {{"--format", true}, {"--out", true}}, io, &p); code >= 0) return code;
  const std::string& log = p.positional[0];
  ExportOptions options;
  std::string format = p.value("--format").value_or("json");
  if (format == "jsonl") {
    options.json_lines = true;
  } else if (auto f = ParseExportFormat(format)) {
    options.format = *f;
  } else {
    return Usage(io, "export", "unknown format '" + format + "' (expected json, jsonl or spans)");
  }
  auto out_path = p.value("--out");
  Status s;
  if (!out_path) {
    s = ExportLog(log, options, io.out, nullptr);
    io.out.flush();
  } else {
    // Into a temporary file renamed over PATH, so a failed export leaves no half file.
    const std::string tmp = *out_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) {
        io.err << "agentos audit export: cannot write " << tmp << "\n";
        return kExitUsage;
      }
      s = ExportLog(log, options, out, nullptr);
      out.flush();
      if (s.ok() && !out) s = Status::IoError("cannot write " + tmp);
    }
    if (s.ok() && std::rename(tmp.c_str(), out_path->c_str()) != 0) {
      s = Status::IoError("cannot replace " + *out_path);
    }
    if (!s.ok()) std::remove(tmp.c_str());
  }
  if (!s.ok()) {
    io.err << "agentos audit export: " << s.message() << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

int Stats(const std::vector<std::string>& args, Io io) {
  ParsedArgs p;
  if (int code = ParseLogArgs(args, "stats", {{"--json", false}}, io, &p); code >= 0) return code;
  AuditStats st;
  Status s = ComputeStats(p.positional[0], &st);
  if (!s.ok()) {
    io.err << "agentos audit stats: " << s.message() << "\n";
    return kExitUsage;
  }
  if (p.has("--json")) {
    io.out << StatsToJson(st) << "\n";
  } else {
    io.out << StatsToText(st);
  }
  return kExitOk;
}

int Replay(const std::vector<std::string>& args, Io io) {
  ParsedArgs p;
  if (int code = ParseLogArgs(args, "replay", {{"--policy", true}, {"--all", false}}, io, &p); code >= 0) return code;
  auto policy = p.value("--policy");
  if (!policy) return Usage(io, "replay", "--policy FILE.yaml is required");
  std::shared_ptr<const KernelSpace> kernel;
  if (int code = LoadPolicy(io, "audit replay", *policy, &kernel); code >= 0) return code;
  ReplaySummary summary;
  Status s = ReplayLog(p.positional[0], *kernel, p.has("--all"), io.out, &summary);
  io.out.flush();
  if (!s.ok()) {
    io.err << "agentos audit replay: " << s.message() << "\n";
    return kExitUsage;
  }
  io.err << ReplaySummaryText(summary) << "\n";
  return summary.changed > 0 ? kExitDenied : kExitOk;
}

}  // namespace

int RunAudit(const std::vector<std::string>& args, Io io) {
  if (args.empty()) return Usage(io, "", "missing subcommand (expected verify, export, stats or replay)");
  const std::string& sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    io.out << kUsage;
    return kExitOk;
  }
  if (sub == "verify") return Verify(args, io);
  if (sub == "export") return Export(args, io);
  if (sub == "stats") return Stats(args, io);
  if (sub == "replay") return Replay(args, io);
  return Usage(io, "", "unknown subcommand '" + sub + "'");
}

}  // namespace agentos::cli
