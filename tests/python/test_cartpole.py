"""CartPole as an engine task (env/cartpole_task.h): equal to Gymnasium's
CartPole-v1 step for step from matched states, its safety cost, a numeric
policy governing it, and its Gymnasium registration."""

from __future__ import annotations

import os

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from agent_os import KernelSpace  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.vector_env import VectorEnv  # noqa: E402

ZONE_POLICY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples", "policies",
                           "cartpole_zone.yaml")


def test_equals_gymnasium_step_for_step_from_matched_states():
    """>= 10,000 random steps: 20 initial states (short decimals, so the
    spec's JSON and Python read the same doubles), each run for 600 steps
    with same-step autoreset back to its initial state."""
    rng = np.random.default_rng(7)
    reference = gym.make("CartPole-v1").unwrapped
    reference.reset(seed=0)
    steps = terminations = 0
    for _ in range(20):
        initial = [round(float(v), 6) for v in rng.uniform(-0.2, 0.2, size=4)]
        ours = VectorEnv(KernelSpace.allow_all(), 1, task="cartpole", initial_state=initial,
                         config=EnvironmentConfig(max_steps=1_000_000), autoreset="same_step")
        obs, _ = ours.reset(seed=1)
        reference.state = np.array(initial, dtype=np.float64)
        reference.steps_beyond_terminated = None
        assert obs[0].tobytes() == np.array(initial, dtype=np.float32).tobytes()
        for action in rng.integers(0, 2, size=600):
            expected_obs, expected_reward, expected_term, _, _ = reference.step(int(action))
            obs, reward, terminated, truncated, infos = ours.step(np.array([action]))
            ended = bool(infos["_final_obs"][0])
            got_obs = infos["final_obs"][0] if ended else obs[0]
            assert got_obs.dtype == np.float32
            assert got_obs.tobytes() == expected_obs.tobytes(), (steps, got_obs, expected_obs)
            assert reward[0] == expected_reward == 1.0
            assert bool(terminated[0]) == expected_term
            assert not truncated[0]
            steps += 1
            if expected_term:
                terminations += 1
                reference.state = np.array(initial, dtype=np.float64)
                reference.steps_beyond_terminated = None
                assert obs[0].tobytes() == np.array(initial, dtype=np.float32).tobytes()
        ours.close()
    assert steps == 12_000
    assert terminations > 100  # random actions end episodes often: the termination rule was exercised


def test_truncated_at_500_through_gymnasium_make():
    env = gym.make("agentos/CartPole-v1", policy=KernelSpace.allow_all(), initial_state=[0, 0, 0, 0])
    assert env.observation_space == gym.spaces.Box(
        np.array([-4.8, -np.inf, -0.41887903, -np.inf], dtype=np.float32),
        np.array([4.8, np.inf, 0.41887903, np.inf], dtype=np.float32), dtype=np.float32)
    assert env.action_space == gym.spaces.Discrete(2)
    obs, _ = env.reset(seed=3)
    # Pushing toward where the pole falls keeps it up from rest: the episode runs out of time.
    for t in range(500):
        obs, reward, terminated, truncated, info = env.step(int(obs[2] + obs[3] > 0))
        assert not terminated
        assert truncated == (t == 499)
    assert info["episode_return"] == 500.0


def test_make_vec_vector_entry_point():
    envs = gym.make_vec("agentos/CartPole-v1", num_envs=8, vectorization_mode="vector_entry_point",
                        policy=KernelSpace.allow_all())
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (8, 4) and obs.dtype == np.float32
    assert np.all(np.abs(obs) <= 0.05)
    obs, reward, terminated, truncated, _ = envs.step(np.ones(8, dtype=np.int64))
    assert list(reward) == [1.0] * 8
    envs.close()


def test_safety_cost_outside_the_zone_is_reported_as_cost_not_reward():
    env = VectorEnv(KernelSpace.allow_all(), 2, task="cartpole", safety_zone=0.5, safety_cost=2.5,
                    initial_state=[1.0, 0, 0, 0], config=EnvironmentConfig(penalty_mode="cost"))
    env.reset(seed=0)
    _, reward, _, _, infos = env.step(np.array([0, 1]))
    assert list(reward) == [1.0, 1.0]
    assert list(infos["cost"]) == [2.5, 2.5]


def test_numeric_zone_policy_blocks_pushing_further_out():
    kernel = KernelSpace.from_yaml(ZONE_POLICY)
    env = VectorEnv(kernel, 2, task="cartpole", initial_state=[2.0, 0, 0, 0], keep_results=True)
    obs, _ = env.reset(seed=0)
    before = obs.copy()
    obs, reward, _, _, infos = env.step(np.array([0, 1]))
    assert list(infos["executed"]) == [True, False]
    assert obs[1].tobytes() == before[1].tobytes()  # the blocked push never ran
    assert obs[0].tobytes() != before[0].tobytes()
    [violation] = env.last_violations(1)
    assert violation.policy == "cart_zone"
    assert violation.rule == "numeric.zone"
    assert reward[1] == 1.0 * 0 - 10.0  # no task reward, the medium penalty


def test_bad_actions_are_refused_or_task_errors_and_change_nothing():
    env = VectorEnv(KernelSpace.allow_all(), 2, task="cartpole", keep_results=True)
    env.reset(seed=0)
    with pytest.raises(Exception, match="shape"):
        env.step(np.array([0, 1, 1]))
    _, reward, _, _, infos = env.step(np.array([2, -1]))
    assert list(infos["executed"]) == [True, True]
    assert env.metrics()["task_errors"] == 2
    assert list(reward) == [0.0, 0.0]


def test_unknown_cartpole_key_is_a_parse_error():
    with pytest.raises(Exception, match="unknown key 'zone'"):
        VectorEnv(KernelSpace.allow_all(), 1, task="cartpole", zone=1.0)



def test_check_env_passes_with_a_kernel_given_as_policy():
    """Gymnasium's checker makes the env again from its spec, deep-copying
    the kwargs: the kernel given as policy= is copied (sharing the C
    kernel), and closing the envs closes neither the user's kernel nor the
    copy."""
    import warnings

    from gymnasium.utils.env_checker import check_env

    for kernel in (KernelSpace.allow_all(), KernelSpace.from_yaml(ZONE_POLICY)):
        env = gym.make("agentos/CartPole-v1", policy=kernel)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped, skip_render_check=True)
        # The checker's only remarks: CartPole's velocities are unbounded
        # (the shape's Box bounds are +-inf, not Gymnasium's float32 max).
        remarks = [str(w.message) for w in caught]
        assert all("infinity" in m for m in remarks), remarks
        env.close()
        assert kernel.closed is False
    again = gym.make("agentos/CartPole-v1", policy=kernel)
    again.reset(seed=0)
    assert again.step(1)[4]["executed"] is True
    again.close()
