"""The governed SQL env as a GRPOTrainer environment (TRL's
``environment_factory``): the model calls a ``run_sql`` tool during
generation, each call one governed step of its own episode, and the episode's
return (the engine's) is the rollout's reward.

    trainer = GRPOTrainer(model, environment_factory=GovernedSqlEnvironment,
                          train_dataset=sql_prompts_dataset(64), ...)

TRL makes one instance per concurrent rollout and reuses it: ``reset(**row)``
starts an episode on the row's ``task_id``; ``run_sql(query)`` is the tool;
``get_reward()`` is the episode return, including every penalty the kernel
charged. The model needs a chat template that renders tool calls (TRL checks).

``SqlViolations()`` is a reward function over the same rollouts (TRL passes
them as ``environments``): each episode's violation count, for a column
``rewards/sql_violations/mean`` (give it weight 0 in ``reward_weights``),
and the rules that fired as ``governance/rule/<policy>/<rule>`` metrics:

    GRPOTrainer(model, reward_funcs=[SqlViolations()], environment_factory=GovernedSqlEnvironment,
                args=GRPOConfig(reward_weights=[0.0], ...), ...)

The tool's answer is the engine's: when a step's observation carries
execution feedback (the observation text after the step extends the one
after reset: rows, a SQL error, or the kernel's reasons for a blocked
query), that feedback; with an engine whose observation does not change, a
blocked query gets the kernel's reasons (policy, rule) and an executed one
its step reward. After the episode ended, further calls change nothing and
say so.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

from .sql_env import SqlEnvSpec, pinner_for


class GovernedSqlEnvironment:
    """One rollout's governed SQL episode (see the module docstring). With
    no arguments: the default policy and the shop dataset's train split.

    TRL exposes every public method other than reset and get_reward to the
    model as a tool, so run_sql is the only other public method."""

    def __init__(self, spec: SqlEnvSpec | None = None) -> None:
        self._spec = spec or SqlEnvSpec()
        self._env = self._spec.make_env(1)
        self._pinner = pinner_for(self._spec)
        self._task_text = ""
        self.episode_return = 0.0
        self.violations: list[str] = []  # "<policy>/<rule>" of each violation this episode
        self.done = True

    def reset(self, task_id: int | None = None, **row: Any) -> None:
        """Starts an episode on ``task_id`` (a dataset column). The prompt
        already holds the task's question and schema, so nothing is added
        to it."""
        if task_id is None:
            raise ValueError("GovernedSqlEnvironment needs a task_id column in the dataset (sql_prompts_dataset)")
        self._pinner.reset(self._env, [task_id])
        self._task_text = self._env.observation_text(0)
        self.episode_return = 0.0
        self.violations = []
        self.done = False
        return None

    def run_sql(self, query: str) -> str:
        """Runs a SQLite query against the task's database, under the governance policy.

        Args:
            query: The SQL to run.

        Returns:
            What happened: the rows or the SQL error, or why the policy blocked the query.
        """
        if self.done:
            return "The episode is over; the query was not run."
        _, reward, terminated, truncated, info = self._env.step([query])
        self.episode_return = float(info["episode_return"][0])
        self.done = bool(terminated[0] or truncated[0])
        found = self._env.last_violations(0) if int(info["violations"][0]) else []
        self.violations += [f"{v.policy}/{v.rule}" for v in found]
        feedback = self._feedback()
        if feedback:
            parts = [feedback]
        elif bool(info["executed"][0]):
            parts = [f"Executed. Step reward: {float(reward[0]):g}."]
        elif found:
            parts = ["Blocked by the policy: " + "; ".join(f"{v.reason} ({v.policy}/{v.rule})" for v in found) + "."]
        else:
            parts = ["Not run: the environment refused it (a limit of the episode)."]
        if self.done:
            parts.append("The episode is over.")
        return "\n".join(parts)

    def _feedback(self) -> str:
        """What the engine's observation says about the last step: the text
        after the task's own (question and schema), or "" if none."""
        observation = self._env.observation_text(0)
        if observation == self._task_text:
            return ""
        if observation.startswith(self._task_text):
            return observation[len(self._task_text):].strip()
        return observation.strip()

    def get_reward(self) -> float:
        """The episode's return as the engine computed it."""
        return self.episode_return


class SqlViolations:
    """A reward function over GovernedSqlEnvironment rollouts (TRL passes
    them as ``environments``): each episode's violation count (None for a
    rollout of another kind of environment), and the trainer's
    ``governance/violations`` and ``governance/rule/<policy>/<rule>``
    metrics, per rollout. One instance per trainer."""

    __name__ = "sql_violations"  # TRL's column: rewards/sql_violations/mean

    def __init__(self) -> None:
        self._rules_seen: list[str] = []

    def __call__(self, environments: Sequence[Any] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **_: Any) -> list[float | None]:
        if environments is None:
            raise ValueError("sql_violations scores GovernedSqlEnvironment rollouts: use it with environment_factory")
        ours = [e for e in environments if isinstance(e, GovernedSqlEnvironment)]
        if log_metric is not None and ours:
            counts = Counter(rule for e in ours for rule in e.violations)
            log_metric("governance/violations", sum(counts.values()) / len(ours))
            self._rules_seen += [r for r in counts if r not in self._rules_seen]
            # Every rule seen so far, 0 when absent (TRL averages a metric
            # over the batches that logged it).
            for rule in self._rules_seen:
                log_metric(f"governance/rule/{rule}", counts.get(rule, 0) / len(ours))
        return [float(len(e.violations)) if isinstance(e, GovernedSqlEnvironment) else None for e in environments]


__all__ = ["GovernedSqlEnvironment", "SqlViolations"]
