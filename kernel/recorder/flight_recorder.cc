#include "kernel/recorder/flight_recorder.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel/decision.h"
#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/numeric_text.h"
#include "kernel/recorder/record_codec.h"
#include "kernel/recorder/writer_lock.h"
#include "kernel/utf8.h"

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
  if (o.group_commit_us > RecorderOptions::kMaxGroupCommitUs) {
    return Status::InvalidArgument("recorder: group_commit_us must be at most " +
                                   std::to_string(RecorderOptions::kMaxGroupCommitUs) + " (1 s)");
  }
  return Status::Ok();
}

}  // namespace

// Everything behind the public interface: options, the bounded queue shared
// by producers and the writer, and the writer thread's store and chain.
struct FlightRecorder::Impl {
  Status AppendEvent(const AuditEvent& event, std::uint64_t* seq);
  Status Append(const RecordView& content, std::uint64_t* seq);
  Status Flush();
  Status Close();
  std::uint64_t decisions_seen() const;

  struct Slot {
    std::string content;  // EncodeContent bytes
    Digest digest{};      // SHA-256 of content
    std::uint64_t seq = 0;
    std::int64_t time_ns = 0;
  };

  bool Keep(const RecordView& content) const;
  void CountSkipped();
  Status Submit(const RecordView& content, std::uint64_t* seq);
  void WriterLoop();
  void Linger(std::unique_lock<std::mutex>& lk);
  Status WriteGroup(std::vector<Slot>& group, std::size_t n);
  Status WriteCheckpoint(bool closed);
  void Fail(const Status& status);

  std::string path_;
  std::string checkpoint_path_;
  RecorderOptions options_;
  LogHeader header_;
  std::uint64_t sample_threshold_ = 0;  // keep a clean decision when its hash is below this
  bool sample_all_ = true;

  // Held from before the log is first looked at until the database is
  // closed (declared before store_, so destroyed after it).
  std::unique_ptr<WriterLock> writer_lock_;
  // Writer-thread state.
  std::unique_ptr<AuditStore> store_;
  std::unique_ptr<ChainHasher> hasher_;
  Digest head_{};                 // entry_hash of the last written record (genesis at first)
  std::uint64_t written_seq_ = 0; // last seq inserted (committed or in the open transaction)
  std::uint64_t checkpointed_seq_ = 0;
  std::int64_t last_checkpoint_ns_ = 0;
  std::vector<ViolationView> decode_storage_;

  // Shared between producers and the writer, guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable writer_cv_;  // queue became non-empty, or closing
  std::condition_variable space_cv_;   // queue has room, or the recorder failed or closed
  std::condition_variable commit_cv_;  // committed_seq_ advanced, or the recorder failed
  std::vector<Slot> pending_;          // filled by producers: [0, pending_count_)
  std::vector<Slot> draining_;         // owned by the writer while it writes a group
  std::size_t pending_count_ = 0;
  std::uint64_t last_seq_ = 0;
  bool writer_waiting_ = false;
  // The writer holds a small group back (group commit wait); producers wake
  // it only once pending_count_ reaches linger_wake_at_.
  bool writer_lingering_ = false;
  std::size_t linger_wake_at_ = 0;
  std::uint64_t flush_seq_ = 0;  // the highest seq some Flush() waits for
  bool closing_ = false;
  Status fatal_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> closing_flag_{false};  // closing_, readable without mu_ (Ready)
  bool error_seen_ = false;  // fatal_ was returned to some caller

  std::atomic<std::uint64_t> committed_seq_{0};
  // Decisions seen = decisions_base_ + records queued (queued_seq_) + sampled out (skipped_).
  static constexpr unsigned kStripes = 16;
  struct alignas(64) Stripe {
    std::atomic<std::uint64_t> value{0};
  };
  std::uint64_t decisions_base_ = 0;
  std::atomic<std::uint64_t> queued_seq_{0};
  std::array<Stripe, kStripes> skipped_{};

  std::mutex close_mu_;
  bool closed_ = false;
  Status close_status_;
  std::thread writer_;
};

Status FlightRecorder::Open(const std::string& path, RecorderOptions options, std::shared_ptr<FlightRecorder>* out) {
  if (out == nullptr) return Status::InvalidArgument("recorder: null output");
  if (path.empty()) return Status::InvalidArgument("recorder: empty path");
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  if (options.level == RecordLevel::kAll) options.sample_rate = 1.0;

  std::shared_ptr<FlightRecorder> r(new FlightRecorder);
  Impl* m = r->impl_.get();
  m->path_ = path;
  m->checkpoint_path_ = CheckpointPathFor(path);
  m->options_ = std::move(options);
  const RecorderOptions& o = m->options_;
  m->hasher_ = std::make_unique<ChainHasher>(o.hmac_key);
  m->sample_all_ = o.sample_rate >= 1.0;
  // rate < 1 here, so rate * 2^64 < 2^64 fits.
  if (!m->sample_all_) m->sample_threshold_ = static_cast<std::uint64_t>(std::ldexp(o.sample_rate, 64));
  const bool sync = o.durability == Durability::kSync;
  // First of all: whatever is at `path` must not change under us while we
  // decide whether to create or append, and nobody else may write it.
  if (!(s = WriterLock::Acquire(path, &m->writer_lock_)).ok()) return s;

  bool no_log = false;
  if (!(s = AuditStore::HoldsNoLog(path, &no_log)).ok()) return s;
  if (no_log) {
    // Missing, empty, or half-created by a crash before its schema commit:
    // no records, so it becomes a new log. Unless its checkpoint file says
    // records were here: then the log was deleted, emptied or replaced, and
    // starting over would overwrite the evidence.
    std::string cp_file_id;
    Checkpoint old_cp;
    const std::string& cp_path = m->checkpoint_path_;
    if (::access(cp_path.c_str(), F_OK) == 0) {
      s = ReadCheckpointFile(cp_path, &cp_file_id, &old_cp);
      if (!s.ok()) {
        return Status::StateError(path + ": refusing to start a new log: there is no log here, but " + cp_path +
                                  " exists and cannot be read (" + s.message() +
                                  "); move it aside if it belongs to no log");
      }
      if (old_cp.records > 0) {
        return Status::StateError(path + ": refusing to start a new log: there is no log here, but its checkpoint file " +
                                  cp_path + " covers " + std::to_string(old_cp.records) +
                                  " record(s) (the log was deleted, emptied or replaced); move both aside to start over");
      }
      // A checkpoint of 0 records: left by a crash before the schema commit.
    }
    LogHeader& h = m->header_;
    if (RAND_bytes(h.file_id.data(), static_cast<int>(h.file_id.size())) != 1) {
      return Status::Internal("recorder: no randomness for the file id");
    }
    h.created_ns = NowNs();
    h.level = o.level;
    h.sample_rate = o.sample_rate;
    h.keyed = m->hasher_->keyed();
    if (h.keyed) h.key_check = m->hasher_->KeyCheck(h.file_id_view());
    h.durability = o.durability;
    h.payload_max_bytes = o.payload_max_bytes;
    h.redact_payloads = o.redact_payloads;
    h.genesis = m->hasher_->Genesis(h.ChainEncoding());  // last: it covers every field above
    // The checkpoint file comes first: a crash before the database exists
    // leaves no log at all, never a log without its checkpoint.
    Checkpoint cp;
    cp.head = h.genesis;
    cp.time_ns = NowNs();
    cp.mac = cp.ComputeMac(*m->hasher_, h.file_id_view());
    if (!(s = WriteCheckpointFile(m->checkpoint_path_, h.file_id_view(), cp, sync)).ok()) return s;
    if (!(s = AuditStore::Create(path, h, &m->store_)).ok()) {
      if (s.code() != Status::Code::kState) std::remove(m->checkpoint_path_.c_str());  // no log, no checkpoint
      return s;
    }
    m->head_ = h.genesis;
    m->last_checkpoint_ns_ = cp.time_ns;
  } else {
    LogHeader& h = m->header_;
    if (!(s = AuditStore::OpenForAppend(path, o.durability, &h, &m->store_)).ok()) return s;
    if (h.keyed && !m->hasher_->keyed()) {
      return Status::InvalidArgument(path + ": the log is keyed (HMAC-SHA-256); appending needs its key");
    }
    if (!h.keyed && m->hasher_->keyed()) {
      return Status::InvalidArgument(path + ": the log is not keyed; refusing to append with a key");
    }
    if (h.keyed && !DigestEqual(h.key_check, m->hasher_->KeyCheck(h.file_id_view()))) {
      return Status::InvalidArgument(path + ": the key does not match this log");
    }
    if (!DigestEqual(h.genesis, m->hasher_->Genesis(h.ChainEncoding()))) {
      return Status::ParseError(path + ": the log header does not match its genesis hash (header edited)");
    }
    if (h.level != o.level || h.sample_rate != o.sample_rate) {
      return Status::InvalidArgument(path + ": the log records level '" + std::string(ToString(h.level)) +
                                     "' (sample rate " + std::to_string(h.sample_rate) +
                                     "); append with the same level and rate");
    }
    std::uint64_t last = 0;
    Digest head = h.genesis;
    if (!(s = m->store_->LastRecord(&last, &head)).ok()) return s;
    std::string cp_file_id;
    Checkpoint cp;
    s = ReadCheckpointFile(m->checkpoint_path_, &cp_file_id, &cp);
    if (!s.ok()) return Status::StateError(path + ": refusing to append: " + s.message());
    if (cp_file_id != h.file_id_view() || !DigestEqual(cp.mac, cp.ComputeMac(*m->hasher_, cp_file_id))) {
      return Status::StateError(path + ": refusing to append: the checkpoint file does not belong to this log");
    }
    if (cp.records > last) {
      return Status::StateError(path + ": refusing to append: the log has " + std::to_string(last) +
                                " records but its checkpoint file covers " + std::to_string(cp.records) +
                                " (truncated; run `agentos audit verify`)");
    }
    m->head_ = head;
    m->written_seq_ = last;
    m->last_seq_ = last;
    m->queued_seq_.store(last);
    m->committed_seq_.store(last);
    // Decisions before this session that are not records (sampled out).
    m->decisions_base_ = cp.decisions > cp.records ? cp.decisions - cp.records : 0;
    m->checkpointed_seq_ = cp.records;
    // Re-anchor at the current end, marked open again.
    if (!(s = m->WriteCheckpoint(false)).ok()) return s;
  }
  m->pending_.resize(o.queue_capacity);
  m->draining_.resize(o.queue_capacity);
  m->writer_ = std::thread([m] { m->WriterLoop(); });
  *out = std::move(r);
  return Status::Ok();
}


bool FlightRecorder::Impl::Keep(const RecordView& c) const {
  if (options_.level == RecordLevel::kAll || c.total_violations > 0 || sample_all_) return true;
  return SampleHash(c.env_id, c.episode, c.step) < sample_threshold_;
}

void FlightRecorder::Impl::CountSkipped() {
  // Each producing thread counts into its own cache line: a shared counter
  // would make VectorEnv workers contend on every sampled-out step.
  static std::atomic<unsigned> next_stripe{0};
  thread_local const unsigned stripe = next_stripe.fetch_add(1, std::memory_order_relaxed) % kStripes;
  skipped_[stripe].value.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t FlightRecorder::Impl::decisions_seen() const {
  std::uint64_t n = decisions_base_ + queued_seq_.load(std::memory_order_relaxed);
  for (const Stripe& s : skipped_) n += s.value.load(std::memory_order_relaxed);
  return n;
}


Status FlightRecorder::Impl::AppendEvent(const AuditEvent& e, std::uint64_t* seq) {
  if (e.action == nullptr || e.decision == nullptr) {
    return Status::InvalidArgument("recorder: audit event without an action or a decision");
  }
  // The common case at level violations: a clean decision that is not
  // sampled costs a hash and a counter, nothing more.
  if (options_.level == RecordLevel::kViolations && e.decision->total_violations() == 0 && !sample_all_ &&
      SampleHash(e.env_id, e.episode, e.step) >= sample_threshold_ && !failed_.load(std::memory_order_relaxed)) {
    CountSkipped();
    return Status::Ok();
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
  if (e.action->kind == ActionKind::kNumeric) {
    // Rendered here, only for a step that is recorded; Submit encodes the
    // record before this call returns, so the views stay valid long enough.
    thread_local std::string values, state;
    RenderNumberList(e.action->values, &values);
    RenderNumberList(e.action->state, &state);
    c.action_values = values;
    c.action_state = state;
  }
  return Append(c, seq);
}

Status FlightRecorder::Impl::Append(const RecordView& content, std::uint64_t* seq) {
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
    CountSkipped();
    return Status::Ok();
  }
  return Submit(content, seq);
}

Status FlightRecorder::Impl::Submit(const RecordView& in, std::uint64_t* seq) {
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
  queued_seq_.store(slot.seq, std::memory_order_relaxed);
  if (seq != nullptr) *seq = slot.seq;
  bool wake = writer_waiting_ || (writer_lingering_ && pending_count_ >= linger_wake_at_);
  lk.unlock();
  if (wake) writer_cv_.notify_one();
  return Status::Ok();
}

Status FlightRecorder::Impl::Flush() {
  std::unique_lock<std::mutex> lk(mu_);
  std::uint64_t target = last_seq_;
  bool wake = false;
  if (target > flush_seq_) {
    flush_seq_ = target;
    wake = writer_lingering_;  // cut the group-commit wait short
  }
  if (wake) writer_cv_.notify_one();
  commit_cv_.wait(lk, [&] { return committed_seq_.load(std::memory_order_acquire) >= target || !fatal_.ok(); });
  if (!fatal_.ok()) {
    error_seen_ = true;
    return fatal_;
  }
  return Status::Ok();
}

Status FlightRecorder::Impl::Close() {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  if (closed_) return close_status_;
  {
    std::lock_guard<std::mutex> lk(mu_);
    closing_ = true;
    closing_flag_.store(true, std::memory_order_release);
  }
  writer_cv_.notify_all();
  space_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  store_.reset();  // already closed by the writer, unless Open failed before starting it
  writer_lock_.reset();
  closed_ = true;
  std::lock_guard<std::mutex> lk(mu_);
  close_status_ = fatal_;
  if (!fatal_.ok()) error_seen_ = true;
  return close_status_;
}

void FlightRecorder::Impl::Fail(const Status& status) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (fatal_.ok()) fatal_ = status;
  }
  failed_.store(true, std::memory_order_release);
  space_cv_.notify_all();
  commit_cv_.notify_all();
}

// Holds a small group back for up to group_commit_us so that more records
// share its commit (and, in sync mode, its fsync). Called with mu_ held and
// at least one record pending. Returns at once if the group is already half
// the queue, or if the recorder is closing or a Flush() waits for it.
void FlightRecorder::Impl::Linger(std::unique_lock<std::mutex>& lk) {
  const std::size_t half = std::max<std::size_t>(1, pending_.size() / 2);
  auto done = [&] {
    return pending_count_ >= half || closing_ || flush_seq_ > committed_seq_.load(std::memory_order_relaxed);
  };
  if (done()) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(options_.group_commit_us);
  writer_lingering_ = true;
  linger_wake_at_ = half;
  writer_cv_.wait_until(lk, deadline, done);
  writer_lingering_ = false;
}

void FlightRecorder::Impl::WriterLoop() {
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
      if (options_.group_commit_us > 0) Linger(lk);
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
    } else {
      store_->Seal();
    }
  }
  store_.reset();  // closes the database
}

Status FlightRecorder::Impl::WriteGroup(std::vector<Slot>& group, std::size_t n) {
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
    cp.decisions = decisions_seen();
    cp.time_ns = now;
    cp.mac = cp.ComputeMac(*hasher_, header_.file_id_view());
    if (!(s = store_->InsertCheckpoint(cp)).ok()) return s;
  }
  if (!(s = store_->Commit()).ok()) return s;
  // The hook runs before Flush() can return, so a flushed record has been reported.
  if (options_.on_commit) options_.on_commit(written_seq_);
  {
    std::lock_guard<std::mutex> lk(mu_);
    committed_seq_.store(written_seq_, std::memory_order_release);
  }
  commit_cv_.notify_all();
  if (checkpoint_due) {
    // Only after the commit: a checkpoint must never be ahead of the log.
    s = WriteCheckpointFile(checkpoint_path_, header_.file_id_view(), cp, options_.durability == Durability::kSync);
    if (!s.ok()) return s;
    checkpointed_seq_ = cp.records;
    last_checkpoint_ns_ = now;
  }
  return Status::Ok();
}

Status FlightRecorder::Impl::WriteCheckpoint(bool closed) {
  Checkpoint cp;
  cp.records = written_seq_;
  cp.head = head_;
  cp.decisions = decisions_seen();
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

// ---- FlightRecorder: the public face of Impl ---------------------------------

FlightRecorder::FlightRecorder() : impl_(std::make_unique<Impl>()) {}

FlightRecorder::~FlightRecorder() {
  Status s = impl_->Close();
  bool seen;
  {
    std::lock_guard<std::mutex> lk(impl_->mu_);
    seen = impl_->error_seen_;
  }
  if (!s.ok() && !seen) {
    std::fprintf(stderr, "agentos: flight recorder %s failed and was never closed explicitly: %s\n", impl_->path_.c_str(),
                 s.message().c_str());
  }
}

void FlightRecorder::Record(const AuditEvent& event) {
  Status s = impl_->AppendEvent(event, nullptr);
  if (!s.ok()) throw AuditError(std::move(s));
}

Status FlightRecorder::Ready() const {
  if (impl_->failed_.load(std::memory_order_acquire)) return status();
  if (impl_->closing_flag_.load(std::memory_order_acquire)) {
    return Status::StateError("recorder: " + impl_->path_ + " is closed");
  }
  return Status::Ok();
}

Status FlightRecorder::Append(const AuditEvent& event, std::uint64_t* seq) { return impl_->AppendEvent(event, seq); }
Status FlightRecorder::Append(const RecordView& content, std::uint64_t* seq) { return impl_->Append(content, seq); }
Status FlightRecorder::Flush() { return impl_->Flush(); }
Status FlightRecorder::Close() { return impl_->Close(); }

std::uint64_t FlightRecorder::committed_seq() const { return impl_->committed_seq_.load(std::memory_order_acquire); }
std::uint64_t FlightRecorder::decisions_seen() const { return impl_->decisions_seen(); }

std::uint64_t FlightRecorder::last_seq() const {
  std::lock_guard<std::mutex> lk(impl_->mu_);
  return impl_->last_seq_;
}

Status FlightRecorder::status() const {
  std::lock_guard<std::mutex> lk(impl_->mu_);
  return impl_->fatal_;
}

const std::string& FlightRecorder::path() const { return impl_->path_; }
const LogHeader& FlightRecorder::header() const { return impl_->header_; }
const RecorderOptions& FlightRecorder::options() const { return impl_->options_; }

}  // namespace agentos
