// Signals: how a trainer (or the environment itself) interrupts one
// environment's episode, modelled on POSIX signals. Each signal is one bit so
// a step can report every signal it saw in one uint32 mask (VectorEnv's
// `signals` buffer, the C API's AGENTOS_SIG_*). The bits and their names
// are kernel/signal.h's, so the audit log's exports can name them too.
//
// What each signal does to a GovernedEnvironment (tests/env/signals_test.cc):
//   SIGSTOP   pauses the environment (not just the episode: it stays paused
//             across resets). A paused environment answers every step with a
//             no-op step: the action is neither checked nor executed, reward
//             0, terminated = truncated = 0, the episode step does not
//             advance, and the step's signal mask carries SIGSTOP so a
//             trainer can drop the transition. A no-op rather than an error,
//             so that pausing one env never fails the whole batch.
//   SIGCONT   resumes a paused environment; reported on the next step.
//   SIGKILL   ends the running episode now: no further action of it is
//             checked or executed. The next step ignores its action and
//             reports terminated = 1, reward 0, SIGKILL. Cannot be ignored
//             and works on a paused environment too.
//   SIGTERM   ends the running episode at the next step boundary: the next
//             step runs normally and then reports truncated = 1 and SIGTERM
//             (an outside limit, so Gymnasium's "truncated", not
//             "terminated"). Waits while the environment is paused.
//   SIGPOLICY raised by the environment when an action has a critical
//             violation; ends the episode (terminated) when
//             EnvironmentConfig::terminate_on_critical, else only reported.
//   SIGBUDGET raised by the environment when the episode's cost budget is
//             exhausted (see EnvironmentConfig::max_cost_usd); truncates.
//
// Trainers may send SIGSTOP, SIGCONT, SIGKILL and SIGTERM. SIGPOLICY and
// SIGBUDGET report what the kernel and the budget found, so only the
// environment raises them: that keeps their counters truthful. SIGKILL and
// SIGTERM sent to an environment whose episode already ended (awaiting
// reset) have nothing to end and are ignored (not counted).
#ifndef AGENTOS_ENV_SIGNALS_H_
#define AGENTOS_ENV_SIGNALS_H_

#include <cstdint>
#include <string_view>

#include "kernel/decision.h"
#include "kernel/signal.h"

namespace agentos {

// True for the signals a trainer may send (STOP, CONT, KILL, TERM).
constexpr bool IsSendable(Signal s) {
  return s == Signal::kStop || s == Signal::kCont || s == Signal::kKill || s == Signal::kTerm;
}

// The signals a decision raises by itself (an environment adds SIGBUDGET
// when its own max_cost_usd is reached): SIGPOLICY when any violation is
// critical (blocked or, in audit mode, only reported); SIGBUDGET when the
// action was denied by a cost policy's episode budget (rules
// cost.episode_budget, cost.token_budget; no other cost rule). The one
// place these rules live: the C API's agentos_decision_signals exposes it.
std::uint32_t DecisionSignals(const Decision& d);

}  // namespace agentos

#endif  // AGENTOS_ENV_SIGNALS_H_
