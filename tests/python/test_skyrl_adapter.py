"""agent_os.integrations.skyrl: the governed SQL task behind SkyRL-Gym's
text-environment contract (``skyrl_gym.make``, ``init``, ``step`` returning
a BaseTextEnvStepOutput of chat messages, reward, done and metadata).

Task 0 of the shop dataset asks "Count the orders whose status is
'pending'."; its gold query is
SELECT COUNT(*) FROM orders WHERE status = 'pending'.
"""

import pytest

skyrl_gym = pytest.importorskip("skyrl_gym", reason="needs skyrl-gym (requirements/peers.txt)")
from skyrl_gym.envs.base_text_env import BaseTextEnv  # noqa: E402

from agent_os import AgentOSError, InvalidArgument, StateError  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.integrations import skyrl as adapter  # noqa: E402

CORRECT = "SELECT COUNT(*) FROM orders WHERE status = 'pending'"
STEP_OUTPUT_KEYS = {"observations", "reward", "done", "metadata"}


@pytest.fixture
def make_env():
    made = []

    def make(**extras):
        env = skyrl_gym.make("agentos-sql", env_config={}, extras={"task_index": 0, **extras})
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()


def test_registered_with_skyrl_gym():
    assert "agentos-sql" in skyrl_gym.registry
    assert skyrl_gym.spec("agentos-sql").entry_point == "agent_os.integrations.skyrl:GovernedSqlEnv"


def test_three_step_episode_follows_the_text_env_contract(make_env):
    env = make_env()
    assert isinstance(env, BaseTextEnv)
    chat, info = env.init([{"role": "system", "content": "Answer with <sql>...</sql>."}])
    assert chat[0] == {"role": "system", "content": "Answer with <sql>...</sql>."}
    assert chat[1]["role"] == "user"
    assert chat[1]["content"].startswith("Question: Count the orders whose status is 'pending'.\nSchema:\n")
    assert info == {"task_index": 0}

    out = env.step("<think>look first</think><sql>SELECT nonsense FROM nowhere</sql>")
    assert set(out) == STEP_OUTPUT_KEYS
    assert out["observations"] == [{"role": "user", "content": "Last action: SQL error\nno such table: nowhere"}]
    assert out["reward"] == 0.0 and out["done"] is False
    assert out["metadata"]["sql"] == "SELECT nonsense FROM nowhere"
    assert out["metadata"]["executed"] is True and out["metadata"]["task_error"] == "no such table: nowhere"

    out = env.step("<sql>SELECT COUNT(*) FROM orders</sql>")
    assert out["observations"] == [{"role": "user", "content": "Last action: rows (1 total)\nCOUNT(*)\n1100"}]
    assert out["reward"] == 0.0 and out["done"] is False
    assert out["metadata"]["success"] is False and out["metadata"]["episode_step"] == 2

    out = env.step(f"<think>filter on status</think><solution>{CORRECT}</solution>")
    assert out["observations"] == []
    assert out["reward"] == 1.0 and out["done"] is True
    assert out["metadata"]["success"] is True and out["metadata"]["terminated"] is True
    assert env.get_metrics() == {"steps": 3, "success": 1, "blocked": 0, "episode_return": 1.0}
    with pytest.raises(StateError):
        env.step(CORRECT)
    env.close()
    assert env.get_metrics() == {"steps": 3, "success": 1, "blocked": 0, "episode_return": 1.0}


def test_a_correct_first_query_ends_with_reward_1(make_env):
    env = make_env()
    env.init()
    out = env.step(CORRECT)  # untagged: sent as it is
    assert (out["reward"], out["done"], out["observations"]) == (1.0, True, [])
    assert out["metadata"]["violations"] == []


def test_a_destructive_statement_is_blocked_and_reported(make_env):
    env = make_env()
    env.init()
    out = env.step("<sql>DELETE FROM orders</sql>")
    meta = out["metadata"]
    assert meta["executed"] is False and meta["blocked"] is True
    assert [(v["policy"], v["rule"], v["severity"]) for v in meta["violations"]] == [
        ("sql_safety", "sql.denied_kind", "high"), ("sql_safety", "sql.delete_without_where", "high")]
    assert meta["violations"][0]["reason"] == "statement 1 is DELETE, which is denied"
    assert out["observations"] == [{"role": "user", "content": (
        "Last action: blocked\n"
        "policy sql_safety, rule sql.denied_kind, high: statement 1 is DELETE, which is denied\n"
        "policy sql_safety, rule sql.delete_without_where, high: statement 1: DELETE without a WHERE clause at "
        "statement level")}]
    assert out["reward"] == -100.0 and out["done"] is False
    assert meta["policy_cost"] == 100.0
    metrics = env.engine_metrics()
    assert metrics["backend_destructive_ops"] == 0
    # The database still answers the question: nothing was deleted.
    assert env.step(CORRECT)["reward"] == 1.0


def test_a_critical_violation_ends_the_episode(make_env):
    env = make_env()
    env.init()
    out = env.step("<sql>DROP TABLE orders</sql>")
    assert (out["reward"], out["done"], out["observations"]) == (-100.0, True, [])
    assert out["metadata"]["feedback"] == (
        "Last action: blocked\npolicy sql_safety, rule sql.denied_kind, critical: statement 1 is DROP, which is denied")


def test_max_turns_truncates_the_episode(make_env):
    env = make_env(max_turns=2)
    env.init()
    assert env.step("SELECT 1")["done"] is False
    out = env.step("SELECT 2")
    assert out["done"] is True and out["metadata"]["truncated"] is True and out["reward"] == 0.0


def test_init_starts_a_new_episode_on_the_same_env(make_env):
    env = make_env()
    env.init()
    assert env.step(CORRECT)["done"] is True
    env.init()
    out = env.step(CORRECT)
    assert out["reward"] == 1.0 and out["metadata"]["episode_step"] == 1


def test_the_environment_config_sets_the_engine_reward_table(make_env):
    env = skyrl_gym.make("agentos-sql", env_config={"environment": EnvironmentConfig(violation_penalty=-1.0)},
                         extras={"task_index": 0})
    try:
        env.init()
        assert env.step("DELETE FROM orders")["reward"] == -10.0  # two high violations at 5 x -1
    finally:
        env.close()


def test_extract_sql_reads_skyrl_tags():
    assert adapter.extract_sql("<think>a</think><sql> SELECT 1 </sql>") == "SELECT 1"
    assert adapter.extract_sql("<sql>SELECT 1</sql><solution>SELECT 2</solution>") == "SELECT 2"
    assert adapter.extract_sql("SELECT 3") == "SELECT 3"
    with pytest.raises(TypeError):
        adapter.extract_sql(b"SELECT 1")


def test_misuse_is_refused(make_env):
    env = make_env()
    with pytest.raises(StateError, match="init"):
        env.step(CORRECT)
    env.close()
    env.close()
    with pytest.raises(StateError, match="closed"):
        env.init()
    with pytest.raises(TypeError, match="EnvironmentConfig"):
        skyrl_gym.make("agentos-sql", env_config={"environment": {"max_steps": 3}}, extras={})


def test_an_unknown_task_index_is_a_clear_error():
    env = skyrl_gym.make("agentos-sql", env_config={}, extras={"task_index": 100000})
    try:
        with pytest.raises(InvalidArgument, match="100000"):
            env.init()
    finally:
        env.close()


def test_open_envs_never_share_an_engine_and_closed_ones_are_reused(make_env):
    first, second = make_env(), make_env()
    assert first._engine() is not second._engine()
    first.init()
    second.init()
    assert second.step("DROP TABLE orders")["done"] is True
    assert first.step(CORRECT)["reward"] == 1.0  # the other env's episode is untouched
    engine = first._engine()
    first.close()
    assert make_env()._engine() is engine


def test_an_omegaconf_env_config_as_skyrl_passes_it():
    omegaconf = pytest.importorskip("omegaconf")
    from agent_os.gym_env import default_dataset_dir

    cfg = omegaconf.OmegaConf.create({"dataset_dir": str(default_dataset_dir()), "row_limit": 1})
    env = skyrl_gym.make("agentos-sql", env_config=cfg, extras={"task_index": 0})
    try:
        env.init()
        out = env.step("SELECT id FROM orders")  # more rows than row_limit: the task's error
        assert out["metadata"]["task_error"] == "row limit exceeded: the statement returns more than 1 rows"
        assert out["reward"] == 0.0 and out["done"] is False
    finally:
        env.close()


EPISODES = [
    ["SELECT nonsense FROM nowhere", "SELECT COUNT(*) FROM orders", CORRECT],
    ["DELETE FROM orders", "UPDATE products SET price = 0", "SELECT 1"],
    ["PRAGMA writable_schema = ON", "DROP TABLE orders"],
    ["hello", "SELECT 1; SELECT 2", "INSERT INTO categories (id, name) VALUES (999, 'x')"],
]


@pytest.mark.parametrize("actions", EPISODES)
def test_every_number_is_the_engines(actions):
    """The adapter adds no rule: its reward, done and executed equal a plain
    engine VectorEnv's stepped with the same SQL on the same task."""
    from agent_os import KernelSpace, VectorEnv
    from agent_os.gym_env import DEFAULT_POLICY, default_dataset_dir

    venv = VectorEnv(KernelSpace.from_yaml(DEFAULT_POLICY), 1, task="sql", dataset_dir=str(default_dataset_dir()),
                     task_index=0, autoreset="disabled", config=EnvironmentConfig(max_steps=3))
    env = skyrl_gym.make("agentos-sql", env_config={}, extras={"task_index": 0, "max_turns": 3})
    try:
        venv.reset(seed=0)
        env.init()
        for sql in actions:
            _, reward, terminated, truncated, infos = venv.step([sql])
            out = env.step(f"<sql>{sql}</sql>")
            assert out["reward"] == float(reward[0])
            assert out["done"] == bool(terminated[0] or truncated[0])
            assert out["metadata"]["executed"] == bool(infos["executed"][0])
            if out["done"]:
                break
    finally:
        env.close()
        venv.close()


def test_task_options_reach_the_engine_which_names_a_bad_one():
    with pytest.raises(AgentOSError, match=r"'time_limit_ms' must be in \[1, 4294967295\], got 0"):
        skyrl_gym.make("agentos-sql", env_config={"time_limit_ms": 0}, extras={"task_index": 0})


def test_a_wrong_solution_ends_the_episode_with_reward_0(make_env):
    env = make_env()
    env.init()
    out = env.step("<think>guess</think><solution>SELECT COUNT(*) FROM orders</solution>")
    assert (out["reward"], out["done"], out["observations"]) == (0.0, True, [])
    assert out["metadata"]["terminated"] is True and out["metadata"]["success"] is False
