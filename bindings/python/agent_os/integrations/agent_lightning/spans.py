"""Agent-Lightning LightningStore ``Span`` JSON, and delivery to a store.

Every span carries every key of Agent-Lightning v0.x's Span model
(rollout_id, attempt_id, sequence_id, trace_id, span_id, parent_id, name,
status, attributes, events, links, start_time, end_time, context, parent,
resource). Names and attributes live in the ``agent_os.*`` namespace; audit
spans never use ``agentlightning.reward.*``, ``reward`` or
``agentops.task.output``, so Agent-Lightning never mistakes an audit record
for a reward. Routing keys (``agentlightning.rollout_id``/``attempt_id``/
``span_sequence_id``) go in the resource attributes, where Agent-Lightning
looks for them after the span's own attributes.

Ids follow OpenTelemetry's format (32-hex trace ids, 16-hex span ids) and are
derived deterministically from what the span describes, so re-exporting the
same record gives the same span id and a store skips it as a duplicate.
Times are float seconds.

Delivery (``deliver`` / ``deliver_async``) works with any store exposing
``add_many_spans(spans)`` or ``add_span(span)``, sync or async, and counts
only what the store accepted: ``add_span`` returning None means "duplicate,
not added" (Agent-Lightning's convention); ``add_many_spans`` returning a
sequence counts its non-None items, returning None counts the whole batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import threading
from typing import Any, Callable

from ...errors import AgentOSError

SCHEMA_URL = ""
SERVICE_NAME = "agent_os"
SPAN_KEYS = ("rollout_id", "attempt_id", "sequence_id", "trace_id", "span_id", "parent_id", "name",
             "status", "attributes", "events", "links", "start_time", "end_time", "context", "parent",
             "resource")
FORBIDDEN_ATTRIBUTE_PREFIXES = ("agentlightning.reward", "reward", "agentops.task.output")


def hex_id(*parts, length: int = 16) -> str:
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:length]


def trace_id_for(prefix: str, key: str) -> str:
    return hex_id("trace", prefix, key, length=32)


def attr_value(value):
    """An attribute value Agent-Lightning accepts: str/bool/int/float or a
    homogeneous list of them; anything else becomes JSON text."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        items = list(value)
        if not items:
            return []
        t = type(items[0])
        if t in (str, bool, int, float) and all(type(i) is t for i in items):
            return items
    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)


def clean_attributes(attrs: dict) -> dict:
    return {k: attr_value(v) for k, v in attrs.items() if v is not None}


def context(trace_id: str, span_id: str) -> dict:
    return {"trace_id": trace_id, "span_id": span_id, "is_remote": False, "trace_state": {}}


def make_span(*, rollout_id: str, attempt_id: str, sequence_id: int, trace_id: str, span_id: str,
              name: str, start_time: float, end_time: float | None, attributes: dict,
              parent_id: str | None = None, events=(), error: str | None = None) -> dict:
    for key in attributes:
        if key.startswith(FORBIDDEN_ATTRIBUTE_PREFIXES):
            raise ValueError(f"audit span attribute {key!r} is in a reward namespace")
    return {
        "rollout_id": rollout_id,
        "attempt_id": attempt_id,
        "sequence_id": int(sequence_id),
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_id": parent_id,
        "name": name,
        "status": {"status_code": "ERROR" if error else "OK", "description": error},
        "attributes": clean_attributes(attributes),
        "events": [{"name": e["name"], "attributes": clean_attributes(e.get("attributes", {})),
                    "timestamp": e.get("timestamp")} for e in events],
        "links": [],
        "start_time": float(start_time),
        "end_time": None if end_time is None else float(end_time),
        "context": context(trace_id, span_id),
        "parent": None if parent_id is None else context(trace_id, parent_id),
        "resource": {"attributes": {"service.name": SERVICE_NAME,
                                    "agentlightning.rollout_id": rollout_id,
                                    "agentlightning.attempt_id": attempt_id,
                                    "agentlightning.span_sequence_id": int(sequence_id)},
                     "schema_url": SCHEMA_URL},
    }


class SequenceCounter:
    """Per-(rollout, attempt) monotonic sequence ids, starting at 1."""

    def __init__(self):
        self._next: dict = {}
        self._lock = threading.Lock()

    def next(self, rollout_id: str, attempt_id: str) -> int:
        with self._lock:
            key = (rollout_id, attempt_id)
            n = self._next.get(key, 1)
            self._next[key] = n + 1
            return n


def default_span_factory() -> Callable | None:
    """Agent-Lightning's pydantic Span.model_validate when agentlightning is
    installed (its stores expect Span objects), else None (plain dicts)."""
    try:
        from agentlightning.types import Span  # noqa: PLC0415 - optional dependency
    except ImportError:
        return None
    return getattr(Span, "model_validate", None)


class StoreDeliveryError(AgentOSError):
    """The store raised while spans were being delivered; ``delivered`` spans
    had been accepted before it did."""

    def __init__(self, message: str, delivered: int):
        super().__init__(message)
        self.delivered = delivered


def _store_methods(store):
    many = getattr(store, "add_many_spans", None)
    one = getattr(store, "add_span", None)
    if not callable(many) and not callable(one):
        raise TypeError(f"{type(store).__name__} has neither add_many_spans nor add_span")
    return (many if callable(many) else None), (one if callable(one) else None)


def _count_many(result, batch_len: int) -> int:
    if result is None:
        return batch_len
    try:
        return sum(1 for r in result if r is not None)
    except TypeError:
        return batch_len


async def deliver_async(store, spans: list, *, factory: Callable | None = None,
                        on_delivered: Callable[[int], None] | None = None) -> int:
    """Delivers spans in order; returns the number the store accepted.
    ``on_delivered(k)`` is told how many leading spans were handed over (so a
    caller's cursor moves past exactly those, even if a later one fails)."""
    many, one = _store_methods(store)
    items = [factory(s) for s in spans] if factory else list(spans)
    delivered = 0
    if many is not None:
        try:
            result = many(items)
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:
            raise StoreDeliveryError(f"store.add_many_spans failed: {e!r}", 0) from e
        delivered = _count_many(result, len(items))
        if on_delivered:
            on_delivered(len(items))
        return delivered
    for i, item in enumerate(items):
        try:
            result = one(item)
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:
            if on_delivered:
                on_delivered(i)
            raise StoreDeliveryError(f"store.add_span failed on span {i}: {e!r}", delivered) from e
        if result is not None:
            delivered += 1
    if on_delivered:
        on_delivered(len(items))
    return delivered


def _is_async_store(store) -> bool:
    many, one = _store_methods(store)
    fn = many if many is not None else one
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def deliver(store, spans: list, *, factory: Callable | None = None,
            on_delivered: Callable[[int], None] | None = None) -> int:
    """Synchronous delivery. An async store is driven by asyncio.run; when
    called from inside a running event loop it runs on a helper thread with
    its own loop (prefer ``await deliver_async`` there)."""
    coro_fn = lambda: deliver_async(store, spans, factory=factory, on_delivered=on_delivered)  # noqa: E731
    if not _is_async_store(store):
        # Sync stores never produce awaitables, so this completes in one step.
        coro = coro_fn()
        try:
            coro.send(None)
        except StopIteration as done:
            return done.value
        coro.close()
        raise AgentOSError("a store method returned an awaitable; declare it `async def`")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_fn())
    box: dict[str, Any] = {}

    def run():
        try:
            box["value"] = asyncio.run(coro_fn())
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = e

    t = threading.Thread(target=run, name="agent_os-span-delivery")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
