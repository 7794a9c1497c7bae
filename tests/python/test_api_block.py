"""Every line of the API block in bindings/python/README.md runs as written, backed by the engine."""

import ast
import asyncio
import json

import pytest

from fake_store import FakeLightningStore

pytestmark = pytest.mark.nonumpy

# Verbatim from the quick start of bindings/python/README.md.
API_BLOCK = '''
from agent_os import KernelSpace, FlightRecorder
from agent_os.policies import SQLPolicy, CostControlPolicy
from agent_os.integrations.agent_lightning import (
    GovernedRunner, PolicyReward, RewardConfig,
    GovernedEnvironment, EnvironmentConfig, FlightRecorderEmitter)

kernel = KernelSpace(policy=[SQLPolicy(deny=["DROP", "DELETE"]),
                             CostControlPolicy(max_cost_usd=100)])
kernel = KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT", "UPDATE"],
                                      deny=["DROP", "DELETE", "TRUNCATE"],
                                      require_where_on_update=True))
runner = GovernedRunner(kernel, fail_on_violation=False, log_violations=True)
rollout = await runner.step(task_input)   # .violations .total_penalty .success .task_output
runner.get_stats()                        # "total_rollouts", "violation_rate", ...
config = RewardConfig(critical_penalty=-100.0, high_penalty=-50.0, medium_penalty=-10.0,
                      low_penalty=-1.0, clean_bonus=5.0)
reward_fn = PolicyReward(kernel, config=config)   # also PolicyReward(kernel, base_reward_fn=f)
reward = reward_fn(rollout); reward_fn.get_stats()  # "avg_penalty", "clean_rate", ...
env = GovernedEnvironment(kernel, config=EnvironmentConfig(max_steps=100,
                                                           terminate_on_critical=True))
state, info = env.reset()
state, reward, terminated, truncated, info = env.step(action)
env.terminated; env.get_metrics()         # "success_rate", ...
recorder = FlightRecorder(); emitter = FlightRecorderEmitter(recorder)
emitter.emit_to_store(lightning_store); emitter.export_to_file("training_audit.json")
emitter.get_violation_summary()["violation_rate"]

# the same engine under the names of the Agent-Lightning contrib
from agent_os.integrations.agent_lightning import AgentOSRunner, FlightRecorderAdapter
runner = AgentOSRunner(kernel, fail_on_violation=False, emit_violations=True)
reward_fn = PolicyReward(kernel, base_reward_fn=accuracy_reward,
                         critical_penalty=-100.0, clean_bonus=5.0)
FlightRecorderAdapter(recorder).import_to_store(lightning_store)

# a governed multi-agent pipeline sharing one kernel
from agent_os.iatp import Pipeline
pipeline = Pipeline([research_agent, analysis_agent, report_agent])
runner = GovernedRunner(pipeline.kernel)
'''


def fake_agent(task_input, handle):
    """Tries one allowed and two forbidden statements through its handle."""
    handle.sql("SELECT name FROM users WHERE id = 1")
    handle.sql("DROP TABLE users")
    handle.sql("UPDATE users SET name = 'x'")        # no WHERE
    return {"answer": task_input.upper(), "accuracy": 1.0}


def research_agent(task, handle):
    handle.spend(0.5)
    return f"notes on {task}"


def analysis_agent(notes, handle):
    return {"summary": notes}


def report_agent(analysis, handle):
    return f"report: {analysis['summary']}"


def test_the_api_block_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # FlightRecorder() without a path writes under $AGENTOS_DATA_DIR: here.
    monkeypatch.setenv("AGENTOS_DATA_DIR", str(tmp_path))
    from agent_os import FlightRecorder, KernelSpace
    from agent_os.integrations.agent_lightning import GovernedRunner, using_agent
    from agent_os.policies import SQLPolicy

    # A previous training run left an audit log at the default path; the
    # block's FlightRecorder() appends to it and the emitter exports it.
    with FlightRecorder("flight_recorder.db") as rec:
        pre = GovernedRunner(KernelSpace(policy=SQLPolicy()), recorder=rec, log_violations=False, agent=fake_agent)
        asyncio.run(pre.step("warm up"))

    store = FakeLightningStore()
    ns = {"task_input": "how many users?", "action": "SELECT count(*) FROM users", "lightning_store": store,
          "accuracy_reward": lambda rollout: rollout.task_output["accuracy"] if rollout.success else 0.0,
          "research_agent": research_agent, "analysis_agent": analysis_agent, "report_agent": report_agent}
    code = compile(API_BLOCK, "<README API block>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    with using_agent(fake_agent):
        result = eval(code, ns)  # noqa: S307 - our own constant
        if asyncio.iscoroutine(result):
            asyncio.run(result)

    rollout = ns["rollout"]
    assert rollout.success and rollout.task_output["answer"] == "HOW MANY USERS?"
    assert len(rollout.violations) == 2 and rollout.total_penalty < 0
    assert {v.rule for v in rollout.violations} >= {"sql.denied_kind"}
    assert isinstance(ns["reward"], float) and ns["terminated"] is False and ns["truncated"] is False
    summary = ns["emitter"].get_violation_summary()
    assert summary["total_entries"] == 3 and summary["violation_rate"] == pytest.approx(2 / 3)
    # 3 spans: the adapter (a fresh cursor) re-sent them and the store skipped the duplicates
    assert len(store.spans) == 3 and store.calls == 6
    exported = json.loads((tmp_path / "training_audit.json").read_text())
    assert len(exported) == 3 and all(s["name"] == "agent_os.policy_check" for s in exported)
    assert ns["pipeline"].kernel is ns["runner"].kernel
