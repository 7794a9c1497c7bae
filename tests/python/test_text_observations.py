"""Text observations: every env's observation text of a batch read in one C
call (a list of str, or numpy views over the engine's buffer), the
observations as {"task", "text"} dicts that Gymnasium's spaces describe, and
the chat form the engine lays out."""

import warnings

import pytest

from agent_os import InvalidArgument, KernelSpace, StateError
from agent_os._text_obs import split_texts
from agent_os.env_config import EnvironmentConfig
from agent_os.policies import SQLPolicy
from agent_os.vector_env import VectorEnv
from conftest import ROOT

SHOP = str(ROOT / "env" / "sql" / "data" / "shop")

SQL_INSTRUCTIONS = ("Answer the question by writing one SQLite statement against the schema given. Every statement "
                    "is checked against the environment's policy before it runs; a statement the policy denies "
                    "never runs.")
TASK0_QUESTION = "Question: Count the orders whose status is 'pending'.\nSchema:\n"


def kernel():
    return KernelSpace(policy=SQLPolicy(deny=["DROP", "DELETE"]))


def sql_env(n, **kw):
    return VectorEnv(kernel(), n, task="sql", dataset_dir=SHOP, **kw)


@pytest.mark.nonumpy
def test_the_batch_texts_are_each_envs_observation_text():
    env = sql_env(5, text_observations=True)
    obs, _ = env.reset(seed=11)
    texts = env.observation_texts()
    assert texts == [env.observation_text(i) for i in range(5)]
    assert all(t.startswith("Question: ") and "\nSchema:\n" in t for t in texts)
    assert list(obs["text"]) == texts
    obs, *_ = env.step(["SELECT 1", "DROP TABLE orders", "SELECT nonsense FROM nowhere", "", "SELECT 2"])
    assert list(obs["text"]) == env.observation_texts() == [env.observation_text(i) for i in range(5)]
    env.close()


@pytest.mark.nonumpy
def test_a_pinned_task_shows_its_question_in_every_env():
    env = sql_env(3, text_observations=True, task_index=0)
    env.reset(seed=0)
    assert [t[:len(TASK0_QUESTION)] for t in env.observation_texts()] == [TASK0_QUESTION] * 3
    env.close()


@pytest.mark.nonumpy
def test_texts_are_off_unless_asked_for_and_the_observation_stays_the_index():
    env = sql_env(2)
    obs, _ = env.reset(seed=1)
    assert not isinstance(obs, dict)
    with pytest.raises(StateError, match="text_observations=True"):
        env.observation_texts()
    env.close()


@pytest.mark.nonumpy
def test_bad_text_observation_settings_are_refused():
    with pytest.raises(TypeError, match="text_observations must be a bool"):
        sql_env(1, text_observations=1)
    with pytest.raises(InvalidArgument, match="same_step"):
        sql_env(1, text_observations=True, autoreset="same_step")


@pytest.mark.nonumpy
def test_the_chat_form_is_the_tasks_instructions_then_the_observation():
    env = sql_env(2, task_index=0)  # the chat form needs no text buffer
    env.reset(seed=3)
    messages = env.observation_messages()
    assert len(messages) == 2
    for i, m in enumerate(messages):
        assert [x["role"] for x in m] == ["system", "user"]
        assert m[0]["content"] == SQL_INSTRUCTIONS
        assert m[1]["content"] == env.observation_text(i)
        assert m[1]["content"].startswith(TASK0_QUESTION)
    env.close()
    noop = VectorEnv(kernel(), 2, task="noop")  # no instructions, no text: one empty user message
    noop.reset(seed=0)
    assert noop.observation_messages() == [[{"role": "user", "content": ""}]] * 2
    noop.close()


@pytest.mark.nonumpy
def test_texts_are_split_at_their_nuls_or_cut_by_offsets_when_a_text_holds_one():
    assert split_texts(b"ab\0\0c\xff\0", 3, lambda: pytest.fail("offsets not needed")) == ["ab", "", "c\ufffd"]
    assert split_texts(b"a\0b\0c\0", 2, lambda: [0, 4, 6]) == ["a\0b", "c"]
    assert split_texts(b"", 0, lambda: [0]) == []
    # Long texts are cut by their offsets: ASCII by character, others by byte.
    long_a, long_b = "x" * 100, "\u00e9" * 70
    assert split_texts(b"x" * 100 + b"\0" + b"y" * 50 + b"\0", 2, lambda: [0, 101, 152]) == [long_a, "y" * 50]
    packed = long_b.encode() + b"\0" + b"\xff" * 30 + b"\0"
    assert split_texts(packed, 2, lambda: [0, 141, 172]) == [long_b, "\ufffd" * 30]


def test_zero_copy_views_hold_the_same_texts():
    np = pytest.importorskip("numpy")
    env = sql_env(4, text_observations=True)
    env.reset(seed=2)
    env.step(["SELECT 1"] * 4)
    data, offsets = env.observation_text_views()
    assert data.dtype == np.uint8 and offsets.dtype == np.uint64 and offsets.shape == (5,)
    assert not data.flags.writeable and not offsets.flags.writeable
    assert int(offsets[0]) == 0 and int(offsets[-1]) == data.shape[0]
    assert [int(data[int(offsets[i + 1]) - 1]) for i in range(4)] == [0, 0, 0, 0]
    texts = [data[int(offsets[i]):int(offsets[i + 1]) - 1].tobytes().decode() for i in range(4)]
    assert texts == env.observation_texts()
    env.close()


def test_gymnasium_spaces_describe_text_observations_and_check_env_passes():
    gym = pytest.importorskip("gymnasium")
    from gymnasium.utils.env_checker import check_env
    from agent_os.gym_env import GymEnv
    env = GymEnv("sql", text_observations=True, config=EnvironmentConfig(max_steps=5, max_action_bytes=256))
    assert isinstance(env.observation_space, gym.spaces.Dict)
    assert isinstance(env.observation_space["text"], gym.spaces.Text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    assert [str(w.message) for w in caught] == []
    obs, _ = env.reset(seed=4)
    assert obs["text"] == env.observation_text() and obs in env.observation_space
    assert env.observation_messages()[0] == {"role": "system", "content": SQL_INSTRUCTIONS}
    env.close()

    venv = sql_env(3, text_observations=True)
    obs, _ = venv.reset(seed=4)
    assert isinstance(venv.observation_space["text"], gym.spaces.Tuple)
    assert obs in venv.observation_space
    obs, *_ = venv.step(["SELECT 1"] * 3)
    assert obs in venv.observation_space
    venv.close()


def test_vector_texts_equal_sync_vector_env_over_single_envs_step_for_step():
    gym = pytest.importorskip("gymnasium")
    np = pytest.importorskip("numpy")
    from agent_os.gym_env import GymEnv
    n, cfg = 3, EnvironmentConfig(max_steps=3)
    ours = gym.make_vec("agentos/Sql-v0", num_envs=n, vectorization_mode="vector_entry_point", config=cfg,
                        text_observations=True)
    theirs = gym.vector.SyncVectorEnv([lambda: GymEnv("sql", config=cfg, text_observations=True)
                                       for _ in range(n)])
    a, _ = ours.reset(seed=9)
    b, _ = theirs.reset(seed=9)
    assert np.array_equal(a["task"], b["task"]) and a["text"] == b["text"]
    actions = ["SELECT 1", "DROP TABLE orders", "SELECT COUNT(*) FROM orders"]
    for t in range(8):
        a = ours.step(tuple(actions[(t + i) % 3] for i in range(n)))[0]
        b = theirs.step(tuple(actions[(t + i) % 3] for i in range(n)))[0]
        assert np.array_equal(a["task"], b["task"]) and a["text"] == b["text"], f"step {t}"
    ours.close()
    theirs.close()


@pytest.mark.nonumpy
def test_close_releases_the_engine_once_no_text_view_is_left():
    env = sql_env(2, text_observations=True)
    env.reset(seed=0)
    env.observation_texts()
    fin = env._venv.fin
    env.close()
    assert not fin.alive
    with pytest.raises(StateError, match="closed"):
        env.observation_texts()
