"""A VectorEnv over a dataset in the Spider layout (a directory of SQLite
files, one per db_id, and a questions file): the generated spider_mini
fixture, through the task-spec keys questions_file and databases_dir."""

import json

import pytest

from agent_os import KernelSpace
from agent_os.env_config import EnvironmentConfig
from agent_os.errors import PolicyParseError
from agent_os.policies import SQLPolicy
from agent_os.vector_env import VectorEnv
from conftest import NUMPY_BLOCKED, ROOT

pytestmark = pytest.mark.nonumpy
FIXTURE = ROOT / "tests" / "sql_task" / "fixtures" / "spider_mini"
QUESTIONS = json.loads((FIXTURE / "dev.json").read_text(encoding="utf-8"))


def spider_env(n, **kw):
    return VectorEnv(KernelSpace(policy=SQLPolicy()), n, task="sql", questions_file=FIXTURE / "dev.json",
                     databases_dir=FIXTURE / "database", autoreset="disabled",
                     config=EnvironmentConfig(max_steps=3), **kw)


@pytest.mark.parametrize("threads", [1, 2])
def test_gold_queries_score_1_and_wrong_ones_0_on_every_database(threads):
    env = spider_env(8, num_threads=threads, min_envs_per_thread=1)
    obs, _ = env.reset(seed=3)
    tasks = [int(i) for i in obs]
    # the 8 envs draw tasks of all three databases
    assert {QUESTIONS[t]["db_id"] for t in tasks} == {"concert_hall", "library", "weather"}
    for e, t in enumerate(tasks):
        assert env.observation_text(e).startswith("Question: " + QUESTIONS[t]["question"] + "\nSchema:\n")
    # Each env's own gold query is right on its own database.
    _, rew, term, _, infos = env.step([QUESTIONS[t]["query"] for t in tasks])
    assert list(rew) == [1.0] * 8
    assert list(term) == [True] * 8
    assert list(infos["executed"]) == [True] * 8

    env.reset(seed=3)
    _, rew, term, _, _ = env.step(["SELECT 'no such answer'"] * 8)
    assert list(rew) == [0.0] * 8
    assert list(term) == [False] * 8


def test_each_env_sees_its_own_databases_schema():
    env = spider_env(1, task_index=4)  # library: how many loans are not yet returned?
    env.reset(seed=0)
    assert env.observation_text(0) == (
        "Question: How many loans are not yet returned?\n"
        "Schema:\n"
        "author(author_id, name, born)\n"
        "book(book_id, title, pages, author_id -> author.author_id)\n"
        "loan(loan_id, book_id -> book.book_id, member, returned)\n")
    _, rew, _, _, _ = env.step(["SELECT count(*) FROM loan WHERE NOT returned"])
    assert list(rew) == [1.0]


def test_bad_data_is_an_error_naming_the_file_and_question(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"db_id": "concert_hall", "question": "q", "query": "SELECT nope FROM singer"}]')
    with pytest.raises(PolicyParseError, match=r"bad\.json: question \[0\]: gold query of 'concert_hall-0' failed: "
                                               r"no such column: nope"):
        VectorEnv(KernelSpace(policy=SQLPolicy()), 1, task="sql", questions_file=bad,
                  databases_dir=FIXTURE / "database")


@pytest.mark.skipif(NUMPY_BLOCKED, reason="gymnasium needs numpy")
def test_gymnasium_make_takes_the_spider_keys_instead_of_the_shop_dataset():
    gym = pytest.importorskip("gymnasium")
    import agent_os  # noqa: F401  (registers the ids)
    env = gym.make("agentos/Sql-v0", policy=KernelSpace(policy=SQLPolicy()), questions_file=FIXTURE / "train.jsonl",
                   databases_dir=FIXTURE / "database", task_index=1)  # library: who borrowed Quiet Engines?
    obs, _ = env.reset(seed=0)
    assert int(obs) == 1
    _, reward, terminated, _, _ = env.step("SELECT member FROM loan WHERE book_id = 3")
    assert (float(reward), bool(terminated)) == (1.0, True)
