"""agent_os for TRL's GRPOTrainer: the governed SQL env scores completions.

    from trl import GRPOConfig, GRPOTrainer
    from agent_os.integrations.trl import GovernedSqlReward, sql_prompts_dataset

    dataset = sql_prompts_dataset(64)             # prompt + task_id, from the engine's tasks
    reward = GovernedSqlReward()                  # the default policy, the shop dataset
    trainer = GRPOTrainer(model, reward_funcs=[reward], train_dataset=dataset, args=GRPOConfig(...))

* ``GovernedSqlReward`` (reward.py): a reward function; each call is ONE
  VectorEnv step over the batch, each env on its row's task; the reward is
  the engine's; violations, blocked actions, policy cost and the rules that
  fired go to the trainer's logs (``governance/...``). ``policy_cost`` is a
  second reward function for ``info["cost"]``.
* ``GovernedSqlEnvironment`` (environment.py): for
  ``GRPOTrainer(environment_factory=...)``, a ``run_sql`` tool over a
  multi-turn governed episode whose return is the rollout's reward;
  ``SqlViolations`` logs its episodes' violations.
* ``sql_prompts_dataset`` (dataset.py): a ``datasets.Dataset`` of prompts.
* ``extract_sql`` (completion_sql.py): what SQL a completion submits.

TRL, transformers and datasets are optional (requirements/llm.txt pins
them); nothing here imports them until used.
"""

from .completion_sql import completion_text, extract_sql
from .dataset import INSTRUCTION, sql_prompts_dataset
from .environment import GovernedSqlEnvironment, SqlViolations
from .reward import METRIC_PREFIX, GovernedSqlReward, ScoredBatch, governed_sql_reward
from .sql_env import SqlEnvSpec, TaskPinner

__all__ = [
    "GovernedSqlReward", "governed_sql_reward", "ScoredBatch", "METRIC_PREFIX", "GovernedSqlEnvironment", "SqlViolations",
    "sql_prompts_dataset", "INSTRUCTION", "extract_sql", "completion_text", "SqlEnvSpec", "TaskPinner",
]
