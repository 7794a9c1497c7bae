// `agentos audit verify|export|stats`: the flight recorder's log tools.
// Exit codes: 0 success (verify: the log is intact), 1 verify found the log
// invalid, 2 usage errors and files that are not readable audit logs.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bindings/cli/commands.h"
#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_stats.h"
#include "kernel/recorder/audit_verify.h"

namespace agentos::cli {
namespace {

constexpr const char* kUsage =
    "usage: agentos audit verify FILE [--key-file KEY] [--no-checkpoint-file]\n"
    "       agentos audit export FILE [--format json|spans] [--out PATH]\n"
    "       agentos audit stats FILE [--json]\n"
    "\n"
    "verify  recomputes every record's hash, checks the chain, the sequence and the\n"
    "        checkpoints (FILE.checkpoint), and names the first bad record.\n"
    "        --key-file KEY   the log's HMAC key: the exact bytes of KEY\n"
    "        --no-checkpoint-file  do not fail when FILE.checkpoint is missing\n"
    "        exit 0 valid, 1 invalid, 2 not a readable audit log or bad usage\n"
    "export  writes the records as one JSON array: records (json, the default) or\n"
    "        Agent-Lightning LightningStore spans (spans); to stdout or --out PATH.\n"
    "        Export does not verify.\n"
    "stats   totals, violation rate, violations by policy, rule and severity, and\n"
    "        the record level the log was written at. Stats do not verify.\n";

int Usage(Io io, const std::string& why) {
  io.err << "agentos audit: " << why << "\n" << kUsage;
  return kExitUsage;
}

// FILE followed by options; options are "--name" or "--name VALUE".
struct Parsed {
  std::string file;
  std::vector<std::pair<std::string, std::string>> options;
};

bool Parse(const std::vector<std::string>& args, const std::vector<std::string>& flags,
           const std::vector<std::string>& valued, Parsed* out, std::string* why) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0) {
      bool is_flag = false, is_valued = false;
      for (const auto& f : flags) is_flag |= a == f;
      for (const auto& v : valued) is_valued |= a == v;
      if (is_flag) {
        out->options.emplace_back(a, "");
      } else if (is_valued) {
        if (i + 1 >= args.size()) {
          *why = a + " needs a value";
          return false;
        }
        out->options.emplace_back(a, args[++i]);
      } else {
        *why = "unknown option " + a;
        return false;
      }
    } else if (out->file.empty()) {
      out->file = a;
    } else {
      *why = "unexpected argument " + a;
      return false;
    }
  }
  if (out->file.empty()) {
    *why = "missing FILE";
    return false;
  }
  return true;
}

std::optional<std::string> Option(const Parsed& p, const std::string& name) {
  std::optional<std::string> v;
  for (const auto& [k, val] : p.options) {
    if (k == name) v = val;
  }
  return v;
}

int Verify(const std::vector<std::string>& args, Io io) {
  Parsed p;
  std::string why;
  if (!Parse(args, {"--no-checkpoint-file"}, {"--key-file"}, &p, &why)) return Usage(io, why);
  VerifyOptions options;
  if (auto key_file = Option(p, "--key-file")) {
    std::ifstream in(*key_file, std::ios::binary);
    if (!in) {
      io.err << "agentos audit verify: cannot read key file " << *key_file << "\n";
      return kExitUsage;
    }
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.empty()) {
      io.err << "agentos audit verify: key file " << *key_file << " is empty\n";
      return kExitUsage;
    }
    options.key.assign(key.begin(), key.end());
  }
  options.require_checkpoint_file = !Option(p, "--no-checkpoint-file").has_value();
  VerifyResult r;
  Status s = VerifyLog(p.file, options, &r);
  if (!s.ok()) {
    io.err << "agentos audit verify: " << s.message() << "\n";
    return kExitUsage;
  }
  if (!r.valid) {
    io.out << p.file << ": INVALID: " << r.message << "\n";
    if (r.records > 0) io.out << "records 1.." << r.records << " verified before that\n";
    return kExitDenied;
  }
  io.out << p.file << ": " << r.message << "\n";
  for (const std::string& note : r.notes) io.out << "note: " << note << "\n";
  return kExitOk;
}

int Export(const std::vector<std::string>& args, Io io) {
  Parsed p;
  std::string why;
  if (!Parse(args, {}, {"--format", "--out"}, &p, &why)) return Usage(io, why);
  ExportOptions options;
  std::string format = Option(p, "--format").value_or("json");
  auto f = ParseExportFormat(format);
  if (!f) return Usage(io, "unknown format '" + format + "' (expected json or spans)");
  options.format = *f;
  auto out_path = Option(p, "--out");
  Status s;
  if (!out_path) {
    s = ExportLog(p.file, options, io.out, nullptr);
  } else {
    // Into a temporary file renamed over PATH, so a failed export leaves no half file.
    const std::string tmp = *out_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) {
        io.err << "agentos audit export: cannot write " << tmp << "\n";
        return kExitUsage;
      }
      s = ExportLog(p.file, options, out, nullptr);
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
  Parsed p;
  std::string why;
  if (!Parse(args, {"--json"}, {}, &p, &why)) return Usage(io, why);
  AuditStats st;
  Status s = ComputeStats(p.file, &st);
  if (!s.ok()) {
    io.err << "agentos audit stats: " << s.message() << "\n";
    return kExitUsage;
  }
  if (Option(p, "--json")) {
    io.out << StatsToJson(st) << "\n";
  } else {
    io.out << StatsToText(st);
  }
  return kExitOk;
}

}  // namespace

int RunAudit(const std::vector<std::string>& args, Io io) {
  if (args.empty()) return Usage(io, "missing subcommand");
  const std::string& sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    io.out << kUsage;
    return kExitOk;
  }
  if (sub == "verify") return Verify(args, io);
  if (sub == "export") return Export(args, io);
  if (sub == "stats") return Stats(args, io);
  return Usage(io, "unknown subcommand '" + sub + "'");
}

}  // namespace agentos::cli
