"""SQL task resets through VectorEnv: whatever an episode did to its database
(schema changes, virtual tables, open transactions), the next episode starts
from the template and the trainer keeps running.

The kernels are the ones that let schema changes reach SQLite: allow-all, the
audit-only training kernel (the ungoverned condition) and a bare `type: sql`
policy.
"""

import pytest

from agent_os import KernelSpace
from agent_os.env_config import EnvironmentConfig
from agent_os.vector_env import VectorEnv
from conftest import ROOT

pytestmark = pytest.mark.nonumpy
SHOP = str(ROOT / "env" / "sql" / "data" / "shop")
POLICIES = ROOT / "examples" / "policies"
BARE_SQL = "version: 1\npolicies:\n  - name: sql\n    type: sql\n"


def kernels():
    return {
        "allow_all": KernelSpace.from_yaml(POLICIES / "allow_all.yaml"),
        "audit_only": KernelSpace.from_yaml(POLICIES / "train_audit_only.yaml"),
        "bare_sql": KernelSpace.from_yaml_text(BARE_SQL),
    }


@pytest.fixture(params=["allow_all", "audit_only", "bare_sql"])
def kernel(request):
    return kernels()[request.param]


def sql_env(kernel, n):
    return VectorEnv(kernel, n, task="sql", dataset_dir=SHOP, autoreset="disabled", finish_on_success=False,
                     config=EnvironmentConfig(max_steps=100, terminate_on_critical=False))


def run_episode(env, actions):
    """Steps every env through `actions` (one list per step); returns the
    number of task errors those steps caused."""
    before = env.metrics()["task_errors"]
    for step in actions:
        _, _, _, _, infos = env.step(step)
        assert all(infos["executed"]), step
    return env.metrics()["task_errors"] - before


def test_schema_change_and_eponymous_virtual_table_across_resets(kernel):
    env = sql_env(kernel, 3)
    uses = ["SELECT COUNT(*) FROM json_each('[1,2,3]')", "SELECT COUNT(*) FROM pragma_table_info('orders')",
            "SELECT name FROM pragma_function_list LIMIT 1"]
    for episode in range(4):
        env.reset(seed=episode)
        errors = run_episode(env, [["CREATE TABLE scratch (x)"] * 3, uses, uses])
        assert errors == 0, f"episode {episode}"
    env.reset(seed=9)
    assert run_episode(env, [uses]) == 0
    # Episode 1 of every env created a table; a reset must have dropped it.
    assert run_episode(env, [["SELECT * FROM scratch"] * 3]) == 3


def test_every_restore_path_in_one_run(kernel):
    # Data only, schema, connection state, an open transaction, a savepoint
    # and an index, each with a virtual table, one per env, over many resets.
    episodes = [
        ["DELETE FROM order_items WHERE order_id % 2 = 0", "SELECT COUNT(*) FROM json_each('[1]')"],
        ["CREATE VIEW v AS SELECT * FROM json_each('[1,2]')", "SELECT COUNT(*) FROM v"],
        ["CREATE TEMP TABLE t AS SELECT 1 AS x", "SELECT COUNT(*) FROM pragma_table_list"],
        ["BEGIN", "CREATE TABLE payments_copy AS SELECT * FROM payments"],
        ["SAVEPOINT sp", "CREATE TABLE scratch AS SELECT * FROM json_each('[1]')"],
        ["CREATE INDEX scratch_idx ON orders(status)", "SELECT COUNT(*) FROM json_tree('{\"a\":1}')"],
    ]
    env = sql_env(kernel, len(episodes))
    for round_ in range(5):
        env.reset(seed=round_)
        assert run_episode(env, [list(step) for step in zip(*episodes)]) == 0, f"round {round_}"
        env.reset(seed=100 + round_)
        checks = ["SELECT COUNT(*) FROM payments", "SELECT COUNT(*) FROM json_each('[1,2]')",
                  "INSERT INTO categories (name) VALUES ('Garden')", "SELECT COUNT(*) FROM reviews",
                  "SELECT COUNT(*) FROM pragma_table_list", "SELECT * FROM pragma_function_list LIMIT 1"]
        assert run_episode(env, [[c] * len(episodes) for c in checks]) == 0
        # Nothing of the previous episode is left: no view, temp table or new table.
        leftovers = ["SELECT * FROM v", "SELECT * FROM temp.t", "SELECT * FROM scratch", "SELECT * FROM payments_copy"]
        assert run_episode(env, [[q] * len(episodes) for q in leftovers]) == 4 * len(episodes)
