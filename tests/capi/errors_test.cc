// Specification of the C API's failure behaviour: every bad call returns the
// right code, leaves a message in agentos_errmsg(), and changes nothing —
// not the out-parameters, not the decision, not the episode state.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"
#include "test_kernels.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

// The message of the failure that just happened; fails the test if empty.
std::string Message() {
  std::string m = agentos_errmsg();
  CHECK_FALSE(m.empty());
  return m;
}

template <typename T>
T* Sentinel() {
  return reinterpret_cast<T*>(static_cast<std::uintptr_t>(0x5e11));
}

// A state that has seen one allowed 2-dollar tool call.
void Spend(agentos_kernel* k, agentos_state* s, agentos_decision* d) {
  agentos_action a = CAction(AGENTOS_ACTION_TOOL_CALL, "{}", 2.0);
  REQUIRE(agentos_kernel_check(k, s, &a, d) == AGENTOS_OK);
  REQUIRE(Allowed(d) == 1);
}

void RequireState(agentos_state* s, double cost, uint32_t actions) {
  double c = -1;
  uint32_t n = 0;
  REQUIRE(agentos_state_get(s, &c, nullptr, nullptr, &n) == AGENTOS_OK);
  CHECK(c == cost);
  CHECK(n == actions);
}

}  // namespace

TEST_CASE("free functions accept NULL") {
  agentos_kernel_free(nullptr);
  agentos_state_free(nullptr);
  agentos_decision_free(nullptr);
}

TEST_CASE("constructors refuse a NULL out-pointer") {
  CHECK(agentos_kernel_allow_all(nullptr) == AGENTOS_INVALID);
  CHECK(Message().find("out") != std::string::npos);
  CHECK(agentos_state_new(nullptr) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_decision_new(nullptr) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_kernel_from_yaml("version: 1", 10, "x", nullptr) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_kernel_from_file("/nonexistent.yaml", nullptr) == AGENTOS_INVALID);
  Message();
}

TEST_CASE("kernel_from_yaml / from_file: bad arguments leave *out untouched") {
  agentos_kernel* out = Sentinel<agentos_kernel>();
  CHECK(agentos_kernel_from_yaml(nullptr, 5, "x", &out) == AGENTOS_INVALID);
  CHECK(Message().find("yaml_len is 5") != std::string::npos);
  CHECK(out == Sentinel<agentos_kernel>());
  CHECK(agentos_kernel_from_file(nullptr, &out) == AGENTOS_INVALID);
  CHECK(Message().find("path") != std::string::npos);
  CHECK(out == Sentinel<agentos_kernel>());
}

TEST_CASE("a successful call clears the previous message") {
  CHECK(agentos_kernel_allow_all(nullptr) == AGENTOS_INVALID);
  Message();
  agentos_kernel* k = nullptr;
  REQUIRE(agentos_kernel_allow_all(&k) == AGENTOS_OK);
  CHECK(std::string(agentos_errmsg()).empty());
  agentos_kernel_free(k);
}

TEST_CASE("queries on a NULL handle are AGENTOS_INVALID, set a message and write nothing") {
  size_t count = 77;
  int32_t value = 77;
  CHECK(agentos_kernel_policy_count(nullptr, &count) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_kernel_is_audit(nullptr, &value) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_decision_violation_count(nullptr, &count) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_decision_total_violations(nullptr, &count) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_decision_max_severity(nullptr, &value) == AGENTOS_INVALID);
  Message();
  CHECK(agentos_venv_num_envs(nullptr, &count) == AGENTOS_INVALID);
  Message();
  CHECK(count == 77);
  CHECK(value == 77);
  // Except allowed, which fails closed: an unreadable decision denies.
  CHECK(agentos_decision_allowed(nullptr, &value) == AGENTOS_INVALID);
  Message();
  CHECK(value == 0);
}

TEST_CASE("queries with a NULL out-parameter are AGENTOS_INVALID") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  CHECK(agentos_kernel_policy_count(k.h, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_kernel_is_audit(k.h, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_decision_allowed(d.h, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_decision_violation_count(d.h, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_decision_total_violations(d.h, nullptr) == AGENTOS_INVALID);
  CHECK(agentos_decision_max_severity(d.h, nullptr) == AGENTOS_INVALID);
  CHECK(Message().find("is NULL") != std::string::npos);
}

TEST_CASE("a struct_size the library does not know is refused before anything is read or written") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "SELECT 1");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  a.struct_size = sizeof(agentos_action) - 8;  // a caller built against an older, shorter layout
  CHECK(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_INVALID);
  CHECK(Message().find("action->struct_size is") != std::string::npos);
  a.struct_size = 0;  // a caller that forgot to set it
  uint8_t allowed = 7;
  CHECK(agentos_kernel_check_actions(k.h, nullptr, &a, 1, &allowed, nullptr, nullptr) == AGENTOS_INVALID);
  CHECK(allowed == 7);
  CHECK(Message().find("(actions[0])") != std::string::npos);

  agentos_action drop = CAction(AGENTOS_ACTION_SQL, "drop");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &drop, d.h) == AGENTOS_OK);
  agentos_violation v{};
  v.policy = "untouched";
  CHECK(agentos_decision_violation(d.h, 0, &v) == AGENTOS_INVALID);
  CHECK(std::string(v.policy) == "untouched");
  v.struct_size = sizeof v + 8;  // a caller built against a newer, longer layout
  CHECK(agentos_decision_violation(d.h, 0, &v) == AGENTOS_INVALID);
  CHECK(Message().find("out->struct_size is") != std::string::npos);
}

TEST_CASE("kernel_policy: NULL kernel or index out of range changes nothing") {
  KernelHandle k(StandardKernel());
  const char* name = "untouched";
  const char* type = "untouched";
  CHECK(agentos_kernel_policy(nullptr, 0, &name, &type) == AGENTOS_INVALID);
  Message();
  for (size_t bad : {size_t{3}, std::numeric_limits<size_t>::max()}) {
    CHECK(agentos_kernel_policy(k.h, bad, &name, &type) == AGENTOS_INVALID);
    CHECK(Message().find("outside [0, 3)") != std::string::npos);
  }
  CHECK(std::string(name) == "untouched");
  CHECK(std::string(type) == "untouched");
}

TEST_CASE("state functions refuse NULL and leave outputs alone") {
  CHECK(agentos_state_reset(nullptr) == AGENTOS_INVALID);
  Message();
  double cost = 42;
  CHECK(agentos_state_get(nullptr, &cost, nullptr, nullptr, nullptr) == AGENTOS_INVALID);
  Message();
  CHECK(cost == 42);
}

TEST_CASE("kernel_check: every bad argument is refused, and neither decision nor state changes") {
  KernelHandle k(StandardKernel());
  StateHandle s;
  DecisionHandle d;
  Spend(k.h, s.h, d.h);  // decision: allowed, state: 2 USD, 1 action

  agentos_action denied = CAction(AGENTOS_ACTION_SQL, "drop", 1.0);
  auto unchanged = [&] {
    CHECK(Allowed(d.h) == 1);
    CHECK(ViolationCount(d.h) == 0);
    RequireState(s.h, 2.0, 1);
  };

  SECTION("NULL kernel") {
    CHECK(agentos_kernel_check(nullptr, s.h, &denied, d.h) == AGENTOS_INVALID);
    CHECK(Message().find("kernel is NULL") != std::string::npos);
  }
  SECTION("NULL action") {
    CHECK(agentos_kernel_check(k.h, s.h, nullptr, d.h) == AGENTOS_INVALID);
    CHECK(Message().find("action is NULL") != std::string::npos);
  }
  SECTION("NULL decision") {
    CHECK(agentos_kernel_check(k.h, s.h, &denied, nullptr) == AGENTOS_INVALID);
    Message();
  }
  SECTION("unknown kinds") {
    for (int32_t kind : {-1, 5, 99, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()}) {
      agentos_action a = denied;
      a.kind = kind;
      CHECK(agentos_kernel_check(k.h, s.h, &a, d.h) == AGENTOS_INVALID);
      CHECK(Message().find("unknown action kind " + std::to_string(kind)) != std::string::npos);
    }
  }
  SECTION("NULL strings with a length") {
    agentos_action a = denied;
    a.payload = nullptr;
    CHECK(agentos_kernel_check(k.h, s.h, &a, d.h) == AGENTOS_INVALID);
    CHECK(Message().find("payload") != std::string::npos);
    a = denied;
    a.agent_id_len = 3;
    CHECK(agentos_kernel_check(k.h, s.h, &a, d.h) == AGENTOS_INVALID);
    CHECK(Message().find("agent_id") != std::string::npos);
    a = denied;
    a.tool_len = 1;
    CHECK(agentos_kernel_check(k.h, s.h, &a, d.h) == AGENTOS_INVALID);
    CHECK(Message().find("tool") != std::string::npos);
  }
  unchanged();
}

TEST_CASE("NULL strings of length 0 are empty strings") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = Sized<agentos_action>();
  a.kind = AGENTOS_ACTION_SPEND;  // the one kind an empty payload is fine for
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 1);
}

TEST_CASE("decision_violation: NULL or an index out of range leaves *out untouched") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "drop");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  REQUIRE(ViolationCount(d.h) == 1);
  agentos_violation v = Sized<agentos_violation>();
  std::memset(&v, 0xAB, sizeof v);
  v.struct_size = sizeof v;
  agentos_violation before = v;
  for (size_t bad : {size_t{1}, size_t{8}, std::numeric_limits<size_t>::max()}) {
    CHECK(agentos_decision_violation(d.h, bad, &v) == AGENTOS_INVALID);
    CHECK(Message().find("outside [0, 1)") != std::string::npos);
  }
  CHECK(agentos_decision_violation(nullptr, 0, &v) == AGENTOS_INVALID);
  Message();
  CHECK(std::memcmp(&v, &before, sizeof v) == 0);
  CHECK(agentos_decision_violation(d.h, 0, nullptr) == AGENTOS_INVALID);
  Message();
}

TEST_CASE("check_batch: bad arguments are refused before anything is written") {
  KernelHandle k(StandardKernel());
  std::string bytes = "SELECT 1drop";
  std::vector<uint64_t> offsets = {0, 8, 12};
  const size_t n = 2;
  std::vector<uint8_t> allowed(n, 0xAB);
  std::vector<int8_t> sev(n, 0x5B);
  std::vector<uint32_t> viol(n, 0xABABABAB);
  auto call = [&](const agentos_kernel* kk, int32_t kind, const char* b, size_t blen, const uint64_t* offs,
                  size_t nn, uint8_t* al) {
    return agentos_kernel_check_batch(kk, kind, b, blen, offs, nn, al, sev.data(), viol.data());
  };

  SECTION("NULL kernel") {
    CHECK(call(nullptr, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(), n, allowed.data()) ==
          AGENTOS_INVALID);
    Message();
  }
  SECTION("unknown kind") {
    CHECK(call(k.h, 17, bytes.data(), bytes.size(), offsets.data(), n, allowed.data()) == AGENTOS_INVALID);
    CHECK(Message().find("unknown action kind 17") != std::string::npos);
  }
  SECTION("NULL bytes with a length") {
    CHECK(call(k.h, AGENTOS_ACTION_SQL, nullptr, bytes.size(), offsets.data(), n, allowed.data()) ==
          AGENTOS_INVALID);
    Message();
  }
  SECTION("NULL offsets") {
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), nullptr, n, allowed.data()) == AGENTOS_INVALID);
    Message();
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), nullptr, 0, allowed.data()) == AGENTOS_INVALID);
    Message();
  }
  SECTION("NULL allowed with n > 0") {
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(), n, nullptr) == AGENTOS_INVALID);
    CHECK(Message().find("allowed") != std::string::npos);
  }
  SECTION("decreasing offsets, even in the middle") {
    std::vector<uint64_t> bad = {0, 9, 8};
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), bad.data(), n, allowed.data()) ==
          AGENTOS_INVALID);
    CHECK(Message().find("offsets[1] = 9 > offsets[2] = 8") != std::string::npos);
  }
  SECTION("an offset past the end of bytes") {
    std::vector<uint64_t> bad = {0, 8, 13};
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), bad.data(), n, allowed.data()) ==
          AGENTOS_INVALID);
    CHECK(Message().find("past bytes_len = 12") != std::string::npos);
    // A huge first offset with the rest consistent is still past the end.
    std::vector<uint64_t> huge = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), huge.data(), n, allowed.data()) ==
          AGENTOS_INVALID);
    Message();
  }
  SECTION("a count whose arrays could not exist") {
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(), SIZE_MAX, allowed.data()) ==
          AGENTOS_INVALID);
    CHECK(Message().find("too large") != std::string::npos);
    CHECK(call(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(), SIZE_MAX / 8,
               allowed.data()) == AGENTOS_INVALID);
    Message();
  }
  CHECK(allowed == std::vector<uint8_t>(n, 0xAB));
  CHECK(sev == std::vector<int8_t>(n, 0x5B));
  CHECK(viol == std::vector<uint32_t>(n, 0xABABABAB));
}

TEST_CASE("check_actions: one bad action refuses the whole call; state and outputs unchanged") {
  KernelHandle k(StandardKernel());
  StateHandle s;
  DecisionHandle d;
  Spend(k.h, s.h, d.h);
  std::vector<agentos_action> actions(3, CAction(AGENTOS_ACTION_SPEND, "", 1.0));
  uint8_t allowed[3] = {0xAB, 0xAB, 0xAB};

  SECTION("unknown kind in the last action") {
    actions[2].kind = 9;
    CHECK(agentos_kernel_check_actions(k.h, s.h, actions.data(), 3, allowed, nullptr, nullptr) == AGENTOS_INVALID);
    CHECK(Message().find("actions[2]") != std::string::npos);
  }
  SECTION("NULL payload with a length in the middle") {
    actions[1].payload = nullptr;
    actions[1].payload_len = 4;
    CHECK(agentos_kernel_check_actions(k.h, s.h, actions.data(), 3, allowed, nullptr, nullptr) == AGENTOS_INVALID);
    CHECK(Message().find("actions[1]") != std::string::npos);
  }
  SECTION("NULL arrays") {
    CHECK(agentos_kernel_check_actions(k.h, s.h, nullptr, 3, allowed, nullptr, nullptr) == AGENTOS_INVALID);
    Message();
    CHECK(agentos_kernel_check_actions(k.h, s.h, actions.data(), 3, nullptr, nullptr, nullptr) == AGENTOS_INVALID);
    Message();
    CHECK(agentos_kernel_check_actions(nullptr, s.h, actions.data(), 3, allowed, nullptr, nullptr) ==
          AGENTOS_INVALID);
    Message();
  }
  RequireState(s.h, 2.0, 1);
  CHECK(allowed[0] == 0xAB);
  CHECK(allowed[2] == 0xAB);
}

TEST_CASE("error messages are per thread") {
  CHECK(agentos_kernel_allow_all(nullptr) == AGENTOS_INVALID);
  std::string mine = agentos_errmsg();
  std::string theirs = "unset";
  std::thread t([&] { theirs = agentos_errmsg(); });
  t.join();
  CHECK(theirs.empty());
  CHECK(std::string(agentos_errmsg()) == mine);
}
