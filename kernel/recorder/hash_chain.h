// The hash chain that makes a log tamper-evident.
//
//   content_digest = SHA-256(EncodeContent(record))            (record_codec.h)
//   entry_hash     = M("agentos-audit/entry/v1" 0 | u64 seq | i64 time_ns |
//                      previous entry_hash | content_digest)
//   genesis        = M("agentos-audit/genesis/v1" 0 | header)  (the previous hash of record 1)
//
// M is SHA-256 for an unkeyed log and HMAC-SHA-256 under the log's key
// otherwise. Every field of a record reaches its entry_hash (the content
// through its digest, seq and time directly), and every entry_hash reaches
// the next one. The content digest is plain SHA-256 on purpose: it is
// computed by the producing threads in parallel, and the keyed M over it
// still needs the key (forging a record means finding a SHA-256 second
// preimage or knowing the key).
//
// The genesis value binds the log header (LogHeader::ChainEncoding: every
// field from format 2 on) into the chain, so rewriting any header field,
// such as the level of a log, breaks record 1.
#ifndef AGENTOS_KERNEL_RECORDER_HASH_CHAIN_H_
#define AGENTOS_KERNEL_RECORDER_HASH_CHAIN_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "kernel/recorder/audit_record.h"

namespace agentos {

// SHA-256 of data. Thread-safe (each thread keeps its own context);
// allocation-free after a thread's first call.
Digest Sha256(std::string_view data);

// Constant-time comparison, so a verifier does not leak how much of a MAC matched.
bool DigestEqual(const Digest& a, const Digest& b);

// M from the comment above. Not thread-safe: one per thread.
class ChainHasher {
 public:
  // An empty key means plain SHA-256. Any key length is accepted (HMAC
  // hashes keys longer than one block first).
  explicit ChainHasher(std::span<const std::uint8_t> key);
  ~ChainHasher();
  ChainHasher(const ChainHasher&) = delete;
  ChainHasher& operator=(const ChainHasher&) = delete;

  bool keyed() const { return keyed_; }

  // M(tag 0 | body).
  Digest Tagged(std::string_view tag, std::string_view body);

  Digest Entry(std::uint64_t seq, std::int64_t time_ns, const Digest& prev, const Digest& content_digest);
  Digest Genesis(std::string_view header_encoding) { return Tagged("agentos-audit/genesis/v1", header_encoding); }
  // A value that tells a verifier whether it holds the log's key, without
  // revealing the key: M("agentos-audit/key-check/v1" 0 | file_id).
  Digest KeyCheck(std::string_view file_id) { return Tagged("agentos-audit/key-check/v1", file_id); }

 private:
  struct Contexts;
  bool keyed_ = false;
  std::unique_ptr<Contexts> ctx_;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_HASH_CHAIN_H_
