// Signal names: what an audit export and `agentos env step` print for a
// step's signal mask. Every set bit is named, the unknown ones by position,
// so a printed mask is never less than the recorded one.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kernel/signal.h"

using agentos::SignalNames;
using Names = std::vector<std::string>;

TEST_CASE("SignalNames: no bits, no names") { CHECK(SignalNames(0) == Names{}); }

TEST_CASE("SignalNames: every signal by its name, lowest bit first") {
  CHECK(SignalNames(0x3f) == Names{"SIGSTOP", "SIGCONT", "SIGKILL", "SIGTERM", "SIGPOLICY", "SIGBUDGET"});
  CHECK(SignalNames(0x30) == Names{"SIGPOLICY", "SIGBUDGET"});
}

TEST_CASE("SignalNames: a bit no signal owns is named by its position") {
  CHECK(SignalNames(0x10u | (1u << 7) | (1u << 31)) == Names{"SIGPOLICY", "bit7", "bit31"});
}
