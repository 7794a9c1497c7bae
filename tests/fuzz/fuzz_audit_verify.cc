// Fuzzes everything that reads an audit log from untrusted bytes: the input
// is opened as an SQLite database image and verified, exported (records and
// spans) and summarised; it is also parsed as a checkpoint file. Whatever
// the bytes, no crash, no sanitizer report, and a file that is not a
// readable log is an error, never "valid" with records it does not hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_stats.h"
#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentos;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  std::string file_id;
  Checkpoint cp;
  (void)ParseCheckpointText(bytes, "fuzz", &file_id, &cp);

  LogHeader header;
  std::unique_ptr<AuditStore> store;
  if (!AuditStore::OpenImage(bytes, &header, &store).ok()) return 0;
  VerifyOptions options;
  options.require_checkpoint_file = false;
  VerifyResult result;
  Status s = VerifyStore(*store, header, options, std::nullopt, &result);
  if (s.ok() && result.valid && result.first_bad_seq != 0) std::abort();  // a valid log names no bad record
  // A keyed log cannot be verified without its key; with any key it must not crash either.
  options.key = {1, 2, 3};
  (void)VerifyStore(*store, header, options, std::string(bytes.substr(0, 512)), &result);

  std::ostringstream out;
  ExportOptions eo;
  eo.max_records = 64;
  (void)ExportStore(*store, header, eo, out, nullptr);
  eo.format = ExportFormat::kSpans;
  (void)ExportStore(*store, header, eo, out, nullptr);
  AuditStats stats;
  if (ComputeStats(*store, header, &stats).ok()) (void)StatsToJson(stats);
  return 0;
}
