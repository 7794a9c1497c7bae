// Thread safety as documented: one kernel handle shared by many threads,
// each with its own decision and state, gives every thread exactly the
// answers it would get alone. Run under TSan (.ci/build tsan) to prove the
// absence of races, not just of wrong answers.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"
#include "test_kernels.h"

using namespace agentos;
using namespace agentos::testing;

TEST_CASE("many threads share one kernel handle") {
  KernelHandle k(StandardKernel());
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  const std::vector<std::string> payloads = {"SELECT 1", "drop table", "secret", "fine", "drop secret"};
  const std::vector<int> expected_allowed = {1, 0, 0, 1, 0};

  std::string bytes;
  std::vector<uint64_t> offsets{0};
  for (const auto& p : payloads) {
    bytes += p;
    offsets.push_back(bytes.size());
  }

  std::atomic<int> wrong{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      agentos_decision* d = nullptr;
      agentos_state* s = nullptr;
      if (agentos_decision_new(&d) != AGENTOS_OK || agentos_state_new(&s) != AGENTOS_OK) {
        ++errors;
        return;
      }
      std::vector<uint8_t> allowed(payloads.size());
      for (int r = 0; r < kRounds; ++r) {
        size_t i = static_cast<size_t>(r + t) % payloads.size();
        agentos_action a = CAction(AGENTOS_ACTION_TOOL_CALL, payloads[i], 0.001);
        if (agentos_kernel_check(k.h, s, &a, d) != AGENTOS_OK) ++errors;
        if (Allowed(d) != expected_allowed[i]) ++wrong;
        agentos_violation v = Sized<agentos_violation>();
        if (ViolationCount(d) > 0 && agentos_decision_violation(d, 0, &v) != AGENTOS_OK) ++errors;
        if (r % 50 == 0) {
          if (agentos_kernel_check_batch(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(),
                                         payloads.size(), allowed.data(), nullptr, nullptr) != AGENTOS_OK) {
            ++errors;
          }
          for (size_t j = 0; j < payloads.size(); ++j) {
            if (allowed[j] != expected_allowed[j]) ++wrong;
          }
          // Each thread's failures stay its own.
          if (agentos_kernel_check(k.h, s, nullptr, d) != AGENTOS_INVALID) ++errors;
          if (std::string(agentos_errmsg()).find("action is NULL") == std::string::npos) ++errors;
        }
      }
      // Every thread's episode saw only its own allowed actions.
      uint32_t actions = 0;
      agentos_state_get(s, nullptr, nullptr, nullptr, &actions);
      int own_allowed = 0;
      for (int r = 0; r < kRounds; ++r) own_allowed += expected_allowed[static_cast<size_t>(r + t) % payloads.size()];
      if (static_cast<int>(actions) != own_allowed) ++wrong;
      agentos_state_free(s);
      agentos_decision_free(d);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(errors.load() == 0);
  CHECK(wrong.load() == 0);
}
