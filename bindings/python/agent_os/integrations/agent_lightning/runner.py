"""GovernedRunner: runs an agent on a task with every action governed.

What the runner governs
-----------------------
The agent is a Python callable ``agent(task_input, handle)`` (sync or
``async def``). It acts on the world ONLY through ``handle``
(agent_os.actions.GovernedHandle): ``handle.sql(text)``,
``handle.call_tool(name, args)``, ``handle.spend(usd, tokens=0)``,
``handle.message(text)``. Each action is checked by the C++ kernel BEFORE it
runs; an allowed SQL statement runs through the runner's ``sql_executor``
(e.g. a ``sqlite3.Connection`` the runner owns), an allowed tool call
through the runner's ``tools``. A blocked action never runs: with
``fail_on_violation=True`` the handle raises PolicyViolationError (and
``step`` re-raises it after recording the rollout), otherwise it returns a
``Refusal`` and the agent carries on. Either way the violation is recorded
once, in the rollout, in the runner's stats and in the kernel's
``get_recent_violations()``. The value the agent returns is the rollout's
``task_output``; ``success`` is ``success_fn(task_input, task_output)`` if
given, else "the agent returned without raising".

A runner refuses to start without a working KernelSpace (TypeError for
anything else, StateError for a closed one) and refuses to step without an
agent: it never runs an agent ungoverned.

Per-rollout state only: each ``step`` makes its own handle, EpisodeState
(budgets accumulate per rollout) and violation list; the handle is also
published in a contextvar (``agent_os.actions.current_handle()``), so
concurrent ``step`` calls never mix their violations. The runner's only
shared state is its counters, behind a lock.

Which agent: ``init(agent)`` (Agent-Lightning's Runner lifecycle) or
``GovernedRunner(kernel, agent=...)``; otherwise the agent bound in the
current context with ``using_agent(agent)`` (how a trainer that constructs
runners itself hands them its agent).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import inspect
import itertools
import logging
import threading
import time
import uuid
from typing import Any, Callable

from ...actions import GovernedHandle, _current
from ...errors import PolicyViolationError, StateError
from ...kernel import require_kernel
from ...severity import DEFAULT_PENALTIES, normalize_severity
from .reward import RewardConfig, severity_counts
from . import spans as _spans

log = logging.getLogger("agent_os")

_default_agent: contextvars.ContextVar = contextvars.ContextVar("agent_os_default_agent", default=None)


@contextlib.contextmanager
def using_agent(agent: Callable):
    """Binds ``agent`` for runners in this context that were not given one."""
    if not callable(agent):
        raise TypeError("agent must be callable: agent(task_input, handle)")
    token = _default_agent.set(agent)
    try:
        yield agent
    finally:
        _default_agent.reset(token)


@dataclasses.dataclass
class GovernedRollout:
    task_input: Any
    task_output: Any = None
    success: bool = False
    violations: list = dataclasses.field(default_factory=list)
    signals_sent: list = dataclasses.field(default_factory=list)
    total_penalty: float = 0.0
    execution_time_ms: float = 0.0
    # Beyond the documented fields:
    rollout_id: str = ""
    attempt_id: str = ""
    actions: int = 0
    blocked_actions: int = 0
    error: str | None = None
    start_time: float = 0.0
    end_time: float = 0.0
    reward_info: dict | None = None


class _RolloutBook:
    """One rollout's bookkeeping (never shared between rollouts)."""

    def __init__(self, log_violations: bool, callback: Callable | None):
        self.violations: list = []
        self.signals: list = []
        self.actions = 0
        self.blocked = 0
        self._log = log_violations
        self._cb = callback

    def on_decision(self, action, decision, records, signals, executed):
        self.actions += 1
        if not decision.allowed:
            self.blocked += 1
        self.violations.extend(records)
        self.signals.extend(signals)
        for rec in records:
            if self._log:
                log.warning("policy violation (%s): %s [%s/%s] %s", "blocked" if rec.action_blocked else "warned",
                            rec.policy_name, rec.rule, rec.severity, rec.description)
            if self._cb is not None:
                self._cb(rec)


class GovernedRunner:
    def __init__(self, kernel, *, fail_on_violation: bool = False, log_violations: bool = True,
                 violation_callback: Callable | None = None, agent: Callable | None = None,
                 sql_executor=None, tools=None, success_fn: Callable | None = None,
                 penalties: dict | None = None, recorder=None, emit_spans: bool = False):
        self.kernel = require_kernel(kernel, type(self).__name__)
        if violation_callback is not None and not callable(violation_callback):
            raise TypeError("violation_callback must be callable")
        if agent is not None and not callable(agent):
            raise TypeError("agent must be callable: agent(task_input, handle)")
        if success_fn is not None and not callable(success_fn):
            raise TypeError("success_fn must be callable")
        self.fail_on_violation = bool(fail_on_violation)
        self.log_violations = bool(log_violations)
        self.violation_callback = violation_callback
        self.sql_executor = sql_executor
        self.tools = tools
        self.success_fn = success_fn
        self.recorder = recorder
        self.emit_spans = bool(emit_spans)
        self.penalties = dict(DEFAULT_PENALTIES)
        for sev, value in (penalties or {}).items():
            if normalize_severity(sev) != sev:
                raise ValueError(f"penalties must map severities to values <= 0, got {sev!r}: {value!r}")
            self.penalties[sev] = value
        # The engine validates the table and computes every total_penalty.
        self._reward_config = RewardConfig(**{f"{sev}_penalty": v for sev, v in self.penalties.items()})
        self.penalties = {sev: getattr(self._reward_config, f"{sev}_penalty") for sev in self.penalties}
        self._agent = agent
        self._store = None
        self._worker_id = None
        self._sequence = _spans.SequenceCounter()
        self._episodes = itertools.count()  # rollout numbers, as "episodes" in the audit log
        self.record_env_id = 0
        self._lock = threading.Lock()
        self._stats = {"total_rollouts": 0, "total_violations": 0, "rollouts_with_violations": 0,
                       "successful_rollouts": 0, "total_actions": 0, "blocked_actions": 0,
                       "total_penalty": 0.0}
        # Validate the executors now, so a misconfigured runner fails at construction.
        GovernedHandle(self.kernel, sql_executor=sql_executor, tools=tools)

    # ---- Agent-Lightning Runner lifecycle -----------------------------------

    def init(self, agent: Callable, **kwargs) -> None:
        if not callable(agent):
            raise TypeError("agent must be callable: agent(task_input, handle)")
        self._agent = agent

    def init_worker(self, worker_id, store=None, **kwargs) -> None:
        self._worker_id = worker_id
        self._store = store
        if isinstance(worker_id, int) and not isinstance(worker_id, bool) and worker_id >= 0:
            self.record_env_id = worker_id

    def teardown(self, *args, **kwargs) -> None:
        self._agent = None

    def teardown_worker(self, worker_id=None, *args, **kwargs) -> None:
        self._store = None
        self._worker_id = None

    # ---- stepping -------------------------------------------------------------

    def _resolve_agent(self) -> Callable:
        agent = self._agent or _default_agent.get()
        if agent is None:
            raise StateError(f"{type(self).__name__} has no agent: call runner.init(agent), pass agent=, "
                             "or bind one with agent_os.integrations.agent_lightning.using_agent(agent)")
        return agent

    async def step(self, input, *, resources=None, mode=None, event=None, rollout_id: str | None = None,
                   attempt_id: str | None = None, agent_id: str = "agent") -> GovernedRollout:
        """Runs the agent once on ``input`` and returns the GovernedRollout."""
        if self.kernel.closed:
            raise StateError("the runner's KernelSpace is closed; refusing to run ungoverned")
        agent = self._resolve_agent()
        book = _RolloutBook(self.log_violations, self.violation_callback)
        handle = GovernedHandle(self.kernel, agent_id=agent_id, sql_executor=self.sql_executor, tools=self.tools,
                                fail_on_violation=self.fail_on_violation, on_decision=book.on_decision,
                                recorder=self.recorder)
        handle.record_env_id = self.record_env_id
        handle.record_episode = next(self._episodes)
        rollout = GovernedRollout(task_input=input, rollout_id=rollout_id or f"ro-{uuid.uuid4().hex[:12]}",
                                  attempt_id=attempt_id or "at-1", start_time=time.time())
        token = _current.set(handle)
        t0 = time.perf_counter()
        raised: BaseException | None = None
        try:
            out = agent(input, handle)
            if inspect.isawaitable(out):
                out = await out
            rollout.task_output = out
            rollout.success = bool(self.success_fn(input, out)) if self.success_fn else True
        except PolicyViolationError as e:
            rollout.error = str(e)
            raised = e
        except Exception as e:  # noqa: BLE001 - an agent failure is a failed rollout
            rollout.error = f"{type(e).__name__}: {e}"
            log.info("agent raised on rollout %s: %s", rollout.rollout_id, rollout.error)
        finally:
            _current.reset(token)
            handle.state.close()
        rollout.execution_time_ms = (time.perf_counter() - t0) * 1000.0
        rollout.end_time = time.time()
        rollout.violations = book.violations
        rollout.signals_sent = book.signals
        rollout.actions = book.actions
        rollout.blocked_actions = book.blocked
        rollout.total_penalty = self._reward_config.reward(0.0, severity_counts(book.violations), False)[1]
        self._count(rollout)
        if self.emit_spans and self._store is not None:
            await _spans.deliver_async(self._store, self.rollout_spans(rollout), factory=_spans.default_span_factory())
        if raised is not None:
            raise raised
        return rollout

    def step_sync(self, input, **kw) -> GovernedRollout:
        """``step`` for code without an event loop."""
        return asyncio.run(self.step(input, **kw))

    async def iter(self, *, event=None, inputs=None):
        """Steps over ``inputs`` (an iterable of task inputs), yielding
        rollouts, until it is exhausted or ``event`` (threading/asyncio
        Event) is set."""
        if inputs is None:
            raise StateError("GovernedRunner.iter needs inputs= (this runner does not dequeue from a store)")
        for item in inputs:
            if event is not None and event.is_set():
                return
            yield await self.step(item, event=event)

    def _count(self, r: GovernedRollout) -> None:
        with self._lock:
            s = self._stats
            s["total_rollouts"] += 1
            s["total_violations"] += len(r.violations)
            s["rollouts_with_violations"] += 1 if r.violations else 0
            s["successful_rollouts"] += 1 if r.success else 0
            s["total_actions"] += r.actions
            s["blocked_actions"] += r.blocked_actions
            s["total_penalty"] += r.total_penalty

    # ---- stats ----------------------------------------------------------------

    def get_violation_rate(self) -> float:
        """Share of rollouts with at least one violation (in [0, 1])."""
        with self._lock:
            n = self._stats["total_rollouts"]
            return self._stats["rollouts_with_violations"] / n if n else 0.0

    def get_stats(self) -> dict:
        with self._lock:
            s = dict(self._stats)
        n = s["total_rollouts"]
        s["violation_rate"] = s["rollouts_with_violations"] / n if n else 0.0
        s["success_rate"] = s["successful_rollouts"] / n if n else 0.0
        s["avg_penalty"] = s["total_penalty"] / n if n else 0.0
        s["violations_per_rollout"] = s["total_violations"] / n if n else 0.0
        return s

    def reset_stats(self) -> None:
        with self._lock:
            for k in self._stats:
                self._stats[k] = 0.0 if k == "total_penalty" else 0

    # ---- spans ------------------------------------------------------------------

    def rollout_spans(self, rollout: GovernedRollout, *, trace_id_prefix: str = "agentos") -> list:
        """The rollout as spans: one ``agent_os.rollout`` root carrying the
        runner's annotations, one ``agent_os.violation`` child per violation."""
        rid, aid = rollout.rollout_id, rollout.attempt_id
        trace = _spans.trace_id_for(trace_id_prefix, rid)
        root_id = _spans.hex_id("rollout", rid, aid)
        out = [_spans.make_span(
            rollout_id=rid, attempt_id=aid, sequence_id=self._sequence.next(rid, aid), trace_id=trace,
            span_id=root_id, name="agent_os.rollout", start_time=rollout.start_time, end_time=rollout.end_time,
            error=rollout.error,
            attributes={"agent_os.entry_type": "rollout",
                        "agent_os.violations": len(rollout.violations),
                        "agent_os.total_penalty": rollout.total_penalty,
                        "agent_os.violation_types": sorted({v.violation_type for v in rollout.violations}),
                        "agent_os.policies_violated": sorted({v.policy_name for v in rollout.violations}),
                        "agent_os.signals": list(rollout.signals_sent),
                        "agent_os.success": rollout.success,
                        "agent_os.actions": rollout.actions,
                        "agent_os.blocked_actions": rollout.blocked_actions,
                        "agent_os.execution_time_ms": rollout.execution_time_ms})]
        for i, v in enumerate(rollout.violations):
            out.append(_spans.make_span(
                rollout_id=rid, attempt_id=aid, sequence_id=self._sequence.next(rid, aid), trace_id=trace,
                span_id=_spans.hex_id("violation", rid, aid, i), parent_id=root_id, name="agent_os.violation",
                start_time=v.timestamp, end_time=v.timestamp,
                attributes={"agent_os.entry_type": "violation", "agent_os.agent_id": v.agent_id,
                            "agent_os.policy_name": v.policy_name, "agent_os.rule": v.rule,
                            "agent_os.severity": v.severity, "agent_os.policy_violated": True,
                            "agent_os.blocked": v.action_blocked, "agent_os.violation_type": v.violation_type,
                            "agent_os.reason": v.description, "agent_os.action_kind": v.action_kind,
                            "agent_os.step": v.step}))
        return out


class AgentOSRunner(GovernedRunner):
    """The same runner under the Agent-Lightning contrib's name:
    ``AgentOSRunner(kernel, fail_on_violation=False, emit_violations=True)``.
    ``emit_violations`` sends each rollout's spans to the store given to
    ``init_worker(worker_id, store)``."""

    def __init__(self, kernel, *, fail_on_violation: bool = False, emit_violations: bool = True, **kw):
        kw.setdefault("log_violations", False)
        super().__init__(kernel, fail_on_violation=fail_on_violation, emit_spans=emit_violations, **kw)
        self.emit_violations = bool(emit_violations)
