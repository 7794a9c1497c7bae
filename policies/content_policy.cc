// ContentPolicy: RE2 deny patterns over action payloads.
//
// Matching is in two steps. One RE2::Set holding every pattern answers "does
// anything match?" in a single linear pass without allocating (after its
// DFA cache has warmed up); that is the common path. Only when it says yes
// (a violation, the rare path) or cannot answer (its DFA ran out of memory)
// is each pattern's own RE2 run, to name every pattern that matched. RE2
// falls back to its NFA when a DFA runs out of memory, so the second step
// always has an answer.
//
// Payloads that are not valid UTF-8 are denied (content.invalid_utf8)
// without being matched: in UTF-8 mode RE2 matches no character class
// against a stray byte, so `secret.*key` would miss "secret\xffkey" and a
// pattern could be walked around. Latin-1 mode would change what every
// non-ASCII pattern means. Denying is the fail-closed choice.
#include "policies/content_policy.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <climits>
#include <cstring>

namespace agentos {
namespace {

// RE2 refuses texts longer than INT_MAX (it returns "no match"): deny them
// instead of letting them through unread.
constexpr std::size_t kMaxPayloadBytes = INT_MAX;
// Per compiled pattern (Prog + DFA caches; see PatternBudget); the Set gets
// a larger budget because it holds every pattern. Both bound memory, not
// correctness.
constexpr std::int64_t kPatternMaxMem = PatternBudget::kPatternMaxMem;
constexpr std::int64_t kSetMaxMem = 32 << 20;

RE2::Options PatternOptions(std::int64_t max_mem) {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_log_errors(false);  // errors are returned, not printed to stderr
  o.set_max_mem(max_mem);
  o.set_never_capture(true);  // only "does it match" is asked
  return o;
}

Status CompilePattern(const std::string& pattern, PatternBudget* budget, std::unique_ptr<RE2>* out) {
  if (pattern.empty()) return Status::InvalidArgument("an empty deny pattern would match every payload");
  auto re = std::make_unique<RE2>(pattern, PatternOptions(kPatternMaxMem));
  if (re->error_code() == RE2::ErrorPatternTooLarge) {
    return Status::InvalidArgument("pattern '" + pattern + "' is too large: its RE2 program would exceed the " +
                                   std::to_string(kPatternMaxMem >> 20) + " MiB a deny pattern may use (" +
                                   re->error() + "); use a smaller repetition count or character class");
  }
  if (!re->ok()) {
    return Status::InvalidArgument("pattern '" + pattern + "' does not compile: " + re->error());
  }
  if (Status s = budget->Charge(pattern, re->ProgramSize()); !s.ok()) return s;
  *out = std::move(re);
  return Status::Ok();
}

class ContentPolicy final : public Policy {
 public:
  ContentPolicy(std::string name, Severity severity, std::uint8_t kind_mask)
      : Policy(std::move(name)),
        severity_(severity),
        kind_mask_(kind_mask),
        set_(PatternOptions(kSetMaxMem), RE2::UNANCHORED) {}

  std::string_view type() const override { return "content"; }

  // Compiles one pattern; returns an error naming it if RE2 cannot, or if
  // it is beyond this policy's budget.
  Status AddPattern(const std::string& pattern) {
    std::unique_ptr<RE2> re;
    if (Status s = CompilePattern(pattern, &budget_, &re); !s.ok()) {
      return Status::InvalidArgument("content policy '" + name() + "': " + s.message());
    }
    std::string error;
    if (set_ok_ && set_.Add(pattern, &error) < 0) set_ok_ = false;  // cannot happen once RE2 accepted it
    patterns_.push_back(std::move(re));
    return Status::Ok();
  }

  // Without a Set (too large to compile), Evaluate runs every pattern.
  void Finish() { set_ok_ = set_ok_ && set_.Compile(); }

  void Evaluate(const Action& action, const EpisodeState&, Decision& out) const override {
    // A kind outside the enum (which the kernel denies before any policy
    // runs) is scanned rather than skipped: fail closed.
    const auto kind = static_cast<unsigned>(action.kind);
    if (kind < kActionKindCount && (kind_mask_ & (1u << kind)) == 0) return;
    const std::string_view payload = action.payload;
    if (payload.size() > kMaxPayloadBytes) {
      out.Add(name(), "content.too_long", severity_)
          .Append("payload of ")
          .Append(static_cast<std::int64_t>(payload.size()))
          .Append(" bytes is too long to scan");
      return;
    }
    if (const std::size_t bad = FirstInvalidUtf8(payload); bad != std::string_view::npos) {
      out.Add(name(), "content.invalid_utf8", severity_)
          .Append("payload is not valid UTF-8 (byte offset ")
          .Append(static_cast<std::int64_t>(bad))
          .Append("); content patterns cannot be checked");
      return;
    }
    const re2::StringPiece text(payload.data(), payload.size());
    if (set_ok_) {
      RE2::Set::ErrorInfo info{RE2::Set::kNoError};
      if (!set_.Match(text, nullptr, &info) && info.kind == RE2::Set::kNoError) return;
    }
    for (const auto& re : patterns_) {
      if (RE2::PartialMatch(text, *re)) {
        out.Add(name(), "content.denied_pattern", severity_)
            .Append("payload matches denied pattern ")
            .AppendQuoted(re->pattern(), 64);
      }
    }
  }

 private:
  const Severity severity_;
  const std::uint8_t kind_mask_;
  RE2::Set set_;
  bool set_ok_ = true;
  PatternBudget budget_;
  std::vector<std::unique_ptr<RE2>> patterns_;
};

}  // namespace

std::size_t FirstInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;   // overlong
      if (c == 0xED) hi = 0x9F;   // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;   // overlong
      if (c == 0xF4) hi = 0x8F;   // > U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

Status PatternBudget::Charge(const std::string& pattern, std::int64_t program_size) {
  if (patterns_ + 1 > kMaxPatterns) {
    return Status::InvalidArgument("pattern '" + pattern + "' is one deny pattern too many: at most " +
                                   std::to_string(kMaxPatterns) + " are compiled for one policy file");
  }
  if (program_size_ + program_size > kMaxProgramSize) {
    return Status::InvalidArgument("pattern '" + pattern + "' exceeds the compile budget: with it the deny patterns "
                                   "would compile to " + std::to_string(program_size_ + program_size) +
                                   " RE2 instructions, and at most " + std::to_string(kMaxProgramSize) +
                                   " are compiled for one policy file");
  }
  ++patterns_;
  program_size_ += program_size;
  return Status::Ok();
}

Status ValidateContentPattern(const std::string& pattern, PatternBudget* budget) {
  std::unique_ptr<RE2> re;
  return CompilePattern(pattern, budget, &re);
}

Status MakeContentPolicy(std::string name, const ContentPolicyConfig& config,
                         std::unique_ptr<Policy>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeContentPolicy: out is null");
  if (config.deny.empty()) {
    return Status::InvalidArgument("content policy '" + name + "' needs at least one deny pattern");
  }
  if (static_cast<int>(config.severity) >= kSeverityCount) {
    return Status::InvalidArgument("content policy '" + name + "' has an invalid severity");
  }
  std::uint8_t mask = 0;
  for (ActionKind kind : config.kinds) {
    if (static_cast<int>(kind) >= kActionKindCount) {
      return Status::InvalidArgument("content policy '" + name + "' names an unknown action kind");
    }
    mask = static_cast<std::uint8_t>(mask | (1u << static_cast<unsigned>(kind)));
  }
  if (config.kinds.empty()) mask = (1u << kActionKindCount) - 1;
  auto policy = std::make_unique<ContentPolicy>(std::move(name), config.severity, mask);
  for (const std::string& pattern : config.deny) {
    if (Status s = policy->AddPattern(pattern); !s.ok()) return s;
  }
  policy->Finish();
  *out = std::move(policy);
  return Status::Ok();
}

}  // namespace agentos
