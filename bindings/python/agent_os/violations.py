"""Violation records and the signals a decision raises.

A ``Violation`` (agent_os.kernel) is what the C kernel said about one action.
A ``PolicyViolation`` is that violation as it happened: which agent, which
action, when, at which step, whether it blocked, and the penalty the default
severity table gives it. Runners, environments and the kernel's
``on_policy_violation`` callbacks all see PolicyViolation objects, built in
one place so that every consumer counts the same thing once.
"""

from __future__ import annotations

import dataclasses
import time

from ._env_capi import SIGNALS
from .severity import DEFAULT_PENALTIES, normalize_severity

# Signal names, modelled on POSIX. The engine decides when a decision raises
# them (Decision.signals); environments report theirs through the env C API.
SIGPOLICY = "SIGPOLICY"  # a critical violation blocked an action
SIGBUDGET = "SIGBUDGET"  # a cost policy blocked an action (budget exhausted)


@dataclasses.dataclass(frozen=True)
class PolicyViolation:
    """One violation as it happened.

    violation_type: "blocked" when the action was refused, "warned" when it
    was let through (audit mode). penalty is the default severity table's
    value (<= 0); PolicyReward applies its own configured table instead.
    """

    policy_name: str
    description: str
    severity: str
    rule: str = ""
    action_blocked: bool = True
    violation_type: str = "blocked"
    timestamp: float = dataclasses.field(default_factory=time.time)
    penalty: float = 0.0
    action_kind: str = ""
    agent_id: str = ""
    step: int | None = None

    @classmethod
    def from_violation(cls, v, *, action_kind: str = "", agent_id: str = "",
                       step: int | None = None, timestamp: float | None = None) -> "PolicyViolation":
        sev = normalize_severity(v.severity)
        return cls(policy_name=v.policy, description=v.reason, severity=sev, rule=v.rule,
                   action_blocked=bool(v.blocked),
                   violation_type="blocked" if v.blocked else "warned",
                   timestamp=time.time() if timestamp is None else timestamp,
                   penalty=DEFAULT_PENALTIES[sev], action_kind=action_kind, agent_id=agent_id,
                   step=step)

    # Read-only aliases so code written against Violation also works here.
    @property
    def policy(self) -> str:
        return self.policy_name

    @property
    def reason(self) -> str:
        return self.description

    @property
    def blocked(self) -> bool:
        return self.action_blocked

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def signals_for(decision) -> list[str]:
    """Signals a decision raises, as the engine decided them when it made the
    decision (agentos_decision_signals, carried on ``Decision.signals``):
    SIGPOLICY for any critical violation, SIGBUDGET when a cost policy's
    episode budget denied the action. Python keeps no copy of these rules."""
    mask = getattr(decision, "signals", 0)
    return [name for name in (SIGPOLICY, SIGBUDGET) if mask & SIGNALS[name]]
