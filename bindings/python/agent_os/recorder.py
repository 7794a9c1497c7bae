"""FlightRecorder: the engine's tamper-evident audit log, from Python.

    recorder = FlightRecorder("flight_recorder.db")
    kernel.check(action, recorder=recorder)          # check and record in one go
    recorder.flush(); recorder.verify()["valid"]      # True
    recorder.records()                                # [{seq, agent_id, kind, allowed, violations, ...}]

One record per decision, written once, after the verdict, hash-chained (an
HMAC chain with ``hmac_key``), in an SQLite file plus ``FILE.checkpoint``.
``FlightRecorder()`` without a path writes ``flight_recorder.db`` under
``default_data_dir()`` ($AGENTOS_DATA_DIR, else $XDG_DATA_HOME/agentos, else
~/.local/share/agentos), never into the working directory.
Durability: "sync" (default; a committed record survives power loss) or
"relaxed" (survives a process crash). A full queue blocks the producer;
records are never dropped; a failed write stops the recorder, and every
later call raises AgentOSIOError with the original error. A log has one
writer at a time: opening a second FlightRecorder on a log that one (in this
process or another) holds open raises StateError. ``hmac_key=None`` makes an
unkeyed log; an empty key is refused (InvalidArgument).

Everything is the C++ recorder (kernel/recorder/): this class only opens it,
hands it decisions, and reads the log back through the C API's export,
statistics and verification (which read committed records; the reading
methods flush first while the recorder is open).

A recorder is handed to governed components: ``GovernedRunner(kernel,
recorder=recorder)`` records every action of every rollout.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import operator
import os
import threading
import weakref
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int32, c_size_t, c_uint8, c_uint32,
                    c_uint64, c_void_p)

from . import _lib
from .errors import InvalidArgument, StateError

DURABILITY = {"sync": 0, "relaxed": 1}
LEVELS = {"all": 0, "violations": 1}
FORMATS = {"json": 0, "spans": 1}


class RecorderOptions(_lib.SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("durability", c_int32),
        ("level", c_int32),
        ("sample_rate", c_double),
        ("hmac_key", c_void_p),
        ("hmac_key_len", c_size_t),
        ("payload_max_bytes", c_uint32),
        ("redact_payloads", c_int32),
        ("queue_capacity", c_uint32),
        ("checkpoint_every", c_uint32),
        ("group_commit_us", c_uint32),
    ]


class RecordContext(_lib.SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("env_id", c_uint64),
        ("episode", c_uint64),
        ("step", c_uint32),
        ("executed", c_int32),
        ("signals", c_uint32),
        ("has_reward", c_int32),
        ("reward", c_double),
        ("penalty", c_double),
    ]


class VerifyResult(_lib.SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("valid", c_int32),
        ("records", c_uint64),
        ("first_bad_seq", c_uint64),
        ("message", c_char * 512),
    ]


class AuditStats(_lib.SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("level", c_int32),
        ("sample_rate", c_double),
        ("records", c_uint64),
        ("decisions_seen", c_uint64),
        ("violating_records", c_uint64),
        ("blocked_records", c_uint64),
        ("violations", c_uint64),
        ("violation_rate", c_double),
        ("by_severity", c_uint64 * 4),
    ]


P, PP = c_void_p, POINTER(c_void_p)
PROTOTYPES = {
    "agentos_recorder_options_init": (c_int, [POINTER(RecorderOptions)]),
    "agentos_recorder_open": (c_int, [c_char_p, POINTER(RecorderOptions), PP]),
    "agentos_recorder_record": (c_int, [P, POINTER(RecordContext), POINTER(_lib.CAction), P, POINTER(c_uint64)]),
    "agentos_recorder_flush": (c_int, [P]),
    "agentos_recorder_counters": (c_int, [P, POINTER(c_uint64), POINTER(c_uint64)]),
    "agentos_recorder_close": (c_int, [P]),
    "agentos_recorder_free": (None, [P]),
    "agentos_audit_verify": (c_int, [c_char_p, c_void_p, c_size_t, POINTER(VerifyResult)]),
    "agentos_audit_stats_get": (c_int, [c_char_p, POINTER(AuditStats)]),
    "agentos_audit_stats_json": (c_int, [c_char_p, POINTER(c_void_p), POINTER(c_size_t)]),
    "agentos_audit_export": (c_int, [c_char_p, c_int32, c_uint64, c_uint64, POINTER(c_void_p), POINTER(c_size_t),
                                     POINTER(c_uint64)]),
    "agentos_audit_export_file": (c_int, [c_char_p, c_int32, c_char_p]),
    "agentos_audit_buffer_free": (None, [c_void_p]),
}
AVAILABLE = _lib.declare_part("recorder", PROTOTYPES)


def default_data_dir() -> str:
    """Where ``FlightRecorder()`` without a path writes: ``$AGENTOS_DATA_DIR``,
    else ``$XDG_DATA_HOME/agentos`` (an absolute XDG_DATA_HOME only, as the XDG
    Base Directory spec says), else ``~/.local/share/agentos``. Never the
    working directory: a default must not litter wherever a script runs."""
    explicit = os.environ.get("AGENTOS_DATA_DIR")
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "agentos")
    home = os.path.expanduser("~")
    if home == "~" or not os.path.isabs(home):
        raise InvalidArgument("FlightRecorder() has no data directory (no home directory): "
                              "pass a path or set AGENTOS_DATA_DIR")
    return os.path.join(home, ".local", "share", "agentos")


def _default_log_path() -> str:
    directory = default_data_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return os.path.join(directory, "flight_recorder.db")


def _path_bytes(path) -> bytes:
    p = os.fspath(path)
    b = p.encode("utf-8", "surrogateescape") if isinstance(p, str) else p
    if b"\0" in b:
        raise InvalidArgument("path contains a NUL byte")
    if not b:
        raise InvalidArgument("path is empty")
    return b


def _take_buffer(lib, ptr: c_void_p, n: c_size_t) -> str:
    try:
        return ctypes.string_at(ptr.value, n.value).decode("utf-8", "replace") if ptr.value else ""
    finally:
        lib.agentos_audit_buffer_free(ptr)


def _u32(name, v, lo=0, hi=2**32 - 1):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise InvalidArgument(f"{name} must be an int in [{lo}, {hi}], not {v!r}")
    return v


U32_MAX, U64_MAX = 2**32 - 1, 2**64 - 1


def _unsigned(name, v, hi):
    """v as an int in [0, hi]. ctypes would store 2**64 as 0 and -1 as the
    largest value without a word, so a record would name another env or step."""
    if isinstance(v, bool):
        raise TypeError(f"{name} must be an int, not a bool")
    try:
        i = operator.index(v)  # int and integer types such as numpy.int64; never a float
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(v).__name__}") from None
    if not 0 <= i <= hi:
        raise InvalidArgument(f"{name} must be in [0, {hi}], not {i}")
    return i


class FlightRecorder:
    """See the module docstring."""

    def __init__(self, db_path=None, *, durability: str = "sync", level: str = "all",
                 sample_rate: float = 0.0, hmac_key: bytes | None = None, payload_max_bytes: int | None = None,
                 redact_payloads: bool = False, queue_capacity: int | None = None,
                 checkpoint_every: int | None = None, group_commit_us: int | None = None):
        _lib.require_part("recorder", "FlightRecorder")
        lib = _lib.lib
        if durability not in DURABILITY:
            raise InvalidArgument(f"durability must be one of {sorted(DURABILITY)}, not {durability!r}")
        if level not in LEVELS:
            raise InvalidArgument(f"level must be one of {sorted(LEVELS)}, not {level!r}")
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)):
            raise TypeError("sample_rate must be a number")
        if hmac_key is not None and not isinstance(hmac_key, (bytes, bytearray)):
            raise TypeError("hmac_key must be bytes")
        if db_path is None:
            db_path = _default_log_path()
        self.path = os.fspath(db_path)
        self._path_b = _path_bytes(db_path)
        # An empty key is handed to the engine as given (not as "no key"),
        # which refuses it: b"" is a missing secret, not a request for an
        # unkeyed log (that is hmac_key=None).
        self.hmac_key = bytes(hmac_key) if hmac_key is not None else None
        o = RecorderOptions()
        _lib.check(lib.agentos_recorder_options_init(ctypes.byref(o)))
        o.durability, o.level, o.sample_rate = DURABILITY[durability], LEVELS[level], float(sample_rate)
        self._key_buf = None
        if self.hmac_key is not None:
            self._key_buf = ctypes.create_string_buffer(self.hmac_key, max(1, len(self.hmac_key)))
            o.hmac_key, o.hmac_key_len = ctypes.addressof(self._key_buf), len(self.hmac_key)
        for name, v in (("payload_max_bytes", payload_max_bytes), ("queue_capacity", queue_capacity),
                        ("checkpoint_every", checkpoint_every), ("group_commit_us", group_commit_us)):
            if _u32(name, v) is not None:
                setattr(o, name, v)
        o.redact_payloads = 1 if redact_payloads else 0
        self._h = _lib.new_handle(lib.agentos_recorder_open, self._path_b, ctypes.byref(o))
        self._fin = weakref.finalize(self, _close_and_free, lib, self._h)
        self._lib = lib
        self._lock = threading.Lock()
        self.level = level

    # ---- writing ----------------------------------------------------------------

    @property
    def handle(self):
        if not self._fin.alive:
            raise StateError("FlightRecorder is closed")
        return self._h

    @property
    def closed(self) -> bool:
        return not self._fin.alive

    def _record_raw(self, action_ptr, decision_handle, *, env_id=0, episode=0, step=0, executed=False,
                    signals=0, reward=None, penalty=None) -> int:
        """Records the decision in a C decision buffer for a C action (used
        by KernelSpace.check right after it filled them, on the same thread)."""
        c = RecordContext()
        c.env_id = _unsigned("env_id", env_id, U64_MAX)
        c.episode = _unsigned("episode", episode, U64_MAX)
        c.step = _unsigned("step", step, U32_MAX)
        c.executed, c.signals = 1 if executed else 0, _unsigned("signals", signals, U32_MAX)
        if reward is not None:
            c.has_reward, c.reward, c.penalty = 1, float(reward), float(penalty or 0.0)
        seq = c_uint64()
        _lib.check(self._lib.agentos_recorder_record(self.handle, ctypes.byref(c), action_ptr, decision_handle,
                                                     ctypes.byref(seq)))
        return seq.value

    def record(self, kernel, action, *, state=None, **context):
        """Checks ``action`` with ``kernel`` and records the decision; returns
        the Decision. (A decision is recorded exactly as the kernel made it:
        there is no way to record a decision the kernel did not make.)"""
        return kernel.check(action, state=state, recorder=self, record_context=context)

    def flush(self) -> None:
        """Waits until every record made so far is committed."""
        _lib.check(self._lib.agentos_recorder_flush(self.handle))

    def counters(self) -> dict:
        committed, seen = c_uint64(), c_uint64()
        _lib.check(self._lib.agentos_recorder_counters(self.handle, ctypes.byref(committed), ctypes.byref(seen)))
        return {"committed_seq": committed.value, "decisions_seen": seen.value}

    def close(self) -> None:
        """Drains the queue, writes the final checkpoint and closes the file.
        Raises AgentOSIOError if the recorder ever failed."""
        if not self._fin.alive:
            return
        self._fin.detach()
        try:
            _lib.check(self._lib.agentos_recorder_close(self._h))
        finally:
            self._lib.agentos_recorder_free(self._h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- reading ----------------------------------------------------------------

    def _sync(self):
        if self._fin.alive:
            self.flush()

    def export(self, format: str = "json", *, after_seq: int = 0, max_records: int = 0):
        """(items, last_seq): records (format "json") or LightningStore spans
        (format "spans") with seq > after_seq. Pass last_seq back as
        after_seq to read only newer ones."""
        if format not in FORMATS:
            raise InvalidArgument(f"format must be one of {sorted(FORMATS)}, not {format!r}")
        for name, v in (("after_seq", after_seq), ("max_records", max_records)):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= U64_MAX:
                raise InvalidArgument(f"{name} must be an int in [0, {U64_MAX}]")
        self._sync()
        buf, n, last = c_void_p(), c_size_t(), c_uint64()
        _lib.check(self._lib.agentos_audit_export(self._path_b, FORMATS[format], after_seq, max_records,
                                                  ctypes.byref(buf), ctypes.byref(n), ctypes.byref(last)))
        text = _take_buffer(self._lib, buf, n)
        return (json.loads(text) if text else []), last.value

    def records(self, after_seq: int = 0, limit: int = 0) -> list:
        """The records as dicts (the engine's JSON record format)."""
        return self.export("json", after_seq=after_seq, max_records=limit)[0]

    get_log = records

    def export_file(self, out_path, format: str = "json") -> None:
        if format not in FORMATS:
            raise InvalidArgument(f"format must be one of {sorted(FORMATS)}, not {format!r}")
        self._sync()
        _lib.check(self._lib.agentos_audit_export_file(self._path_b, FORMATS[format], _path_bytes(out_path)))

    def verify(self, key: bytes | None = None) -> dict:
        """Recomputes every hash and checks the chain and the checkpoints:
        {valid, records, first_bad_seq, message}."""
        key = self.hmac_key if key is None else key
        if key is not None and not isinstance(key, (bytes, bytearray)):
            raise TypeError("key must be bytes")
        self._sync()
        return verify_log(self.path, key)

    def statistics(self) -> dict:
        """The engine's statistics of the log (by_policy, by_rule, by_severity...)."""
        self._sync()
        return log_statistics(self.path)

    get_statistics = statistics

    def __repr__(self):
        return f"FlightRecorder({self.path!r}{', closed' if self.closed else ''})"


def _close_and_free(lib, handle):
    # At garbage collection: close cleanly (final checkpoint); errors were
    # already reported to whoever called close() or record().
    lib.agentos_recorder_close(handle)
    lib.agentos_recorder_free(handle)


def verify_log(path, key: bytes | None = None) -> dict:
    _lib.require_part("recorder", "verify_log")
    lib = _lib.lib
    r = VerifyResult()
    if key is not None and not isinstance(key, (bytes, bytearray)):
        raise TypeError("key must be bytes")
    kb = bytes(key) if key is not None else None  # b"" reaches the engine, which refuses an empty key
    _lib.check(lib.agentos_audit_verify(_path_bytes(path), kb, len(kb) if kb is not None else 0, ctypes.byref(r)))
    return {"valid": bool(r.valid), "records": r.records, "first_bad_seq": r.first_bad_seq,
            "message": r.message.decode("utf-8", "replace")}


def log_statistics(path) -> dict:
    _lib.require_part("recorder", "log_statistics")
    lib = _lib.lib
    buf, n = c_void_p(), c_size_t()
    _lib.check(lib.agentos_audit_stats_json(_path_bytes(path), ctypes.byref(buf), ctypes.byref(n)))
    return json.loads(_take_buffer(lib, buf, n))


__all__ = ["FlightRecorder", "verify_log", "log_statistics"]
