"""v1.check_rollout without a gateway: the events of a rollout are accepted
only when they are exactly what its verified audit log holds.

Runs wherever agent_os does (no agentlightning needed): the events are the
dicts a gateway returns (event_type, data)."""

import asyncio
import sqlite3

from agent_os import FlightRecorder, KernelSpace
from agent_os.integrations.agent_lightning import AgentOSRunner
from agent_os.integrations.agent_lightning.v1 import audit_violations, check_rollout, report_rollout

POLICY = """\
version: 1
mode: enforce
policies:
  - name: "sql_safety"
    type: "sql"
    deny: ["DROP", "DELETE"]
"""


class Collect:
    """Stands in for GatewayEvents: keeps what would be posted."""

    def __init__(self):
        self.events = []

    def add(self, event_type, data):
        self.events.append({"event_type": event_type, "data": data})


def _rollout(tmp_path):
    path = str(tmp_path / "rollout.db")
    rec = FlightRecorder(path)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t(x)")

    def agent(task, handle):
        handle.sql("SELECT x FROM t")
        handle.sql("DROP TABLE t")
        handle.sql("DELETE FROM t WHERE x = 1")

    asyncio.run(AgentOSRunner(KernelSpace.from_yaml_text(POLICY), agent=agent, sql_executor=db, recorder=rec,
                              log_violations=False).step({}))
    rec.close()
    sink = Collect()
    report_rollout(sink, path, -199.0, success=True)
    return path, sink.events


def test_the_reported_events_are_the_logs_violations_then_reward_then_audit(tmp_path):
    path, events = _rollout(tmp_path)
    assert [e["event_type"] for e in events] == ["agent_os.violation", "agent_os.violation", "reward",
                                                 "agent_os.audit"]
    assert [(e["data"]["rule"], e["data"]["seq"], e["data"]["blocked"]) for e in events[:2]] == [
        ("sql.denied_kind", 2, True), ("sql.denied_kind", 3, True)]
    assert events[2]["data"]["value"] == -199.0
    assert events[3]["data"]["records"] == 3
    assert check_rollout(events) is None
    assert len(audit_violations(path)) == 2


def test_a_missing_or_altered_violation_event_fails_the_check(tmp_path):
    _path, events = _rollout(tmp_path)
    dropped = events[1:]
    assert "violation events (1) differ from the audit log's violations (2)" == check_rollout(dropped)
    altered = [dict(e, data=dict(e["data"], severity="low")) if i == 0 else e for i, e in enumerate(events)]
    assert check_rollout(altered).startswith("violation events (2) differ")


def test_a_changed_log_or_no_reward_fails_the_check(tmp_path):
    path, events = _rollout(tmp_path)
    assert check_rollout([e for e in events if e["event_type"] != "reward"]) == "no PolicyReward reward event"
    assert check_rollout([e for e in events if e["event_type"] != "agent_os.audit"]) == \
        "expected one agent_os.audit event, found 0"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE violations SET severity = 1")
    assert check_rollout(events).startswith("the audit log does not verify")


class CollectingGateway:
    """A GatewayEvents whose posts are kept instead of sent."""

    def __new__(cls):
        from agent_os.integrations.agent_lightning.v1 import GatewayEvents

        class _G(GatewayEvents):
            def add(self, event_type, data):
                self.kept.append((event_type, data))

        g = _G("http://127.0.0.1:1/api/rollouts/r1/attempt/0/events")
        g.kept = []
        return g


def test_the_seed_era_runner_spans_become_v1_violation_events():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t(x)")

    def agent(task, handle):
        handle.sql("DROP TABLE t")

    runner = AgentOSRunner(KernelSpace.from_yaml_text(POLICY), agent=agent, sql_executor=db, log_violations=False)
    gateway = CollectingGateway()
    runner.init_worker(0, store=gateway)
    asyncio.run(runner.step({}))
    assert gateway.kept == [("agent_os.violation", {"policy": "sql_safety", "rule": "sql.denied_kind",
                                                    "severity": "critical", "blocked": True, "seq": None,
                                                    "step": 0})]  # the first action


def test_the_hook_rejects_what_it_cannot_read_and_says_so(tmp_path):
    import pytest
    pytest.importorskip("agentlightning.hooks", reason="needs agentlightning 1.0.x")
    from types import SimpleNamespace
    from agent_os.integrations.agent_lightning.hooks import AuditVerifyingHooks
    _path, events = _rollout(tmp_path)
    posted = []
    store = SimpleNamespace(add_event=lambda *a: posted.append(a))
    hooks = AuditVerifyingHooks()
    hooks.on_succeeded(SimpleNamespace(rollout_id="good"), {"0": events}, store)
    hooks.on_succeeded(SimpleNamespace(rollout_id="bad"), {"0": [{"event_type": "agent_os.audit", "data": None}]},
                       store)
    assert hooks.accepted == {"good"} and set(hooks.rejected) == {"bad"}
    assert hooks.rejected["bad"].startswith("the rollout's events cannot be checked: AttributeError")
    assert [(a[0], a[2]) for a in posted] == [("bad", "agent_os.audit_rejected"), ("bad", "reward")]
    assert posted[1][3]["value"] is None
