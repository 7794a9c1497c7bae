"""agentos as registered Gymnasium environments.

    import gymnasium as gym
    import agent_os                       # registers the ids below
    env = gym.make("agentos/Sql-v0")      # one governed env (GymEnv)
    envs = gym.make_vec("agentos/Sql-v0", num_envs=64, vectorization_mode="vector_entry_point")

Ids (each with ``entry_point`` -> GymEnv and ``vector_entry_point`` ->
make_vector_env, so "vector_entry_point" builds the engine's VectorEnv and
"sync"/"async" build Gymnasium's over GymEnv):
  * agentos/Noop-v0      the no-op task (the governance alone)
  * agentos/External-v0  the external task (reward comes with the action;
                         through Gymnasium it is always 0)
  * agentos/Sql-v0       the SQL task on the shop dataset shipped with the
                         package (``dataset_dir=`` for another, or
                         ``questions_file=`` and ``databases_dir=`` for a
                         dataset in the Spider/BIRD layout)
  * agentos/CartPole-v1  Gymnasium's CartPole-v1 as an engine task
                         (env/cartpole_task.h): float32 Box(4) observation,
                         Discrete(2) action, truncation at 500 steps (the
                         default config's max_steps here), optional
                         ``safety_zone=`` / ``safety_cost=`` (info["cost"])

Keyword arguments (all optional): ``policy`` (a KernelSpace, or a YAML path;
default: the policy file shipped in agent_os/data/default_policy.yaml),
``config`` (an EnvironmentConfig), ``action_kind``, and the task's options
(``split``, ``dataset_dir``, ...). The vector entry point also takes
``num_envs``, ``autoreset_mode`` (a name or an AutoresetMode) and
``num_threads``. ``text_observations=True`` makes every observation a dict
{"task": index, "text": the observation text} (a Gymnasium Dict space).

GymEnv is exactly one env of the engine's VectorEnv: the same observation
(the task index, int64), reward, terminated/truncated and step-info keys
(numpy scalars of the buffers' dtypes, bools as bool), so Gymnasium's
SyncVectorEnv over GymEnv and our VectorEnv return the same arrays. Its
reset info is empty, as a VectorEnv row that reset has no step info.

Task pinning: ``GymEnv.reset(options={"task_id": "shop-042"})`` (or a task
index, or None) plays that task; the VectorEnv takes one entry per env,
``reset(options={"task_id": ["shop-042", 7, None, ...]})``. The pin holds
for that episode; an autoreset lets the seed pick again.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import gymnasium as gym
import numpy as np

from .env_config import EnvironmentConfig
from .errors import StateError
from .kernel import KernelSpace
from .vector_env import INFO_KEYS, VectorEnv

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
DEFAULT_POLICY = _PACKAGE_DIR / "data" / "default_policy.yaml"


def default_dataset_dir() -> pathlib.Path:
    """The shop dataset: inside the installed package, else (a source
    checkout) env/sql/data/shop of the repository."""
    packaged = _PACKAGE_DIR / "data" / "shop"
    if (packaged / "tasks.jsonl").is_file():
        return packaged
    return _PACKAGE_DIR.parents[2] / "env" / "sql" / "data" / "shop"


def _kernel(policy: Any) -> KernelSpace:
    if isinstance(policy, KernelSpace):
        return policy
    return KernelSpace.from_yaml(os.fspath(DEFAULT_POLICY if policy is None else policy))


# Tasks whose episodes Gymnasium truncates (its max_episode_steps): the
# default config takes that as max_steps.
_MAX_STEPS = {"cartpole": 500}


def _config(task: str, config: EnvironmentConfig | None) -> EnvironmentConfig | None:
    if config is None and task in _MAX_STEPS:
        return EnvironmentConfig(max_steps=_MAX_STEPS[task])
    return config


def _task_options(task: str, options: dict[str, Any]) -> dict[str, Any]:
    # The shop dataset unless another is named (a dataset_dir, or a Spider/BIRD questions_file).
    if task == "sql" and "dataset_dir" not in options and "questions_file" not in options:
        options = dict(options, dataset_dir=str(default_dataset_dir()))
    return options


class GymEnv(gym.Env):
    """One governed environment (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, task: str = "noop", *, policy: Any = None, config: EnvironmentConfig | None = None,
                 action_kind: str = "sql", render_mode: str | None = None, text_observations: bool = False,
                 **task_options: Any) -> None:
        if render_mode is not None:
            raise ValueError(f"agentos environments do not render (render_mode={render_mode!r})")
        self.render_mode = None
        self._venv = VectorEnv(_kernel(policy), 1, task=task, config=_config(task, config), autoreset="disabled",
                               action_kind=action_kind, text_observations=text_observations,
                               **_task_options(task, task_options))
        self.config: EnvironmentConfig = self._venv.config
        self.action_space: Any = self._venv.single_action_space
        self.observation_space: Any = self._venv.single_observation_space
        self._keys: tuple[str, ...] = self._venv._info_keys
        self._started = self._ended = False

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        venv_options = None
        if options:
            unknown = set(options) - {"task_id"}
            if unknown:
                raise ValueError(f"unknown reset options {sorted(unknown)} (known: task_id)")
            # One env: a task id (str), a task index (int) or None (the seed picks).
            venv_options = {"task_id": [options["task_id"]]}
        obs, _ = self._venv.reset(seed=seed, options=venv_options)
        self._started, self._ended = True, False
        return self._single(obs), {}

    def step(self, action: str) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self._started:
            raise StateError("call reset() before step()")
        if self._ended:
            raise StateError("the episode has ended (terminated or truncated); call reset()")
        obs, reward, terminated, truncated, infos = self._venv.step(
            np.asarray([action]) if self._venv.numeric is not None else [action])
        term, trunc = bool(terminated[0]), bool(truncated[0])
        self._ended = term or trunc
        info = {k: (bool(infos[k][0]) if k == "executed" else infos[k][0]) for k in self._keys}
        return self._single(obs), float(reward[0]), term, trunc, info

    def _single(self, obs: Any) -> Any:
        """Row 0 of the vector env's observation."""
        if isinstance(obs, dict):  # text_observations
            return {"task": np.array(obs["task"][0], dtype=np.int64), "text": obs["text"][0]}
        if self._venv.numeric is not None:
            return np.array(obs[0])  # a copy: the engine's row is overwritten by the next step
        return np.array(obs[0], dtype=np.int64)

    def observation_messages(self) -> list[dict[str, str]]:
        """The current observation as chat messages (see VectorEnv.observation_messages)."""
        return self._venv.observation_messages()[0]

    def observation_text(self) -> str:
        """The task's text for the current observation (e.g. the SQL question and schema)."""
        return self._venv.observation_text(0)

    def metrics(self) -> dict[str, Any]:
        return self._venv.metrics()

    def render(self) -> None:
        return None

    def close(self) -> None:
        self._venv.close()


def make_vector_env(task: str = "noop", *, num_envs: int = 1, policy: Any = None,
                    config: EnvironmentConfig | None = None, autoreset_mode: Any = "next_step",
                    num_threads: int = 1, action_kind: str = "sql", render_mode: str | None = None,
                    text_observations: bool = False, **task_options: Any) -> VectorEnv:
    """The vector entry point: the engine's VectorEnv of num_envs envs."""
    if render_mode is not None:
        raise ValueError(f"agentos environments do not render (render_mode={render_mode!r})")
    return VectorEnv(_kernel(policy), num_envs, task=task, config=_config(task, config), autoreset=autoreset_mode,
                     num_threads=num_threads, action_kind=action_kind, text_observations=text_observations,
                     **_task_options(task, task_options))


ENV_IDS = {"agentos/Noop-v0": "noop", "agentos/External-v0": "external", "agentos/Sql-v0": "sql",
           "agentos/CartPole-v1": "cartpole"}


def register_envs() -> None:
    """Registers ENV_IDS with Gymnasium (again: a no-op)."""
    for env_id, task in ENV_IDS.items():
        if env_id in gym.registry:
            continue
        gym.register(id=env_id, entry_point=f"{__name__}:GymEnv",
                     vector_entry_point=f"{__name__}:make_vector_env", kwargs={"task": task})


__all__ = ["GymEnv", "make_vector_env", "register_envs", "ENV_IDS", "DEFAULT_POLICY", "default_dataset_dir",
           "INFO_KEYS"]
