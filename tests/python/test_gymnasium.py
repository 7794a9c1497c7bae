"""agentos against the real Gymnasium: registered ids, Gymnasium's env
checker, its vector wrappers, and our VectorEnv step for step against
Gymnasium's SyncVectorEnv over our single envs."""

import warnings

import pytest

gym = pytest.importorskip("gymnasium")
np = pytest.importorskip("numpy")

from gymnasium.utils.env_checker import check_env  # noqa: E402
from gymnasium.vector import AutoresetMode, SyncVectorEnv  # noqa: E402

import agent_os  # noqa: E402,F401  (registers the ids)
from agent_os import KernelSpace  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.gym_env import ENV_IDS, GymEnv  # noqa: E402
from agent_os.policies import SQLPolicy  # noqa: E402
from agent_os.vector_env import VectorEnv  # noqa: E402

# The text tasks' ids (agentos/CartPole-v1, a numeric task: test_cartpole.py).
IDS = sorted(i for i in ENV_IDS if i != "agentos/CartPole-v1")
# Allowed, denied (DROP: a denied statement) and unparseable (denied, fail closed).
ACTIONS = ["SELECT name FROM customers WHERE id = 1", "SELECT COUNT(*) FROM orders", "DROP TABLE customers",
           "DELETE FROM orders", "this is not sql", "UPDATE orders SET status = 'x'"]


def test_the_ids_are_registered_with_both_entry_points():
    assert sorted(ENV_IDS) == ["agentos/CartPole-v1", "agentos/External-v0", "agentos/Noop-v0", "agentos/Sql-v0"]
    for env_id in ENV_IDS:
        spec = gym.spec(env_id)
        assert spec.entry_point == "agent_os.gym_env:GymEnv"
        assert spec.vector_entry_point == "agent_os.gym_env:make_vector_env"


@pytest.mark.parametrize("env_id", IDS)
def test_check_env_passes_under_a_denying_policy(env_id):
    env = gym.make(env_id, config=EnvironmentConfig(max_steps=5, max_action_bytes=256))
    # Random printable text is not SQL: the default policy denies it, so
    # every step the checker takes carries a violation (and its cost).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    assert [str(w.message) for w in caught] == []
    env.reset(seed=3)
    _, reward, _, _, info = env.step("not sql at all")
    assert info["executed"] is False and info["violations"] >= 1 and info["cost"] > 0 and reward < 0
    env.close()


def test_check_env_passes_on_the_governed_environment_under_a_denying_policy():
    from agent_os.integrations.agent_lightning import GovernedEnvironment
    kernel = KernelSpace(policy=SQLPolicy(deny=["DROP", "DELETE"]))
    env = GovernedEnvironment(kernel, config=EnvironmentConfig(max_steps=5, max_action_bytes=256))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    assert [str(w.message) for w in caught] == []
    _, info = env.reset(seed=1)
    assert "episode" not in info and info["episode_index"] >= 0
    _, _, _, _, info = env.step("DROP TABLE users")
    assert info["violations"] and "timestamp" not in info["violations"][0]


@pytest.mark.parametrize("env_id", IDS)
def test_make_vec_with_record_episode_statistics_runs_1000_random_steps(env_id):
    # Short actions: Gymnasium's Text.sample draws lengths up to max_length (64 KiB by default).
    envs = gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point",
                        config=EnvironmentConfig(max_steps=7, max_action_bytes=256))
    assert isinstance(envs, VectorEnv) and isinstance(envs, gym.vector.VectorEnv)
    assert envs.unwrapped is envs and envs.spec.id == env_id and envs.render_mode is None
    envs = gym.wrappers.vector.RecordEpisodeStatistics(envs)
    envs.reset(seed=11)
    envs.action_space.seed(11)
    episodes = 0
    for _ in range(1000):
        _, _, term, trunc, info = envs.step(envs.action_space.sample())
        if "episode" in info:
            ended = info["_episode"]
            episodes += int(ended.sum())
            # Gymnasium's statistics agree with the engine's own episode bookkeeping.
            np.testing.assert_allclose(info["episode"]["r"][ended], info["episode_return"][ended])
            assert np.array_equal(info["episode"]["l"][ended], info["episode_step"][ended])
    # max_steps = 7 and NEXT_STEP autoreset: every 8th step of an env resets it.
    assert episodes == 4 * (1000 // 8)
    assert len(envs.return_queue) == 100 and all(r < 0 for r in envs.return_queue)
    envs.close()
    assert envs.unwrapped.closed


def test_single_env_wrappers_stack_without_info_collisions():
    env = gym.make("agentos/Noop-v0", config=EnvironmentConfig(max_steps=100, terminate_on_critical=False))
    env = gym.wrappers.TimeLimit(env, max_episode_steps=3)
    env = gym.wrappers.NormalizeReward(env)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    env.reset(seed=0)
    info = {}
    for _ in range(3):
        _, _, term, trunc, info = env.step("DROP TABLE customers")
    assert trunc and not term
    assert info["episode"]["l"] == 3 and info["episode_step"] == 3


def test_batched_action_space_has_one_text_space_per_env():
    env = VectorEnv(KernelSpace(policy=SQLPolicy()), 5)
    assert env.action_space == gym.vector.utils.batch_space(env.single_action_space, 5)
    assert len(env.action_space.sample()) == 5
    env.reset(seed=2)
    env.step(env.action_space.sample())
    assert env.np_random_seed == 2
    assert isinstance(env.np_random, np.random.Generator)


def test_reset_mask_is_validated_like_sync_vector_env():
    env = VectorEnv(KernelSpace(policy=SQLPolicy()), 3)
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.reset(options={"reset_mask": np.zeros(3, dtype=bool)})
    with pytest.raises(TypeError):
        env.reset(options={"reset_mask": [True, False, True]})
    with pytest.raises(TypeError):
        env.reset(options={"reset_mask": np.ones(3, dtype=np.uint8)})
    with pytest.raises(ValueError):
        env.reset(options={"reset_mask": np.ones(4, dtype=bool)})
    env.reset(options={"reset_mask": np.array([True, False, True])})


# ---- our VectorEnv == SyncVectorEnv over our single envs ------------------------------------

def _assert_infos_equal(ours, theirs, where):
    """Gymnasium's convention: a key whose mask is all False is the same as
    an absent key; values are compared where their mask is True."""
    present = {k for k in ours if not k.startswith("_") and np.any(ours["_" + k])}
    assert present == {k for k in theirs if not k.startswith("_")}, where
    for k in present:
        mask = ours["_" + k]
        assert np.array_equal(mask, theirs["_" + k]), f"{where}: mask _{k}"
        if k == "final_info":
            _assert_infos_equal(ours[k], theirs[k], f"{where} final_info")
        elif k == "final_obs":
            assert [int(x) for x in ours[k][mask]] == [int(x) for x in theirs[k][mask]], f"{where}: final_obs"
        else:
            assert ours[k].dtype == theirs[k].dtype, f"{where}: {k} dtype {ours[k].dtype} != {theirs[k].dtype}"
            assert np.array_equal(ours[k][mask], theirs[k][mask]), f"{where}: {k} {ours[k]} != {theirs[k]}"


@pytest.mark.parametrize("env_id", ["agentos/Noop-v0", "agentos/Sql-v0"])
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
def test_vector_env_equals_sync_vector_env_step_for_step(env_id, mode):
    n = 4
    cfg = EnvironmentConfig(max_steps=4)
    ours = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", autoreset_mode=mode,
                        config=cfg)
    theirs = SyncVectorEnv([lambda: GymEnv(ENV_IDS[env_id], config=cfg) for _ in range(n)], autoreset_mode=mode)
    assert ours.metadata["autoreset_mode"] == theirs.metadata["autoreset_mode"] == mode
    obs_a, info_a = ours.reset(seed=5)
    obs_b, info_b = theirs.reset(seed=5)
    assert np.array_equal(obs_a, obs_b) and obs_a.dtype == obs_b.dtype and info_a == info_b == {}
    rng = np.random.default_rng(0)
    ended_rows = 0
    for t in range(60):
        actions = tuple(ACTIONS[i] for i in rng.integers(0, len(ACTIONS), n))
        a = ours.step(actions)
        b = theirs.step(actions)
        where = f"{env_id} {mode.name} step {t}"
        for name, x, y in zip(("obs", "reward", "terminated", "truncated"), a[:4], b[:4]):
            assert x.dtype == y.dtype and np.array_equal(x, y), f"{where}: {name} {x} != {y}"
        _assert_infos_equal(a[4], b[4], where)
        ended = a[2] | a[3]
        ended_rows += int(ended.sum())
        if mode == AutoresetMode.DISABLED and ended.any():
            mask = ended.copy()
            ra, rb = ours.reset(options={"reset_mask": mask}), theirs.reset(options={"reset_mask": mask})
            assert np.array_equal(ra[0], rb[0]), where
    assert ended_rows >= 20  # both terminations (critical DROP) and truncations (max_steps) were compared
    ours.close()
    theirs.close()


# ---- the policy cost --------------------------------------------------------------------------

def _one_step(mode, action):
    env = VectorEnv(KernelSpace(policy=SQLPolicy(deny=["DROP"])), 1,
                    config=EnvironmentConfig(penalty_mode=mode, terminate_on_critical=False))
    env.reset(seed=0)
    _, reward, _, _, info = env.step([action])
    return float(reward[0]), {k: v for k, v in info.items() if not k.startswith("_")}


def test_cost_is_the_policy_penalty_and_penalty_mode_routes_it():
    # SQLPolicy(deny=[...]) denies with a critical violation: penalty -100.
    reward, info = _one_step("both", "DROP TABLE t")
    assert reward == -100.0 and info["cost"][0] == 100.0
    reward, info = _one_step("cost", "DROP TABLE t")
    assert reward == 0.0 and info["cost"][0] == 100.0
    reward, info = _one_step("reward", "DROP TABLE t")
    assert reward == -100.0 and "cost" not in info
    reward, info = _one_step("cost", "SELECT 1")
    assert reward == 0.0 and info["cost"][0] == 0.0
    with pytest.raises(ValueError):
        EnvironmentConfig(penalty_mode="reward_and_cost")


def test_the_package_imports_and_steps_without_gymnasium():
    import os
    import subprocess
    import sys

    from conftest import PYTHON_DIR
    code = ("import sys; sys.modules['gymnasium'] = None\n"  # `import gymnasium` now raises ImportError
            "import agent_os\n"
            "from agent_os.vector_env import VectorEnv\n"
            "env = VectorEnv(agent_os.KernelSpace.allow_all(), 2)\n"
            "env.reset(seed=0)\n"
            "obs, rew, term, trunc, info = env.step(['SELECT 1', 'SELECT 2'])\n"
            "print(type(env).__mro__[1].__name__, len(env.action_space.spaces), sorted(k for k in info if k[0] != '_'))\n")
    r = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(PYTHON_DIR)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["object", "2", "['cost',", "'cost_usd',", "'episode_return',", "'episode_step',",
                                "'executed',", "'max_severity',", "'signals',", "'violations']"]
