"""Multi-turn SQL episodes with execution feedback, and tasks chosen by the
trainer, through the Python VectorEnv and the Gymnasium wrapper: what a
trainer of a SQL agent sees."""

import pytest

from agent_os import InvalidArgument, KernelSpace
from agent_os.env_config import EnvironmentConfig
from agent_os.errors import NotFoundError
from agent_os.policies import SQLPolicy
from agent_os.vector_env import VectorEnv
from conftest import NUMPY_BLOCKED, ROOT

pytestmark = pytest.mark.nonumpy
SHOP = str(ROOT / "env" / "sql" / "data" / "shop")


def sql_env(n, **task_options):
    kernel = KernelSpace(policy=SQLPolicy(deny=["DROP", "DELETE"]))
    return VectorEnv(kernel, n, task="sql", dataset_dir=SHOP, autoreset="disabled",
                     config=EnvironmentConfig(max_steps=10, terminate_on_critical=False), **task_options)


def feedback(env, i):
    """The observation text after the question and schema."""
    text = env.observation_text(i)
    return text[text.index("\n\nLast action: "):]


def test_three_turn_episode_wrong_query_error_fixed_query_submitted_answer():
    env = sql_env(1, episode="multi_turn")
    obs, _ = env.reset(seed=3, options={"task_id": ["shop-001"]})
    assert list(obs) == [0]
    assert env.observation_text(0).startswith("Question: Count the orders whose status is 'pending'.\nSchema:\n")
    assert "Last action" not in env.observation_text(0)

    obs, reward, terminated, truncated, info = env.step(["SELECT COUNT(*) FROM order_list WHERE status = 'pending'"])
    assert (list(reward), list(terminated), list(info["executed"])) == ([0.0], [False], [True])
    assert feedback(env, 0) == "\n\nLast action: SQL error\nno such table: order_list"

    obs, reward, terminated, truncated, info = env.step(
        ["SELECT status, COUNT(*) AS n FROM orders WHERE status = 'pending' GROUP BY status"])
    assert (list(reward), list(terminated)) == ([0.0], [False])
    assert feedback(env, 0) == "\n\nLast action: rows (1 total)\nstatus | n\npending | 46"

    obs, reward, terminated, truncated, info = env.step(
        ["/* submit */ SELECT COUNT(*) FROM orders WHERE status = 'pending'"])
    assert (list(reward), list(terminated), list(truncated)) == ([1.0], [True], [False])
    assert list(info["episode_step"]) == [3]


def test_blocked_action_shows_the_kernels_reason_and_never_runs():
    env = sql_env(1)
    env.reset(seed=1, options={"task_id": [0]})
    _, _, _, _, info = env.step(["DROP TABLE orders"])
    assert list(info["executed"]) == [False]
    assert feedback(env, 0) == ("\n\nLast action: blocked\n"
                                "policy sql_policy, rule sql.denied_kind, critical: statement 1 is DROP, which is denied")


def test_feedback_can_be_turned_off_and_limited():
    quiet = sql_env(1, feedback=False)
    quiet.reset(seed=1, options={"task_id": [0]})
    before = quiet.observation_text(0)
    quiet.step(["SELECT 1"])
    assert quiet.observation_text(0) == before
    short = sql_env(1, feedback_rows=2)
    short.reset(seed=1, options={"task_id": [0]})
    short.step(["SELECT id FROM categories ORDER BY id"])
    assert feedback(short, 0) == "\n\nLast action: rows (23 total, showing 2)\nid\n1\n2"
    with pytest.raises(Exception, match="'episode' must be \"single\" or \"multi_turn\""):
        sql_env(1, episode="many")


def test_every_env_is_pinned_by_id_index_or_left_to_the_seed():
    env = sql_env(4)
    assert env.find_task("shop-042") == 41
    obs, _ = env.reset(seed=9, options={"task_id": ["shop-042", 0, None, "shop-004"]})
    plain = sql_env(4)
    plain_obs, _ = plain.reset(seed=9)
    assert list(obs) == [41, 0, plain_obs[2], 3]
    for i, task in enumerate([41, 0, None, 3]):
        if task is not None:
            assert env.observation_text(i).startswith("Question: ")
    # A pin lasts one episode: without options, the seed picks again.
    obs, _ = env.reset(seed=9)
    assert list(obs) == list(plain_obs)


def test_bad_task_ids_are_clear_errors_and_change_nothing():
    env = sql_env(3)
    obs, _ = env.reset(seed=1, options={"task_id": [1, 2, 3]})
    assert list(obs) == [1, 2, 3]
    with pytest.raises(NotFoundError, match="no task has the id 'shop-999'"):
        env.reset(seed=2, options={"task_id": ["shop-001", "shop-999", None]})
    with pytest.raises(InvalidArgument, match="env 2: task index 100000 is out of range"):
        env.reset(seed=2, options={"task_id": [0, 0, 100000]})
    with pytest.raises(InvalidArgument, match="num_envs = 3 entries, got 2"):
        env.reset(options={"task_id": [0, 0]})
    with pytest.raises(TypeError):
        env.reset(options={"task_id": "shop-001"})
    with pytest.raises(TypeError):
        env.reset(options={"task_id": [0, 1.5, 2]})
    with pytest.raises(InvalidArgument):
        env.reset(options={"task_id": [0, -1, 2]})
    assert [env.observation_text(i).startswith("Question: ") for i in range(3)] == [True] * 3
    assert list(env._result()[0]) == [1, 2, 3]
    with pytest.raises(NotFoundError):
        env.find_task("nope")
    noop = VectorEnv(KernelSpace(policy=SQLPolicy()), 2, task="noop")
    with pytest.raises(InvalidArgument, match="cannot be pinned"):
        noop.reset(options={"task_id": [0, None]})


@pytest.mark.skipif(NUMPY_BLOCKED, reason="Gymnasium needs numpy")
def test_gymnasium_env_takes_a_task_id():
    pytest.importorskip("gymnasium")
    from agent_os.gym_env import GymEnv
    env = GymEnv("sql", policy=KernelSpace(policy=SQLPolicy()), episode="multi_turn")
    obs, _ = env.reset(seed=4, options={"task_id": "shop-042"})
    assert int(obs) == 41
    obs, _ = env.reset(seed=4, options={"task_id": 3})
    assert int(obs) == 3
    with pytest.raises(NotFoundError):
        env.reset(options={"task_id": "shop-999"})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"level": 1})
    env.reset(seed=4, options={"task_id": 0})
    _, reward, terminated, _, _ = env.step("/* submit */ SELECT COUNT(*) FROM orders WHERE status = 'pending'")
    assert (reward, terminated) == (1.0, True)
    assert "\n\nLast action: rows (1 total)\nCOUNT(*)\n46" in env.observation_text()
