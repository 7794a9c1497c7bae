"""FlightRecorderEmitter: the flight recorder's log as Agent-Lightning spans.

    recorder = FlightRecorder(); emitter = FlightRecorderEmitter(recorder)
    emitter.emit_to_store(lightning_store)     # -> number of spans the store accepted
    emitter.export_to_file("training_audit.json")
    emitter.get_violation_summary()["violation_rate"]

Recorder and emitter share one record type: the spans are made by the
engine's own exporter (``agentos_audit_export`` in span format,
kernel/recorder/audit_export.h), one ``agent_os.policy_check`` span per
record with every key of the LightningStore ``Span`` model, attributes only
in ``agent_os.*`` (never ``agentlightning.reward.*``), each kept violation an
``agent_os.violation`` event, status ERROR for a denied action. Each env
episode is one rollout (``<prefix>-<file id>-env<E>-ep<P>``, attempt
``attempt-1``) and sequence ids are the records' sequence numbers.

This class adds what a store needs on top: routing (``rollout_id`` /
``attempt_id`` to file every span under an existing rollout and attempt,
renumbering sequence ids per attempt from 1; routing keys also copied into
the resource attributes where Agent-Lightning looks for them), filtering
(``include_policy_checks`` / ``include_signals`` / ``include_tool_calls``:
every record is a policy check, tool-call records are also tool calls and
records that raised signals are also signals; a span is dropped only when
every category it belongs to is excluded), cursors, and delivery.

Counting is honest: ``emit_to_store`` returns the
number of spans the store accepted and only that is added to
``emitted_count``; reading spans never changes it. ``emit_to_store`` sends
only spans not yet delivered to a store by this emitter (its own cursor, so
calling it twice never duplicates); ``get_new_spans``/``stream`` have another
cursor (``last_position``). ``stream`` stops: it needs a stop event,
``max_items`` or ``idle_timeout``.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time

from ...errors import InvalidArgument
from ...recorder import FlightRecorder
from . import spans as _spans

_ROUTING = ("agentlightning.rollout_id", "agentlightning.attempt_id", "agentlightning.span_sequence_id")


class FlightRecorderEmitter:
    def __init__(self, recorder: FlightRecorder, *, include_policy_checks: bool = True, include_signals: bool = True,
                 include_tool_calls: bool = True, trace_id_prefix: str = "agentos", rollout_id: str | None = None,
                 attempt_id: str | None = None, span_factory=None, batch_size: int = 4096):
        if not isinstance(recorder, FlightRecorder):
            raise TypeError(f"FlightRecorderEmitter needs an agent_os.FlightRecorder, not {type(recorder).__name__}")
        if not isinstance(trace_id_prefix, str) or not trace_id_prefix:
            raise InvalidArgument("trace_id_prefix must be a non-empty str")
        for name, v in (("rollout_id", rollout_id), ("attempt_id", attempt_id)):
            if v is not None and (not isinstance(v, str) or not v):
                raise InvalidArgument(f"{name} must be a non-empty str or None")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidArgument("batch_size must be a positive int")
        self.recorder = recorder
        self.include_policy_checks = bool(include_policy_checks)
        self.include_signals = bool(include_signals)
        self.include_tool_calls = bool(include_tool_calls)
        self.trace_id_prefix = trace_id_prefix
        self.rollout_id = rollout_id
        self.attempt_id = attempt_id
        self.span_factory = span_factory if span_factory is not None else _spans.default_span_factory()
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._read_cursor = 0     # last seq handed out by get_new_spans / stream
        self._emit_cursor = 0     # last seq handed to a store by emit_to_store
        self._emitted = 0         # spans stores accepted
        self._sequence = _spans.SequenceCounter()
        self._renumbered: dict = {}  # seq -> sequence id given when routing, stable across reads

    # ---- spans ------------------------------------------------------------------

    def _keep(self, span: dict) -> bool:
        a = span.get("attributes", {})
        categories = [self.include_policy_checks]
        if a.get("agent_os.action_kind") == "tool_call":
            categories.append(self.include_tool_calls)
        if a.get("agent_os.signals"):
            categories.append(self.include_signals)
        return any(categories)

    def _route(self, span: dict) -> dict:
        if self.trace_id_prefix != "agentos" and span["rollout_id"].startswith("agentos-"):
            span["rollout_id"] = self.trace_id_prefix + span["rollout_id"][len("agentos"):]
        if self.rollout_id is not None or self.attempt_id is not None:
            seq = span["attributes"].get("agent_os.seq", span["sequence_id"])
            span["rollout_id"] = self.rollout_id or span["rollout_id"]
            span["attempt_id"] = self.attempt_id or span["attempt_id"]
            with self._lock:
                if seq not in self._renumbered:
                    self._renumbered[seq] = self._sequence.next(span["rollout_id"], span["attempt_id"])
                span["sequence_id"] = self._renumbered[seq]
        res = span.setdefault("resource", {"attributes": {}, "schema_url": ""}).setdefault("attributes", {})
        res[_ROUTING[0]], res[_ROUTING[1]], res[_ROUTING[2]] = span["rollout_id"], span["attempt_id"], span["sequence_id"]
        return span

    def _read(self, after_seq: int, limit: int = 0):
        """(filtered, routed spans with seq > after_seq, last seq read)."""
        out: list = []
        cursor = after_seq
        while True:
            want = self.batch_size if not limit else min(self.batch_size, limit - len(out))
            batch, last = self.recorder.export("spans", after_seq=cursor, max_records=want)
            for span in batch:
                if self._keep(span):
                    out.append(self._route(span))
            if last == cursor or len(batch) < want or (limit and len(out) >= limit):
                return out, last
            cursor = last

    def get_spans(self) -> list:
        """Every span of the log (moves no cursor)."""
        return self._read(0)[0]

    def get_new_spans(self, limit: int = 0) -> list:
        """Spans recorded since the last get_new_spans/stream call."""
        with self._lock:
            start = self._read_cursor
        spans, last = self._read(start, limit)
        with self._lock:
            self._read_cursor = max(self._read_cursor, last)
        return spans

    async def stream(self, *, stop_event=None, max_items: int | None = None, idle_timeout: float | None = None,
                     poll_interval: float = 0.05):
        """Yields new spans as they are recorded. Stops when ``stop_event``
        (asyncio.Event or threading.Event) is set, after ``max_items``
        spans, or after ``idle_timeout`` seconds without a new span; at
        least one of these is required."""
        if stop_event is None and max_items is None and idle_timeout is None:
            raise InvalidArgument("stream() needs stop_event, max_items or idle_timeout: it must be able to stop")
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
            raise InvalidArgument("max_items must be a non-negative int")
        sent = 0
        last_new = time.monotonic()
        while True:
            if stop_event is not None and stop_event.is_set():
                return
            if max_items is not None and sent >= max_items:
                return
            spans = self.get_new_spans(limit=(max_items - sent) if max_items is not None else 0)
            for span in spans:
                yield span
                sent += 1
            if spans:
                last_new = time.monotonic()
            elif idle_timeout is not None and time.monotonic() - last_new >= idle_timeout:
                return
            if not spans:
                await asyncio.sleep(poll_interval)

    # ---- stores and files ---------------------------------------------------------

    def _pending(self):
        with self._lock:
            start = self._emit_cursor
        return self._read(start)

    def _advance(self, spans: list, last: int, handed: int) -> None:
        with self._lock:
            if handed >= len(spans):
                self._emit_cursor = max(self._emit_cursor, last)
            elif handed > 0:
                self._emit_cursor = max(self._emit_cursor, spans[handed - 1]["attributes"].get("agent_os.seq", 0))

    def emit_to_store(self, store) -> int:
        """Delivers every span not yet delivered to a store; returns how many
        the store accepted (duplicates it skipped are not counted)."""
        spans, last = self._pending()
        handed = [0]
        try:
            n = _spans.deliver(store, spans, factory=self.span_factory,
                               on_delivered=lambda k: handed.__setitem__(0, k))
        except _spans.StoreDeliveryError as e:
            self._advance(spans, last, handed[0])
            with self._lock:
                self._emitted += e.delivered
            raise
        self._advance(spans, last, handed[0])
        with self._lock:
            self._emitted += n
        return n

    async def emit_to_store_async(self, store) -> int:
        spans, last = self._pending()
        handed = [0]
        try:
            n = await _spans.deliver_async(store, spans, factory=self.span_factory,
                                           on_delivered=lambda k: handed.__setitem__(0, k))
        except _spans.StoreDeliveryError as e:
            self._advance(spans, last, handed[0])
            with self._lock:
                self._emitted += e.delivered
            raise
        self._advance(spans, last, handed[0])
        with self._lock:
            self._emitted += n
        return n

    def export_to_file(self, path) -> int:
        """Writes every span as one JSON array; returns the span count."""
        spans = self.get_spans()
        p = os.fspath(path)
        tmp = p + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(spans, f, ensure_ascii=False)
        os.replace(tmp, p)
        return len(spans)

    # ---- summaries -------------------------------------------------------------------

    def get_violation_summary(self) -> dict:
        """{total_entries, total_violations, violation_rate, policies_violated
        {name: violations}} over the whole log, from the engine's statistics.
        violation_rate = records with a violation / records (or / decisions
        seen for a violations-only log); 0.0 when there is nothing yet."""
        s = self.recorder.statistics()
        rate = s.get("violation_rate")
        return {
            "total_entries": s["records"],
            "total_violations": s["violations"],
            "violating_entries": s["violating_records"],
            "blocked_entries": s["blocked_records"],
            "violation_rate": 0.0 if rate is None else float(rate),
            "rate_basis": s.get("rate_basis"),
            "policies_violated": {name: p["violations"] for name, p in s.get("by_policy", {}).items()},
        }

    def get_stats(self) -> dict:
        """emitted_count: spans stores accepted; last_position: the seq the
        get_new_spans/stream cursor is at; emit_position: the store cursor."""
        with self._lock:
            return {"emitted_count": self._emitted, "last_position": self._read_cursor,
                    "emit_position": self._emit_cursor}


def create_emitter(recorder: FlightRecorder, **kw) -> FlightRecorderEmitter:
    return FlightRecorderEmitter(recorder, **kw)


__all__ = ["FlightRecorderEmitter", "create_emitter"]
