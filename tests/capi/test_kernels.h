// Hand-built kernels for the C API tests: small deterministic policies, so
// these tests pin down the API itself, independent of the real policies.
#ifndef AGENTOS_TESTS_CAPI_TEST_KERNELS_H_
#define AGENTOS_TESTS_CAPI_TEST_KERNELS_H_

#include <memory>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "tests/capi/capi_values.h"
#include "kernel/kernel_space.h"

namespace agentos::testing {

// Flags payloads that contain `word` (rule "test.word").
class WordPolicy : public Policy {
 public:
  WordPolicy(std::string name, std::string word, Severity severity)
      : Policy(std::move(name)), word_(std::move(word)), severity_(severity) {}
  std::string_view type() const override { return "word"; }
  void Evaluate(const Action& a, const EpisodeState&, Decision& out) const override {
    if (a.payload.find(word_) != std::string_view::npos) {
      out.Add(name(), "test.word", severity_).Append("payload contains ").AppendQuoted(word_);
    }
  }

 private:
  std::string word_;
  Severity severity_;
};

// Flags an action that would take the episode's spending past `cap`.
class CostCapPolicy : public Policy {
 public:
  CostCapPolicy(std::string name, double cap) : Policy(std::move(name)), cap_(cap) {}
  std::string_view type() const override { return "cap"; }
  void Evaluate(const Action& a, const EpisodeState& s, Decision& out) const override {
    if (s.cost_usd + a.cost_usd > cap_) {
      out.Add(name(), "test.cost_cap", Severity::kHigh).Append("episode cost would exceed ").Append(cap_);
    }
  }

 private:
  double cap_;
};

inline std::shared_ptr<const KernelSpace> BuildKernel(std::vector<std::unique_ptr<Policy>> policies,
                                                      EnforcementMode mode = EnforcementMode::kEnforce) {
  std::shared_ptr<const KernelSpace> k;
  Status s = KernelSpace::Create(std::move(policies), mode, &k);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return k;
}

// "drop" is critical, "secret" is medium, spending is capped at 10 USD.
inline std::shared_ptr<const KernelSpace> StandardKernel(EnforcementMode mode = EnforcementMode::kEnforce) {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<WordPolicy>("words_critical", "drop", Severity::kCritical));
  ps.push_back(std::make_unique<WordPolicy>("words_medium", "secret", Severity::kMedium));
  ps.push_back(std::make_unique<CostCapPolicy>("budget", 10.0));
  return BuildKernel(std::move(ps), mode);
}

// Owns a C handle for the length of a test.
struct KernelHandle {
  explicit KernelHandle(std::shared_ptr<const KernelSpace> k) : h(capi::NewKernelHandle(std::move(k))) {}
  ~KernelHandle() { agentos_kernel_free(h); }
  KernelHandle(const KernelHandle&) = delete;
  KernelHandle& operator=(const KernelHandle&) = delete;
  agentos_kernel* h;
};

struct DecisionHandle {
  DecisionHandle() { agentos_decision_new(&h); }
  ~DecisionHandle() { agentos_decision_free(h); }
  DecisionHandle(const DecisionHandle&) = delete;
  DecisionHandle& operator=(const DecisionHandle&) = delete;
  agentos_decision* h = nullptr;
};

struct StateHandle {
  StateHandle() { agentos_state_new(&h); }
  ~StateHandle() { agentos_state_free(h); }
  StateHandle(const StateHandle&) = delete;
  StateHandle& operator=(const StateHandle&) = delete;
  agentos_state* h = nullptr;
};

inline agentos_action CAction(int32_t kind, std::string_view payload, double cost = 0.0) {
  agentos_action a = agentos::testing::Sized<agentos_action>();
  a.kind = kind;
  a.payload = payload.data();
  a.payload_len = payload.size();
  a.cost_usd = cost;
  return a;
}

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_CAPI_TEST_KERNELS_H_
