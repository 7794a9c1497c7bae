"""Building governed SQL VectorEnvs for trainers, and putting each env on a
chosen task.

A task is named by its ``task_id``: the engine's task index, the number the
SQL env reports as its observation (an int >= 0). ``SqlEnvSpec`` says which
policy, dataset, split and reward table; every env the integration builds
comes from one.

Task pinning lives in ``TaskPinner.reset`` and nowhere else. A VectorEnv
that pins tasks itself (``reset(options={"task_id": [...]})``, present when
it has ``find_task``) is reset that way. Otherwise the engine picks an env's
task from its reset seed, and the pinner finds, once per task, a seed whose
reset draws it (by resetting with fresh seeds and reading the observed task
index) and resets with those seeds.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Sequence

from ...env_config import EnvironmentConfig
from ...errors import InternalError, InvalidArgument
from ...gym_env import DEFAULT_POLICY, default_dataset_dir
from ...kernel import KernelSpace
from ...vector_env import VectorEnv

# Probing stops once this many consecutive seeds per task already found
# (plus a floor) drew no new task: a task of a split of n tasks is then
# missed with probability about exp(-16) when n tasks were found.
_STALE_SEEDS_PER_TASK = 16
_STALE_SEEDS_MIN = 1024


@dataclasses.dataclass
class SqlEnvSpec:
    """What a governed SQL env is made of. ``policy``: a KernelSpace or a
    policy YAML path (default: the package's default policy);
    ``dataset_dir``: a SQL dataset directory (default: the shop dataset);
    ``config``: the reward table and limits (EnvironmentConfig; its
    ``max_steps`` bounds multi-turn episodes); ``num_threads``: the
    VectorEnv's worker threads; ``task_options``: further SQL task keys
    (``time_limit_ms``, ``row_limit``, ...)."""

    policy: Any = None
    dataset_dir: Any = None
    split: str = "train"
    config: EnvironmentConfig | None = None
    num_threads: int = 1
    task_options: dict = dataclasses.field(default_factory=dict)

    def kernel(self) -> KernelSpace:
        if isinstance(self.policy, KernelSpace):
            return self.policy
        return KernelSpace.from_yaml(os.fspath(DEFAULT_POLICY if self.policy is None else self.policy))

    def dataset_path(self) -> str:
        return os.fspath(default_dataset_dir() if self.dataset_dir is None else self.dataset_dir)

    def make_env(self, num_envs: int, kernel: KernelSpace | None = None) -> VectorEnv:
        """A VectorEnv of num_envs SQL envs that keeps each step's violations
        (for their rules) and never resets on its own: the caller resets
        every env onto its task before each batch."""
        return VectorEnv(kernel or self.kernel(), num_envs, task="sql", config=self.config, autoreset="disabled",
                         keep_results=True, num_threads=self.num_threads, dataset_dir=self.dataset_path(),
                         split=self.split,
                         **self.task_options)


def check_task_ids(task_ids: Sequence[Any]) -> list[int]:
    """Task ids as ints >= 0, or a clear error naming the bad one."""
    out = []
    for i, t in enumerate(task_ids):
        if isinstance(t, bool) or not hasattr(t, "__index__"):
            raise InvalidArgument(f"task_id[{i}] must be an int (the engine's task index), not {t!r}")
        t = int(t.__index__())
        if t < 0:
            raise InvalidArgument(f"task_id[{i}] must be >= 0, not {t}")
        out.append(t)
    return out


class TaskPinner:
    """Resets env i of SQL VectorEnvs built from one spec onto task_ids[i].
    Shared by every env of that spec (the seed that draws a task depends on
    the dataset and split only)."""

    def __init__(self) -> None:
        self._seed_of: dict[int, int] = {}
        self._text_of: dict[int, str] = {}
        self._next_seed = 0
        self._last_new = 0  # the seed after the last one that drew a new task

    def reset(self, env: VectorEnv, task_ids: Sequence[Any]) -> None:
        """Resets every env of ``env`` onto its task; checks the engine
        reports exactly those tasks."""
        wanted = check_task_ids(task_ids)
        if len(wanted) != env.num_envs:
            raise InvalidArgument(f"{len(wanted)} task ids for {env.num_envs} envs")
        if hasattr(env, "find_task"):
            obs, _ = env.reset(options={"task_id": wanted})
        else:
            self._probe(env, set(wanted))
            obs, _ = env.reset(seed=[self._seed_of[t] for t in wanted])
        got = [int(o) for o in obs]
        if got != wanted:
            raise InternalError(f"the SQL envs were reset onto tasks {got}, not the requested {wanted}")

    def observation(self, env: VectorEnv, task_id: int) -> str:
        """Task task_id's observation text (question and schema)."""
        self._probe(env, {task_id})
        return self._text_of[task_id]

    def draw(self, env: VectorEnv, count: int, first_seed: int) -> list[int]:
        """``count`` distinct tasks, in the order seeds first_seed,
        first_seed + 1, ... draw them."""
        order: list[int] = []
        seen: set[int] = set()
        seed = last_new = first_seed
        while len(order) < count:
            if seed - last_new >= self._stale_limit(len(seen)):
                raise InvalidArgument(f"the split has fewer than {count} tasks (it drew {len(order)})")
            for t in self._probe_seeds(env, seed):
                if t not in seen:
                    seen.add(t)
                    order.append(t)
                    last_new = seed + env.num_envs
            seed += env.num_envs
        return order[:count]

    @staticmethod
    def _stale_limit(found: int) -> int:
        return _STALE_SEEDS_MIN + _STALE_SEEDS_PER_TASK * found

    def _probe(self, env: VectorEnv, wanted: set[int]) -> None:
        missing = wanted - self._seed_of.keys()
        while missing:
            if self._next_seed - self._last_new >= self._stale_limit(len(self._seed_of)):
                raise InvalidArgument(f"task ids {sorted(missing)} are not in this dataset split "
                                      f"({len(self._seed_of)} tasks found, none new in the last "
                                      f"{self._next_seed - self._last_new} seeds)")
            known = len(self._seed_of)
            self._probe_seeds(env, self._next_seed)
            self._next_seed += env.num_envs
            if len(self._seed_of) > known:
                self._last_new = self._next_seed
            missing -= self._seed_of.keys()

    def _probe_seeds(self, env: VectorEnv, first: int) -> list[int]:
        """Resets env i with seed first + i; records which task each drew."""
        obs, _ = env.reset(seed=[first + i for i in range(env.num_envs)])
        drawn = [int(o) for o in obs]
        for i, t in enumerate(drawn):
            if t not in self._seed_of:
                self._seed_of[t] = first + i
                self._text_of[t] = env.observation_text(i)
        return drawn


_PINNERS: dict[tuple, TaskPinner] = {}


def pinner_for(spec: SqlEnvSpec) -> TaskPinner:
    """The pinner shared by every env of this dataset and split."""
    key = (os.path.realpath(spec.dataset_path()), spec.split, repr(sorted(spec.task_options.items())))
    pinner = _PINNERS.get(key)
    if pinner is None:
        pinner = _PINNERS[key] = TaskPinner()
    return pinner


__all__ = ["SqlEnvSpec", "TaskPinner", "pinner_for", "check_task_ids"]
