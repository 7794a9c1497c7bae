"""VectorEnv async mode for a numeric task (CartPole): send takes numpy
actions per listed env, recv returns (batch, obs_dim) observations, and each
env's trajectory equals the one step gives it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from agent_os import InvalidArgument, KernelSpace  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.vector_env import VectorEnv  # noqa: E402

# Only left pushes while the cart moves right faster than 0.3 m/s: whether a
# push runs depends on the state when the env steps.
SLOW_RIGHT = """
version: 1
policies:
  - name: slow_right
    type: numeric
    severity: low
    rules:
      - {state_index: 1, above: 0.3, action_min: 0, action_max: 0}
"""


def cartpole(n, autoreset="next_step", **kw):
    return VectorEnv(KernelSpace.from_yaml_text(SLOW_RIGHT), n, task="cartpole",
                     config=EnvironmentConfig(max_steps=25), autoreset=autoreset, **kw)


def push(e, t):
    """Env e's t-th push: runs of 2 to 4 equal pushes, differing per env."""
    return (t // (2 + e % 3) + e) % 2


def row(obs, final, reward, term, trunc, executed, ended):
    return (obs.tobytes(), final.tobytes() if ended else None, float(reward), bool(term), bool(trunc),
            bool(executed), bool(ended))


def sync_trajectories(n, steps, autoreset):
    env = cartpole(n, autoreset)
    env.reset(seed=4)
    rows = [[] for _ in range(n)]
    for t in range(steps):
        obs, rew, term, trunc, infos = env.step(np.array([push(e, t) for e in range(n)], dtype=np.int64))
        for e in range(n):
            final = env.buffers["final_numeric_observation"][e]
            rows[e].append(row(obs[e], final, rew[e], term[e], trunc[e], infos["executed"][e],
                               env.buffers["autoreset"][e]))
    env.close()
    return rows


def async_trajectories(n, steps, autoreset, threads, batch):
    env = cartpole(n, autoreset, num_threads=threads, batch_size=batch)
    env.reset(seed=4)
    rows = [[] for _ in range(n)]

    def send(ids):
        ids = [e for e in ids if len(rows[e]) < steps]
        if ids:
            env.send(np.array([push(e, len(rows[e])) for e in ids]), np.array(ids))

    send(range(n))
    while env.in_flight:
        obs, rew, term, trunc, infos = env.recv()
        assert obs.shape == (len(infos["env_id"]), 4) and obs.dtype == np.float32
        ids = [int(i) for i in infos["env_id"]]
        for k, e in enumerate(ids):
            rows[e].append(row(obs[k], infos["final_observation"][k], rew[k], term[k], trunc[k],
                               infos["executed"][k], infos["autoreset"][k]))
        send(ids)
    env.close()
    return rows


@pytest.mark.parametrize("autoreset", ["next_step", "same_step"])
def test_each_envs_cartpole_trajectory_is_steps_whatever_the_batching(autoreset):
    sync = sync_trajectories(6, 80, autoreset)
    flat = [r for rows in sync for r in rows]
    assert sum(r[3] for r in flat) > 3  # falls
    assert sum(r[4] for r in flat) > 3  # truncations
    assert sum(not r[5] and not r[6] for r in flat) > 3  # pushes the policy blocked
    for threads, batch in ((1, 1), (2, 3), (2, 6)):
        assert async_trajectories(6, 80, autoreset, threads, batch) == sync, (threads, batch)


def test_recv_returns_each_received_envs_observation_row():
    env = cartpole(4, num_threads=2, batch_size=2)
    obs0, _ = env.reset(seed=1)
    start = obs0.copy()
    env.send([1, 0], [3, 1])  # a plain list of ints is accepted too
    obs, _rew, _term, _trunc, infos = env.recv()
    assert sorted(int(i) for i in infos["env_id"]) == [1, 3]
    for k, e in enumerate(int(i) for i in infos["env_id"]):
        assert obs[k].tobytes() == env.buffers["numeric_observation"][e].tobytes()
        assert obs[k].tobytes() != start[e].tobytes()  # it moved
        # x_dot after one push: +-0.195... from the start's x_dot.
        assert obs[k][1] - start[e][1] == pytest.approx(0.195 if e == 3 else -0.195, abs=0.01)
    assert env.buffers["numeric_observation"][0].tobytes() == start[0].tobytes()  # not sent


def test_bad_numeric_sends_are_refused_and_change_nothing():
    env = cartpole(4, num_threads=2, batch_size=2)
    env.reset(seed=0)
    with pytest.raises(InvalidArgument, match=r"actions must have shape \(2,\), not \(3,\)"):
        env.send(np.array([0, 1, 0]), [0, 1])
    with pytest.raises(InvalidArgument, match="takes only its actions"):
        env.send(np.array([0, 1]), [0, 1], cost_usd=[1.0, 1.0])
    with pytest.raises(InvalidArgument, match="actions"):
        env.send(["left", "right"], [0, 1])
    assert env.in_flight == 0
