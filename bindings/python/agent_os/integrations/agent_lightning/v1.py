"""A governed agent as an Agent Lightning v1 rollout (agentlightning 1.0.x).

Agent Lightning v1 is an API gateway (``agl-server``: rollouts, append-only
events per rollout and attempt, an OpenAI-compatible model proxy per
rollout), a rollout controller (``agl-controller``, which starts one agent
process per rollout: ``runner_type=local`` subprocesses or Kubernetes Jobs)
and a trainer. The agent process learns where to talk from its environment:
``AGL_OPENAI_BASE_URL`` (the rollout's model proxy), ``AGL_EVENT_URL`` (the
rollout attempt's events) and ``AGL_KEY``.

What this module gives the agent side (it does not import agentlightning):

  * ``GovernedSQLAgent``: an ``agent_class`` for the controller
    (``config.local.agent_class = "agent_os.integrations.agent_lightning.v1:GovernedSQLAgent"``).
    Per rollout it asks the model through the proxy for SQL, runs every
    statement through the governed runner (the kernel decides before
    anything executes; the decision is recorded in the rollout's own
    hash-chained audit log), scores the episode with PolicyReward, and
    reports to the gateway (``report_rollout``);
  * ``report_rollout``: the events a governed rollout leaves on the gateway:
    one ``agent_os.violation`` per violation the audit log holds (policy,
    rule, severity, blocked, seq = the record's sequence number), then one
    ``reward`` (value, source ``agent_os.PolicyReward``), then one
    ``agent_os.audit`` naming the log (path, records, SHA-256 of the file);
  * ``GatewayEvents``: posts events to one rollout attempt. It also takes
    the v0.x span deliveries (``add_many_spans``), so
    ``FlightRecorderEmitter(recorder).emit_to_store(GatewayEvents(...))``
    and ``AgentOSRunner`` (which emits by default) after ``init_worker(0,
    store=GatewayEvents(...))`` put ``agent_os.violation`` events on a v1
    gateway;
  * ``check_rollout``: what ``hooks.AuditVerifyingHooks`` (the trainer
    side's RolloutHooks) verifies for each succeeded rollout.

Which upstream version each form matches: the events, the agent class and
the hooks match Agent Lightning 1.0.x (tested with 1.0.2); spans through
``emit_to_store`` / ``import_to_store`` on a LightningStore match 0.x (up to
0.3), and on a ``GatewayEvents`` 1.0.x.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sqlite3
import urllib.error
import urllib.request

from ...errors import InvalidArgument

EVENT_VIOLATION = "agent_os.violation"
EVENT_AUDIT = "agent_os.audit"
EVENT_REJECTED = "agent_os.audit_rejected"
REWARD_SOURCE = "agent_os.PolicyReward"
_VIOLATION_KEYS = ("policy", "rule", "severity", "blocked", "seq")


def _request(url: str, key: str | None, body: dict | None = None, method: str = "POST", timeout: float = 60.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        raise ConnectionError(f"{method} {url}: HTTP {e.code} {e.read()[:300]!r}") from None


class GatewayEvents:
    """The events of one rollout attempt on an Agent Lightning v1 gateway.

    ``url`` is the attempt's events URL (``AGL_EVENT_URL``:
    ``http://HOST/api/rollouts/ROLLOUT/attempt/ATTEMPT/events``)."""

    def __init__(self, url: str, key: str | None = None):
        m = re.search(r"/api/rollouts/([^/]+)/attempt/([^/]+)/events/?$", url or "")
        if not m:
            raise InvalidArgument(f"not an Agent Lightning v1 events URL: {url!r}")
        self.url, self.key = url, key
        self.rollout_id, self.attempt_id = m.group(1), m.group(2)
        self.posted = 0

    @classmethod
    def from_env(cls):
        return cls(os.environ["AGL_EVENT_URL"], os.environ.get("AGL_KEY") or None)

    def add(self, event_type: str, data: dict) -> dict:
        out = _request(self.url, self.key, {"event_type": event_type, "data": data})
        self.posted += 1
        return out

    # ---- the Agent Lightning 0.x store interface, mapped onto v1 events -----

    def add_many_spans(self, spans) -> list:
        """Takes v0.x audit spans and posts one ``agent_os.violation``
        event per violation they carry; returns the spans taken. Two forms:
        the recorder's spans (FlightRecorderEmitter: one per record, each
        violation a span event; ``seq`` is the record's) and the runner's
        (AgentOSRunner: each violation its own span; no record behind it,
        so ``seq`` is None and ``step`` the handle's step)."""
        taken = []
        for span in spans:
            span = span if isinstance(span, dict) else span.model_dump()
            attrs = span.get("attributes", {})
            if span.get("name") == "agent_os.violation":
                self.add(EVENT_VIOLATION, dict(_violation_of(attrs), seq=None, step=attrs.get("agent_os.step")))
            for ev in span.get("events", []):
                if ev.get("name") == "agent_os.violation":
                    self.add(EVENT_VIOLATION, dict(_violation_of(ev.get("attributes", {})),
                                                   seq=attrs.get("agent_os.seq")))
            taken.append(span)
        return taken


def _violation_of(a: dict) -> dict:
    return {"policy": a.get("agent_os.policy_name"), "rule": a.get("agent_os.rule"),
            "severity": a.get("agent_os.severity"), "blocked": a.get("agent_os.blocked")}


def audit_violations(audit_path) -> list:
    """One dict per violation the audit log holds, in log order: policy,
    rule, severity, blocked, seq (the record's sequence number)."""
    from ...distributed.audit_merge import iter_records
    out = []
    for rec in iter_records(os.fspath(audit_path)):
        for v in rec["decision"]["violations"]:
            out.append({"policy": v["policy"], "rule": v["rule"], "severity": v["severity"],
                        "blocked": bool(v["blocked"]), "seq": rec["seq"]})
    return out


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def report_rollout(events: GatewayEvents, audit_path, reward: float, *, success: bool) -> dict:
    """Posts a closed rollout's events (module docstring) and returns what it sent."""
    from ...recorder import verify_log
    v = verify_log(os.fspath(audit_path))
    if not v["valid"]:
        raise InvalidArgument(f"the rollout's audit log does not verify: {v['message']}")
    violations = audit_violations(audit_path)
    for item in violations:
        events.add(EVENT_VIOLATION, item)
    events.add("reward", {"value": float(reward), "source": REWARD_SOURCE, "reason": "success" if success else
                          "failure", "message": f"{len(violations)} violation(s)"})
    audit = {"path": os.path.abspath(os.fspath(audit_path)), "records": v["records"],
             "sha256": file_sha256(audit_path)}
    events.add(EVENT_AUDIT, audit)
    return {"violations": violations, "reward": float(reward), "audit": audit}


def _field(ev, name):
    return ev[name] if isinstance(ev, dict) else getattr(ev, name)


def check_rollout(events, *, key: bytes | None = None) -> str | None:
    """None if the rollout's events are backed by its audit log, else why
    not: exactly one ``agent_os.audit`` event; its log verifies (every hash
    and link) and is the very file reported (SHA-256); the
    ``agent_os.violation`` events are exactly the log's violations, in
    order; and a numeric ``reward`` event from PolicyReward is present."""
    from ...recorder import verify_log
    audits = [_field(e, "data") for e in events if _field(e, "event_type") == EVENT_AUDIT]
    if len(audits) != 1:
        return f"expected one {EVENT_AUDIT} event, found {len(audits)}"
    path = audits[0].get("path")
    if not isinstance(path, str) or not os.path.exists(path):
        return f"the audit log {path!r} is missing"
    v = verify_log(path, key=key) if key is not None else verify_log(path)
    if not v["valid"]:
        return f"the audit log does not verify: {v['message']}"
    if file_sha256(path) != audits[0].get("sha256"):
        return "the audit log is not the file the rollout reported (SHA-256 differs)"
    reported = [{k: _field(e, "data").get(k) for k in _VIOLATION_KEYS} for e in events
                if _field(e, "event_type") == EVENT_VIOLATION]
    held = audit_violations(path)
    if reported != held:
        return f"violation events ({len(reported)}) differ from the audit log's violations ({len(held)})"
    rewards = [_field(e, "data") for e in events if _field(e, "event_type") == "reward"
               and _field(e, "data").get("source") == REWARD_SOURCE]
    if not rewards or not isinstance(rewards[-1].get("value"), (int, float)):
        return "no PolicyReward reward event"
    return None


# ---- the agent process --------------------------------------------------------

class ChatModel:
    """The OpenAI chat-completions API at ``base_url`` (the rollout's proxy)."""

    def __init__(self, base_url: str, key: str | None = None, model: str = "policy"):
        self.base_url, self.key, self.model = base_url.rstrip("/"), key, model

    def complete(self, messages: list) -> str:
        out = _request(f"{self.base_url}/chat/completions", self.key, {"model": self.model, "messages": messages})
        return out["choices"][0]["message"]["content"]


def _sql_in(text: str) -> str:
    m = re.search(r"```(?:sql)?\s*(.*?)```", text, re.S)
    return (m.group(1) if m else text).strip()


class GovernedSQLAgent:
    """One governed rollout per process (the controller's agent_class).

    Environment (besides the controller's AGL_*): AGENTOS_TASK (the rollout
    input as JSON, e.g. via ``config.local.env_map = {"AGENTOS_TASK":
    "input"}``: ``question``, optional ``turns``), AGENTOS_POLICY (a policy
    file), AGENTOS_AUDIT_DIR (where the rollout's audit log goes),
    AGENTOS_SQL_INIT (SQL scripts, ``os.pathsep``-separated, that build the
    rollout's own SQLite database)."""

    def run(self) -> None:
        from ... import FlightRecorder, KernelSpace
        from .reward import PolicyReward
        from .runner import AgentOSRunner

        events = GatewayEvents.from_env()
        task = json.loads(os.environ.get("AGENTOS_TASK") or "{}")
        if not isinstance(task, dict) or not isinstance(task.get("question"), str):
            raise InvalidArgument("AGENTOS_TASK must be a JSON object with a 'question'")
        kernel = KernelSpace.from_yaml(os.environ["AGENTOS_POLICY"])
        audit_dir = os.environ["AGENTOS_AUDIT_DIR"]
        os.makedirs(audit_dir, exist_ok=True)
        audit_path = os.path.join(audit_dir, f"{events.rollout_id}-{events.attempt_id}.db")
        recorder = FlightRecorder(audit_path)
        db = sqlite3.connect(":memory:")
        for script in filter(None, os.environ.get("AGENTOS_SQL_INIT", "").split(os.pathsep)):
            with open(script, encoding="utf-8") as f:
                db.executescript(f.read())
        model = ChatModel(os.environ["AGL_OPENAI_BASE_URL"], os.environ.get("AGL_KEY") or None)
        turns = int(task.get("turns", 1))

        def agent(task_input, handle):
            messages = [{"role": "system", "content": "Answer with one SQLite statement."},
                        {"role": "user", "content": task_input["question"]}]
            answer = None
            for _ in range(turns):
                reply = model.complete(messages)
                result = handle.sql(_sql_in(reply))
                answer = result
                messages += [{"role": "assistant", "content": reply},
                             {"role": "user", "content": f"Result: {str(result)[:500]}"}]
            return answer

        runner = AgentOSRunner(kernel, agent=agent, sql_executor=db, recorder=recorder, log_violations=False)
        rollout = asyncio.run(runner.step(task, rollout_id=events.rollout_id, attempt_id=events.attempt_id))
        reward = PolicyReward(kernel)(rollout, emit=False)
        recorder.close()
        db.close()
        report_rollout(events, audit_path, reward, success=rollout.success)


__all__ = ["GatewayEvents", "GovernedSQLAgent", "ChatModel", "report_rollout", "check_rollout", "audit_violations",
           "EVENT_VIOLATION", "EVENT_AUDIT", "EVENT_REJECTED", "REWARD_SOURCE"]
