"""GovernedEnvironment: Gymnasium's single-env contract over the engine (num_envs = 1)."""

import sqlite3

import pytest

from agent_os import Action, InvalidArgument, KernelSpace, StateError
from agent_os.integrations.agent_lightning import EnvironmentConfig, GovernedEnvironment, create_governed_env
from agent_os.policies import SQLPolicy, ToolPolicy
from conftest import ROOT

pytestmark = pytest.mark.nonumpy
SHOP = ROOT / "env" / "sql" / "data" / "shop"


def sql_env(**cfg):
    k = KernelSpace(policy=SQLPolicy(allow=["SELECT"], severities={"DROP": "critical"}))
    return GovernedEnvironment(k, task="sql", dataset_dir=str(SHOP), config=EnvironmentConfig(**cfg))


def test_step_returns_plain_python_types():
    env = sql_env(max_steps=3)
    state, info = env.reset(seed=1)
    assert set(state) == {"task", "step"} and "Question" in state["task"] and state["step"] == 0
    assert info["episode_index"] == 0 and info["kernel_policies"] == ["sql_policy"]
    state, reward, terminated, truncated, info = env.step("SELECT 1")
    assert type(reward) is float and terminated is False and truncated is False
    assert type(info["success"]) is bool and state["step"] == 1
    assert env.observation_space.contains(state) and env.action_space.contains("SELECT 1")


def test_seed_determinism():
    a, b = sql_env(), sql_env()
    assert a.reset(seed=123)[0] == b.reset(seed=123)[0] == a.reset(seed=123)[0]
    tasks = {a.reset(seed=s)[0]["task"] for s in range(20)}
    assert len(tasks) > 1


def test_critical_violation_terminates_only_when_configured():
    env = sql_env()
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("DROP TABLE customers")
    assert terminated and not truncated and env.terminated and reward == -100.0
    assert info["signals"] == ["SIGPOLICY"] and info["violations"][0]["severity"] == "critical"
    assert info["executed"] is False and info["total_reward"] == reward
    with pytest.raises(StateError):
        env.step("SELECT 1")
    env = sql_env(terminate_on_critical=False)
    env.reset(seed=0)
    _, reward, terminated, _, _ = env.step("DROP TABLE customers")
    assert not terminated and reward == -100.0
    assert env.get_metrics()["backend_destructive_ops"] == 0


def test_max_steps_truncates_not_terminates():
    env = sql_env(max_steps=2)
    env.reset(seed=5)
    assert env.step("SELECT 1")[3] is False
    _, _, terminated, truncated, _ = env.step("SELECT 2")
    assert truncated is True and terminated is False and env.terminated


def test_step_before_reset_is_refused():
    with pytest.raises(StateError):
        sql_env().step("SELECT 1")


@pytest.mark.parametrize("severity, penalty", [("critical", -100.0), ("high", -50.0), ("medium", -10.0), ("low", -1.0)])
def test_reward_per_severity_and_totals(severity, penalty):
    k = KernelSpace(policy=ToolPolicy(deny=["bad"], severity=severity))
    env = GovernedEnvironment(k, reward_fn=lambda s, a, r: 1.0, action_kind="tool_call",
                              config=EnvironmentConfig(max_steps=10, terminate_on_critical=False, step_penalty=-0.5))
    env.reset(seed=0)
    rewards = []
    for tool in ["good", "bad", "good"]:
        _, r, _, _, info = env.step(Action.tool_call(tool))
        rewards.append(r)
    assert rewards == [0.5, penalty - 0.5, 0.5]          # blocked: no task reward, penalty + step penalty
    assert info["total_reward"] == sum(rewards)


def test_success_bonus_once_per_clean_episode_and_success_rate_at_most_1():
    k = KernelSpace(policy=ToolPolicy(deny=["bad"]))
    env = GovernedEnvironment(k, reward_fn=lambda s, a, r: (1.0, True), action_kind="message",
                              config=EnvironmentConfig(max_steps=4, success_bonus=3.0))
    for _ in range(2):
        env.reset()
        rewards = [env.step("hello")[1] for _ in range(4)]
        assert rewards == [4.0, 1.0, 1.0, 1.0]
    m = env.get_metrics()
    assert m["total_episodes"] == 2 and m["successful_episodes"] == 2 and m["success_rate"] == 1.0
    assert m["steps_per_episode"] == 4.0


def test_executor_never_runs_a_blocked_action():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    db.execute("INSERT INTO users VALUES (1, 'ada')")
    ran = []

    def executor(action):
        ran.append(action.payload)
        return db.execute(action.payload).fetchall()

    def reward_fn(state, action, result):
        return (1.0, True, True) if result == [(1,)] else 0.0

    k = KernelSpace(policy=SQLPolicy(allow=["SELECT"]))
    env = GovernedEnvironment(k, executor=executor, reward_fn=reward_fn, task_generator=lambda rng: "count users",
                              config=EnvironmentConfig(terminate_on_critical=False))
    state, info = env.reset(seed=0)
    assert state["task"] == "count users"
    for sql in ["DROP TABLE users", "DELETE FROM users", "SELECT 1; DROP TABLE users", b"SELECT \xff", "", "x" * 70000]:
        _, reward, terminated, _, info = env.step(sql)
        assert info["executed"] is False and info["violations"] and not terminated
    assert ran == [] and db.execute("SELECT count(*) FROM users").fetchone() == (1,)
    _, reward, terminated, _, info = env.step("SELECT count(*) FROM users")
    assert ran == ["SELECT count(*) FROM users"] and info["result"] == [(1,)] and terminated and info["success"]


def test_bad_input_is_a_python_exception_and_the_env_keeps_working():
    env = sql_env()
    env.reset(seed=0)
    for bad, exc in [(None, TypeError), (12, TypeError), ({"kind": "nope"}, InvalidArgument)]:
        with pytest.raises(exc):
            env.step(bad)
    _, _, _, _, info = env.step(b"SELECT '\xc3\x28'")
    assert info["executed"] is False and info["violations"][0]["rule"] == "kernel.invalid_utf8"
    assert env.step("SELECT 1")[4]["executed"] is True
    with pytest.raises(InvalidArgument):
        env.reset(seed=-1)
    with pytest.raises(TypeError):
        GovernedEnvironment("kernel")
    with pytest.raises(InvalidArgument):
        GovernedEnvironment(KernelSpace(policy=SQLPolicy()), task="sql", dataset_dir=str(SHOP), reward_fn=lambda *a: 0)


def test_signals():
    k = KernelSpace(policy=SQLPolicy())
    env = GovernedEnvironment(k, reward_fn=lambda *a: 1.0)
    env.reset(seed=0)
    env.send_signal("SIGSTOP")
    _, r, term, trunc, info = env.step("SELECT 1")
    assert r == 0.0 and info["executed"] is False and "SIGSTOP" in info["signals"] and info["step"] == 0
    env.send_signal("SIGCONT")
    assert env.step("SELECT 1")[1] == 1.0
    env.send_signal("SIGKILL")
    _, r, term, trunc, info = env.step("SELECT 1")
    assert term and "SIGKILL" in info["signals"]
    with pytest.raises(InvalidArgument):
        env.send_signal("SIGPOLICY")   # raised by the engine only


def test_config_defaults_are_the_engines():
    from agent_os import _env_capi
    c = _env_capi.default_config()
    cfg = EnvironmentConfig()
    p = cfg.penalties()
    assert (p["critical"], p["high"], p["medium"], p["low"]) == (
        c.critical_penalty, c.high_penalty, c.medium_penalty, c.low_penalty)
    assert (cfg.step_penalty, cfg.success_bonus, cfg.max_steps, cfg.terminate_on_critical) == (
        c.step_penalty, c.clean_bonus, c.max_steps, bool(c.terminate_on_critical))
    assert (cfg.min_reward, cfg.max_reward, cfg.max_action_bytes) == (c.min_reward, c.max_reward, c.max_action_bytes)
    with pytest.raises(InvalidArgument):
        EnvironmentConfig(violation_penalty=5.0)
    with pytest.raises(TypeError):
        EnvironmentConfig(max_steps="100")
    with pytest.raises(InvalidArgument):
        EnvironmentConfig(max_steps=0)
    env = create_governed_env(KernelSpace(policy=SQLPolicy()), max_steps=7)
    assert env.config.max_steps == 7
