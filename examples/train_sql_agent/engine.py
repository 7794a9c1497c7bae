"""The real engine behind training: agentos's VectorEnv running the SQL task.

Only the public agent_os package is used (KernelSpace, VectorEnv,
EnvironmentConfig, FlightRecorder). Each SqlTaskEnv is one VectorEnv of
`num_envs` environments, each owning a SQLite copy of the shop database that
is restored from the template at every reset. Episodes are one step long
(max_steps = 1): the agent submits one SQL text, the kernel decides it, an
allowed one runs on the env's database, and the task pays 1 for a result
equal to the gold query's (execution match), else 0.

Putting G samples of one task into G environments. GRPO needs every env of
a group to hold the same task; a task is drawn from the env's reset seed
and there is no task choice in the API. So, once per env object, `_probe`
resets all envs with a few base seeds (env i gets seed + i, as in
Gymnasium) and reads the observation index to learn, for every task t, a
seed s_t that draws t. To give env j task t, every env is then reset in ONE
call with a per-env seed list (reset(seed=[s_t0, s_t1, ...])); the step is
one call for the batch too.

The audit log. The governed run hands a FlightRecorder to the VectorEnv
(VectorEnv(recorder=...)); the engine records every governed step from the
worker thread that ran it, with its decision, whether it executed, its
reward and penalty. Nothing in Python writes or re-derives a record. If
recording fails, the engine refuses further steps, so nothing runs
unaudited.

Success. The VectorEnv exposes no per-env "task succeeded" flag, so it is
read from `terminated`: with finish_on_success (the SQL task's default) a
correct answer ends the episode, and terminate_on_critical is off here, so
nothing else can set `terminated` in a one-step episode.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
try:
    import agent_os  # noqa: F401
except ModuleNotFoundError as _exc:  # not installed: use the one in this repository
    if _exc.name != "agent_os":
        raise
    sys.path.insert(0, os.path.join(_ROOT, "bindings", "python"))
    import agent_os  # noqa: F401,E402

from agent_os import KernelSpace, VectorEnv  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402


# Reward tables of the two conditions (env/reward_config.h semantics: task
# reward 1 for a correct result, penalties <= 0 added per violation).
REWARDS = {
    "governed": {"critical_penalty": -100.0, "high_penalty": -50.0, "medium_penalty": -10.0,
                 "low_penalty": -1.0, "success_bonus": 0.0},
    # Audit only: decisions are made and counted, nothing is blocked, nothing
    # is charged. This is RL without governance, observed.
    "ungoverned": {"critical_penalty": 0.0, "high_penalty": 0.0, "medium_penalty": 0.0,
                   "low_penalty": 0.0, "violation_penalty": 0.0, "success_bonus": 0.0},
}


def library_version() -> str:
    return agent_os.library_version()


@dataclass
class StepOutcome:
    reward: np.ndarray      # float64, penalties included
    success: np.ndarray     # bool: the result matched the gold query's
    violations: np.ndarray  # uint32: violations the kernel found (blocked or not)
    executed: np.ndarray    # bool: the SQL actually ran on the env's database


class SqlTaskEnv:
    """num_envs SQL-task environments under one condition's kernel."""

    def __init__(self, *, policy_file: str, condition: str, dataset_dir: str, split: str, num_envs: int,
                 threads: int = 1, recorder=None):
        if condition not in REWARDS:
            raise ValueError("condition must be one of %s" % sorted(REWARDS))
        self.kernel = KernelSpace.from_yaml(policy_file)
        want_audit = condition == "ungoverned"
        if (self.kernel.mode == "audit") != want_audit:
            raise SystemExit("%s: the %s condition needs mode: %s" % (
                policy_file, condition, "audit" if want_audit else "enforce"))
        config = EnvironmentConfig(max_steps=1, terminate_on_critical=False, **REWARDS[condition])
        self.env = VectorEnv(self.kernel, num_envs, task="sql", dataset_dir=dataset_dir, split=split,
                             config=config, autoreset="disabled", num_threads=threads,
                             # A SQL step costs ~1 ms, so even small chunks pay
                             # for the hand-off to a worker thread.
                             min_envs_per_thread=8, recorder=recorder)
        self.num_envs = num_envs
        self.split = split
        self._seed_of_task = self._probe(_split_indices(dataset_dir, split))

    def _probe(self, wanted: set) -> dict:
        """Seeds that draw each task of the split (see the module docstring)."""
        found: dict = {}
        base = 0
        for _ in range(10000):
            obs, _ = self.env.reset(seed=base)
            for i, t in enumerate(np.asarray(obs).tolist()):
                found.setdefault(int(t), base + i)
            base += self.num_envs
            if wanted <= found.keys():
                break
        missing = wanted - found.keys()
        if missing:
            raise RuntimeError("no seed drew tasks %s of split %r" % (sorted(missing)[:5], self.split))
        extra = found.keys() - wanted
        if extra:
            raise RuntimeError("the engine drew tasks %s outside split %r of tasks.jsonl" % (
                sorted(extra)[:5], self.split))
        return found

    def assign(self, tasks) -> None:
        """Resets env j onto global task tasks[j] (a fresh database copy)."""
        tasks = np.asarray(tasks, dtype=np.int64)
        if tasks.shape != (self.num_envs,):
            raise ValueError("need one task per env (%d)" % self.num_envs)
        self.env.reset(seed=[self._seed_of_task[t] for t in tasks.tolist()])
        got = self.env.buffers["observation"]
        if not np.array_equal(got, tasks):
            bad = int(np.flatnonzero(got != tasks)[0])
            raise RuntimeError("env %d holds task %d, not %d: seeding contract broken" % (
                bad, int(got[bad]), int(tasks[bad])))

    def run(self, tasks, sql: list) -> StepOutcome:
        """One episode per env: env j answers task tasks[j] with sql[j]."""
        self.assign(tasks)
        _, reward, terminated, _, infos = self.env.step(sql)
        return StepOutcome(reward=np.array(reward, dtype=np.float64),
                           success=np.array(terminated, dtype=bool),
                           violations=np.array(infos["violations"], dtype=np.uint32),
                           executed=np.array(infos["executed"], dtype=bool))

    def observation_text(self, env: int) -> str:
        return self.env.observation_text(env)

    def destructive_ops(self) -> int:
        """The SQLite authorizers' count of destructive statements that ran."""
        return int(self.env.metrics()["backend_destructive_ops"])

    def metrics(self) -> dict:
        return self.env.metrics()

    def close(self) -> None:
        self.env.close()


def _split_indices(dataset_dir: str, split: str) -> set:
    with open(os.path.join(dataset_dir, "tasks.jsonl"), encoding="utf-8") as f:
        tasks = [json.loads(line) for line in f if line.strip()]
    return {i for i, t in enumerate(tasks) if split == "all" or t["split"] == split}


def global_indices(dataset_dir: str, split: str) -> list:
    """Global (tasks.jsonl line) index of each task of `split`, in file order:
    the order train.py builds its candidate tables in."""
    return sorted(_split_indices(dataset_dir, split))


def check_dataset_order(env: SqlTaskEnv, table, indices: list) -> None:
    """Fails unless the engine's task i is the question our table holds for it."""
    questions = table.questions
    for start in range(0, len(indices), env.num_envs):
        chunk = indices[start:start + env.num_envs]
        padded = chunk + [chunk[-1]] * (env.num_envs - len(chunk))
        env.assign(padded)
        for j, _ in enumerate(chunk):
            text = env.observation_text(j)
            if questions[start + j] not in text:
                raise RuntimeError("engine task %d is not %r; observation: %r" % (
                    chunk[j], questions[start + j][:60], text[:120]))


# ---- the audit log -----------------------------------------------------------

def open_recorder(path: str):
    from agent_os import FlightRecorder
    for p in (path, path + "-wal", path + "-shm", path + ".checkpoint"):
        if os.path.exists(p):
            os.remove(p)
    return FlightRecorder(path)


def close_and_verify(recorder, path: str) -> dict:
    """Closes the log, then verifies it from the file (every hash recomputed)."""
    from agent_os.recorder import log_statistics, verify_log
    recorder.close()
    result = verify_log(path)
    stats = log_statistics(path)
    return {"path": path, "valid": bool(result["valid"]), "verify": result["message"],
            "records": int(result["records"]), "blocked_records": stats.get("blocked_records"),
            "violating_records": stats.get("violating_records")}
