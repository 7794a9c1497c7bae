"""GovernedEnvironment: one governed environment with Gymnasium's Env API.

    env = GovernedEnvironment(kernel, config=EnvironmentConfig(max_steps=100,
                                                               terminate_on_critical=True))
    state, info = env.reset(seed=0)
    state, reward, terminated, truncated, info = env.step("SELECT ...")

Backed by the engine's VectorEnv with num_envs = 1 (autoreset disabled,
last decision kept), so reward arithmetic, termination, truncation, signals
and metrics are the C++ ones, not a Python re-implementation. ``step``
returns a plain Python float and bools (Gymnasium's checker asserts
``truncated is False``, which numpy bools fail). Stepping an ended episode
raises StateError: call ``reset()``.

Two kinds of world:
  * ``task="external"`` (the default): the world is Python's.
    ``task_generator(rng)`` (or ``task_generator()``) makes each episode's
    task; ``reward_fn(state, action, result)`` judges an action and returns a
    float reward, or ``(reward, success)`` or ``(reward, success, done)``;
    ``executor(action)``, if given, is what runs an action in the world and
    its return value is ``result``. The engine applies the reward only to an
    action it let execute. When an executor is given, the environment first
    asks the engine whether stepping with this action now would execute it
    (agentos_venv_would_execute: the env's own kernel, limits and episode
    state, changing nothing) and runs the executor only then; after the step
    it checks that the engine did what it said (a disagreement raises
    InternalError). So a blocked action never reaches the executor.
  * ``task="sql"`` with ``dataset_dir=...`` (and the task's other options):
    the engine's SQL task; the engine runs allowed SQL on its own SQLite
    database and pays execution accuracy.

Observation: ``{"task": text, "step": n}`` (text = the task's text, e.g. the
SQL question and schema, or ``str(task)`` for an external task).
``info``: ``violations`` [{policy, rule, description, severity, blocked,
step}] (nothing wall-clock: the same seed and actions give the same infos;
time belongs in the audit record), ``step``, ``total_reward`` (= the sum of the rewards
returned this episode, bonuses included), ``success``, ``executed``,
``signals``, ``cost_usd``, ``result``.
"""

from __future__ import annotations

import inspect
from typing import Any
import numbers
import random

from ... import spaces as _spaces
from ..._env_capi import SIGNAL_NAMES, SIGNALS
from ...env_config import EnvironmentConfig
from ...errors import InternalError, InvalidArgument, StateError
from ...kernel import Action, _encode, as_action, render_tool_args, require_kernel
from ...vector_env import PackedActions, VectorEnv

_EnvBase: Any
try:
    import gymnasium as _gym
    _EnvBase = _gym.Env
except ImportError:
    _EnvBase = object

__all__ = ["GovernedEnvironment", "EnvironmentConfig", "create_governed_env"]


def _outcome(value):
    """reward_fn's return value -> (reward, success, done)."""
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise InvalidArgument("reward_fn must return reward, (reward, success) or (reward, success, done)")
        reward = value[0]
        success = bool(value[1]) if len(value) > 1 else False
        done = bool(value[2]) if len(value) > 2 else False
    else:
        reward, success, done = value, False, False
    if isinstance(reward, bool) or not isinstance(reward, numbers.Real):
        raise InvalidArgument(f"reward_fn returned a reward of type {type(reward).__name__}; a number is required")
    return float(reward), success, done


class GovernedEnvironment(_EnvBase):
    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, kernel, *, task_generator=None, reward_fn=None, config: EnvironmentConfig | None = None,
                 executor=None, task="external", action_kind: str = "sql", recorder=None, **task_options):
        self.kernel = require_kernel(kernel, "GovernedEnvironment")
        self.config = config if config is not None else EnvironmentConfig()
        if not isinstance(self.config, EnvironmentConfig):
            raise TypeError("config must be an EnvironmentConfig")
        for name, fn in (("task_generator", task_generator), ("reward_fn", reward_fn), ("executor", executor)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be callable")
        kind = task.get("type") if isinstance(task, dict) else task
        self._external = kind == "external"
        if not self._external and (task_generator or reward_fn or executor):
            raise InvalidArgument("task_generator, reward_fn and executor belong to the external task; "
                                  f"the {kind!r} task runs its own world")
        self._venv = VectorEnv(self.kernel, 1, task=task, config=self.config, autoreset="disabled",
                               keep_results=True, action_kind=action_kind, recorder=recorder, **task_options)
        self._task_generator = task_generator
        self._gen_takes_rng = task_generator is not None and _takes_argument(task_generator)
        self._reward_fn = reward_fn
        self._executor = executor
        self.action_kind = action_kind
        self.action_space = _spaces.text_space(self.config.max_action_bytes)
        self.observation_space = _spaces.dict_space({
            "task": _spaces.text_space(1 << 20),
            "step": _spaces.discrete_space(self.config.max_steps + 1)})
        self._rng = random.Random()
        self._started = self._ended = False
        self._terminated = self._truncated = False
        self._episode = -1
        self._episodes_successful = 0
        self._task = None
        self._task_text = ""
        self._step = 0

    # ---- Gymnasium API ------------------------------------------------------

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
                raise InvalidArgument(f"seed must be a non-negative int or None, not {seed!r}")
            self._rng.seed(int(seed))
        if options is not None and not isinstance(options, dict):
            raise TypeError("options must be a dict or None")
        if _EnvBase is not object:
            super().reset(seed=seed)  # gymnasium.Env keeps np_random, which its checker compares
        self._venv.reset(seed=seed)
        if self.config.reset_kernel_state:
            self.kernel.reset()
        self._episode += 1
        self._started, self._ended = True, False
        self._terminated = self._truncated = False
        self._episode_success = False
        self._step = 0
        if self._external:
            if self._task_generator is not None:
                self._task = self._task_generator(self._rng) if self._gen_takes_rng else self._task_generator()
            else:
                self._task = None
            self._task_text = "" if self._task is None else (
                self._task if isinstance(self._task, str) else str(self._task))
        else:
            self._task_text = self._venv.observation_text(0)
            self._task = self._task_text
        # Not "episode": Gymnasium's RecordEpisodeStatistics writes that key.
        info = {"episode_index": self._episode, "kernel_policies": self.kernel.policy_names(), "task": self._task,
                "observation_index": int(self._venv._cbufs["observation"][0])}
        return self._obs(), info

    def _obs(self) -> dict:
        return {"task": self._task_text, "step": self._step}

    def step(self, action):
        if not self._started:
            raise StateError("call reset() before step()")
        if self._ended:
            raise StateError("the episode has ended (terminated or truncated); call reset()")
        a = Action(self.action_kind, action) if isinstance(action, (str, bytes, bytearray)) else as_action(action)
        result, predicted = None, None
        reward, success, done = 0.0, False, False
        if self._external:
            if self._executor is not None:
                # As step() sends it: the env's configured agent id, not the action's.
                predicted = self._venv.would_execute(0, Action(a.kind, a.payload, tool=a.tool, cost_usd=a.cost_usd,
                                                               tokens=a.tokens))
                if predicted:
                    result = self._executor(a)
            if self._reward_fn is not None and (predicted is None or predicted):
                reward, success, done = _outcome(self._reward_fn(self._obs(), a, result))
        ext = {}
        if self._external:
            ext = {"external_reward": [reward], "external_success": [success], "external_done": [done]}
        payload = render_tool_args(a.payload) if a.kind == "tool_call" else _encode(
            "" if a.payload is None else a.payload, "payload")
        b = self._venv._cbufs
        self._venv.step(PackedActions([payload]), kinds=[a.kind], tools=[a.tool], cost_usd=[a.cost_usd],
                        tokens=[a.tokens], **ext)
        executed = bool(b["executed"][0])
        if predicted is not None and executed != predicted:
            raise InternalError(f"the engine {'executed' if executed else 'blocked'} an action it had said it "
                                f"would {'run' if predicted else 'not run'}; please report this")
        terminated, truncated = bool(b["terminated"][0]), bool(b["truncated"][0])
        self._step = int(b["episode_step"][0])
        self._terminated, self._truncated = terminated, truncated
        self._ended = terminated or truncated
        self._episode_success = self._episode_success or bool(b["success"][0])
        if self._external:
            ok = executed and success
        else:
            ok = self._ended and self._episode_success
        violations = [{"policy": v.policy, "rule": v.rule, "description": v.reason, "severity": v.severity,
                       "blocked": v.blocked, "step": self._step}
                      for v in self._venv.last_violations(0)]
        if violations:
            # Report through the kernel's callbacks, exactly like the runner does.
            from ...kernel import Decision, Violation
            d = Decision(not any(v["blocked"] for v in violations),
                         tuple(Violation(v["policy"], v["rule"], v["severity"], v["description"], v["blocked"])
                               for v in violations), len(violations), None,
                         int(b["signals"][0]) & (SIGNALS["SIGPOLICY"] | SIGNALS["SIGBUDGET"]))
            self.kernel.observe(d, a, step=self._step)
        sig = int(b["signals"][0])
        info = {"violations": violations, "step": self._step, "total_reward": float(b["episode_return"][0]),
                "success": ok, "executed": executed, "signals": [n for bit, n in SIGNAL_NAMES.items() if sig & bit],
                "cost_usd": float(b["cost_usd"][0]), "result": result}
        return self._obs(), float(b["reward"][0]), terminated, truncated, info

    def send_signal(self, signal: str) -> None:
        """SIGSTOP, SIGCONT, SIGKILL or SIGTERM to this environment."""
        self._venv.send_signal(0, signal)

    @property
    def terminated(self) -> bool:
        """True once the episode ended (terminated or truncated)."""
        return self._terminated or self._truncated

    def get_metrics(self) -> dict:
        m = self._venv.metrics()
        eps = m["episodes"]
        return {
            "total_episodes": eps,
            "total_steps": m["steps"],
            "total_violations": m["violations"],
            "successful_episodes": m["successful_episodes"],
            "success_rate": m["success_rate"],
            "violation_rate": m["violation_rate"],
            "clean_rate": m["clean_rate"],
            "violations_per_episode": m["violations"] / eps if eps else 0.0,
            "steps_per_episode": m["steps"] / eps if eps else 0.0,
            "blocked_actions": m["blocked"],
            "executed_actions": m["executed"],
            "average_penalty": m["average_penalty"],
            "by_policy": m["by_policy"],
            "by_severity": m["by_severity"],
            "signals": m["signals"],
            "backend_destructive_ops": m["backend_destructive_ops"],
        }

    def close(self) -> None:
        self._venv.close()

    def render(self):
        return None


def _takes_argument(fn) -> bool:
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        return False
    return bool(params)


def create_governed_env(kernel, **config) -> GovernedEnvironment:
    """GovernedEnvironment(kernel, config=EnvironmentConfig(**config))."""
    return GovernedEnvironment(kernel, config=EnvironmentConfig(**config))
