"""KernelSpace: the C++ policy kernel, seen from Python.

    kernel = KernelSpace(policy=[SQLPolicy(deny=["DROP", "DELETE"]),
                                 CostControlPolicy(max_cost_usd=100)])
    d = kernel.check("DROP TABLE users")      # Decision(allowed=False, violations=[...])
    r = kernel.check_batch(["SELECT 1", "DELETE FROM t"])   # one C call

What the methods do:
  * ``check(action, state=None)`` asks the kernel and returns its Decision.
    It is a pure query: no callback fires, nothing is recorded. With an
    EpisodeState, an allowed action's cost and call are added to it.
  * ``check_batch(payloads, kind="sql")`` checks many payloads of one kind,
    each as a fresh episode, in ONE C call over one contiguous buffer plus
    offsets.
  * ``execute(action, executor=None, state=None)`` is the governed action:
    check, then run ``executor(action)`` only if the kernel allowed it. Every
    violation is recorded (``get_recent_violations()``) and reported to the
    ``on_policy_violation`` callbacks; the signals the engine raised
    (SIGPOLICY for a critical violation, SIGBUDGET for an exhausted cost
    budget) go to ``on_signal`` callbacks. A blocked action is never run; ``execute`` returns an
    ExecutionResult with ``executed=False`` (it raises only for bad input).
    Without ``state`` it uses the kernel's own default episode, which
    ``reset()`` starts afresh.

The kernel itself (policies, mode) is immutable and thread-safe; the only
mutable things on a KernelSpace are the callback lists, the recent-violation
log and the default episode used by ``execute`` without a state, each behind
a lock. Runners and environments keep their own per-rollout state.

An action is an Action, a str/bytes (SQL text), or a dict such as
``{"kind": "tool_call", "tool": "search", "args": {...}}``,
``{"kind": "spend", "cost_usd": 0.5, "tokens": 100}``, ``{"sql": "SELECT 1"}``.
"""

from __future__ import annotations

import collections
import copy as copy_module
import ctypes
import dataclasses
import json
import logging
import numbers
import os
import threading
import weakref
from itertools import accumulate
from typing import Any, Callable

from . import _lib, errors
from .errors import InvalidArgument, StateError
from .policies import ACTION_KINDS, MODES, Policy, render_document
from .severity import severity_name
from .violations import PolicyViolation, signals_for

_np: Any
try:  # numpy is optional everywhere in agent_os
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by the no-numpy test run
    _np = None

log = logging.getLogger("agent_os")
_L = _lib.lib

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_CHECK = _L.agentos_kernel_check
_ALLOWED = _L.agentos_decision_allowed
_COUNT = _L.agentos_decision_violation_count
_ACTION_SIZE = ctypes.sizeof(_lib.CAction)


# ---- actions -----------------------------------------------------------------

def _encode(value, what: str) -> bytes:
    """Text for the C side. Lone surrogates are passed on as the (invalid)
    UTF-8 they encode to, so the kernel denies them rather than Python
    silently changing what the agent wrote."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def render_tool_args(args) -> bytes:
    """Tool arguments as the kernel sees them: text as given, anything else
    as canonical JSON (sorted keys), so the same call always reads the same."""
    if args is None:
        return b""
    if isinstance(args, (str, bytes, bytearray, memoryview)):
        return _encode(args, "tool args")
    try:
        return json.dumps(args, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"tool args cannot be rendered as JSON for the kernel: {e}") from None


@dataclasses.dataclass(frozen=True)
class Action:
    """One thing an agent wants to do. kind is "sql", "tool_call", "spend"
    or "message"; payload is the SQL text, tool arguments or message."""

    kind: str
    payload: Any = ""
    tool: str = ""
    agent_id: str = ""
    cost_usd: float = 0.0
    tokens: int = 0

    @classmethod
    def sql(cls, text, *, agent_id: str = "", cost_usd: float = 0.0, tokens: int = 0) -> "Action":
        return cls("sql", text, agent_id=agent_id, cost_usd=cost_usd, tokens=tokens)

    @classmethod
    def tool_call(cls, tool: str, args=None, *, agent_id: str = "", cost_usd: float = 0.0,
                  tokens: int = 0) -> "Action":
        return cls("tool_call", args, tool=tool, agent_id=agent_id, cost_usd=cost_usd, tokens=tokens)

    @classmethod
    def spend(cls, cost_usd: float, tokens: int = 0, *, agent_id: str = "", note="") -> "Action":
        return cls("spend", note, agent_id=agent_id, cost_usd=cost_usd, tokens=tokens)

    @classmethod
    def message(cls, text, *, agent_id: str = "") -> "Action":
        return cls("message", text, agent_id=agent_id)


def as_action(obj) -> Action:
    """Action from an Action, SQL text, or a dict (see the module docstring)."""
    if isinstance(obj, Action):
        return obj
    if isinstance(obj, (str, bytes, bytearray, memoryview)):
        return Action("sql", obj)
    if isinstance(obj, dict):
        known = {"kind", "sql", "payload", "text", "args", "tool", "agent_id", "cost_usd", "tokens"}
        unknown = set(obj) - known
        if unknown:
            raise InvalidArgument(f"unknown action keys {sorted(unknown)} (known: {sorted(known)})")
        kind = obj.get("kind", "sql" if "sql" in obj else None)
        if kind is None:
            raise InvalidArgument("action dict needs a 'kind' (sql, tool_call, spend, message)")
        payload = ""
        for key in ("sql", "payload", "text"):
            if key in obj:
                payload = obj[key]
                break
        if "args" in obj:
            payload = obj["args"]
        return Action(kind, payload, tool=obj.get("tool", ""), agent_id=obj.get("agent_id", ""),
                      cost_usd=obj.get("cost_usd", 0.0), tokens=obj.get("tokens", 0))
    if obj is None:
        raise TypeError("action is None")
    raise TypeError(f"an action must be an Action, SQL text or a dict, not {type(obj).__name__}")


def _kind_value(kind) -> int:
    if isinstance(kind, str):
        try:
            return ACTION_KINDS.index(kind)
        except ValueError:
            raise InvalidArgument(f"unknown action kind {kind!r} (expected one of {ACTION_KINDS})") from None
    raise TypeError(f"action kind must be a str, not {type(kind).__name__}")


def _fill(c: _lib.CAction, a: Action) -> None:
    c.struct_size = _ACTION_SIZE  # array elements are not built by CAction()
    c.kind = _kind_value(a.kind)
    agent = _encode(a.agent_id, "agent_id")
    tool = _encode(a.tool, "tool")
    payload = render_tool_args(a.payload) if a.kind == "tool_call" else _encode(
        "" if a.payload is None else a.payload, "payload")
    cost, tokens = a.cost_usd, a.tokens
    if type(cost) is not float and type(cost) is not int:
        if isinstance(cost, bool) or not isinstance(cost, numbers.Real):
            raise TypeError(f"cost_usd must be a number, not {type(cost).__name__}")
    if type(tokens) is not int:
        if isinstance(tokens, bool) or not isinstance(tokens, numbers.Integral):
            raise TypeError(f"tokens must be an int, not {type(tokens).__name__}")
        tokens = int(tokens)
    if not _INT64_MIN <= tokens <= _INT64_MAX:
        raise InvalidArgument(f"tokens = {tokens} does not fit in 64 bits")
    # NaN, infinite or negative costs and negative tokens go to the kernel,
    # which denies them with a reason (fail closed, one place for the rule).
    c.agent_id, c.agent_id_len = agent, len(agent)
    c.tool, c.tool_len = tool, len(tool)
    c.payload, c.payload_len = payload, len(payload)
    c.cost_usd = float(cost)
    c.tokens = tokens


# ---- decisions ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken rule: which policy, which rule, how bad, why, and whether
    it stopped the action."""

    policy: str
    rule: str
    severity: str
    reason: str
    blocked: bool


@dataclasses.dataclass(frozen=True)
class Decision:
    """The kernel's answer. ``violations`` holds at most 8 (the kernel keeps
    that many); ``total_violations`` counts every one found."""

    allowed: bool
    violations: tuple = ()
    total_violations: int = 0
    max_severity: str | None = None
    # AGENTOS_SIG* bits the engine raised for this decision (SIGPOLICY 0x10,
    # SIGBUDGET 0x20); see violations.signals_for.
    signals: int = 0

    @property
    def blocked(self) -> bool:
        return not self.allowed


_CLEAN = Decision(True)
_SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class _Scratch:
    """Per-thread reusable C objects for check(): an agentos_decision
    belongs to one thread at a time, and reusing it keeps check allocation
    free on the C side."""

    def __init__(self):
        self.decision = _lib.new_handle(_L.agentos_decision_new)
        self._fin = weakref.finalize(self, _L.agentos_decision_free, self.decision)
        self.action = _lib.CAction()
        self.action_ptr = ctypes.pointer(self.action)
        self.sql_action = _lib.CAction()  # kind sql, no agent, tool, cost or tokens
        self.sql_action_ptr = ctypes.pointer(self.sql_action)
        self.violation = _lib.CViolation()
        self.violation_ref = ctypes.byref(self.violation)
        self.flag = ctypes.c_int32()
        self.flag_ref = ctypes.byref(self.flag)
        self.count = ctypes.c_size_t()
        self.count_ref = ctypes.byref(self.count)
        self.signals = ctypes.c_uint32()
        self.signals_ref = ctypes.byref(self.signals)


_tls = threading.local()


def _scratch() -> _Scratch:
    s = getattr(_tls, "scratch", None)
    if s is None:
        s = _tls.scratch = _Scratch()
    return s


def _read_decision(s: _Scratch) -> Decision:
    d = s.decision
    _lib.check(_ALLOWED(d, s.flag_ref))
    allowed = s.flag.value == 1
    _lib.check(_COUNT(d, s.count_ref))
    n = s.count.value
    if n <= 0:
        return _CLEAN if allowed else Decision(False, (), 0, None)
    out = []
    cv = s.violation
    for i in range(n):
        _lib.check(_L.agentos_decision_violation(d, i, s.violation_ref))
        out.append(Violation(_lib.text(cv.policy), _lib.text(cv.rule),
                             severity_name(cv.severity) or "critical", _lib.text(cv.reason),
                             bool(cv.blocked)))
    _lib.check(_L.agentos_decision_total_violations(d, s.count_ref))
    total = s.count.value
    if total <= n:  # every violation kept: their maximum is the decision's
        top: str | None = max(out, key=lambda v: _SEVERITY_RANK[v.severity]).severity
    else:
        _lib.check(_L.agentos_decision_max_severity(d, s.flag_ref))
        top = severity_name(s.flag.value)
    _lib.check(_L.agentos_decision_signals(d, s.signals_ref))
    return Decision(allowed, tuple(out), max(total, n), top, s.signals.value)


# ---- episode state -----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StateSnapshot:
    cost_usd: float
    tokens: int
    tool_calls: int
    actions: int


class EpisodeState:
    """What one agent has consumed in one episode (cost, tokens, tool calls,
    allowed actions). Owned by its user, never by the kernel; one thread at
    a time."""

    def __init__(self):
        self._h = _lib.new_handle(_L.agentos_state_new)
        self._fin = weakref.finalize(self, _L.agentos_state_free, self._h)

    @property
    def handle(self):
        if not self._fin.alive:
            raise StateError("EpisodeState is closed")
        return self._h

    def get(self) -> StateSnapshot:
        cost, tokens = ctypes.c_double(), ctypes.c_int64()
        calls, actions = ctypes.c_uint32(), ctypes.c_uint32()
        _lib.check(_L.agentos_state_get(self.handle, ctypes.byref(cost), ctypes.byref(tokens),
                                        ctypes.byref(calls), ctypes.byref(actions)))
        return StateSnapshot(cost.value, tokens.value, calls.value, actions.value)

    def reset(self) -> None:
        _lib.check(_L.agentos_state_reset(self.handle))

    def close(self) -> None:
        self._fin()


# ---- batches -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BatchResult:
    """check_batch results, one entry per payload: numpy arrays when numpy is
    importable (allowed: bool, max_severity: int8 with -1 for none,
    violations: uint32), lists otherwise."""

    allowed: Any
    max_severity: Any
    violations: Any

    def __len__(self):
        return len(self.allowed)

    def denied(self) -> list[int]:
        return [i for i, ok in enumerate(self.allowed) if not ok]


def pack_payloads(payloads):
    """(one contiguous bytes buffer, offsets of n+1 uint64) for a batch."""
    if isinstance(payloads, (str, bytes, bytearray, memoryview)) or payloads is None:
        raise TypeError("check_batch takes a list of payloads (str or bytes), not a single "
                        f"{type(payloads).__name__}")
    encoded = [_encode(p, f"payload {i}") for i, p in enumerate(payloads)]
    buf = b"".join(encoded)
    n = len(encoded)
    if _np is not None:
        # One numpy call: for small batches (async send of a few envs) the
        # separate zeros + fromiter + cumsum cost three times as much.
        offsets = _np.fromiter(accumulate(map(len, encoded), initial=0), dtype=_np.uint64, count=n + 1)
    else:
        offsets = (ctypes.c_uint64 * (n + 1))(*accumulate(map(len, encoded), initial=0))
    return buf, offsets


# ---- the kernel ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ExecutionResult:
    """What execute() did: the decision, whether the executor ran, what it
    returned, the violations as recorded and the signals raised."""

    decision: Decision
    executed: bool
    result: Any = None
    violations: tuple = ()
    signals: tuple = ()

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


class KernelSpace:
    """An immutable set of policies backed by the C++ kernel.

    ``KernelSpace(policy=SQLPolicy(...))`` or ``policy=[p1, p2, ...]``;
    ``mode="audit"`` reports violations without blocking (the kernel's own
    violations - invalid actions, policy failures - still block). A kernel
    without policies is refused: ask for ``KernelSpace.allow_all()`` by name.
    """

    RECENT_VIOLATIONS = 1000

    def __init__(self, policy=None, *, mode: str = "enforce"):
        if policy is None:
            raise InvalidArgument(
                "KernelSpace needs policy=<policy or list of policies>; a kernel without policies "
                "would allow everything (use KernelSpace.allow_all() to ask for that by name, or "
                "KernelSpace.from_yaml(path))")
        if isinstance(policy, (str, bytes)):
            raise TypeError("policy must be a Policy object or a list of them; for YAML text use "
                            "KernelSpace.from_yaml_text(text)")
        if not isinstance(mode, str) or mode not in MODES:
            raise InvalidArgument(f"mode must be one of {MODES}, not {mode!r}")
        policies = [policy] if isinstance(policy, Policy) else list(policy)
        if not policies:
            raise InvalidArgument("policy list is empty; a kernel without policies would allow everything")
        text = render_document(policies, mode)
        try:
            handle = self._build(text, "<agent_os policies>")
        except errors.AgentOSError as e:
            e.yaml = text  # type: ignore[attr-defined]  # the generated document, for the error's reader
            raise
        self._init(handle, policies=tuple(policies), yaml=text)

    # ---- construction -------------------------------------------------------

    @staticmethod
    def _build(text: str, source: str):
        data = _encode(text, "yaml")
        return _lib.new_handle(_L.agentos_kernel_from_yaml, data, len(data),
                               source.encode("utf-8", "replace"))

    @classmethod
    def _from_handle(cls, handle, *, policies=(), yaml=None) -> "KernelSpace":
        self = cls.__new__(cls)
        self._init(handle, policies=policies, yaml=yaml)
        return self

    def _init(self, handle, *, policies, yaml):
        self._handle = handle
        self._fin = weakref.finalize(self, _L.agentos_kernel_free, handle)
        self.policies = tuple(policies)
        self.yaml = yaml
        self._lock = threading.Lock()
        self._violation_callbacks: list[Callable] = []
        self._signal_callbacks: list[Callable] = []
        self._recent = collections.deque(maxlen=self.RECENT_VIOLATIONS)
        self._default_state = None

    @classmethod
    def from_yaml(cls, path) -> "KernelSpace":
        """Kernel from a policy file (the schema of examples/policies/README.md)."""
        p = os.fspath(path)
        if isinstance(p, str):
            p = p.encode("utf-8", "surrogateescape")
        if b"\0" in p:
            raise InvalidArgument("path contains a NUL byte")
        return cls._from_handle(_lib.new_handle(_L.agentos_kernel_from_file, p))

    @classmethod
    def from_yaml_text(cls, text, source_name: str = "<yaml>") -> "KernelSpace":
        if not isinstance(text, (str, bytes)):
            raise TypeError(f"YAML text must be str or bytes, not {type(text).__name__}")
        if not isinstance(source_name, str):
            raise TypeError("source_name must be a str")
        data = _encode(text, "yaml")
        h = _lib.new_handle(_L.agentos_kernel_from_yaml, data, len(data),
                            source_name.encode("utf-8", "replace"))
        return cls._from_handle(h, yaml=text if isinstance(text, str) else None)

    @classmethod
    def allow_all(cls) -> "KernelSpace":
        """A kernel that allows everything. Only for baselines; asked for by name."""
        return cls._from_handle(_lib.new_handle(_L.agentos_kernel_allow_all))

    # ---- properties ---------------------------------------------------------

    @property
    def handle(self):
        """The agentos_kernel* (for other C API calls). Raises once closed."""
        if not self._fin.alive:
            raise StateError("KernelSpace is closed")
        return self._handle

    @property
    def closed(self) -> bool:
        return not self._fin.alive

    @property
    def mode(self) -> str:
        return "audit" if _lib.query(_L.agentos_kernel_is_audit, self.handle, ctypes.c_int32) == 1 else "enforce"

    @property
    def policy_count(self) -> int:
        return _lib.query(_L.agentos_kernel_policy_count, self.handle, ctypes.c_size_t)

    def policy_names(self) -> list[str]:
        """Policy names as the kernel holds them (sorted by name)."""
        if _lib.has_part("kernel_extras"):
            out = []
            for i in range(self.policy_count):
                name, typ = ctypes.c_char_p(), ctypes.c_char_p()
                _lib.check(_L.agentos_kernel_policy(self.handle, i, ctypes.byref(name), ctypes.byref(typ)))
                out.append(_lib.text(name.value))
            return out
        return sorted(p.name for p in self.policies)

    def close(self) -> None:
        """Frees the C kernel now (it is freed on garbage collection anyway)."""
        self._fin()

    # ---- copies ---------------------------------------------------------------
    # The C kernel is immutable, so a copy shares it through a handle of its
    # own (agentos_kernel_share): closing the copy or the original leaves the
    # other usable, and whoever made a kernel still owns it (Gymnasium
    # deep-copies an env spec's kwargs, a policy=KernelSpace(...) included,
    # to make the env again). What the Python object gathers as it is used
    # (callbacks, recent violations, the default episode state of execute) is
    # its own: a copy starts with copies of the callbacks and records and a
    # fresh episode, as a new kernel from the same policies would.

    def _copy(self, policies) -> "KernelSpace":
        _lib.require_part("kernel_share", "copying a KernelSpace")
        copy = type(self)._from_handle(_lib.new_handle(_L.agentos_kernel_share, self.handle),
                                       policies=policies, yaml=self.yaml)
        with self._lock:
            copy._violation_callbacks = list(self._violation_callbacks)
            copy._signal_callbacks = list(self._signal_callbacks)
            copy._recent.extend(self._recent)
        return copy

    def __copy__(self) -> "KernelSpace":
        return self._copy(self.policies)

    def __deepcopy__(self, memo) -> "KernelSpace":
        copy = self._copy(copy_module.deepcopy(self.policies, memo))
        memo[id(self)] = copy
        return copy

    def __reduce__(self):
        # Pickling would need the policies as text; a handle cannot travel.
        raise TypeError("a KernelSpace cannot be pickled (it holds a C kernel); copy.copy and copy.deepcopy "
                        "share the kernel, or rebuild one with KernelSpace.from_yaml_text(kernel.yaml)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self.closed:
            return "KernelSpace(<closed>)"
        return f"KernelSpace(policies={self.policy_count}, mode={self.mode!r})"

    # ---- checks -------------------------------------------------------------

    def check(self, action, *, state: EpisodeState | None = None, recorder=None,
              record_context: dict | None = None) -> Decision:
        """The kernel's decision on one action. Fires no callback. With a
        FlightRecorder the decision is also recorded, exactly as made;
        ``record_context`` may give env_id, episode, step, executed (default:
        whether the action was allowed), signals, reward, penalty."""
        if not self._fin.alive:
            raise StateError("KernelSpace is closed")
        s = _scratch()
        if type(action) is str:
            # The common case, kept short: SQL text into a pre-filled struct.
            payload = action.encode("utf-8", "surrogatepass")
            c = s.sql_action
            c.payload = payload
            c.payload_len = len(payload)
            ptr = s.sql_action_ptr
        else:
            _fill(s.action, as_action(action))
            ptr = s.action_ptr
        if state is not None and type(state) is not EpisodeState:
            raise TypeError(f"state must be an EpisodeState, not {type(state).__name__}")
        code = _CHECK(self._handle, None if state is None else state.handle, ptr, s.decision)
        if code:
            _lib.check(code)
        if recorder is not None:
            ctx = dict(record_context or {})
            ctx.setdefault("executed", _lib.query(_ALLOWED, s.decision, ctypes.c_int32) == 1)
            recorder._record_raw(ptr, s.decision, **ctx)
        return _read_decision(s)

    def check_batch(self, payloads, kind: str = "sql") -> BatchResult:
        """Checks a list of payloads (str or bytes) of one kind, each as a
        fresh episode, in one C call over one buffer plus offsets."""
        k = _kind_value(kind)
        buf, offsets = pack_payloads(payloads)
        n = len(offsets) - 1
        h = self.handle
        if _np is not None:
            allowed = _np.empty(n, dtype=_np.uint8)
            sev = _np.empty(n, dtype=_np.int8)
            viol = _np.empty(n, dtype=_np.uint32)
            _lib.check(_L.agentos_kernel_check_batch(h, k, buf, len(buf), offsets.ctypes.data, n,
                                                     allowed.ctypes.data, sev.ctypes.data,
                                                     viol.ctypes.data))
            return BatchResult(allowed.view(_np.bool_), sev, viol)
        allowed = (ctypes.c_uint8 * max(n, 1))()
        sev = (ctypes.c_int8 * max(n, 1))()
        viol = (ctypes.c_uint32 * max(n, 1))()
        _lib.check(_L.agentos_kernel_check_batch(h, k, buf, len(buf), offsets, n, allowed, sev, viol))
        return BatchResult([bool(x) for x in allowed[:n]], list(sev[:n]), list(viol[:n]))

    def check_actions(self, actions, *, state: EpisodeState | None = None) -> BatchResult:
        """Checks whole actions (any kinds) in one C call. With a state they
        form one episode in order (each allowed action's cost counts toward
        the next); without, each is a fresh episode."""
        _lib.require_part("kernel_extras", "check_actions")
        items = [as_action(a) for a in actions]
        n = len(items)
        arr = (_lib.CAction * max(n, 1))()
        for i, a in enumerate(items):
            _fill(arr[i], a)
        allowed = (ctypes.c_uint8 * max(n, 1))()
        sev = (ctypes.c_int8 * max(n, 1))()
        viol = (ctypes.c_uint32 * max(n, 1))()
        _lib.check(_L.agentos_kernel_check_actions(self.handle, None if state is None else state.handle, arr, n,
                                                   allowed, sev, viol))
        if _np is not None:
            return BatchResult(_np.array(allowed[:n], dtype=_np.bool_), _np.array(sev[:n], dtype=_np.int8),
                               _np.array(viol[:n], dtype=_np.uint32))
        return BatchResult([bool(x) for x in allowed[:n]], list(sev[:n]), list(viol[:n]))

    # ---- governed execution -------------------------------------------------

    def execute(self, action, executor: Callable | None = None, *, state: EpisodeState | None = None,
                step: int | None = None) -> ExecutionResult:
        """Checks ``action`` and, only if allowed, runs ``executor(action)``.
        Violations are recorded and reported; a blocked action never runs."""
        a = as_action(action)
        if executor is not None and not callable(executor):
            raise TypeError("executor must be callable: executor(action) -> result")
        if state is None:
            with self._lock:
                if self._default_state is None:
                    self._default_state = EpisodeState()
                decision = self.check(a, state=self._default_state)
        else:
            decision = self.check(a, state=state)
        records, signals = self.observe(decision, a, step=step)
        if not decision.allowed or executor is None:
            return ExecutionResult(decision, False, None, records, signals)
        return ExecutionResult(decision, True, executor(a), records, signals)

    def observe(self, decision: Decision, action: Action, *, step: int | None = None):
        """Records a decision's violations and raises its signals: the one
        place where governed actions (execute, runners, environments) are
        reported. Returns (PolicyViolation records, signal names)."""
        if not decision.violations:
            return (), ()
        now = None
        records = []
        for v in decision.violations:
            rec = PolicyViolation.from_violation(v, action_kind=action.kind, agent_id=str(action.agent_id),
                                                 step=step, timestamp=now)
            now = rec.timestamp
            records.append(rec)
        signals = tuple(signals_for(decision))
        with self._lock:
            self._recent.extend(records)
            vcbs, scbs = list(self._violation_callbacks), list(self._signal_callbacks)
        for rec in records:
            for cb in vcbs:
                _safe_call(cb, rec.policy_name, rec.description, rec.severity, rec.action_blocked)
        for sig in signals:
            for cb in scbs:
                _safe_call(cb, sig, str(action.agent_id))
        return tuple(records), signals

    def on_policy_violation(self, callback: Callable) -> Callable:
        """Registers ``callback(policy_name, description, severity, blocked)``,
        called for every violation of a governed action. Usable as a decorator."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        with self._lock:
            self._violation_callbacks.append(callback)
        return callback

    def on_signal(self, callback: Callable) -> Callable:
        """Registers ``callback(signal, agent_id)`` (SIGPOLICY, SIGBUDGET)."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        with self._lock:
            self._signal_callbacks.append(callback)
        return callback

    def get_recent_violations(self, limit: int | None = None) -> list[PolicyViolation]:
        """The most recent violations of governed actions, oldest first."""
        with self._lock:
            items = list(self._recent)
        return items if limit is None else items[-limit:] if limit > 0 else []

    def reset(self) -> None:
        """Forgets recent violations and starts execute()'s default episode
        afresh. Policies and callbacks are kept."""
        with self._lock:
            self._recent.clear()
            if self._default_state is not None:
                self._default_state.reset()


def _safe_call(cb, *args):
    # A failing observer must not undo or hide a decision already made.
    try:
        cb(*args)
    except Exception:  # noqa: BLE001 - logged, never swallowed silently
        log.exception("agent_os callback %r failed", cb)


def require_kernel(kernel, who: str) -> KernelSpace:
    """``kernel`` if it is a working KernelSpace; otherwise TypeError or
    StateError. Governed components call this before doing anything, so they
    refuse to start rather than run ungoverned."""
    if not isinstance(kernel, KernelSpace):
        raise TypeError(f"{who} needs an agent_os.KernelSpace, not {type(kernel).__name__}; "
                        "it refuses to run ungoverned")
    if kernel.closed:
        raise StateError(f"{who}: the KernelSpace is closed; it refuses to run ungoverned")
    # One real check proves the C kernel answers.
    kernel.check(Action.message("", agent_id="agent_os.selfcheck"))
    return kernel
