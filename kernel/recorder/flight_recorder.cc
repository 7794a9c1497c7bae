#include "kernel/recorder/flight_recorder.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "kernel/decision.h"
#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/record_codec.h"
#include "kernel/recorder/utf8_text.h"

namespace agentos {
namespace {

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// splitmix64's finaliser: a fixed, well-mixed 64-bit hash, so sampling is
// the same on every machine and in every run.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t SampleHash(std::uint64_t env, std::uint64_t episode, std::uint32_t step) {
  return Mix(Mix(Mix(env) ^ episode) ^ step);
}

bool IsEmptyOrMissing(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return true;
  if (!S_ISREG(st.st_mode) || st.st_size != 0) return false;
  // An empty main file with a WAL beside it is a log whose pages are all still in the WAL.
  struct stat wal;
  return ::stat((path + "-wal").c_str(), &wal) != 0;
}

Status ValidateOptions(const RecorderOptions& o) {
  if (o.durability != Durability::kSync && o.durability != Durability::kRelaxed) {
    return Status::InvalidArgument("recorder: unknown durability mode");
  }
  if (o.level != RecordLevel::kAll && o.level != RecordLevel::kViolations) {
    return Status::InvalidArgument("recorder: unknown record level");
  }
  if (!(o.sample_rate >= 0.0 && o.sample_rate <= 1.0)) {
    return Status::InvalidArgument("recorder: sample_rate must be in [0, 1]");
  }
  if (o.payload_max_bytes > RecorderOptions::kMaxPayloadBytes) {
    return Status::InvalidArgument("recorder: payload_max_bytes must be at most " +
                                   std::to_string(RecorderOptions::kMaxPayloadBytes));
  }
  if (o.queue_capacity == 0 || o.queue_capacity > RecorderOptions::kMaxQueueCapacity) {
    return Status::InvalidArgument("recorder: queue_capacity must be in [1, " +
                                   std::to_string(RecorderOptions::kMaxQueueCapacity) + "]");
  }
  if (o.checkpoint_every == 0) return Status::InvalidArgument("recorder: checkpoint_every must be at least 1");
  return Status::Ok();
}

}  // namespace

Status FlightRecorder::Open(const std::string& path, RecorderOptions options, std::shared_ptr<FlightRecorder>* out) {
  if (out == nullptr) return Status::InvalidArgument("recorder: null output");
  if (path.empty()) return Status::InvalidArgument("recorder: empty path");
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  if (options.level == RecordLevel::kAll) options.sample_rate = 1.0;

  std::shared_ptr<FlightRecorder> r(new FlightRecorder);
  r->path_ = path;
  r->checkpoint_path_ = CheckpointPathFor(path);
  r->options_ = std::move(options);
  const RecorderOptions& o = r->options_;
  r->hasher_ = std::make_unique<ChainHasher>(o.hmac_key);
  r->sample_all_ = o.sample_rate >= 1.0;
  // rate < 1 here, so rate * 2^64 < 2^64 fits.
  if (!r->sample_all_) r->sample_threshold_ = static_cast<std::uint64_t>(std::ldexp(o.sample_rate, 64));
  const bool sync = o.durability == Durability::kSync;

  if (IsEmptyOrMissing(path)) {
    LogHeader& h = r->header_;
    if (RAND_bytes(h.file_id.data(), static_cast<int>(h.file_id.size())) != 1) {
      return Status::Internal("recorder: no randomness for the file id");
    }
    h.created_ns = NowNs();
    h.level = o.level;
    h.sample_rate = o.sample_rate;
    h.keyed = r->hasher_->keyed();
    if (h.keyed) h.key_check = r->hasher_->KeyCheck(h.file_id_view());
    h.genesis = r->hasher_->Genesis(h.ChainEncoding());
    h.durability = o.durability;
    h.payload_max_bytes = o.payload_max_bytes;
    h.redact_payloads = o.redact_payloads;
    // The checkpoint file comes first: a crash before the database exists
    // leaves no log at all, never a log without its checkpoint.
    Checkpoint cp;
    cp.head = h.genesis;
    cp.time_ns = NowNs();
    cp.mac = cp.ComputeMac(*r->hasher_, h.file_id_view());
    if (!(s = WriteCheckpointFile(r->checkpoint_path_, h.file_id_view(), cp, sync)).ok()) return s;
    if (!(s = AuditStore::Create(path, h, &r->store_)).ok()) {
      if (s.code() != Status::Code::kState) std::remove(r->checkpoint_path_.c_str());  // no log, no checkpoint
      return s;
    }
    r->head_ = h.genesis;
    r->last_checkpoint_ns_ = cp.time_ns;
  } else {
    LogHeader& h = r->header_;
    if (!(s = AuditStore::OpenForAppend(path, o.durability, &h, &r->store_)).ok()) return s;
    if (h.keyed && !r->hasher_->keyed()) {
      return Status::InvalidArgument(path + ": the log is keyed (HMAC-SHA-256); appending needs its key");
    }
    if (!h.keyed && r->hasher_->keyed()) {
      return Status::InvalidArgument(path + ": the log is not keyed; refusing to append with a key");
    }
    if (h.keyed && !DigestEqual(h.key_check, r->hasher_->KeyCheck(h.file_id_view()))) {
      return Status::InvalidArgument(path + ": the key does not match this log");
    }
    if (!DigestEqual(h.genesis, r->hasher_->Genesis(h.ChainEncoding()))) {
      return Status::ParseError(path + ": the log header does not match its genesis hash (header edited)");
    }
    if (h.level != o.level || h.sample_rate != o.sample_rate) {
      return Status::InvalidArgument(path + ": the log records level '" + std::string(ToString(h.level)) +
                                     "' (sample rate " + std::to_string(h.sample_rate) +
                                     "); append with the same level and rate");
    }
    std::uint64_t last = 0;
    Digest head = h.genesis;
    if (!(s = r->store_->LastRecord(&last, &head)).ok()) return s;
    std::string cp_file_id;
    Checkpoint cp;
    s = ReadCheckpointFile(r->checkpoint_path_, &cp_file_id, &cp);
    if (!s.ok()) return Status::StateError(path + ": refusing to append: " + s.message());
    if (cp_file_id != h.file_id_view() || !DigestEqual(cp.mac, cp.ComputeMac(*r->hasher_, cp_file_id))) {
      return Status::StateError(path + ": refusing to append: the checkpoint file does not belong to this log");
    }
    if (cp.records > last) {
      return Status::StateError(path + ": refusing to append: the log has " + std::to_string(last) +
                                " records but its checkpoint file covers " + std::to_string(cp.records) +
                                " (truncated; run `agentos audit verify`)");
    }
    r->head_ = head;
    r->written_seq_ = last;
    r->last_seq_ = last;
    r->committed_seq_.store(last);
    r->decisions_.store(cp.decisions + (last - cp.records));
    r->checkpointed_seq_ = cp.records;
    // Re-anchor at the current end, marked open again.
    if (!(s = r->WriteCheckpoint(false)).ok()) return s;
  }
  r->pending_.resize(o.queue_capacity);
  r->draining_.resize(o.queue_capacity);
  r->writer_ = std::thread([raw = r.get()] { raw->WriterLoop(); });
  *out = std::move(r);
  return Status::Ok();
}

FlightRecorder::~FlightRecorder() {
  Status s = Close();
  bool seen;
  {
    std::lock_guard<std::mutex> lk(mu_);
    seen = error_seen_;
  }
  if (!s.ok() && !seen) {
    std::fprintf(stderr, "agentos: flight recorder %s failed and was never closed explicitly: %s\n", path_.c_str(),
                 s.message().c_str());
  }
}

bool FlightRecorder::Keep(const RecordView& c) const {
  if (options_.level == RecordLevel::kAll || c.total_violations > 0 || sample_all_) return true;
  return SampleHash(c.env_id, c.episode, c.step) < sample_threshold_;
}

void FlightRecorder::Record(const AuditEvent& event) {
  Status s = Append(event, nullptr);
  if (!s.ok()) throw AuditError(std::move(s));
}

Status FlightRecorder::Append(const AuditEvent& e, std::uint64_t* seq) {
  if (e.action == nullptr || e.decision == nullptr) {
    return Status::InvalidArgument("recorder: audit event without an action or a decision");
  }
  std::array<ViolationView, Decision::kMaxViolations> views;
  std::size_t n = 0;
  for (const Violation& v : e.decision->violations()) {
    if (n == views.size()) break;
    views[n++] = ViolationView{v.policy(), v.rule(), v.severity(), v.blocked(), v.reason()};
  }
  RecordView c;
  c.env_id = e.env_id;
  c.agent_id = e.action->agent_id;
  c.episode = e.episode;
  c.step = e.step;
  c.kind = e.action->kind;
  c.tool = e.action->tool;
  c.payload = e.action->payload;
  c.cost_usd = e.action->cost_usd;
  c.tokens = e.action->tokens;
  c.allowed = e.decision->allowed();
  c.total_violations = e.decision->total_violations();
  c.violations = std::span<const ViolationView>(views.data(), n);
  c.executed = e.executed;
  c.signals = e.signals;
  c.reward = e.reward;
  c.penalty = e.penalty;
  return Append(c, seq);
}

Status FlightRecorder::Append(const RecordView& content, std::uint64_t* seq) {
  if (seq != nullptr) *seq = 0;
  if (static_cast<unsigned>(content.kind) >= static_cast<unsigned>(kActionKindCount)) {
    return Status::InvalidArgument("recorder: unknown action kind");
  }
  for (const ViolationView& v : content.violations) {
    if (static_cast<unsigned>(v.severity) >= static_cast<unsigned>(kSeverityCount)) {
      return Status::InvalidArgument("recorder: unknown severity");
    }
  }
  if (!Keep(content)) {
    // Sampled out, but a failed recorder still fails loudly.
    if (failed_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lk(mu_);
      error_seen_ = true;
      return fatal_;
    }
    decisions_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }
  return Submit(content, seq);
}

Status FlightRecorder::Submit(const RecordView& in, std::uint64_t* seq) {
  // Everything that costs time happens here, outside the lock and in
  // parallel across producers: payload policy, encoding, content digest.
  RecordView c = in;
  char redacted[64];
  c.payload_len = in.payload.size();
  if (options_.redact_payloads) {
    Digest d = Sha256(in.payload);
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < d.size(); ++i) {
      redacted[2 * i] = kHex[d[i] >> 4];
      redacted[2 * i + 1] = kHex[d[i] & 15];
    }
    c.payload = std::string_view(redacted, sizeof redacted);
    c.payload_form = PayloadForm::kRedacted;
  } else if (in.payload.size() > options_.payload_max_bytes) {
    c.payload = Utf8Prefix(in.payload, options_.payload_max_bytes);
    c.payload_form = PayloadForm::kTruncated;
  } else {
    c.payload_form = PayloadForm::kFull;
  }
  c.cost_usd = CanonicalDouble(c.cost_usd);
  // A NaN reward is not a reward anyone knows; SQLite could not store it either.
  if (c.reward && std::isnan(*c.reward)) c.reward.reset();
  if (c.penalty && std::isnan(*c.penalty)) c.penalty.reset();

  thread_local std::string buffer;
  buffer.clear();
  EncodeContent(c, &buffer);
  Digest digest = Sha256(buffer);

  std::unique_lock<std::mutex> lk(mu_);
  while (pending_count_ == pending_.size() && !closing_ && fatal_.ok()) space_cv_.wait(lk);
  if (!fatal_.ok()) {
    error_seen_ = true;
    return fatal_;
  }
  if (closing_) return Status::StateError("recorder: " + path_ + " is closed");
  Slot& slot = pending_[pending_count_++];
  slot.content.swap(buffer);  // the slot's old buffer comes back with its capacity
  slot.digest = digest;
  slot.seq = ++last_seq_;
  slot.time_ns = NowNs();
  decisions_.fetch_add(1, std::memory_order_relaxed);
  if (seq != nullptr) *seq = slot.seq;
  bool wake = writer_waiting_;
  lk.unlock();
  if (wake) writer_cv_.notify_one();
  return Status::Ok();
}

Status FlightRecorder::Flush() {
  std::unique_lock<std::mutex> lk(mu_);
  std::uint64_t target = last_seq_;
  commit_cv_.wait(lk, [&] { return committed_seq_.load(std::memory_order_acquire) >= target || !fatal_.ok(); });
  if (!fatal_.ok()) {
    error_seen_ = true;
    return fatal_;
  }
  return Status::Ok();
}

Status FlightRecorder::Close() {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  if (closed_) return close_status_;
  {
    std::lock_guard<std::mutex> lk(mu_);
    closing_ = true;
  }
  writer_cv_.notify_all();
  space_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  closed_ = true;
  std::lock_guard<std::mutex> lk(mu_);
  close_status_ = fatal_;
  if (!fatal_.ok()) error_seen_ = true;
  return close_status_;
}

std::uint64_t FlightRecorder::last_seq() const {
  std::lock_guard<std::mutex> lk(mu_);
  return last_seq_;
}

Status FlightRecorder::status() const {
  std::lock_guard<std::mutex> lk(mu_);
  return fatal_;
}

void FlightRecorder::Fail(const Status& status) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (fatal_.ok()) fatal_ = status;
  }
  failed_.store(true, std::memory_order_release);
  space_cv_.notify_all();
  commit_cv_.notify_all();
}

void FlightRecorder::WriterLoop() {
  for (;;) {
    std::size_t n = 0;
    {
      std::unique_lock<std::mutex> lk(mu_);
      while (pending_count_ == 0 && !closing_) {
        writer_waiting_ = true;
        writer_cv_.wait(lk);
        writer_waiting_ = false;
      }
      if (pending_count_ == 0) break;  // closing and drained
      pending_.swap(draining_);
      n = pending_count_;
      pending_count_ = 0;
    }
    space_cv_.notify_all();
    Status s = WriteGroup(draining_, n);
    if (!s.ok()) {
      store_->Rollback();
      Fail(s);
      break;
    }
  }
  if (!failed_.load(std::memory_order_acquire)) {
    Status s = WriteCheckpoint(true);
    if (!s.ok()) {
      store_->Rollback();
      Fail(s);
    }
  }
  store_.reset();  // closes the database; SQLite checkpoints the WAL into the main file
}

Status FlightRecorder::WriteGroup(std::vector<Slot>& group, std::size_t n) {
  Status s = store_->Begin();
  if (!s.ok()) return s;
  for (std::size_t i = 0; i < n; ++i) {
    Slot& slot = group[i];
    RecordView view;
    if (!DecodeContent(slot.content, &view, &decode_storage_)) {
      return Status::Internal("recorder: a queued record does not decode (seq " + std::to_string(slot.seq) + ")");
    }
    Digest entry = hasher_->Entry(slot.seq, slot.time_ns, head_, slot.digest);
    if (!(s = store_->InsertRecord(slot.seq, slot.time_ns, view, head_, entry)).ok()) return s;
    head_ = entry;
    written_seq_ = slot.seq;
  }
  const std::int64_t now = NowNs();
  const bool checkpoint_due =
      written_seq_ - checkpointed_seq_ >= options_.checkpoint_every ||
      now - last_checkpoint_ns_ >= static_cast<std::int64_t>(options_.checkpoint_interval_ms) * 1000000;
  Checkpoint cp;
  if (checkpoint_due) {
    cp.records = written_seq_;
    cp.head = head_;
    cp.decisions = decisions_.load(std::memory_order_relaxed);
    cp.time_ns = now;
    cp.mac = cp.ComputeMac(*hasher_, header_.file_id_view());
    if (!(s = store_->InsertCheckpoint(cp)).ok()) return s;
  }
  if (!(s = store_->Commit()).ok()) return s;
  {
    std::lock_guard<std::mutex> lk(mu_);
    committed_seq_.store(written_seq_, std::memory_order_release);
  }
  commit_cv_.notify_all();
  if (options_.on_commit) options_.on_commit(written_seq_);
  if (checkpoint_due) {
    // Only after the commit: a checkpoint must never be ahead of the log.
    s = WriteCheckpointFile(checkpoint_path_, header_.file_id_view(), cp, options_.durability == Durability::kSync);
    if (!s.ok()) return s;
    checkpointed_seq_ = cp.records;
    last_checkpoint_ns_ = now;
  }
  return Status::Ok();
}

Status FlightRecorder::WriteCheckpoint(bool closed) {
  Checkpoint cp;
  cp.records = written_seq_;
  cp.head = head_;
  cp.decisions = decisions_.load(std::memory_order_relaxed);
  cp.closed = closed;
  cp.time_ns = NowNs();
  cp.mac = cp.ComputeMac(*hasher_, header_.file_id_view());
  Status s = store_->Begin();
  if (s.ok()) s = store_->InsertCheckpoint(cp);
  if (s.ok()) s = store_->Commit();
  if (s.ok()) {
    s = WriteCheckpointFile(checkpoint_path_, header_.file_id_view(), cp, options_.durability == Durability::kSync);
  }
  if (s.ok()) {
    checkpointed_seq_ = cp.records;
    last_checkpoint_ns_ = cp.time_ns;
  }
  return s;
}

}  // namespace agentos
