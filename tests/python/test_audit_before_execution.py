"""A closed FlightRecorder stops a VectorEnv step before the action runs:
the step is refused with a clear error and changes nothing (no row in the
task's database, no step counted)."""

import pytest

from agent_os import FlightRecorder, KernelSpace, StateError
from agent_os.env_config import EnvironmentConfig
from agent_os.policies import SQLPolicy
from agent_os.vector_env import VectorEnv
from conftest import ROOT

pytestmark = pytest.mark.nonumpy
SHOP = str(ROOT / "env" / "sql" / "data" / "shop")
INSERT = "INSERT INTO categories (name) VALUES ('unaudited')"


def sql_env(recorder):
    kernel = KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT"]))
    return VectorEnv(kernel, 1, task="sql", dataset_dir=SHOP, config=EnvironmentConfig(max_steps=5),
                     recorder=recorder)


def test_an_open_recorder_lets_the_insert_run(tmp_path):
    rec = FlightRecorder(str(tmp_path / "open.db"))
    env = sql_env(rec)
    env.reset(seed=0)
    env.step([INSERT])
    m = env.metrics()
    assert m["executed"] == 1 and m["changed_database_episodes"] == 1
    env.close()
    rec.close()


def test_a_closed_recorder_refuses_the_insert_before_it_runs(tmp_path):
    rec = FlightRecorder(str(tmp_path / "closed.db"))
    env = sql_env(rec)
    env.reset(seed=0)
    rec.close()
    with pytest.raises(StateError, match="the action was not run") as e:
        env.step([INSERT])
    assert "closed" in str(e.value)
    m = env.metrics()
    assert m["steps"] == 0 and m["executed"] == 0
    assert m["changed_database_episodes"] == 0  # the row is not in the database
    with pytest.raises(StateError, match="the action was not run"):
        env.step([INSERT])  # every later step too, still without running it
    assert env.metrics()["changed_database_episodes"] == 0
    env.close()
