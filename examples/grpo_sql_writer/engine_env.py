"""The engine side: agentos's VectorEnv running the SQL task, one object per condition.

Everything the learner is paid or charged comes from here and is computed
by the C++ engine: the reward (task reward, plus the RewardConfig
penalties when the condition puts them in the reward), the policy cost
(info["cost"], the same penalties as a positive number), whether the SQL
ran (info["executed"]), how many violations the kernel found, and the
SQLite authorizer's counts (backend_destructive_ops, changed-database
episodes) from VectorEnv.metrics(). Python adds them up; it never decides
or re-derives one.

The five conditions are kernel mode x where the penalties go:

| condition   | kernel mode | EnvironmentConfig.penalty_mode | learner's signal       |
|-------------|-------------|--------------------------------|------------------------|
| ungoverned  | audit       | cost  (reward = task reward)   | reward                 |
| penalty     | audit       | both  (reward += penalties)    | reward                 |
| shield      | enforce     | cost  (blocked, not penalised) | reward                 |
| governed    | enforce     | both  (blocked and penalised)  | reward                 |
| lagrangian  | audit       | cost                           | reward - lambda * cost |

Audit mode decides and records every action but blocks none; enforce mode
blocks a violating action before SQLite sees it. With penalty_mode "cost"
the engine leaves the penalties out of the reward and reports them only
as info["cost"] (RewardConfig.penalties_in_reward = false).

Which task an env plays. The trainer needs env j to hold task t. The
engine's reset(options={"task_id": [...]}) pins tasks where it exists;
this VectorEnv may predate it, and then tasks are pinned as the old
candidate-choice example does: a probe learns, for every task, a reset
seed that draws it, and one reset with a per-env seed list pins them all.
`TaskPinner` is the one place that knows which is used.
"""
from __future__ import annotations

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

from agent_os import FlightRecorder, KernelSpace, VectorEnv  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.errors import InvalidArgument  # noqa: E402

POLICY_DIR = os.path.join(_ROOT, "examples", "policies")
KERNELS = {"audit": os.path.join(POLICY_DIR, "train_audit_only.yaml"),
           "enforce": os.path.join(POLICY_DIR, "train_governed.yaml")}

CONDITIONS = {
    "ungoverned": {"mode": "audit", "penalty_mode": "cost", "lagrangian": False},
    "penalty": {"mode": "audit", "penalty_mode": "both", "lagrangian": False},
    "shield": {"mode": "enforce", "penalty_mode": "cost", "lagrangian": False},
    "governed": {"mode": "enforce", "penalty_mode": "both", "lagrangian": False},
    "lagrangian": {"mode": "audit", "penalty_mode": "cost", "lagrangian": True},
}

# The RewardConfig of every condition (where it goes differs, the numbers do
# not). A task pays 1 for a correct result; a critical violation must cost
# more than that, or "penalty only" would pay a DELETE shortcut like a wrong
# answer instead of less.
PENALTIES = {"critical_penalty": -2.0, "high_penalty": -1.0, "medium_penalty": -0.5, "low_penalty": -0.1,
             "success_bonus": 0.0}


# info["max_severity"]: -1 none, 0 low .. 3 critical. The training kernels rate
# DELETE, UPDATE, DROP, ALTER, TRUNCATE, REPLACE, MERGE critical; SQL the
# kernel cannot parse is "high" (it fails closed), so a critical verdict
# means a destructive statement was attempted.
SEVERITY_CRITICAL = 3


@dataclass
class StepOutcome:
    reward: np.ndarray      # engine reward (penalties included when the condition says so)
    cost: np.ndarray        # engine policy cost (>= 0)
    success: np.ndarray     # the result matched the gold query's
    violations: np.ndarray  # violations the kernel found (blocked or not)
    critical: np.ndarray    # the kernel's verdict had a critical violation: a destructive statement
    executed: np.ndarray    # the SQL ran on the env's database


def make_config(penalty_mode: str, max_steps: int = 1) -> EnvironmentConfig:
    return EnvironmentConfig(max_steps=max_steps, terminate_on_critical=False, penalty_mode=penalty_mode,
                             **PENALTIES)


class TaskPinner:
    """Puts task t into env j: the engine's task_id reset option, else seeds probed once."""

    def __init__(self, env: VectorEnv, num_tasks: int):
        self.env = env
        self.native = self._has_task_option()
        self.seed_of_task = None if self.native else self._probe(num_tasks)

    def _has_task_option(self) -> bool:
        try:
            self.env.reset(options={"task_id": [0] * self.env.num_envs})
        except (InvalidArgument, TypeError, ValueError):
            return False
        return True

    def _probe(self, num_tasks: int) -> dict:
        found: dict = {}
        base = 0
        n = self.env.num_envs
        for _ in range(100000):
            obs, _ = self.env.reset(seed=base)
            for i, t in enumerate(np.asarray(obs).tolist()):
                found.setdefault(int(t), base + i)
            base += n
            if len(found) >= num_tasks:
                return found
        raise RuntimeError("no seed drew tasks %s" % sorted(set(range(num_tasks)) - found.keys())[:5])

    def pin(self, tasks) -> None:
        tasks = [int(t) for t in tasks]
        if self.native:
            self.env.reset(options={"task_id": tasks})
        else:
            self.env.reset(seed=[self.seed_of_task[t] for t in tasks])
        got = np.asarray(self.env.buffers["observation"])
        if got.tolist() != tasks:
            bad = int(np.flatnonzero(got != np.asarray(tasks))[0])
            raise RuntimeError("env %d holds task %d, not %d" % (bad, int(got[bad]), tasks[bad]))


class SqlEnv:
    """num_envs SQL-task environments under one condition's kernel and reward routing."""

    def __init__(self, condition: str, dataset_dir: str, num_tasks: int, num_envs: int,
                 recorder: FlightRecorder | None = None, threads: int = 1):
        spec = CONDITIONS[condition]
        self.condition = condition
        self.kernel = KernelSpace.from_yaml(KERNELS[spec["mode"]])
        if self.kernel.mode != spec["mode"]:
            raise SystemExit("%s: expected mode %s" % (KERNELS[spec["mode"]], spec["mode"]))
        self.env = VectorEnv(self.kernel, num_envs, task="sql", dataset_dir=dataset_dir, split="all",
                             config=make_config(spec["penalty_mode"]), autoreset="disabled",
                             num_threads=threads, min_envs_per_thread=8, recorder=recorder)
        self.num_envs = num_envs
        self.pinner = TaskPinner(self.env, num_tasks)

    def observations(self, tasks) -> list:
        """The engine's observation text of each task (pins them, reads, leaves them pinned)."""
        self.pinner.pin(tasks)
        return [self.env.observation_text(j) for j in range(len(tasks))]

    def run(self, tasks, sql: list) -> StepOutcome:
        """One episode per env: env j answers task tasks[j] with sql[j], all in one step call."""
        self.pinner.pin(tasks)
        _, reward, terminated, _, infos = self.env.step(sql)
        # finish_on_success with terminate_on_critical off: in a one-step
        # episode, `terminated` is exactly "the result matched".
        return StepOutcome(reward=np.array(reward, dtype=np.float64),
                           cost=np.array(infos["cost"], dtype=np.float64),
                           success=np.array(terminated, dtype=bool),
                           violations=np.array(infos["violations"], dtype=np.int64),
                           critical=np.array(infos["max_severity"], dtype=np.int64) == SEVERITY_CRITICAL,
                           executed=np.array(infos["executed"], dtype=bool))

    def metrics(self) -> dict:
        return self.env.metrics()

    def close(self) -> None:
        self.env.close()


def open_recorder(path: str) -> FlightRecorder:
    for p in (path, path + "-wal", path + "-shm", path + ".checkpoint"):
        if os.path.exists(p):
            os.remove(p)
    # "relaxed": records are hash-chained the same way, only fsync is not awaited per record.
    return FlightRecorder(path, durability="relaxed")


def close_and_verify(recorder: FlightRecorder, path: str) -> dict:
    """Closes the log, then verifies it from the file (every hash recomputed by the engine)."""
    from agent_os.recorder import log_statistics, verify_log
    recorder.close()
    result = verify_log(path)
    stats = log_statistics(path)
    return {"path": os.path.relpath(path, _ROOT) if path.startswith(_ROOT) else path,
            "valid": bool(result["valid"]), "verify": result["message"], "records": int(result["records"]),
            "blocked_records": stats.get("blocked_records"), "violating_records": stats.get("violating_records")}
