"""PolicyReward: turns a governed rollout into one scalar reward.

The arithmetic is the engine's (env/reward_config.h, through the C API's
agentos_reward): a rollout is scored as one governed step whose task reward
is ``base_reward_fn(rollout)`` (default: 1.0 if rollout.success else 0.0):

    reward = clamp(base + step_penalty + sum(penalty(severity) for each violation)
                   + (clean_bonus if the rollout succeeded with NO violation),
                   min_reward, max_reward)

Penalties are <= 0 and are added. Python keeps no copy of this formula, of
its defaults or of its validation: RewardConfig holds the numbers and the
engine checks and applies them, so PolicyReward and a VectorEnv with the
same numbers pay the same reward.

Defaults: the engine's, one set for every entry point (RewardConfig(),
EnvironmentConfig(), agentos_env_config_init): critical -100, high -50,
medium -10, low -1, clean_bonus 0, step_penalty 0, clamp [-1000, 1000].
Earlier releases of this module defaulted to clean_bonus 5 and a clamp of
+-100, which differed from the engine's environments; pass those values
explicitly to keep them (``PolicyReward(kernel, clean_bonus=5.0,
min_reward=-100.0, max_reward=100.0)``). The bonus is paid only with
success, so it can sharpen "succeed cleanly" over "succeed with violations"
but never make a failure outrank a success (why it defaults to 0 is in
env/reward_config.h). The multiplicative mode is gone: the engine has one
formula.

A violation whose severity cannot be read counts as critical (fail closed).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import threading
from typing import Callable

from ... import _env_capi
from ...errors import InvalidArgument
from ...kernel import require_kernel
from ...severity import SEVERITIES, normalize_severity

log = logging.getLogger("agent_os")

# RewardConfig's fields, named as agentos_env_config's reward fields.
_FIELDS = ("critical_penalty", "high_penalty", "medium_penalty", "low_penalty", "clean_bonus", "step_penalty",
           "min_reward", "max_reward")
_ENGINE_DEFAULTS = None


def _engine_default(name: str) -> float:
    global _ENGINE_DEFAULTS
    if _ENGINE_DEFAULTS is None:
        _ENGINE_DEFAULTS = _env_capi.default_config()
    return float(getattr(_ENGINE_DEFAULTS, name))


def _default(name):
    return dataclasses.field(default_factory=lambda: _engine_default(name))


@dataclasses.dataclass
class RewardConfig:
    """The engine's reward config (agentos_env_config's reward fields);
    defaults from the engine, validated by the engine."""

    critical_penalty: float = _default("critical_penalty")
    high_penalty: float = _default("high_penalty")
    medium_penalty: float = _default("medium_penalty")
    low_penalty: float = _default("low_penalty")
    clean_bonus: float = _default("clean_bonus")
    step_penalty: float = _default("step_penalty")
    min_reward: float = _default("min_reward")
    max_reward: float = _default("max_reward")

    def __post_init__(self):
        for name in _FIELDS:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise InvalidArgument(f"RewardConfig.{name} must be a number, not {v!r}")
            setattr(self, name, float(v))
        self.reward(0.0, (0, 0, 0, 0), False)  # the engine validates (finite, ordered, signs)

    def engine_config(self):
        """This config as the engine's agentos_env_config (other fields: defaults)."""
        c = _env_capi.default_config()
        for name in _FIELDS:
            setattr(c, name, getattr(self, name))
        return c

    def reward(self, task_reward: float, counts, clean_success: bool) -> tuple[float, float]:
        """The engine's (reward, policy penalty) for a step with ``counts``
        violations per severity (low, medium, high, critical)."""
        try:
            return _env_capi.reward(self.engine_config(), task_reward, counts, clean_success)
        except InvalidArgument as e:
            raise InvalidArgument(f"RewardConfig: {e}") from None

    def penalty_for(self, severity) -> float:
        return getattr(self, normalize_severity(severity) + "_penalty")


def _severity_of(v):
    if isinstance(v, dict):
        return v.get("severity")
    return getattr(v, "severity", None)


def severity_counts(violations) -> tuple:
    """Violations per severity (low, medium, high, critical); an unreadable
    severity counts as critical."""
    counts = [0, 0, 0, 0]
    for v in violations:
        counts[SEVERITIES.index(normalize_severity(_severity_of(v)))] += 1
    return tuple(counts)


def policy_penalty(violations, **penalties) -> float:
    """The engine's policy penalty (<= 0) of ``violations``, each counted
    once; keyword overrides: critical_penalty, high_penalty, medium_penalty,
    low_penalty (defaults: the engine's)."""
    return RewardConfig(**penalties).reward(0.0, severity_counts(violations), False)[1]


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
        clean_success = bool(getattr(rollout, "success", False)) and not violations
        final, penalty = cfg.reward(base, severity_counts(violations), clean_success)
        bonus = cfg.clean_bonus if clean_success else 0.0
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
                         clean_bonus: float | None = None) -> PolicyReward:
    """PolicyReward from a {severity: penalty} table (clean_bonus None: the engine's default)."""
    kw = {} if clean_bonus is None else {"clean_bonus": clean_bonus}
    for sev, value in (severity_penalties or {}).items():
        name = normalize_severity(sev)
        if name != sev:
            raise InvalidArgument(f"unknown severity {sev!r} in severity_penalties")
        kw[f"{name}_penalty"] = value
    return PolicyReward(kernel, base_reward_fn=base_reward_fn, config=RewardConfig(**kw))  # type: ignore[arg-type]
