"""VectorEnv: Gymnasium VectorEnv conventions, one C call per batch, zero-copy views."""

import ctypes

import pytest

from agent_os import InvalidArgument, KernelSpace, StateError
from agent_os.env_config import EnvironmentConfig
from agent_os.policies import SQLPolicy, ToolPolicy
from agent_os.vector_env import AutoresetMode, VectorEnv
from conftest import NUMPY_BLOCKED, ROOT

pytestmark = pytest.mark.nonumpy
SHOP = str(ROOT / "env" / "sql" / "data" / "shop")
np = None if NUMPY_BLOCKED else pytest.importorskip("numpy")


def mask(*bits):
    """A reset_mask as Gymnasium wants it: a bool array (a list without numpy)."""
    return list(bits) if np is None else np.array(bits, dtype=bool)


def kernel():
    return KernelSpace(policy=ToolPolicy(deny=["bad"], severity="high"))


def ext_env(n, max_steps=3, **kw):
    return VectorEnv(kernel(), n, task="external", config=EnvironmentConfig(max_steps=max_steps), **kw)


def step_msgs(env, rewards=None, done=None):
    n = env.num_envs
    return env.step(["m"] * n, kinds=["message"] * n, external_reward=rewards or [1.0] * n,
                    external_done=done or [False] * n)


@pytest.mark.skipif(NUMPY_BLOCKED, reason="numpy views")
def test_views_share_the_engines_memory_across_steps():
    env = ext_env(16)
    obs, _ = env.reset(seed=0)
    lib = env._lib
    c_reward = lib.agentos_venv_rewards(env._h)
    first = None
    for _ in range(5):
        obs, rew, term, trunc, infos = step_msgs(env)
        ptr = rew.__array_interface__["data"][0]
        assert ptr == c_reward == env.buffer_address("reward")
        first = first or (rew, term, infos["violations"])
        assert rew is first[0] and term is first[1] and infos["violations"] is first[2]
        assert term.__array_interface__["data"][0] == env.buffer_address("terminated")
        assert obs.__array_interface__["data"][0] == env.buffer_address("observation")
    assert rew.dtype == np.float64 and term.dtype == np.bool_ and obs.dtype == np.int64
    assert not rew.flags.writeable
    with pytest.raises(ValueError):
        rew[0] = 5.0
    # the view keeps the memory alive after close
    env.close()
    assert float(rew[0]) in (0.0, 1.0)
    with pytest.raises(StateError):
        step_msgs(env)


def test_one_c_call_per_batch_step():
    env = ext_env(64)
    env.reset(seed=0)
    calls = []
    real = env._step_fn
    env._step_fn = lambda *a: calls.append(1) or real(*a)
    for _ in range(3):
        step_msgs(env)
    assert len(calls) == 3


def test_next_step_autoreset():
    env = ext_env(3, max_steps=10)
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    env.reset(seed=0)
    _, rew, term, trunc, infos = step_msgs(env, rewards=[1.0, 2.0, 3.0], done=[False, True, False])
    assert list(term) == [False, True, False] and list(rew) == [1.0, 2.0, 3.0]
    # next step: env 1 resets, its action is ignored (reward 0, flags 0, not executed); as in
    # Gymnasium's SyncVectorEnv, that row is a reset, so its step infos are masked out
    _, rew, term, trunc, infos = env.step(["m", "bad-ignored", "m"], kinds=["message", "tool_call", "message"],
                                          tools=["", "bad", ""], external_reward=[1.0, 9.0, 1.0])
    assert list(rew) == [1.0, 0.0, 1.0] and not any(term) and not any(trunc)
    assert list(infos["executed"]) == [True, False, True]
    assert list(infos["violations"]) == [0, 0, 0]
    assert list(infos["episode_step"]) == [2, 0, 2]
    for k in ("executed", "violations", "max_severity", "signals", "episode_step", "cost_usd", "episode_return",
              "cost"):
        assert list(infos["_" + k]) == [True, False, True]


def test_same_step_autoreset_reports_final_obs():
    env = VectorEnv(KernelSpace(policy=SQLPolicy()), 4, task="sql", dataset_dir=SHOP, autoreset="same_step",
                    config=EnvironmentConfig(max_steps=1))
    assert env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs0, _ = env.reset(seed=7)
    obs0 = list(obs0)
    obs, rew, term, trunc, infos = env.step(["SELECT 1"] * 4)
    assert all(trunc) and list(infos["_final_obs"]) == [True] * 4
    assert list(infos["final_obs"]) == obs0
    # the ending transition is in final_info; the rows themselves are the new episodes'
    assert list(infos["_final_info"]) == [True] * 4 and list(infos["final_info"]["episode_step"]) == [1] * 4
    assert list(infos["_episode_step"]) == [False] * 4


def test_disabled_autoreset_and_reset_mask():
    env = ext_env(3, max_steps=1, autoreset="disabled")
    env.reset(seed=0)
    step_msgs(env)
    with pytest.raises(StateError):
        step_msgs(env)
    env.reset(options={"reset_mask": mask(True, False, True)})
    with pytest.raises(StateError):          # env 1 is still ended
        step_msgs(env)
    env.reset(options={"reset_mask": mask(False, True, False)})
    _, _, _, trunc, infos = step_msgs(env)
    assert list(trunc) == [True, True, True] and list(infos["episode_step"]) == [1, 1, 1]


def test_seeds_follow_gymnasium():
    big = VectorEnv(KernelSpace(policy=SQLPolicy()), 4, task="sql", dataset_dir=SHOP)
    one = VectorEnv(KernelSpace(policy=SQLPolicy()), 1, task="sql", dataset_dir=SHOP)
    obs = list(big.reset(seed=100)[0])
    for i in range(4):
        assert list(one.reset(seed=100 + i)[0]) == [obs[i]]
    assert list(big.reset(seed=[100, 101, 102, 103])[0]) == obs
    with pytest.raises(InvalidArgument):
        big.reset(seed=[1, 2])
    with pytest.raises(TypeError):
        big.reset(seed="7")
    with pytest.raises(InvalidArgument):
        big.reset(seed=-1)
    with pytest.raises(InvalidArgument):
        big.reset(options={"reset_everything": True})


def test_reset_takes_one_seed_per_env():
    big = VectorEnv(KernelSpace(policy=SQLPolicy()), 4, task="sql", dataset_dir=SHOP)
    one = VectorEnv(KernelSpace(policy=SQLPolicy()), 1, task="sql", dataset_dir=SHOP)
    seeds = [9, 1000, 9, 2 ** 64 - 1]
    want = [list(one.reset(seed=s)[0])[0] for s in seeds]
    assert list(big.reset(seed=seeds)[0]) == want
    assert list(big.reset(seed=tuple(seeds))[0]) == want
    if np is not None:
        assert list(big.reset(seed=np.array(seeds, dtype=np.uint64))[0]) == want
    # None entries keep that env's RNG going: the same as an unseeded reset.
    twin = VectorEnv(KernelSpace(policy=SQLPolicy()), 4, task="sql", dataset_dir=SHOP)
    twin.reset(seed=seeds)
    got = list(big.reset(seed=[5, None, 5, None])[0])
    cont = list(twin.reset()[0])
    assert got[1] == cont[1] and got[3] == cont[3]
    assert got[0] == got[2] == list(one.reset(seed=5)[0])[0]
    # With a mask only the masked envs reset, each with its own seed.
    before = list(big.reset(seed=seeds)[0])
    got = list(big.reset(seed=[5, 9, 5, 9], options={"reset_mask": mask(False, True, False, False)})[0])
    assert got[0] == before[0] and got[2] == before[2] and got[3] == before[3] and got[1] == want[0]
    # Bad lists: ValueError (InvalidArgument) or TypeError, and nothing moved.
    for bad in ([1, 2], [], [1, 2, 3, 4, 5]):
        with pytest.raises(ValueError, match="num_envs = 4"):
            big.reset(seed=bad)
    with pytest.raises(InvalidArgument):
        big.reset(seed=[1, 2, 3, -1])
    with pytest.raises(InvalidArgument):
        big.reset(seed=[1, 2, 3, 2 ** 64])
    with pytest.raises(TypeError):
        big.reset(seed=[1, 2, 3, "4"])
    with pytest.raises(TypeError):
        big.reset(seed=[1, 2, 3, 1.5])
    # An all-False mask is refused, as SyncVectorEnv refuses it, and nothing moved.
    with pytest.raises(ValueError, match="at least one True"):
        big.reset(seed=[5, 9, 5, 9], options={"reset_mask": mask(False, False, False, False)})
    assert list(big.reset(seed=[5, 9, 5, 9], options={"reset_mask": mask(True, False, False, False)})[0])[1:] == got[1:]


def test_metrics_count_episodes_that_changed_the_database():
    env = VectorEnv(KernelSpace(policy=SQLPolicy(allow=["SELECT", "UPDATE"], deny=["DELETE", "DROP"])), 3,
                    task="sql", dataset_dir=SHOP, config=EnvironmentConfig(max_steps=3))
    env.reset(seed=0)
    assert env.metrics()["changed_database_episodes"] == 0
    env.step(["UPDATE orders SET status = 'cancelled' WHERE id = 3", "DELETE FROM orders", "SELECT 1"])
    m = env.metrics()
    assert m["changed_database_episodes"] == 1 and m["backend_destructive_ops"] == 0
    env.reset(seed=0)
    env.step(["UPDATE orders SET status = 'cancelled' WHERE id = 3", "SELECT 1", "SELECT 1"])
    assert env.metrics()["changed_database_episodes"] == 2
    noop = VectorEnv(KernelSpace(policy=SQLPolicy()), 1, task="noop")
    noop.reset()
    assert noop.metrics()["changed_database_episodes"] == 0


def test_thread_count_does_not_change_results():
    actions = ["SELECT COUNT(*) FROM orders", "DROP TABLE orders", "SELECT name FROM customers WHERE id = 1",
               "DELETE FROM orders"] * 8
    results = []
    for threads in (1, 2):
        env = VectorEnv(KernelSpace(policy=SQLPolicy()), 32, task="sql", dataset_dir=SHOP, num_threads=threads,
                        min_envs_per_thread=1)
        env.reset(seed=3)
        out = []
        for _ in range(3):
            _, rew, term, trunc, infos = env.step(actions)
            out.append((list(rew), list(term), list(trunc), list(infos["violations"])))
        results.append(out)
    assert results[0] == results[1]


def test_bad_batches_change_nothing():
    env = ext_env(4)
    env.reset(seed=0)
    before = list(env.step(["a"] * 4, kinds=["message"] * 4)[4]["episode_step"])
    for kwargs in [dict(actions=["a"] * 3), dict(actions=["a"] * 4, kinds=["message"] * 3),
                   dict(actions=["a"] * 4, kinds=["teleport"] * 4), dict(actions=["a"] * 4, cost_usd=[1.0]),
                   dict(actions=["a"] * 4, tools=["x"]), dict(actions=["a"] * 4, external_reward=["x"] * 4)]:
        actions = kwargs.pop("actions")
        with pytest.raises((InvalidArgument, TypeError)):
            env.step(actions, **kwargs)
    with pytest.raises(TypeError):
        env.step(None)
    with pytest.raises(TypeError):
        env.step("abcd")
    after = list(env.step(["a"] * 4, kinds=["message"] * 4)[4]["episode_step"])
    assert after == [s + 1 for s in before]
    with pytest.raises(InvalidArgument):
        VectorEnv(kernel(), 0)
    with pytest.raises(TypeError):
        VectorEnv("kernel", 4)
    with pytest.raises(Exception):
        VectorEnv(kernel(), 2, task="sql", dataset_dir="/nonexistent")
    with pytest.raises(Exception):
        VectorEnv(kernel(), 2, task={"type": "noop", "bogus": 1})


def test_agent_output_is_denied_not_an_error():
    env = VectorEnv(KernelSpace(policy=SQLPolicy()), 4, task="sql", dataset_dir=SHOP)
    env.reset(seed=0)
    _, rew, _, _, infos = env.step([b"\xff\xfe", "", "x" * 100_000, "SELECT 1\x00"])
    assert list(infos["executed"]) == [0, 0, 0, 0] and all(v >= 1 for v in infos["violations"])
    assert env.metrics()["backend_destructive_ops"] == 0


def test_signals_metrics_and_explanations():
    env = ext_env(2, keep_results=True, max_steps=2)
    env.reset(seed=0)
    env.send_signal(1, "SIGSTOP")
    _, rew, _, _, infos = env.step(["x", "x"], kinds=["tool_call"] * 2, tools=["bad", "bad"])
    assert list(infos["executed"]) == [0, 0] and list(rew) == [-50.0, 0.0]
    assert infos["signals"][1] & 0x01
    v = env.last_violations(0)
    assert v[0].policy == "tool_policy" and v[0].severity == "high" and v[0].blocked
    step_msgs(env)
    m = env.metrics()
    assert m["episodes"] == 1 and 0.0 <= m["success_rate"] <= 1.0 and m["by_policy"]["tool_policy"] == 1
    assert m["signals"]["SIGSTOP"] == 1
    with pytest.raises(InvalidArgument):
        env.send_signal(5, "SIGSTOP")
    with pytest.raises(InvalidArgument):
        env.send_signal(0, "SIGBUDGET")
    sql = VectorEnv(KernelSpace(policy=SQLPolicy()), 1, task="sql", dataset_dir=SHOP)
    sql.reset(seed=1)
    assert sql.observation_text(0).startswith("Question")


def test_spaces_are_described():
    env = ext_env(3)
    assert env.single_action_space.max_length == 64 * 1024
    assert env.single_observation_space is not None and env.observation_space is not None
