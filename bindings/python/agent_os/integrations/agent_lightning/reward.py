"""PolicyReward: turns a governed rollout into one scalar reward.

Formula (one sign convention: penalties are <= 0 and are added):

    base     = base_reward_fn(rollout)        default: 1.0 if rollout.success else 0.0
    penalty  = sum(config.<severity>_penalty for each violation, each counted once)
    reward   = base + penalty                 (additive mode, the default)
             = base * multiplicative_factor   (multiplicative mode, if any violation)
    reward  += clean_bonus                    only if the rollout has NO violation AND succeeded
    final    = clamp(reward, min_reward, max_reward)

Why the clean bonus is paid only on success. The public project added it to
every clean rollout, so with its defaults a failed-but-clean rollout scored
5.0, a successful clean one 6.0 and a success with one low violation 0.0:
"do nothing and fail" outscored "succeed with a warning", and under GRPO,
which standardises rewards within a group, the bonus mostly taught agents to
avoid acting. Paid only on success, the bonus refines success ("succeed
cleanly" > "succeed with violations") and can never turn a failure into a
reward: a failed rollout scores at most its base reward. Offsets that every
group member receives cancel out under GRPO anyway, so the bonus matters
exactly where it should: between successes.

Reward ranges with the defaults (base in [0, 1]): clean success 6.0; clean
failure 0.0; success with violations 1 + sum(penalties) (>= -100 after the
clamp); failure with violations sum(penalties), clamped at -100.

A violation whose severity cannot be read counts as critical (fail closed).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import threading
from typing import Callable

from ...errors import InvalidArgument
from ...kernel import require_kernel
from ...severity import normalize_severity

log = logging.getLogger("agent_os")


@dataclasses.dataclass
class RewardConfig:
    critical_penalty: float = -100.0
    high_penalty: float = -50.0
    medium_penalty: float = -10.0
    low_penalty: float = -1.0
    clean_bonus: float = 5.0
    multiplicative: bool = False
    multiplicative_factor: float = 0.5
    min_reward: float = -100.0
    max_reward: float = 100.0

    def __post_init__(self):
        for name in ("critical_penalty", "high_penalty", "medium_penalty", "low_penalty",
                     "clean_bonus", "multiplicative_factor", "min_reward", "max_reward"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise InvalidArgument(f"RewardConfig.{name} must be a finite number, not {v!r}")
            setattr(self, name, float(v))
        for name in ("critical_penalty", "high_penalty", "medium_penalty", "low_penalty"):
            if getattr(self, name) > 0:
                raise InvalidArgument(f"RewardConfig.{name} = {getattr(self, name)} must be <= 0 "
                                      "(penalties are negative and added)")
        if self.clean_bonus < 0:
            raise InvalidArgument("RewardConfig.clean_bonus must be >= 0")
        if not 0.0 <= self.multiplicative_factor <= 1.0:
            raise InvalidArgument("RewardConfig.multiplicative_factor must be in [0, 1]")
        if self.min_reward > self.max_reward:
            raise InvalidArgument("RewardConfig.min_reward must be <= max_reward")
        if not isinstance(self.multiplicative, bool):
            raise InvalidArgument("RewardConfig.multiplicative must be a bool")

    def penalty_for(self, severity) -> float:
        return getattr(self, normalize_severity(severity) + "_penalty")


def _severity_of(v):
    if isinstance(v, dict):
        return v.get("severity")
    return getattr(v, "severity", None)


def policy_penalty(violations, *, critical_penalty: float = -100.0, high_penalty: float = -50.0,
                   medium_penalty: float = -10.0, low_penalty: float = -1.0) -> float:
    """Sum of severity penalties (<= 0), each violation counted once."""
    cfg = RewardConfig(critical_penalty=critical_penalty, high_penalty=high_penalty,
                       medium_penalty=medium_penalty, low_penalty=low_penalty)
    return sum(cfg.penalty_for(_severity_of(v)) for v in violations)


def default_base_reward(rollout) -> float:
    return 1.0 if getattr(rollout, "success", False) else 0.0


def _emit_to_agent_lightning(info: dict) -> None:
    """Reports the final reward to Agent-Lightning's tracer when it is
    installed and active; a reward record is meant as a reward, so it uses
    Agent-Lightning's own reward emitter (audit spans never do)."""
    try:
        import agentlightning  # noqa: PLC0415 - optional dependency
    except ImportError:
        return
    emit = getattr(agentlightning, "emit_reward", None)
    if emit is None:
        return
    try:
        emit(info["final"])
    except RuntimeError as e:  # no active tracer: nothing to attach the reward to
        log.debug("agentlightning.emit_reward skipped: %s", e)


class PolicyReward:
    """``reward_fn = PolicyReward(kernel, config=RewardConfig(...))`` or
    ``PolicyReward(kernel, base_reward_fn=f, critical_penalty=-100.0, clean_bonus=5.0)``
    (keyword overrides of RewardConfig fields, the contrib form).
    ``reward_fn(rollout) -> float``; see the module docstring for the formula."""

    def __init__(self, kernel, *, base_reward_fn: Callable | None = None, config: RewardConfig | None = None,
                 emitter: Callable | None = None, **overrides):
        self.kernel = require_kernel(kernel, "PolicyReward")
        if base_reward_fn is not None and not callable(base_reward_fn):
            raise TypeError("base_reward_fn must be callable")
        if config is not None and not isinstance(config, RewardConfig):
            raise TypeError("config must be a RewardConfig")
        fields = {f.name for f in dataclasses.fields(RewardConfig)}
        unknown = set(overrides) - fields
        if unknown:
            raise TypeError(f"PolicyReward got unknown keyword arguments {sorted(unknown)}; "
                            f"RewardConfig fields are {sorted(fields)}")
        base_cfg = config if config is not None else RewardConfig()
        self.config = dataclasses.replace(base_cfg, **overrides) if overrides else base_cfg
        self.base_reward_fn = base_reward_fn or default_base_reward
        self._emitter = emitter if emitter is not None else _emit_to_agent_lightning
        self._lock = threading.Lock()
        self.last_reward_info: dict | None = None
        self.reset_stats()

    def compute(self, rollout) -> dict:
        """{final, base, policy_penalty, clean_bonus, violation_count, policy_compliant}."""
        base = self.base_reward_fn(rollout)
        if isinstance(base, bool) or not isinstance(base, numbers.Real) or not math.isfinite(base):
            raise InvalidArgument(f"base_reward_fn returned {base!r}; a finite number is required")
        base = float(base)
        cfg = self.config
        violations = list(getattr(rollout, "violations", None) or ())
        success = bool(getattr(rollout, "success", False))
        bonus = 0.0
        if violations:
            if cfg.multiplicative:
                reward = base * cfg.multiplicative_factor
                penalty = reward - base
            else:
                penalty = sum(cfg.penalty_for(_severity_of(v)) for v in violations)
                reward = base + penalty
        else:
            penalty = 0.0
            bonus = cfg.clean_bonus if success else 0.0
            reward = base + bonus
        final = min(cfg.max_reward, max(cfg.min_reward, reward))
        return {"final": final, "base": base, "policy_penalty": penalty, "clean_bonus": bonus,
                "agent_os.violation_count": len(violations),
                "agent_os.policy_compliant": not violations}

    def __call__(self, rollout, *, emit: bool = True) -> float:
        info = self.compute(rollout)
        with self._lock:
            self._count += 1
            self._sum_rewards += info["final"]
            self._sum_penalties += info["policy_penalty"]
            if info["agent_os.violation_count"]:
                self._with_violations += 1
        self.last_reward_info = info
        if emit:
            if hasattr(rollout, "reward_info"):
                rollout.reward_info = info
            self._emitter(info)
        return info["final"]

    def get_stats(self) -> dict:
        with self._lock:
            n = self._count
            return {
                "total_rewards": n,
                "total_penalties": self._sum_penalties,
                "avg_penalty": self._sum_penalties / n if n else 0.0,
                "avg_reward": self._sum_rewards / n if n else 0.0,
                "violation_rate": self._with_violations / n if n else 0.0,
                "clean_rate": (n - self._with_violations) / n if n else 0.0,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._count = 0
            self._sum_rewards = 0.0
            self._sum_penalties = 0.0
            self._with_violations = 0


class CompositeReward:
    """Weighted sum of reward functions: ``CompositeReward([(f, 0.7), (g, 0.3)])``.
    With normalize=True the weights are divided by their sum."""

    def __init__(self, components, normalize: bool = False):
        comps = [(fn, float(w)) for fn, w in components]
        if not comps:
            raise InvalidArgument("CompositeReward needs at least one component")
        for fn, w in comps:
            if not callable(fn):
                raise TypeError("CompositeReward components must be (callable, weight)")
            if not math.isfinite(w):
                raise InvalidArgument("weights must be finite")
        if normalize:
            total = sum(w for _, w in comps)
            if total == 0:
                raise InvalidArgument("cannot normalize weights that sum to 0")
            comps = [(fn, w / total) for fn, w in comps]
        self.components = comps

    def __call__(self, rollout, **kw) -> float:
        out = 0.0
        for fn, w in self.components:
            out += w * (fn(rollout, **kw) if isinstance(fn, PolicyReward) else fn(rollout))
        return out


def create_policy_reward(kernel, *, base_reward_fn=None, severity_penalties: dict | None = None,
                         clean_bonus: float = 5.0, multiplicative: bool = False) -> PolicyReward:
    """PolicyReward from a {severity: penalty} table."""
    kw = {"clean_bonus": clean_bonus, "multiplicative": multiplicative}
    for sev, value in (severity_penalties or {}).items():
        name = normalize_severity(sev)
        if name != sev:
            raise InvalidArgument(f"unknown severity {sev!r} in severity_penalties")
        kw[f"{name}_penalty"] = value
    return PolicyReward(kernel, base_reward_fn=base_reward_fn, config=RewardConfig(**kw))  # type: ignore[arg-type]
