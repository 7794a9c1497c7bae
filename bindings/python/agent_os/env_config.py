"""EnvironmentConfig: the Python face of the C ``agentos_env_config``.

One reward table, one sign convention: the defaults here are exactly the
engine's (``agentos_env_config_init``; a test checks they agree), and every
field maps onto one C field:

    violation_penalty  -> medium_penalty = v, and unless given explicitly
                          critical = 10 v, high = 5 v, low = v / 10
                          (the default -10 gives -100 / -50 / -10 / -1, the
                          same table PolicyReward uses)
    step_penalty       -> step_penalty (<= 0, paid on every governed step)
    success_bonus      -> clean_bonus: paid once per episode, on the first
                          successful step of a violation-free episode, so it
                          can never make a failure outrank a success (see
                          env/reward_config.h for the full reasoning)
    max_steps, terminate_on_critical, max_cost_usd, max_action_bytes,
    min_reward, max_reward, agent_id -> the fields of the same name

``penalty_mode`` says where the policy penalties go (Safety-Gymnasium's
convention for the cost): "both" (default) keeps them in the reward and
also reports the step's policy cost (>= 0) as ``info["cost"]``; "reward"
keeps them in the reward only (no "cost" key); "cost" leaves them out of
the reward (C ``penalties_in_reward = 0``) and reports them only as
``info["cost"]``, for constrained RL. The engine computes the cost.

``reset_kernel_state`` is Python-side: when True, ``reset()`` also calls
``kernel.reset()`` (clearing the KernelSpace's recent-violation log and
default episode). The environment's own episode state (cost spent, tool
calls) is always per episode.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from .errors import InvalidArgument


def _num(name, v, *, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"EnvironmentConfig.{name} must be a number, not {type(v).__name__}")
    if not math.isfinite(v):
        raise InvalidArgument(f"EnvironmentConfig.{name} must be finite, not {v!r}")
    return float(v)


def _int(name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"EnvironmentConfig.{name} must be an int, not {type(v).__name__}")
    if not lo <= v <= hi:
        raise InvalidArgument(f"EnvironmentConfig.{name} = {v} is outside [{lo}, {hi}]")
    return int(v)


PENALTY_MODES = ("both", "reward", "cost")


@dataclasses.dataclass
class EnvironmentConfig:
    max_steps: int = 100
    violation_penalty: float = -10.0
    terminate_on_critical: bool = True
    step_penalty: float = 0.0
    success_bonus: float = 0.0
    reset_kernel_state: bool = True
    critical_penalty: float | None = None
    high_penalty: float | None = None
    medium_penalty: float | None = None
    low_penalty: float | None = None
    min_reward: float = -1000.0
    max_reward: float = 1000.0
    max_cost_usd: float | None = None
    max_action_bytes: int = 64 * 1024
    agent_id: str = "agent"
    penalty_mode: str = "both"

    def __post_init__(self):
        self.max_steps = _int("max_steps", self.max_steps, 1, 2**32 - 1)
        self.max_action_bytes = _int("max_action_bytes", self.max_action_bytes, 1, 2**32 - 1)
        for name in ("violation_penalty", "step_penalty", "success_bonus", "min_reward", "max_reward"):
            setattr(self, name, _num(name, getattr(self, name)))
        for name in ("critical_penalty", "high_penalty", "medium_penalty", "low_penalty", "max_cost_usd"):
            setattr(self, name, _num(name, getattr(self, name), allow_none=True))
        for name in ("terminate_on_critical", "reset_kernel_state"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"EnvironmentConfig.{name} must be a bool")
        if not isinstance(self.agent_id, str):
            raise TypeError("EnvironmentConfig.agent_id must be a str")
        if self.penalty_mode not in PENALTY_MODES:
            raise InvalidArgument(f"EnvironmentConfig.penalty_mode must be one of {PENALTY_MODES}, "
                                  f"not {self.penalty_mode!r}")
        if self.violation_penalty > 0:
            raise InvalidArgument("EnvironmentConfig.violation_penalty must be <= 0 (penalties are added)")

    def penalties(self) -> dict:
        v = self.violation_penalty
        return {
            "critical": self.critical_penalty if self.critical_penalty is not None else 10.0 * v,
            "high": self.high_penalty if self.high_penalty is not None else 5.0 * v,
            "medium": self.medium_penalty if self.medium_penalty is not None else v,
            "low": self.low_penalty if self.low_penalty is not None else v / 10.0,
        }

    def to_c(self, c) -> None:
        """Writes these settings into an agentos_env_config (already
        initialised with the engine's defaults). The engine validates values
        and names the offending field."""
        p = self.penalties()
        c.max_steps = self.max_steps
        c.terminate_on_critical = 1 if self.terminate_on_critical else 0
        c.critical_penalty, c.high_penalty = p["critical"], p["high"]
        c.medium_penalty, c.low_penalty = p["medium"], p["low"]
        c.clean_bonus = self.success_bonus
        c.step_penalty = self.step_penalty
        c.min_reward, c.max_reward = self.min_reward, self.max_reward
        if self.max_cost_usd is not None and self.max_cost_usd <= 0:
            raise InvalidArgument("EnvironmentConfig.max_cost_usd must be > 0 (None = no budget)")
        c.max_cost_usd = self.max_cost_usd or 0.0
        c.max_action_bytes = self.max_action_bytes
        c.penalties_in_reward = 0 if self.penalty_mode == "cost" else 1
        agent = self.agent_id.encode("utf-8", "surrogatepass")
        c.agent_id, c.agent_id_len = agent, len(agent)
