"""agentos's governed SQL task as a SkyRL-Gym text environment.

    import skyrl_gym
    import agent_os.integrations.skyrl      # registers "agentos-sql"
    env = skyrl_gym.make("agentos-sql", env_config={}, extras={"task_index": 0, "max_turns": 5})
    prompt, info = env.init([{"role": "system", "content": "Answer with <sql>...</sql>."}])
    out = env.step("<think>count them</think><sql>SELECT COUNT(*) FROM orders</sql>")
    out["observations"], out["reward"], out["done"], out["metadata"]

``GovernedSqlEnv`` takes SkyRL-Gym's ``(env_config, extras)`` and follows the
``BaseTextEnv`` contract of its text-to-SQL env: ``init(prompt)`` returns the
chat to give the model, ``step(action)`` returns a ``BaseTextEnvStepOutput``
whose observations are chat messages. Everything it reports comes from the
engine's SQL task behind the kernel: the reward (execution match plus policy
penalties), whether the statement ran or was blocked and why, the task's
error message, and when the episode ends (a correct answer, a critical
violation, or ``max_turns``). This module only moves text in and out.

Action format: SkyRL's text-to-SQL prompts ask for ``<sql>...</sql>`` to run
a query and ``<solution>...</solution>`` for the final answer; the SQL inside
the first such tag (``<solution>`` first) is what the engine receives, and an
action with neither tag is sent as it is. Either way the engine runs and
scores it, so a correct ``<sql>`` query also ends the episode with reward 1.

``env_config`` (a dict, an OmegaConf DictConfig or any object with these
attributes; all optional): ``dataset_dir`` (default: the shop dataset; or
the Spider/BIRD layout's ``questions_file`` and ``databases_dir`` where the
engine has that loader), ``split``, ``time_limit_ms``, ``row_limit``,
``growth_limit_kb`` (the engine's SQL task options, which it validates),
``policy`` (a KernelSpace or a policy YAML path; default: the packaged
policy), ``environment`` (an agent_os EnvironmentConfig: reward table,
penalties). ``extras`` (SkyRL's per-example dict): ``task_index`` (the
dataset line the episode plays), ``seed`` (picks the task when no index is
given), ``max_turns`` (default 5, as SkyRL's SQL env; it is the engine's
``max_steps``).

Building an engine environment loads its dataset (the template database and
every gold result), so engines are pooled: ``close()`` hands the engine to
the next ``GovernedSqlEnv`` made with the same settings. ``init()`` may be
called again to play another episode on the same object.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import json
import os
import re
import threading
from typing import Any

from skyrl_gym import register, registry
from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput, ConversationType

from .. import _lib
from ..env_config import EnvironmentConfig
from ..errors import StateError
from ..gym_env import DEFAULT_POLICY, default_dataset_dir
from ..kernel import KernelSpace
from ..vector_env import VectorEnv

ENV_ID = "agentos-sql"
SUBMIT_MARKER = "/* submit */"
DEFAULT_MAX_TURNS = 5  # SkyRL's text-to-SQL env's default
# env_config keys passed to the engine's SQL task spec as they are; it
# validates them and names any it does not know.
_TASK_KEYS = ("dataset_dir", "questions_file", "databases_dir", "split", "time_limit_ms", "row_limit",
              "growth_limit_kb")
_TAGS = (re.compile(r"<solution>(.*?)</solution>", re.DOTALL), re.compile(r"<sql>(.*?)</sql>", re.DOTALL))

_TASK_MESSAGE = {"agentos_venv_task_message": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t,
                                                             ctypes.POINTER(ctypes.c_void_p),
                                                             ctypes.POINTER(ctypes.c_size_t)])}


def extract_sql(action: str) -> str:
    """The SQL an action carries in SkyRL's text-to-SQL format (see the
    module docstring); the action itself when it has no tag."""
    if not isinstance(action, str):
        raise TypeError(f"a SkyRL action is a str, not {type(action).__name__}")
    for tag in _TAGS:
        m = tag.search(action)
        if m:
            return m.group(1).strip()
    return action


@functools.lru_cache(maxsize=1)
def _shop_dir() -> str:
    return os.fspath(default_dataset_dir())


def _option(source: Any, name: str, default: Any = None) -> Any:
    if source is None:
        return default
    if hasattr(source, "get"):  # dict and OmegaConf DictConfig
        value = source.get(name, default)
    else:
        value = getattr(source, name, default)
    return default if value is None else value


class _EnginePool:
    """Idle engine environments by settings, so making an env per trajectory
    (as SkyRL's generator does) does not reload the dataset each time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[Any, list[VectorEnv]] = {}
        self._kernels: dict[str, KernelSpace] = {}

    def kernel(self, policy: Any) -> KernelSpace:
        """One kernel per policy file for the process (clear() reads files again)."""
        if isinstance(policy, KernelSpace):
            return policy
        path = os.fspath(DEFAULT_POLICY if policy is None else policy)
        with self._lock:
            if path not in self._kernels:
                self._kernels[path] = KernelSpace.from_yaml(path)
            return self._kernels[path]

    def acquire(self, key: Any, make) -> VectorEnv:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        return make()

    def release(self, key: Any, venv: VectorEnv) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(venv)

    def clear(self) -> None:
        with self._lock:
            envs = [v for idle in self._idle.values() for v in idle]
            self._idle.clear()
            self._kernels.clear()
        for v in envs:
            v.close()


_POOL = _EnginePool()


def clear_pool() -> None:
    """Closes every pooled engine environment (e.g. at the end of training)."""
    _POOL.clear()


class GovernedSqlEnv(BaseTextEnv):
    """The governed SQL task as a SkyRL-Gym ``BaseTextEnv`` (module docstring)."""

    def __init__(self, env_config: Any = None, extras: dict[str, Any] | None = None) -> None:
        super().__init__()
        extras = {} if extras is None else extras
        self.max_turns = int(_option(extras, "max_turns", DEFAULT_MAX_TURNS))
        self.task_index = _option(extras, "task_index")
        self.seed = _option(extras, "seed")
        environment = _option(env_config, "environment", EnvironmentConfig())
        if not isinstance(environment, EnvironmentConfig):
            raise TypeError("env_config['environment'] must be an agent_os EnvironmentConfig")
        self.config = dataclasses.replace(environment, max_steps=self.max_turns)
        task: dict[str, Any] = {"type": "sql"}
        for k in _TASK_KEYS:
            v = _option(env_config, k)
            if v is not None:
                task[k] = os.fspath(v) if isinstance(v, os.PathLike) else v
        if not {"dataset_dir", "questions_file", "databases_dir"} & task.keys():
            task["dataset_dir"] = _shop_dir()
        task.update(self._task_pin())
        kernel = _POOL.kernel(_option(env_config, "policy"))
        self._key = (id(kernel), json.dumps(task, sort_keys=True), repr(self.config))
        self._venv: VectorEnv | None = _POOL.acquire(self._key, lambda: VectorEnv(
            kernel, 1, task=task, config=self.config, autoreset="disabled", keep_results=True))
        self._task_message = self._bind_task_message()
        self._started = self._done = False
        self._last: dict[str, Any] = {}

    # ---- which task an episode plays ----

    def _task_pin(self) -> dict[str, Any]:
        """The task-spec keys of the episode protocol: multi-turn, so a
        ``<solution>`` (sent with the engine's submit marker) ends the episode."""
        return {"episode": "multi_turn", "submit_marker": SUBMIT_MARKER}

    def _engine_reset(self) -> None:
        pins = None if self.task_index is None else {"task_id": [self.task_index]}
        self._engine().reset(seed=self.seed, options=pins)

    # ---- what the model reads after a step ----

    def _feedback(self, executed: bool, message: str) -> str:
        """The engine's feedback section (rows, error, or the kernel's reason
        for a blocked action): its observation after the question and schema."""
        text = self._engine().observation_text(0)
        return text[len(self._question):].lstrip("\n") if text.startswith(self._question) else text

    # ---- SkyRL-Gym contract -----------------------------------------------------------

    def init(self, prompt: ConversationType | None = None) -> tuple[ConversationType, dict[str, Any]]:
        """Starts an episode: the prompt's messages, then the engine's
        question and schema as a user message."""
        self._engine_reset()
        self.turns, self._started, self._done, self._last = 0, True, False, {}
        question = self._question = self._engine().observation_text(0)
        chat = [dict(m) for m in (prompt or [])] + [{"role": "user", "content": question}]
        return chat, {"task_index": int(self._engine().buffers["observation"][0])}

    def step(self, action: str) -> BaseTextEnvStepOutput:
        if not self._started:
            raise StateError("call init() before step()")
        if self._done:
            raise StateError("the episode is done; call init() to start another")
        sql = extract_sql(action)
        final = _TAGS[0].search(action) is not None
        venv = self._engine()
        obs, reward, terminated, truncated, infos = venv.step([f"{SUBMIT_MARKER} {sql}" if final else sql])
        self.turns += 1
        executed = bool(infos["executed"][0])
        message = self._task_message(venv) if executed else ""
        done = bool(terminated[0]) or bool(truncated[0])
        self._done = done
        feedback = self._feedback(executed, message)
        metadata = {
            "sql": sql,
            "task_index": int(obs[0]),
            "executed": executed,
            "blocked": not executed,
            "feedback": feedback,
            "task_error": message or None,
            "success": bool(venv.buffers["success"][0]),
            "violations": [dataclasses.asdict(v) for v in venv.last_violations(0)],
            "policy_cost": float(infos["cost"][0]) if "cost" in infos else 0.0,
            "terminated": bool(terminated[0]),
            "truncated": bool(truncated[0]),
            "episode_step": int(infos["episode_step"][0]),
            "episode_return": float(infos["episode_return"][0]),
        }
        self._last = metadata
        observations = [] if done else [{"role": "user", "content": feedback}]
        return BaseTextEnvStepOutput(observations=observations, reward=float(reward[0]), done=done,
                                     metadata=metadata)

    def get_metrics(self) -> dict[str, Any]:
        """The episode so far, as the engine reported it (also after close())."""
        return {"steps": self.turns, "success": int(bool(self._last.get("success", False))),
                "blocked": int(bool(self._last.get("blocked", False))),
                "episode_return": float(self._last.get("episode_return", 0.0))}

    def engine_metrics(self) -> dict[str, Any]:
        """The engine environment's counters since it was made (VectorEnv.metrics:
        steps, violations by policy, destructive statements that reached SQLite,
        episodes that changed their database, ...). A pooled engine keeps
        counting across the envs that used it."""
        return self._engine().metrics()

    def close(self) -> None:
        """Hands the engine environment back to the pool; closing twice is a no-op."""
        if self._venv is not None:
            _POOL.release(self._key, self._venv)
            self._venv = None

    # ---- helpers ------------------------------------------------------------------------

    def _engine(self) -> VectorEnv:
        if self._venv is None:
            raise StateError("the environment is closed")
        return self._venv

    @staticmethod
    def _bind_task_message():
        if not _lib.declare_part("env_task_message", _TASK_MESSAGE):
            raise _lib.AgentOSLibraryError(f"{_lib.path} lacks agentos_venv_task_message; rebuild libagentos.so")
        fn = _lib.lib.agentos_venv_task_message

        def task_message(venv: VectorEnv) -> str:
            p, n = ctypes.c_void_p(), ctypes.c_size_t()
            _lib.check(fn(venv._handle(), 0, ctypes.byref(p), ctypes.byref(n)))
            return ctypes.string_at(p.value, n.value).decode("utf-8", "replace") if p.value and n.value else ""

        return task_message


def register_env() -> None:
    """Registers ENV_ID with skyrl_gym (again: a no-op)."""
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point=f"{__name__}:GovernedSqlEnv")


register_env()

__all__ = ["GovernedSqlEnv", "ENV_ID", "extract_sql", "register_env", "clear_pool", "DEFAULT_MAX_TURNS"]
