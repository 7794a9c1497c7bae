"""VectorEnv async mode: send(actions, env_ids) / recv() with EnvPool's contract."""

import random

import pytest

from agent_os import InvalidArgument, KernelSpace, StateError
from agent_os.env_config import EnvironmentConfig
from agent_os.policies import ToolPolicy
from agent_os.vector_env import VectorEnv
from conftest import NUMPY_BLOCKED

pytestmark = pytest.mark.nonumpy
np = None if NUMPY_BLOCKED else pytest.importorskip("numpy")


def ext_env(n, max_steps=4, **kw):
    kernel = KernelSpace(policy=ToolPolicy(deny=["bad"], severity="high"))
    return VectorEnv(kernel, n, task="external", config=EnvironmentConfig(max_steps=max_steps), **kw)


def send_msgs(env, ids, rewards, done):
    n = len(ids)
    env.send(["m"] * n, ids, kinds=["message"] * n, external_reward=rewards, external_done=done)


def test_every_env_sent_comes_back_once_with_its_own_row():
    env = ext_env(10, num_threads=2, batch_size=4)
    assert env.batch_size == 4
    env.reset(seed=0)
    ids = [9, 3, 0, 5, 7, 1]
    send_msgs(env, ids, [float(i) for i in ids], [False] * 6)  # reward = the env's id
    assert env.in_flight == 6
    seen = []
    for expected in (4, 2):  # a full batch, then the two left
        obs, rew, term, trunc, infos = env.recv()
        got = [int(i) for i in infos["env_id"]]
        assert len(got) == expected
        assert [float(r) for r in rew] == [float(i) for i in got]
        assert [bool(x) for x in infos["executed"]] == [True] * expected
        assert [int(x) for x in infos["episode_step"]] == [1] * expected
        assert not any(term) and not any(trunc)
        seen += got
    assert sorted(seen) == sorted(ids)
    assert env.in_flight == 0
    with pytest.raises(StateError, match="no env is in flight"):
        env.recv()


def trajectories(n, steps, seed_rng, **kw):
    """Each env's rows over `steps` steps; with kw, through send/recv."""
    env = ext_env(n, **kw)
    env.reset(seed=3)
    rng = random.Random(seed_rng)
    plan = [[(rng.random(), rng.random() < 0.2) for _ in range(steps)] for _ in range(n)]
    rows = [[] for _ in range(n)]

    def row(o, r, te, tr, ar):
        return (int(o), round(float(r), 9), bool(te), bool(tr), bool(ar))

    if not kw:
        for t in range(steps):
            obs, rew, term, trunc, infos = env.step(
                ["m"] * n, kinds=["message"] * n, external_reward=[plan[e][t][0] for e in range(n)],
                external_done=[plan[e][t][1] for e in range(n)])
            ended = env.buffers["autoreset"] if np is not None else [0] * n
            for e in range(n):
                rows[e].append(row(obs[e], rew[e], term[e], trunc[e], ended[e]))
        return rows

    def send(ids):
        ids = [e for e in ids if len(rows[e]) < steps]
        if ids:
            send_msgs(env, ids, [plan[e][len(rows[e])][0] for e in ids], [plan[e][len(rows[e])][1] for e in ids])

    send(range(n))
    while env.in_flight:
        obs, rew, term, trunc, infos = env.recv()
        ids = [int(i) for i in infos["env_id"]]
        for k, e in enumerate(ids):
            rows[e].append(row(obs[k], rew[k], term[k], trunc[k], infos["autoreset"][k]))
        send(ids)
    return rows


@pytest.mark.skipif(NUMPY_BLOCKED, reason="the sync reference reads the autoreset buffer")
@pytest.mark.parametrize("threads,batch", [(1, 1), (2, 3), (2, 6), (3, 2)])
def test_each_envs_trajectory_is_steps_whatever_the_batching(threads, batch):
    sync = trajectories(6, 30, seed_rng=5)
    assert any(r[4] for rows in sync for r in rows)  # autoresets happen
    assert trajectories(6, 30, seed_rng=5, num_threads=threads, batch_size=batch) == sync


def test_bad_sends_and_sync_calls_while_in_flight_are_refused():
    env = ext_env(4, num_threads=2, batch_size=2)
    with pytest.raises(StateError):  # never reset
        send_msgs(env, [0], [0.0], [False])
    env.reset(seed=0)
    with pytest.raises(InvalidArgument):
        send_msgs(env, [4], [0.0], [False])
    with pytest.raises(InvalidArgument):
        send_msgs(env, [1, 1], [0.0, 0.0], [False, False])
    with pytest.raises(InvalidArgument):
        send_msgs(env, [-1], [0.0], [False])
    with pytest.raises(InvalidArgument, match="2 actions for 1 env ids"):
        env.send(["a", "b"], [0])
    assert env.in_flight == 0
    send_msgs(env, [2], [0.0], [False])
    with pytest.raises(StateError, match="env 2 is already in flight"):
        send_msgs(env, [0, 2], [0.0, 0.0], [False, False])
    assert env.in_flight == 1
    with pytest.raises(StateError):
        env.step(["m"] * 4, kinds=["message"] * 4)
    with pytest.raises(StateError):
        env.reset(seed=1)
    with pytest.raises(StateError):
        env.metrics()
    with pytest.raises(StateError):
        env.observation_text(2)
    env.recv()
    assert env.metrics()["steps"] == 1
    env.step(["m"] * 4, kinds=["message"] * 4)


def test_batch_size_is_checked_by_the_engine():
    with pytest.raises(InvalidArgument, match="batch_size"):
        ext_env(3, batch_size=4)
    assert ext_env(3).batch_size == 3  # default: num_envs


def test_each_recv_returns_its_own_infos_dict_over_the_new_rows():
    env = ext_env(4, max_steps=2, num_threads=2, batch_size=4)
    env.reset(seed=0)
    send_msgs(env, [0, 1, 2, 3], [1.0, 1.0, 1.0, 1.0], [False] * 4)
    first = env.recv()[4]
    first.pop("env_id")  # the caller's dict: changing it changes no later recv
    first["mine"] = 1
    send_msgs(env, [0, 1, 2, 3], [2.0, 2.0, 2.0, 2.0], [False] * 4)
    _obs, rew, _term, trunc, infos = env.recv()
    assert "mine" not in infos
    assert sorted(int(i) for i in infos["env_id"]) == [0, 1, 2, 3]
    assert [float(r) for r in rew] == [2.0, 2.0, 2.0, 2.0]
    assert [int(s) for s in infos["episode_step"]] == [2, 2, 2, 2]
    assert [bool(t) for t in trunc] == [True, True, True, True]  # max_steps 2
    # The third step of each env is its autoreset: the stepped mask follows.
    send_msgs(env, [0, 1, 2, 3], [3.0, 3.0, 3.0, 3.0], [False] * 4)
    infos = env.recv()[4]
    assert [bool(a) for a in infos["autoreset"]] == [True, True, True, True]
    assert [bool(s) for s in infos["_executed"]] == [False, False, False, False]
