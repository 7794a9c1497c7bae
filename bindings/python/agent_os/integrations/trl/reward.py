"""GRPOTrainer reward functions scored by the governed SQL env.

    reward = GovernedSqlReward()                    # default policy, shop dataset
    trainer = GRPOTrainer(model, reward_funcs=[reward], train_dataset=sql_prompts_dataset(64), ...)

A call scores a batch of completions in ONE VectorEnv step: env i is reset
onto the task of row i (the ``task_id`` column), then steps with the SQL of
completion i (see completion_sql.py for what that is). The reward is the
engine's step reward, unchanged: with the default EnvironmentConfig 1.0 for
a result matching the gold query's, 0.0 for a wrong result or a SQL error,
and for an action the kernel blocks the penalty of its violations'
severities (critical -100, high -50, medium -10, low -1 each; the statement
never runs). Nothing is rescored in Python.

What the kernel said reaches the trainer's logs through TRL's ``log_metric``
(averaged per logging step, in ``trainer.state.log_history``):

    governance/violations        violations per completion
    governance/blocked           fraction of completions the kernel blocked
    governance/cost              the policy cost per completion (info["cost"])
    governance/rule/<policy>/<rule>   violations of that rule per completion

and through ``log_extra`` as completions-table columns (``sql``,
``violations``, ``rules``). ``reward.policy_cost`` is a second reward
function returning ``info["cost"]`` (>= 0) per completion, from the same
step, for a run that wants the cost as its own reward column (with
``EnvironmentConfig(penalty_mode="cost")`` the main reward then leaves the
penalties out and ``reward_weights`` decide).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Callable, Sequence

from ...errors import InvalidArgument
from ...vector_env import VectorEnv
from .completion_sql import extract_sql
from .sql_env import SqlEnvSpec, check_task_ids, pinner_for

METRIC_PREFIX = "governance"


@dataclasses.dataclass
class ScoredBatch:
    """One batch as the engine scored it, row i for completion i."""

    sql: list[str]
    task_ids: list[int]
    rewards: list[float]
    executed: list[bool]
    violations: list[int]
    cost: list[float] | None   # None when penalty_mode == "reward" (the engine reports no cost)
    rules: list[list[str]]     # "<policy>/<rule>" of each violation


class GovernedSqlReward:
    """A TRL reward function (see the module docstring). ``spec`` says which
    policy, dataset, split and reward table; ``task_column`` is the dataset
    column naming each row's task."""

    __name__ = "governed_sql"  # TRL names the reward column after it: rewards/governed_sql/mean

    def __init__(self, spec: SqlEnvSpec | None = None, *, task_column: str = "task_id") -> None:
        self.spec = spec or SqlEnvSpec()
        self.task_column = task_column
        self._kernel = self.spec.kernel()
        self._pinner = pinner_for(self.spec)
        self._envs: dict[int, VectorEnv] = {}
        self._rules_seen: list[str] = []
        self.last: ScoredBatch | None = None
        self.rule_totals: Counter = Counter()  # violations by rule over every batch scored

    # ---- reward functions --------------------------------------------------------------

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                 log_metric: Callable[[str, float], None] | None = None,
                 log_extra: Callable[[str, list], None] | None = None, **columns: Any) -> list[float]:
        batch = self._batch(completions, columns)
        if log_metric is not None:
            self._log_metrics(batch, log_metric)
        if log_extra is not None:
            log_extra("sql", list(batch.sql))
            log_extra("violations", list(batch.violations))
            log_extra("rules", [", ".join(r) for r in batch.rules])
        return list(batch.rewards)

    def policy_cost(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                    **columns: Any) -> list[float]:
        """The engine's policy cost of each completion (>= 0), from the same
        step as the reward when called on the same batch."""
        batch = self._batch(completions, columns)
        if batch.cost is None:
            raise InvalidArgument('the env reports no policy cost with EnvironmentConfig(penalty_mode="reward")')
        return list(batch.cost)

    # ---- scoring ---------------------------------------------------------------------------

    def score(self, completions: Sequence[Any], task_ids: Sequence[Any]) -> ScoredBatch:
        """Scores completion i on task task_ids[i] in one VectorEnv step."""
        if completions is None or len(completions) == 0:
            raise InvalidArgument("no completions to score")
        ids = check_task_ids(task_ids)
        if len(ids) != len(completions):
            raise InvalidArgument(f"{len(completions)} completions but {len(ids)} task ids")
        sql = [extract_sql(c) for c in completions]
        env = self._env(len(sql))
        self._pinner.reset(env, ids)
        _, rewards, _, _, info = env.step(sql)
        violations = [int(v) for v in info["violations"]]
        rules = [[f"{v.policy}/{v.rule}" for v in env.last_violations(i)] if n else []
                 for i, n in enumerate(violations)]
        batch = ScoredBatch(sql=sql, task_ids=ids, rewards=[float(r) for r in rewards],
                            executed=[bool(e) for e in info["executed"]], violations=violations,
                            cost=[float(c) for c in info["cost"]] if "cost" in info else None, rules=rules)
        for r in rules:
            self.rule_totals.update(r)
        self.last = batch
        return batch

    def _batch(self, completions, columns) -> ScoredBatch:
        if self.task_column not in columns:
            raise InvalidArgument(f"the dataset has no {self.task_column!r} column naming each row's task "
                                  "(sql_prompts_dataset makes one)")
        task_ids = columns[self.task_column]
        last = self.last
        # TRL calls each reward function on the same batch in turn: the
        # second one reads the step the first one ran.
        if (last is not None and completions is not None and len(completions) == len(last.sql)
                and check_task_ids(task_ids) == last.task_ids and [extract_sql(c) for c in completions] == last.sql):
            return last
        return self.score(completions, task_ids)

    def _env(self, n: int) -> VectorEnv:
        env = self._envs.get(n)
        if env is None:
            env = self._envs[n] = self.spec.make_env(n, self._kernel)
        return env

    def _log_metrics(self, batch: ScoredBatch, log_metric: Callable[[str, float], None]) -> None:
        n = len(batch.sql)
        log_metric(f"{METRIC_PREFIX}/violations", sum(batch.violations) / n)
        log_metric(f"{METRIC_PREFIX}/blocked", sum(not e for e in batch.executed) / n)
        if batch.cost is not None:
            log_metric(f"{METRIC_PREFIX}/cost", sum(batch.cost) / n)
        counts = Counter(rule for rules in batch.rules for rule in rules)
        for rule in counts:
            if rule not in self._rules_seen:
                self._rules_seen.append(rule)
        # Every rule seen so far, 0 when absent: TRL averages a metric over
        # the batches that logged it, so a rule logged only when it fired
        # would overstate its rate.
        for rule in self._rules_seen:
            log_metric(f"{METRIC_PREFIX}/rule/{rule}", counts.get(rule, 0) / n)

    def close(self) -> None:
        for env in self._envs.values():
            env.close()
        self._envs.clear()


def governed_sql_reward(spec: SqlEnvSpec | None = None, **kwargs: Any) -> GovernedSqlReward:
    """The reward function for ``GRPOTrainer(reward_funcs=...)``; keywords as SqlEnvSpec's."""
    if spec is not None and kwargs:
        raise InvalidArgument("give either a SqlEnvSpec or its fields as keywords, not both")
    return GovernedSqlReward(spec or SqlEnvSpec(**kwargs))


__all__ = ["GovernedSqlReward", "ScoredBatch", "governed_sql_reward", "METRIC_PREFIX"]
