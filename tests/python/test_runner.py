"""GovernedRunner: every action checked first, blocked actions never run, counted once."""

import asyncio
import sqlite3

import pytest

from agent_os import KernelSpace, PolicyViolationError, Refusal, StateError, current_handle, is_refusal
from agent_os.integrations.agent_lightning import AgentOSRunner, GovernedRollout, GovernedRunner, using_agent
from agent_os.policies import CostControlPolicy, SQLPolicy, ToolPolicy

pytestmark = pytest.mark.nonumpy


@pytest.fixture
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users VALUES (1, 'ada'), (2, 'bob')")
    yield conn
    conn.close()


def table_exists(conn, name="users"):
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()[0] == 1


def destructive_agent(task, handle):
    results = [handle.sql("DROP TABLE users"), handle.sql("DELETE FROM users"),
               handle.sql("SELECT 1; DROP TABLE users"), handle.sql("DROP/**/TABLE users")]
    return results


def run(coro):
    return asyncio.run(coro)


def test_blocked_sql_never_runs_and_is_counted_once(sql_kernel, db):
    runner = GovernedRunner(sql_kernel, sql_executor=db, log_violations=False)
    rollout = run(_step(runner, destructive_agent, "drop everything"))
    assert table_exists(db) and db.execute("SELECT count(*) FROM users").fetchone()[0] == 2
    assert all(isinstance(r, Refusal) and not r for r in rollout.task_output)
    assert rollout.blocked_actions == rollout.actions == 4
    assert len(rollout.violations) >= 4
    assert rollout.total_penalty == sum(v.penalty for v in rollout.violations) < 0
    stats = runner.get_stats()
    assert stats["total_rollouts"] == 1 and stats["total_violations"] == len(rollout.violations)
    assert stats["violation_rate"] == 1.0 and stats["blocked_actions"] == 4
    assert len(sql_kernel.get_recent_violations()) == len(rollout.violations)


async def _step(runner, agent, task):
    runner.init(agent)
    return await runner.step(task)


def test_allowed_sql_runs_through_the_runner_executor(sql_kernel, db):
    def agent(task, handle):
        rows = handle.sql("SELECT name FROM users WHERE id = 1")
        handle.sql("INSERT INTO users VALUES (3, 'cy')")
        return rows

    runner = GovernedRunner(sql_kernel, sql_executor=db)
    r = run(_step(runner, agent, "who is 1"))
    assert r.success and r.task_output == [("ada",)] and r.violations == []
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 3
    assert runner.get_stats()["violation_rate"] == 0.0


def test_fail_on_violation_raises_after_recording(sql_kernel, db):
    runner = GovernedRunner(sql_kernel, fail_on_violation=True, sql_executor=db, log_violations=False)
    with pytest.raises(PolicyViolationError) as e:
        run(_step(runner, destructive_agent, "x"))
    assert e.value.violation.policy_name == "sql_policy"
    assert table_exists(db)
    s = runner.get_stats()
    assert s["total_rollouts"] == 1 and s["blocked_actions"] == 1
    assert s["total_violations"] == len(e.value.violations)  # once, not twice


def test_runner_refuses_to_run_ungoverned(db):
    class FakeKernel:
        def check(self, action):
            return True

    for bad in [None, "kernel", FakeKernel(), object()]:
        with pytest.raises(TypeError):
            GovernedRunner(bad)
        with pytest.raises(TypeError):
            AgentOSRunner(bad)
    k = KernelSpace(policy=SQLPolicy())
    runner = GovernedRunner(k)
    k.close()
    runner.init(lambda t, h: "ran")
    with pytest.raises(StateError):
        run(runner.step("x"))
    with pytest.raises(StateError):
        GovernedRunner(k)
    with pytest.raises(StateError, match="no agent"):
        run(GovernedRunner(KernelSpace(policy=SQLPolicy())).step("x"))
    with pytest.raises(TypeError):
        GovernedRunner(KernelSpace(policy=SQLPolicy()), sql_executor="not a connection")


def test_agent_errors_make_a_failed_rollout(sql_kernel):
    def broken(task, handle):
        raise RuntimeError("model crashed")

    r = run(_step(GovernedRunner(sql_kernel), broken, "x"))
    assert not r.success and "model crashed" in r.error


def test_concurrent_rollouts_never_mix_violations():
    kernel = KernelSpace(policy=[ToolPolicy(deny=["bad*"]), CostControlPolicy(max_cost_usd=1.0)])
    runner = GovernedRunner(kernel, log_violations=False)

    async def agent(task, handle):
        assert current_handle() is handle
        for i in range(task):
            await asyncio.sleep(0)              # interleave with the other rollouts
            handle.call_tool(f"bad{i}")
            handle.spend(0.4)                   # budget is per rollout: 3rd spend is refused
        return task

    async def main():
        runner.init(agent)
        return await asyncio.gather(*(runner.step(n) for n in (1, 2, 3, 4, 5)))

    rollouts = run(main())
    for r in rollouts:
        n = r.task_input
        tool_violations = [v for v in r.violations if v.rule.startswith("tool.")]
        cost_violations = [v for v in r.violations if v.rule.startswith("cost.")]
        assert len(tool_violations) == n
        assert len(cost_violations) == max(0, n - 2)
    assert runner.get_stats()["total_violations"] == sum(len(r.violations) for r in rollouts)


def test_tools_only_run_when_allowed():
    calls = []
    tools = {"search": lambda q: calls.append(q) or ["hit"], "shell": lambda cmd: calls.append(cmd)}
    kernel = KernelSpace(policy=ToolPolicy(allow=["search"], max_calls=1))

    def agent(task, handle):
        return [handle.call_tool("search", {"q": "a"}), handle.call_tool("shell", {"cmd": "rm -rf /"}),
                handle.call_tool("search", {"q": "b"}), handle.spend(1.0), handle.message("done")]

    r = run(_step(GovernedRunner(kernel, tools=tools, log_violations=False), agent, "t"))
    assert calls == ["a"]
    hit, shell, second, spent, msg = r.task_output
    assert hit == ["hit"] and is_refusal(shell) and is_refusal(second) and spent is True and msg == "done"


def test_using_agent_binds_an_agent_for_runners_made_in_the_context(sql_kernel):
    runner = GovernedRunner(sql_kernel)
    with using_agent(lambda task, handle: task.upper()):
        r = run(runner.step("abc"))
    assert r.task_output == "ABC" and isinstance(r, GovernedRollout)
    with pytest.raises(StateError):
        run(runner.step("abc"))


def test_success_fn_and_iter(sql_kernel):
    runner = GovernedRunner(sql_kernel, success_fn=lambda task, out: out == task * 2, agent=lambda t, h: t * 2)

    async def collect():
        return [r async for r in runner.iter(inputs=[1, 2, 3])]

    assert [r.success for r in run(collect())] == [True, True, True]
    assert runner.get_stats()["success_rate"] == 1.0
