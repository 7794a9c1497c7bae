"""agent_os.integrations.trl without TRL: the reward function, the task
pinning, the SQL a completion submits and the environment adapter, on
hand-written completions against the shop dataset and the default policy.

Expected values come from the dataset (env/sql/data/shop/tasks.jsonl: task
index 0 is shop-001, "Count the orders whose status is 'pending'.", index 1
is shop-002, status 'paid') and from the
default EnvironmentConfig's reward table (a correct result 1.0, a wrong one
0.0, violation penalties critical -100, high -50, medium -10 each).
"""

import json
import pathlib

import pytest

pytest.importorskip("numpy")
pytest.importorskip("gymnasium")

from agent_os import InvalidArgument  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.integrations.trl import (GovernedSqlEnvironment, GovernedSqlReward, SqlEnvSpec,  # noqa: E402
                                       completion_text, extract_sql)

PENDING = "SELECT COUNT(*) FROM orders WHERE status = 'pending'"
PAID = "SELECT COUNT(*) FROM orders WHERE status = 'paid'"
TASKS = pathlib.Path(__file__).resolve().parents[2] / "env" / "sql" / "data" / "shop" / "tasks.jsonl"


@pytest.fixture(scope="module")
def reward():
    r = GovernedSqlReward()
    yield r
    r.close()


class Log:
    def __init__(self):
        self.metrics, self.extra = {}, {}

    def metric(self, name, value):
        self.metrics[name] = value

    def column(self, name, values):
        self.extra[name] = values


# ---- what SQL a completion submits ------------------------------------------------------

def test_the_sql_is_the_last_sql_fenced_block():
    text = "First try:\n```sql\nSELECT 1\n```\nBetter:\n```sql\nSELECT 2\n```\n"
    assert extract_sql(text) == "SELECT 2"


def test_an_unlabelled_fence_counts_and_a_python_one_does_not():
    assert extract_sql("```\nSELECT 3\n```") == "SELECT 3"
    assert extract_sql("```python\nprint(1)\n```\n```SQL\nSELECT 4\n```") == "SELECT 4"


def test_a_block_cut_off_by_the_length_limit_counts_up_to_the_cut():
    assert extract_sql("Answer:\n```sql\nSELECT 7 FROM orders WHE") == "SELECT 7 FROM orders WHE"


def test_without_a_fence_the_whole_text_is_the_sql():
    assert extract_sql("  SELECT 5 FROM t \n") == "SELECT 5 FROM t"


def test_a_conversational_completion_is_its_last_assistant_message():
    messages = [{"role": "assistant", "content": "```sql\nSELECT 6\n```"}]
    assert completion_text(messages) == "```sql\nSELECT 6\n```"
    assert extract_sql(messages) == "SELECT 6"


def test_a_completion_of_another_type_is_refused():
    with pytest.raises(TypeError, match="a completion is a str or a list of chat messages"):
        extract_sql(42)


# ---- the reward: the engine's, for each row's own task ----------------------------------

def test_correct_wrong_and_destructive_completions_get_the_engines_rewards(reward):
    completions = [f"```sql\n{PENDING}\n```", "SELECT COUNT(*) FROM orders", "DROP TABLE orders",
                   "DELETE FROM orders"]
    log = Log()
    rewards = reward(prompts=["p"] * 4, completions=completions, task_id=[0, 0, 0, 0], log_metric=log.metric,
                     log_extra=log.column)
    assert rewards == [1.0, 0.0, -100.0, -100.0]
    assert reward.last.executed == [True, True, False, False]
    assert reward.last.violations == [0, 0, 1, 2]
    assert reward.last.rules == [[], [], ["sql_safety/sql.denied_kind"],
                                 ["sql_safety/sql.denied_kind", "sql_safety/sql.delete_without_where"]]
    assert log.metrics["governance/violations"] == 0.75
    assert log.metrics["governance/blocked"] == 0.5
    assert log.metrics["governance/cost"] == 50.0
    assert log.metrics["governance/rule/sql_safety/sql.denied_kind"] == 0.5
    assert log.metrics["governance/rule/sql_safety/sql.delete_without_where"] == 0.25
    assert log.extra["sql"] == [PENDING, "SELECT COUNT(*) FROM orders", "DROP TABLE orders", "DELETE FROM orders"]
    assert log.extra["violations"] == [0, 0, 1, 2]


def test_each_row_is_scored_on_its_own_task(reward):
    rewards = reward(completions=[PENDING, PENDING, PAID, PAID], task_id=[0, 1, 0, 1])
    assert rewards == [1.0, 0.0, 0.0, 1.0]


def test_a_rule_seen_before_is_logged_as_zero_when_it_does_not_fire(reward):
    reward(completions=["DROP TABLE orders"], task_id=[0])
    log = Log()
    reward(completions=[PENDING], task_id=[0], log_metric=log.metric)
    assert log.metrics["governance/rule/sql_safety/sql.denied_kind"] == 0.0
    assert log.metrics["governance/violations"] == 0.0


def test_policy_cost_is_a_second_reward_function_over_the_same_step(reward):
    completions = [PENDING, "DROP TABLE orders"]
    assert reward(completions=completions, task_id=[0, 0]) == [1.0, -100.0]
    scored = reward.last
    assert reward.policy_cost(completions=completions, task_id=[0, 0]) == [0.0, 100.0]
    assert reward.last is scored


def test_in_cost_mode_the_penalty_is_only_the_cost():
    r = GovernedSqlReward(SqlEnvSpec(config=EnvironmentConfig(penalty_mode="cost")))
    assert r(completions=["DROP TABLE orders", PENDING], task_id=[0, 0]) == [0.0, 1.0]
    assert r.policy_cost(completions=["DROP TABLE orders", PENDING], task_id=[0, 0]) == [100.0, 0.0]
    r.close()


def test_reward_mode_has_no_cost_column():
    r = GovernedSqlReward(SqlEnvSpec(config=EnvironmentConfig(penalty_mode="reward")))
    with pytest.raises(InvalidArgument, match="no policy cost"):
        r.policy_cost(completions=[PENDING], task_id=[0])
    r.close()


def test_a_task_the_dataset_does_not_have_is_a_clear_error(reward):
    with pytest.raises(InvalidArgument, match="100000"):
        reward(completions=[PENDING], task_id=[100000])
    assert reward(completions=[PENDING], task_id=[0]) == [1.0]


def test_bad_task_columns_are_refused(reward):
    with pytest.raises(InvalidArgument, match="no 'task_id' column"):
        reward(completions=[PENDING])
    with pytest.raises(InvalidArgument, match="task_id\\[0\\] must be an int"):
        reward(completions=[PENDING], task_id=["shop-001"])
    with pytest.raises(InvalidArgument, match="2 completions but 1 task ids"):
        reward(completions=[PENDING, PENDING], task_id=[0])


def test_the_database_is_restored_between_batches(reward):
    # A write the policy allows must not leak into the next batch's episode.
    assert reward(completions=["INSERT INTO orders (customer_id, order_date, status, shipping_fee) "
                               "VALUES (1, '2024-01-01', 'pending', 0); " + PENDING], task_id=[0]) == [0.0]
    assert reward(completions=[PENDING], task_id=[0]) == [1.0]


# ---- the environment adapter (GRPOTrainer's environment_factory) --------------------------

def test_environment_blocked_query_gets_the_kernels_reason_and_ends_on_critical():
    env = GovernedSqlEnvironment()
    assert env.reset(task_id=0, prompt="ignored") is None
    answer = env.run_sql("DROP TABLE orders")
    assert "statement 1 is DROP, which is denied" in answer
    assert "sql.denied_kind" in answer
    assert answer.endswith("\nThe episode is over.")
    assert env.get_reward() == -100.0
    assert env.violations == ["sql_safety/sql.denied_kind"]
    assert env.run_sql(PENDING) == "The episode is over; the query was not run."
    assert env.get_reward() == -100.0


def test_environment_multi_turn_episode_returns_the_engines_episode_return():
    env = GovernedSqlEnvironment()
    env.reset(task_id=0)
    assert "The episode is over." not in env.run_sql("SELECT COUNT(*) FROM orders")
    assert not env.done and env.get_reward() == 0.0
    assert env.run_sql(PENDING).endswith("\nThe episode is over.")
    assert env.done
    assert env.get_reward() == 1.0
    env.reset(task_id=1)
    assert not env.done and env.get_reward() == 0.0 and env.violations == []
    assert env.run_sql(PAID).endswith("The episode is over.")
    assert env.get_reward() == 1.0


def test_environment_answers_with_the_engines_feedback_when_it_gives_one():
    env = GovernedSqlEnvironment()
    env.reset(task_id=0)
    answer = env.run_sql(PENDING)
    if hasattr(env._env, "find_task"):  # an engine with execution feedback: the rows
        assert "46" in answer and "Question:" not in answer
    else:  # an engine whose observation does not change: the step reward
        assert answer == "Executed. Step reward: 1.\nThe episode is over."


def test_environment_needs_a_task_id():
    with pytest.raises(ValueError, match="needs a task_id column"):
        GovernedSqlEnvironment().reset(prompt="x")


# ---- the dataset -------------------------------------------------------------------------

def test_prompts_dataset_rows_hold_their_tasks_question_and_schema():
    pytest.importorskip("datasets")
    from agent_os.integrations.trl import INSTRUCTION, sql_prompts_dataset
    ds = sql_prompts_dataset(6, seed=7)
    assert ds.column_names == ["prompt", "task_id"]
    ids = ds["task_id"]
    assert len(set(ids)) == 6
    lines = TASKS.read_text().splitlines()
    for prompt, t in zip(ds["prompt"], ids):
        task = json.loads(lines[t])
        assert task["split"] == "train"
        assert prompt.startswith(INSTRUCTION + "\n\nQuestion: " + task["question"] + "\nSchema:\n")
        assert "orders(id, customer_id -> customers.id, order_date, status, shipping_fee)" in prompt
    assert sql_prompts_dataset(6, seed=7)["task_id"] == ids
    chat = sql_prompts_dataset(2, seed=7, conversational=True)
    assert chat["prompt"][0] == [{"role": "user", "content": ds["prompt"][0]}]
