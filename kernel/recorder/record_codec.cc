#include "kernel/recorder/record_codec.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace agentos {
namespace {

static_assert(std::endian::native == std::endian::little, "the codec writes host order and assumes little-endian");

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void PutStr(std::string* out, std::string_view s) {
  Put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

void PutDouble(std::string* out, double v) { Put<std::uint64_t>(out, std::bit_cast<std::uint64_t>(CanonicalDouble(v))); }

// Reads from a byte range; every Get fails once the input is exhausted, so a
// caller checks ok() only at the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  template <typename T>
  T Get() {
    T v{};
    if (static_cast<std::size_t>(end_ - p_) < sizeof(T)) {
      ok_ = false;
      p_ = end_;
      return v;
    }
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }

  std::string_view GetStr() {
    auto n = Get<std::uint32_t>();
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < n) {
      ok_ = false;
      p_ = end_;
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

  double GetDouble() { return std::bit_cast<double>(Get<std::uint64_t>()); }
  bool GetBool() {
    auto b = Get<std::uint8_t>();
    if (b > 1) ok_ = false;
    return b == 1;
  }
  void Fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

// A double read back must already be canonical, or two encodings would
// describe one record.
bool IsCanonical(double v) {
  return std::bit_cast<std::uint64_t>(v) == std::bit_cast<std::uint64_t>(CanonicalDouble(v));
}

}  // namespace

double CanonicalDouble(double v) {
  if (std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
  if (v == 0.0) return 0.0;
  return v;
}

void EncodeContent(const RecordView& r, std::string* out) {
  const bool numeric = !r.action_values.empty() || !r.action_state.empty();
  Put<std::uint8_t>(out, numeric ? kRecordCodecNumericVersion : kRecordCodecVersion);
  Put<std::uint64_t>(out, r.env_id);
  PutStr(out, r.agent_id);
  Put<std::uint64_t>(out, r.episode);
  Put<std::uint32_t>(out, r.step);
  Put<std::uint8_t>(out, static_cast<std::uint8_t>(r.kind));
  PutStr(out, r.tool);
  Put<std::uint8_t>(out, static_cast<std::uint8_t>(r.payload_form));
  Put<std::uint64_t>(out, r.payload_len);
  PutStr(out, r.payload);
  PutDouble(out, r.cost_usd);
  Put<std::int64_t>(out, r.tokens);
  Put<std::uint8_t>(out, r.allowed ? 1 : 0);
  Put<std::uint32_t>(out, r.total_violations);
  Put<std::uint32_t>(out, static_cast<std::uint32_t>(r.violations.size()));
  for (const ViolationView& v : r.violations) {
    PutStr(out, v.policy);
    PutStr(out, v.rule);
    Put<std::uint8_t>(out, static_cast<std::uint8_t>(v.severity));
    Put<std::uint8_t>(out, v.blocked ? 1 : 0);
    PutStr(out, v.reason);
  }
  Put<std::uint8_t>(out, r.executed ? 1 : 0);
  Put<std::uint32_t>(out, r.signals);
  Put<std::uint8_t>(out, r.reward ? 1 : 0);
  PutDouble(out, r.reward.value_or(0.0));
  Put<std::uint8_t>(out, r.penalty ? 1 : 0);
  PutDouble(out, r.penalty.value_or(0.0));
  if (numeric) {
    PutStr(out, r.action_values);
    PutStr(out, r.action_state);
  }
}

bool DecodeContent(std::string_view bytes, RecordView* out, std::vector<ViolationView>* violations) {
  Reader in(bytes);
  RecordView r;
  const auto version = in.Get<std::uint8_t>();
  if (version != kRecordCodecVersion && version != kRecordCodecNumericVersion) return false;
  r.env_id = in.Get<std::uint64_t>();
  r.agent_id = in.GetStr();
  r.episode = in.Get<std::uint64_t>();
  r.step = in.Get<std::uint32_t>();
  auto kind = in.Get<std::uint8_t>();
  if (kind >= kActionKindCount) in.Fail();
  r.kind = static_cast<ActionKind>(kind);
  r.tool = in.GetStr();
  auto form = in.Get<std::uint8_t>();
  if (form >= kPayloadFormCount) in.Fail();
  r.payload_form = static_cast<PayloadForm>(form);
  r.payload_len = in.Get<std::uint64_t>();
  r.payload = in.GetStr();
  r.cost_usd = in.GetDouble();
  r.tokens = in.Get<std::int64_t>();
  r.allowed = in.GetBool();
  r.total_violations = in.Get<std::uint32_t>();
  auto kept = in.Get<std::uint32_t>();
  // Each kept violation takes at least 14 bytes; refuse counts the input cannot hold.
  if (!in.ok() || kept > in.remaining() / 14) return false;
  violations->clear();
  for (std::uint32_t i = 0; i < kept; ++i) {
    ViolationView v;
    v.policy = in.GetStr();
    v.rule = in.GetStr();
    auto sev = in.Get<std::uint8_t>();
    if (sev >= kSeverityCount) in.Fail();
    v.severity = static_cast<Severity>(sev);
    v.blocked = in.GetBool();
    v.reason = in.GetStr();
    if (!in.ok()) return false;
    violations->push_back(v);
  }
  r.violations = *violations;
  r.executed = in.GetBool();
  r.signals = in.Get<std::uint32_t>();
  bool has_reward = in.GetBool();
  double reward = in.GetDouble();
  bool has_penalty = in.GetBool();
  double penalty = in.GetDouble();
  if (version == kRecordCodecNumericVersion) {
    r.action_values = in.GetStr();
    r.action_state = in.GetStr();
    // A v2 record without either has a v1 encoding: one record, one encoding.
    if (r.action_values.empty() && r.action_state.empty()) return false;
  }
  if (!in.ok() || !in.done()) return false;
  if (!IsCanonical(r.cost_usd) || !IsCanonical(reward) || !IsCanonical(penalty)) return false;
  if ((!has_reward && std::bit_cast<std::uint64_t>(reward) != 0) ||
      (!has_penalty && std::bit_cast<std::uint64_t>(penalty) != 0)) {
    return false;
  }
  if (has_reward) r.reward = reward;
  if (has_penalty) r.penalty = penalty;
  *out = r;
  return true;
}

}  // namespace agentos
