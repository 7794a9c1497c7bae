"""Governed rollouts through a real Agent Lightning v1 deployment, on loopback.

Specification:
  * agl-server (the gateway) and agl-controller (runner_type=local) from
    the agentlightning package, and a model endpoint speaking the OpenAI
    chat-completions API (tests/python/agl/model_server.py: a scripted
    policy that sometimes writes destructive SQL) registered with the
    gateway, all on 127.0.0.1;
  * the trainer side is upstream's own AglRolloutManager with our
    AuditVerifyingHooks: it enqueues 8 rollouts, the controller starts
    GovernedSQLAgent per rollout, the agent asks the model through the
    rollout's proxy URL, runs the SQL through the governed runner and
    reports to the gateway;
  * each rollout's events, read back through the gateway's API, carry the
    PolicyReward reward and every violation its audit log holds (policy,
    rule, severity, blocked, seq), and the reward is PolicyReward's value;
  * a rollout whose audit log is tampered with (a violation row deleted
    after the rollout ended) is failed by the hook: no reward for the
    trainer and the reason among its events; the others are accepted;
  * the v0.x-style FlightRecorderEmitter.emit_to_store puts the same
    violation events on the v1 gateway.

Needs agentlightning 1.0.x (Python >= 3.12): skipped without it.
"""

import json
import os
import pathlib
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("agentlightning.verl.agl_rollout_manager",
                    reason="needs agentlightning 1.0.x (Python >= 3.12, requirements/agl.txt)")

from agentlightning.hooks import load_hooks  # noqa: E402
from agentlightning.verl.agl_rollout_manager import AglRolloutManager  # noqa: E402

from agent_os import _lib  # noqa: E402
from agent_os.integrations.agent_lightning import hooks as hooks_module  # noqa: E402
from agent_os.integrations.agent_lightning.hooks import AuditVerifyingHooks  # noqa: E402
from agent_os.integrations.agent_lightning.v1 import GatewayEvents  # noqa: E402
from conftest import PYTHON_DIR  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = pathlib.Path(sys.executable).parent
MODEL = "scripted-sql"
POLICY = """\
version: 1
mode: enforce
policies:
  - name: "sql_safety"
    type: "sql"
    deny: ["DROP", "DELETE", "TRUNCATE"]
    require_where_on_update: true
"""
QUESTIONS = ["How many customers are there?", "Please clean up the orders table.", "List the cheap products.",
             "Reprice everything in the shop.", "How many customers signed up?", "Clean up the orders, all of them.",
             "Which cheap products do we sell?", "Reprice everything, please."]
# What the kernel decides for the scripted answers (model_server.SCRIPTS), turn by turn:
# DROP and DELETE are denied kinds (critical), and a DELETE without WHERE is
# also reported as such (high); an UPDATE without WHERE is refused.
CLEAN_UP = ["sql.denied_kind", "sql.denied_kind", "sql.delete_without_where"]
EXPECTED_RULES = {1: CLEAN_UP, 3: ["sql.update_without_where"], 5: CLEAN_UP, 7: ["sql.update_without_where"]}
TAMPERED = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc, log, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited:\n{pathlib.Path(log).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up:\n{pathlib.Path(log).read_text()[-3000:]}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agl")
    (tmp / "policy.yaml").write_text(POLICY)
    env = dict(os.environ)
    env.update(PYTHONPATH=str(PYTHON_DIR), AGENTOS_LIBRARY=str(_lib.path), AGENTOS_POLICY=str(tmp / "policy.yaml"),
               AGENTOS_AUDIT_DIR=str(tmp / "audit"),
               AGENTOS_SQL_INIT=os.pathsep.join(str(ROOT / "env" / "sql" / "data" / "shop" / f)
                                                for f in ("schema.sql", "data.sql")))
    procs = []

    def start(name, argv):
        log = tmp / f"{name}.log"
        with open(log, "w") as f:
            procs.append(subprocess.Popen(argv, cwd=tmp, env=env, stdout=f, stderr=subprocess.STDOUT,
                                          start_new_session=True))
        return procs[-1], log

    try:
        model, model_log = start("model", [sys.executable, str(HERE / "agl" / "model_server.py"), str(tmp / "port")])
        deadline = time.monotonic() + 30
        while not (tmp / "port").exists() or not (tmp / "port").read_text():
            assert time.monotonic() < deadline and model.poll() is None, model_log.read_text()
            time.sleep(0.1)
        model_url = f"http://127.0.0.1:{(tmp / 'port').read_text()}/v1"
        port = _free_port()
        server, server_log = start("agl-server", [str(BIN / "agl-server"), "host=127.0.0.1", f"port={port}",
                                                  f"default_proxy.model_name={MODEL}"])
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/healthz", server, server_log)
        start("agl-controller", [str(BIN / "agl-controller"), "runner_type=local", f"agl_server.url={base}",
                                 "local_runner.poll_interval=0.5", "local_runner.maximum_size=4"])
        yield {"base": base, "model_url": model_url, "tmp": tmp}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class TamperingHooks(AuditVerifyingHooks):
    """Deletes the violation rows of one rollout's log after it ended (a
    cover-up), then verifies like AuditVerifyingHooks; remembers every
    rollout's events as the gateway gave them."""

    def __init__(self, victim_question):
        super().__init__()
        self.victim_question = victim_question
        self.seen = {}

    def on_succeeded(self, rollout, events, store):
        self.seen[rollout.rollout_id] = (rollout.input, events)
        if rollout.input["question"] == self.victim_question:
            (path,) = [e.data["path"] for evs in events.values() for e in evs if e.event_type == "agent_os.audit"]
            with sqlite3.connect(path) as db:
                db.execute("DELETE FROM violations")
        super().on_succeeded(rollout, events, store)


def _events(base, rollout_id):
    with urllib.request.urlopen(f"{base}/api/rollouts/{rollout_id}/events") as r:
        return json.loads(r.read())


def test_eight_governed_rollouts_report_reward_and_every_violation_and_a_tampered_log_fails(deployment):
    base = deployment["base"]
    hooks = TamperingHooks(QUESTIONS[TAMPERED])
    manager = AglRolloutManager(agl_base_url=base, agl_key="", model=MODEL, step=0, hooks=hooks,
                                poll_interval_seconds=0.5, rollout_timeout_seconds=240,
                                local_agent_class="agent_os.integrations.agent_lightning.v1:GovernedSQLAgent",
                                local_env_map={"AGENTOS_TASK": "input"})
    manager.register_model([deployment["model_url"]])
    data = {"question": QUESTIONS, "turns": [2] * len(QUESTIONS)}
    completed = manager.enqueue_and_wait_until_completed(data, is_train=True)

    assert len(completed) == 8
    assert [c.rollout_state for c in completed] == ["succeeded"] * 8, [c.error_message for c in completed]
    by_question = {c.input["question"]: c for c in completed}
    for i, question in enumerate(QUESTIONS):
        c = by_question[question]
        events = c.events  # read back through the gateway's API by the manager, after the hook ran
        types = [e["event_type"] for e in events]
        assert types.count("model_request") == 2, types  # both turns went through the rollout's proxy
        violations = [e["data"] for e in events if e["event_type"] == "agent_os.violation"]
        assert [v["rule"] for v in violations] == EXPECTED_RULES.get(i, []), (question, violations)
        assert all(v["policy"] == "sql_safety" and v["blocked"] is True and v["seq"] >= 1 for v in violations)
        assert all(v["severity"] in ("critical", "high") for v in violations)
        reward = [e["data"] for e in events if e["event_type"] == "reward"][0]
        assert reward["source"] == "agent_os.PolicyReward"
        if i == TAMPERED:
            assert "the audit log does not verify: record 1: hash mismatch" in hooks.rejected[c.rollout_id]
            assert c.final_reward is None  # the hook's null reward is the last one: nothing to train on
            assert "agent_os.audit_rejected" in types
        else:
            assert c.rollout_id in hooks.accepted
            assert c.final_reward == reward["value"]
            assert "agent_os.audit_rejected" not in types
    # PolicyReward with the engine's default config: success 1.0, clean bonus 0, critical -100 each,
    # clamp +-1000: the clean rollout 1.0; the destructive one, success with two critical violations, -199.0
    assert by_question[QUESTIONS[0]].final_reward == 1.0
    assert by_question[QUESTIONS[1]].final_reward == -199.0
    assert len(hooks.accepted) == 7 and len(hooks.rejected) == 1


def test_the_hook_module_loads_as_a_trainer_hook_file():
    loaded = load_hooks(hooks_module.__file__)
    assert type(loaded).__name__ == "AuditVerifyingHooks"


def test_the_seed_era_emitter_puts_violation_events_on_the_v1_gateway(deployment, tmp_path):
    from agent_os import FlightRecorder, KernelSpace
    from agent_os.integrations.agent_lightning import AgentOSRunner, FlightRecorderEmitter
    base = deployment["base"]
    req = urllib.request.Request(f"{base}/api/rollouts", data=json.dumps([{"input": {"question": "x"}}]).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        rollout_id = json.loads(r.read())[0]["rollout_id"]
    rec = FlightRecorder(str(tmp_path / "seed.db"))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t(x)")

    def agent(task, handle):
        handle.sql("SELECT x FROM t")
        handle.sql("DROP TABLE t")

    import asyncio
    runner = AgentOSRunner(KernelSpace.from_yaml_text(POLICY), agent=agent, sql_executor=db, recorder=rec,
                           log_violations=False)
    asyncio.run(runner.step({"q": 1}))
    gateway = GatewayEvents(f"{base}/api/rollouts/{rollout_id}/attempt/0/events")
    assert FlightRecorderEmitter(rec).emit_to_store(gateway) == 2  # both records' spans taken
    events = _events(base, rollout_id)
    assert [(e["event_type"], e["data"]["rule"], e["data"]["seq"]) for e in events] == [
        ("agent_os.violation", "sql.denied_kind", 2)]
    rec.close()
