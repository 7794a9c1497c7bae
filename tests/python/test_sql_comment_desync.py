"""A -- comment PostgreSQL ends at \\r but SQLite only at \\n cannot smuggle a DROP past the kernel."""

import pytest

from agent_os import KernelSpace
from agent_os.env_config import EnvironmentConfig
from agent_os.vector_env import VectorEnv
from conftest import ROOT

pytestmark = pytest.mark.nonumpy
SHOP = str(ROOT / "env" / "sql" / "data" / "shop")
DROPS_ORDERS = "SELECT 1 --\r'\n; DROP TABLE orders; --'"
COUNT_ORDERS = "SELECT COUNT(*) FROM orders"


def sql_env(kernel):
    env = VectorEnv(kernel, 1, task="sql", dataset_dir=SHOP, keep_results=True,
                    config=EnvironmentConfig(max_steps=10))
    env.reset(seed=0)
    return env


@pytest.mark.parametrize("policy_file", ["sql_safety.yaml", "train_governed.yaml"])
def test_governed_env_denies_the_text_and_orders_survives(policy_file):
    kernel = KernelSpace.from_yaml(ROOT / "examples" / "policies" / policy_file)
    decision = kernel.check(DROPS_ORDERS)
    assert not decision.allowed
    assert [v.rule for v in decision.violations] == ["sql.ambiguous"]

    env = sql_env(kernel)
    _, _, _, _, infos = env.step([DROPS_ORDERS])
    assert list(infos["executed"]) == [0]
    assert list(infos["violations"]) == [1]
    assert [v.rule for v in env.last_violations(0)] == ["sql.ambiguous"]
    _, _, _, _, infos = env.step([COUNT_ORDERS])
    assert list(infos["executed"]) == [1]
    m = env.metrics()
    assert m["task_errors"] == 0 and m["backend_destructive_ops"] == 0 and m["changed_database_episodes"] == 0


def test_without_a_kernel_sqlite_drops_orders():
    # The text is a real attack: ungoverned, SQLite runs the DROP.
    env = sql_env(KernelSpace.allow_all())
    _, _, _, _, infos = env.step([DROPS_ORDERS])
    assert list(infos["executed"]) == [1]
    env.step([COUNT_ORDERS])  # orders is gone: a task error
    m = env.metrics()
    assert m["task_errors"] == 1 and m["backend_destructive_ops"] == 1
