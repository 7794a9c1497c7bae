"""agent_os.iatp.Pipeline: one kernel, one scope and one budget per agent, governed hand-offs."""

import asyncio

import json

import pytest

from agent_os import InvalidArgument, KernelSpace, PolicyViolationError, Refusal
from agent_os.iatp import Pipeline
from agent_os.integrations.agent_lightning import GovernedRunner
from agent_os.policies import ContentPolicy, CostControlPolicy, SQLPolicy

pytestmark = pytest.mark.nonumpy


def research(task, h):
    assert h.agent_id == "research"
    return [h.spend(0.6), h.spend(0.6)]           # second spend exceeds this agent's 1.0 budget


def analysis(spent, h):
    return {"spent": [bool(x) for x in spent], "more": bool(h.spend(0.9))}   # its own budget


def report(analysis, h):
    return f"report {analysis}"


def run(pipeline, task="t", **kw):
    runner = GovernedRunner(pipeline.kernel, log_violations=False, **kw)
    runner.init(pipeline)
    return asyncio.run(runner.step(task))


def test_each_agent_has_its_own_scope_and_budget():
    p = Pipeline([research, analysis, report], policy=[SQLPolicy(), CostControlPolicy(max_cost_usd=1.0)],
                 agent_ids=["research", "analysis", "report"])
    r = run(p)
    assert r.task_output == "report {'spent': [True, False], 'more': True}"
    assert [v.agent_id for v in r.violations] == ["research"]


def test_budgets_become_scoped_policies():
    p = Pipeline([research, analysis, report], budgets={"research": 1.0}, agent_ids=["research", "analysis", "report"])
    assert p.kernel.policy_names() == ["budget.research", "sql_policy"]
    assert json.loads(p.kernel.yaml)["policies"][1]["agents"] == ["research"]
    r = run(p)
    assert [v.policy_name for v in r.violations] == ["budget.research"]


def test_handoffs_are_governed():
    def leaker(task, h):
        return "the password = hunter2"

    reached = []

    def downstream(text, h):
        reached.append(text)
        return text

    p = Pipeline([leaker, downstream], policy=ContentPolicy(deny=[r"password\s*="], kinds=["message"]))
    r = run(p)
    assert isinstance(r.task_output, Refusal) and reached == []
    assert r.violations[0].agent_id == "leaker" and r.violations[0].action_kind == "message"
    with pytest.raises(PolicyViolationError):
        run(p, fail_on_violation=True)


def test_default_kernel_is_not_allow_all_and_bad_input():
    p = Pipeline([lambda t, h: h.sql("DROP TABLE users")])
    assert not p.kernel.check("DROP TABLE users").allowed
    assert p.agent_ids == ["_lambda_"]
    with pytest.raises(InvalidArgument):
        Pipeline([])
    with pytest.raises(TypeError):
        Pipeline(["not callable"])
    with pytest.raises(InvalidArgument):
        Pipeline([research], kernel=KernelSpace(policy=SQLPolicy()), budgets={"research": 1.0})
    with pytest.raises(InvalidArgument):
        Pipeline([research], budgets={"nobody": 1.0})
    other = GovernedRunner(KernelSpace(policy=SQLPolicy()), log_violations=False)
    other.init(Pipeline([research]))
    r = asyncio.run(other.step("x"))
    assert not r.success and "kernel" in r.error


async def async_agent(task, h):
    await asyncio.sleep(0)
    return task + "!"


def test_async_agents_and_unique_ids():
    p = Pipeline([async_agent, async_agent])
    assert p.agent_ids == ["async_agent", "async_agent.1"]
    assert run(p, "go").task_output == "go!!"
