"""The governed handle: the only way a governed agent acts.

A runner calls ``agent(task_input, handle)``. The agent does things only
through the handle:

    rows = handle.sql("SELECT name FROM users WHERE id = 1")
    hits = handle.call_tool("search", {"q": "weather"})
    ok   = handle.spend(0.25, tokens=1200)
    text = handle.message("Here is the report ...")

Each call builds an Action, asks the C++ kernel first (with this handle's
own EpisodeState, so budgets and call limits accumulate per rollout and per
agent), records the decision, and only then - and only if allowed - runs it:
SQL through the executor the runner owns (a ``sqlite3.Connection`` or a
callable ``f(sql) -> result``), tools through the runner's tool table. A
refused action never runs: the handle raises PolicyViolationError when
``fail_on_violation`` is set, and otherwise returns a ``Refusal`` (falsy,
carrying the violations). With no executor (or no tool table) an allowed
action is approved but nothing runs: ``sql``/``call_tool`` return None.

Return values when allowed: ``sql`` -> the executor's result (a list of row
tuples for sqlite3); ``call_tool`` -> the tool's return value; ``spend`` ->
True; ``message`` -> the text. Use ``isinstance(r, Refusal)`` (or
``is_refusal(r)``) to tell a refusal from an empty result.

A handle belongs to one rollout; it is not shared between rollouts, so
concurrent rollouts never mix their violations.
``current_handle()`` returns the handle of the rollout running in the
current context (a contextvar set by the runner).
"""

from __future__ import annotations

import contextvars
import sqlite3
from typing import Any, Callable

from .errors import NotFoundError, PolicyViolationError
from .kernel import Action, Decision, EpisodeState, KernelSpace

_current: contextvars.ContextVar = contextvars.ContextVar("agent_os_handle", default=None)


def current_handle() -> "GovernedHandle | None":
    return _current.get()


class Refusal:
    """An action the kernel refused. Falsy. ``violations`` are the
    PolicyViolation records; ``reason`` the first one's description."""

    __slots__ = ("action", "decision", "violations", "signals")

    def __init__(self, action: Action, decision: Decision, violations, signals=()):
        self.action = action
        self.decision = decision
        self.violations = tuple(violations)
        self.signals = tuple(signals)

    def __bool__(self):
        return False

    @property
    def reason(self) -> str:
        return self.violations[0].description if self.violations else "denied by the kernel"

    def __repr__(self):
        return f"Refusal({self.action.kind}: {self.reason!r})"


def is_refusal(value) -> bool:
    return isinstance(value, Refusal)


class GovernedHandle:
    """See the module docstring. ``on_decision(action, decision, records,
    signals, executed)`` is called once per action (the rollout's bookkeeping)."""

    def __init__(self, kernel: KernelSpace, *, agent_id: str = "agent", sql_executor=None,
                 tools: dict | Callable | None = None, fail_on_violation: bool = False,
                 on_decision: Callable | None = None, state: EpisodeState | None = None,
                 recorder=None):
        if not isinstance(kernel, KernelSpace):
            raise TypeError(f"GovernedHandle needs a KernelSpace, not {type(kernel).__name__}")
        if not isinstance(agent_id, str):
            raise TypeError("agent_id must be a str")
        if sql_executor is not None and not (isinstance(sql_executor, sqlite3.Connection)
                                             or callable(sql_executor)):
            raise TypeError("sql_executor must be a sqlite3.Connection or a callable f(sql)")
        if tools is not None and not (isinstance(tools, dict) or callable(tools)):
            raise TypeError("tools must be a dict name -> callable, or a callable f(name, args)")
        self.kernel = kernel
        self.agent_id = agent_id
        self.state = state if state is not None else EpisodeState()
        self._sql = sql_executor
        self._tools = tools
        self._fail = bool(fail_on_violation)
        self._on_decision = on_decision
        self._recorder = recorder
        self.steps = 0
        # Where this handle's records go in the audit log: the runner sets
        # env_id (its worker) and episode (its rollout number).
        self.record_env_id = 0
        self.record_episode = 0

    def scoped(self, agent_id: str) -> "GovernedHandle":
        """A handle for another agent of the same rollout: its own agent id
        and its own EpisodeState (budget), the same executors and bookkeeping."""
        h = GovernedHandle(self.kernel, agent_id=agent_id, sql_executor=self._sql, tools=self._tools,
                           fail_on_violation=self._fail, on_decision=self._on_decision, recorder=self._recorder)
        h.record_env_id, h.record_episode = self.record_env_id, self.record_episode
        return h

    # ---- the governed gate --------------------------------------------------

    def _govern(self, action: Action):
        """(decision, records, signals, refusal-or-None). Never runs anything."""
        step = self.steps
        self.steps += 1
        if self._recorder is not None:
            decision = self.kernel.check(action, state=self.state, recorder=self._recorder,
                                         record_context={"env_id": self.record_env_id,
                                                         "episode": self.record_episode, "step": step})
        else:
            decision = self.kernel.check(action, state=self.state)
        records, signals = self.kernel.observe(decision, action, step=step)
        if self._on_decision is not None:
            self._on_decision(action, decision, records, signals, decision.allowed)
        if decision.allowed:
            return None
        if self._fail:
            first = records[0] if records else None
            raise PolicyViolationError(first, violations=records, decision=decision)
        return Refusal(action, decision, records, signals)

    # ---- actions ------------------------------------------------------------

    def sql(self, text, *, cost_usd: float = 0.0, tokens: int = 0):
        action = Action.sql(text, agent_id=self.agent_id, cost_usd=cost_usd, tokens=tokens)
        refused = self._govern(action)
        if refused is not None:
            return refused
        ex = self._sql
        if ex is None:
            return None
        if isinstance(ex, sqlite3.Connection):
            sql = text.decode("utf-8") if isinstance(text, (bytes, bytearray)) else text
            return ex.execute(sql).fetchall()
        return ex(text)

    def call_tool(self, name: str, args: Any = None, *, cost_usd: float = 0.0, tokens: int = 0):
        if not isinstance(name, str):
            raise TypeError("tool name must be a str")
        action = Action.tool_call(name, args, agent_id=self.agent_id, cost_usd=cost_usd, tokens=tokens)
        refused = self._govern(action)
        if refused is not None:
            return refused
        tools = self._tools
        if tools is None:
            return None
        if callable(tools) and not isinstance(tools, dict):
            return tools(name, args)
        fn = tools.get(name)
        if fn is None:
            raise NotFoundError(f"tool {name!r} was allowed by the kernel but is not in the runner's tools")
        if args is None:
            return fn()
        if isinstance(args, dict):
            return fn(**args)
        return fn(args)

    def spend(self, usd: float, tokens: int = 0, *, note: str = ""):
        refused = self._govern(Action.spend(usd, tokens, agent_id=self.agent_id, note=note))
        return True if refused is None else refused

    def message(self, text):
        refused = self._govern(Action.message(text, agent_id=self.agent_id))
        return text if refused is None else refused

    def check(self, action) -> Decision:
        """Asks the kernel without acting or recording (planning)."""
        return self.kernel.check(action)
