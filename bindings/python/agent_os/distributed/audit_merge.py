"""One verified audit trail from the shards' flight recorder files.

Each shard incarnation records to its own FlightRecorder file, so the
writers never contend and a lost worker damages nothing but its own tail.
A merge turns the files of a run into ONE new recorder log:

1. Every source is verified (``agentos_audit_verify``: every hash, every
   chain link, the checkpoint file). A source that does not verify stops
   the merge. A shard whose worker died verifies up to its last committed
   record: that is what the recorder guarantees after a crash.
2. The records are put in the order of the run: by (step, env), where step
   is the trainer's step call the record was made in and env the GLOBAL
   env index. The trainer knows the step from the recorder's counter the
   shard returned after every step (``boundaries`` in the index: the
   recorder's decision count after each step); a dead shard's records after
   its last reported step belong to the step it died in.
3. The records are re-recorded through the public recorder API into the new
   log. That API records only decisions the kernel makes (there is no way
   to write a verdict into a log), so each action is checked again by a
   kernel built from the run's policy file, against the same episode state
   (each env's allowed actions of the episode so far, in order), and the
   new verdict must equal the recorded one field by field (allowed, total,
   every violation's policy, rule, severity, blocked flag and reason). A
   dry run over every record happens first: nothing is written unless
   every record reproduces.

The merged log's chain is NEW (its own genesis, seqs from 1, new times);
it does not contain the sources' hashes. What ties it to them is the
manifest written beside it (``OUT.sources.json``): every source's path,
SHA-256 of its file, verification result, record count, shard, env range,
incarnation and end (closed, worker lost, timed out), and the episode
offset applied to it. Context fields are kept except two: env_id becomes
the global env index, and the episodes of a restarted shard's later
incarnations are shifted past the earlier ones' (the offset is in the
manifest) so that (env, episode) stays unique in the merged trail.

What cannot be merged (the merge refuses, naming the record): logs at level
"violations" (a sampled log cannot be put in step order or replayed) and
logs with redacted or cut payloads. Every recorded decision, malformed
actions included (empty, oversized, invalid UTF-8, NUL bytes: rules
kernel.*), is the kernel's own, so checking the action again reproduces it.
"""

from __future__ import annotations

import ctypes
import hashlib
import heapq
import json
import math
import os
from itertools import groupby

from .. import _lib
from ..errors import InvalidArgument, StateError
from ..kernel import Action, EpisodeState, KernelSpace
from .. import recorder as _rec

PAGE = 20000


class AuditMergeError(StateError):
    """The sources cannot be merged into one verified trail (the message
    says which source and record, and why)."""


# ---- reading sources ---------------------------------------------------------

def read_records(path, after_seq: int = 0, limit: int = 0) -> tuple:
    """(records, last_seq) of a log file, read without opening a recorder
    on it (opening would append a checkpoint to a dead shard's log)."""
    _lib.require_part("recorder", "read_records")
    lib = _lib.lib
    buf, n, last = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_uint64()
    _lib.check(lib.agentos_audit_export(_rec._path_bytes(path), _rec.FORMATS["json"], after_seq, limit,
                                        ctypes.byref(buf), ctypes.byref(n), ctypes.byref(last)))
    text = _rec._take_buffer(lib, buf, n)
    return (json.loads(text) if text else []), last.value


def iter_records(path, page: int = PAGE):
    after = 0
    while True:
        recs, last = read_records(path, after, page)
        if not recs:
            return
        yield from recs
        after = last


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def step_of(seq: int, first_step: int, boundaries) -> int:
    """The trainer step a record with this seq was made in. boundaries[j]
    is the decision count after step first_step + j."""
    lo, hi = 0, len(boundaries)
    while lo < hi:  # first j with boundaries[j] >= seq
        mid = (lo + hi) // 2
        if boundaries[mid] >= seq:
            hi = mid
        else:
            lo = mid + 1
    return first_step + lo


def ordered_source(src_index: int, source: dict):
    """The source's records as (step, global env, source index, seq, record),
    sorted by (step, env): a log is in seq order, which is step order, but
    the threads of one step record in any order."""
    first, bounds, offset = source["first_step"], source["boundaries"], source["offset"]
    count = source["count"]

    def keyed():
        for r in iter_records(source["path"]):
            if not 0 <= r["env_id"] < count:
                raise AuditMergeError(f"{source['path']}: record {r['seq']} names env {r['env_id']}, "
                                      f"outside the shard's {count} envs")
            yield step_of(r["seq"], first, bounds), offset + r["env_id"], src_index, r["seq"], r

    for _step, group in groupby(keyed(), key=lambda t: t[0]):
        yield from sorted(group, key=lambda t: (t[1], t[3]))


# ---- re-checking -------------------------------------------------------------

def _number(v):
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return v


def action_of(r: dict) -> Action:
    a = r["action"]
    if a.get("payload_form") != "full":
        raise AuditMergeError(f"record {r['seq']}: its payload is {a.get('payload_form')}; only full payloads "
                              "can be checked again")
    payload = a["payload"] if a["payload_encoding"] == "utf8" else bytes.fromhex(a["payload"])
    return Action(a["kind"], payload, tool=a["tool"], agent_id=r["agent_id"], cost_usd=_number(a["cost_usd"]),
                  tokens=a["tokens"])


def _verdict(d) -> tuple:
    return (bool(d.allowed), int(d.total_violations),
            tuple((v.policy, v.rule, v.severity, bool(v.blocked), v.reason) for v in d.violations))


def _recorded_verdict(r: dict) -> tuple:
    d = r["decision"]
    return (bool(d["allowed"]), int(d["total_violations"]),
            tuple((v["policy"], v["rule"], v["severity"], bool(v["blocked"]), v["reason"]) for v in d["violations"]))


class _Episodes:
    """The EpisodeState of each env's current episode (records of one env
    arrive in step order, so one state per env suffices)."""

    def __init__(self):
        self.current = {}

    def state(self, env: int, episode: int) -> EpisodeState:
        cur = self.current.get(env)
        if cur is None or cur[0] != episode:
            if cur is not None:
                cur[1].close()
            cur = self.current[env] = (episode, EpisodeState())
        return cur[1]

    def close(self):
        for _e, s in self.current.values():
            s.close()
        self.current.clear()


def _context(r: dict, env: int, episode: int) -> dict:
    ctx = {"env_id": env, "episode": episode, "step": r["step"], "executed": bool(r["executed"]),
           "signals": r["signal_mask"]}
    if r.get("reward") is not None:
        ctx["reward"] = _number(r["reward"])
        ctx["penalty"] = _number(r.get("penalty") or 0.0)
    return ctx


def _describe(src: dict, r: dict) -> str:
    return (f"{src['path']} record {r['seq']} (shard {src['shard']} incarnation {src['incarnation']}, "
            f"env {src['offset'] + r['env_id']}, episode {r['episode']}, step {r['step']})")


# ---- the merge ---------------------------------------------------------------

def verify_sources(index: dict, key: bytes | None) -> list:
    out = []
    for src in index["sources"]:
        path = src["path"]
        if not os.path.exists(path):
            raise AuditMergeError(f"shard {src['shard']} incarnation {src['incarnation']}: {path} does not exist "
                                  "on this host (for several hosts, audit_dir must be a shared file system)")
        v = _rec.verify_log(path, key)
        if not v["valid"]:
            raise AuditMergeError(f"{path} does not verify: {v['message']}")
        stats = _rec.log_statistics(path)
        if stats.get("level") not in ("all", 0):
            raise AuditMergeError(f"{path} was recorded at level {stats.get('level')!r}; only 'all' logs merge")
        known = int(src.get("committed_seq") or 0)
        if v["records"] < known:
            raise AuditMergeError(f"{path} holds {v['records']} records but the shard reported {known} committed: "
                                  "committed records were lost")
        out.append({"path": os.path.abspath(path), "sha256": file_sha256(path), "records": v["records"],
                    "verify": v["message"], "shard": src["shard"], "incarnation": src["incarnation"],
                    "envs": [src["offset"], src["offset"] + src["count"]], "first_step": src["first_step"],
                    "steps_reported": len(src["boundaries"]), "end": src.get("end", "closed")})
    return out


def _merged(index: dict):
    streams = [ordered_source(i, s) for i, s in enumerate(index["sources"])]
    return heapq.merge(*streams, key=lambda t: (t[0], t[1], t[2], t[3]))


def _episode_offsets(index: dict, max_episode: dict) -> list:
    """Per source: added to its episode numbers. Incarnation j of a shard
    starts after every episode of its incarnations < j."""
    sources = index["sources"]
    result = [0] * len(sources)
    next_free = {}
    for i in sorted(range(len(sources)), key=lambda i: (sources[i]["shard"], sources[i]["incarnation"])):
        base = next_free.get(sources[i]["shard"], 0)
        result[i] = base
        next_free[sources[i]["shard"]] = base + max_episode.get(i, -1) + 1
    return result


def _pass(index: dict, kernel: KernelSpace, offsets, recorder=None) -> tuple:
    """Re-checks every record in merged order (and records it when a
    recorder is given). Returns (records, max episode per source)."""
    episodes = _Episodes()
    sources = index["sources"]
    n = 0
    max_episode = {}
    try:
        for step, env, si, _seq, r in _merged(index):
            src = sources[si]
            episode = r["episode"] + (offsets[si] if offsets else 0)
            state = episodes.state(env, (si, episode) if offsets is None else episode)
            try:
                action = action_of(r)
            except AuditMergeError as e:
                raise AuditMergeError(f"{_describe(src, r)}: {e}") from None
            if recorder is None:
                d = kernel.check(action, state=state)
            else:
                d = kernel.check(action, state=state, recorder=recorder, record_context=_context(r, env, episode))
            want = _recorded_verdict(r)
            got = _verdict(d)
            if got != want:
                raise AuditMergeError(f"{_describe(src, r)}: checking the action again gives {got}, the log "
                                      f"recorded {want}; refusing to merge")
            if r["episode"] > max_episode.get(si, -1):
                max_episode[si] = r["episode"]
            n += 1
    finally:
        episodes.close()
    return n, max_episode


def merge_audit(index: dict, *, out=None, into=None, key: bytes | None = None, out_key: bytes | None = None,
                durability: str = "sync") -> dict:
    """Merges the sources of ``index`` (DistributedVectorEnv.audit_index())
    into a NEW log at path ``out`` (written beside as OUT.partial and
    renamed when complete) or into an open FlightRecorder ``into``.
    ``key`` verifies the sources; ``out_key`` keys a new ``out`` log
    (default: ``key``). Returns the manifest, also written to
    OUT.sources.json."""
    if (out is None) == (into is None):
        raise InvalidArgument("merge_audit needs exactly one of out= (a new log path) or into= (a FlightRecorder)")
    if not index.get("sources"):
        raise AuditMergeError("the index lists no audit sources")
    kernel = KernelSpace.from_yaml_text(index["policy_yaml"], index.get("policy_name", "<policy>"))
    verified = verify_sources(index, key)

    n, max_episode = _pass(index, kernel, None)          # dry run: nothing is written
    expected = sum(v["records"] for v in verified)
    if n != expected:
        raise AuditMergeError(f"read {n} records but the sources verified {expected}")
    offsets = _episode_offsets(index, max_episode)

    if into is not None:
        target = into
        out_path = into.path
        partial = None
    else:
        out_path = os.fspath(out)
        partial = out_path + ".partial"
        for p in (out_path, out_path + ".checkpoint"):
            if os.path.exists(p):
                raise InvalidArgument(f"{p} exists; merge_audit writes a new log")
        for p in (partial, partial + ".checkpoint"):
            if os.path.exists(p):
                os.remove(p)
        target = _rec.FlightRecorder(partial, durability=durability, level="all",
                                     hmac_key=out_key if out_key is not None else key)
    try:
        written, _ = _pass(index, kernel, offsets, recorder=target)
        if written != n:
            raise AuditMergeError(f"wrote {written} records, expected {n}")
        if partial is not None:
            target.close()
            os.replace(partial + ".checkpoint", out_path + ".checkpoint")
            os.replace(partial, out_path)
        else:
            target.flush()
    except BaseException:
        if partial is not None:
            try:
                target.close()
            finally:
                for p in (partial, partial + ".checkpoint"):
                    if os.path.exists(p):
                        os.remove(p)
        raise
    for v, off in zip(verified, offsets):
        v["episode_offset"] = off
    manifest = {
        "merged_log": os.path.abspath(out_path),
        "records": n,
        "order": "(trainer step, global env)",
        "chain": "new: the merged log's hash chain starts at its own genesis; each record was re-checked by the "
                 "kernel of the run's policy and its verdict matched the source record",
        "policy_name": index.get("policy_name"),
        "policy_sha256": hashlib.sha256(index["policy_yaml"].encode()).hexdigest(),
        "num_envs": index.get("num_envs"),
        "faults": index.get("faults", []),
        "sources": verified,
    }
    with open(out_path + ".sources.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main(argv=None) -> int:
    """python3 -m agent_os.distributed.audit_merge INDEX.json OUT.db [--key-file K]"""
    import argparse
    p = argparse.ArgumentParser(prog="python3 -m agent_os.distributed.audit_merge",
                                description="Merge the shard audit logs of a DistributedVectorEnv run.")
    p.add_argument("index", help="the run's audit index (AUDIT_DIR/index.json)")
    p.add_argument("out", help="the merged log to create")
    p.add_argument("--key-file", help="HMAC key of the logs (the file's exact bytes)")
    a = p.parse_args(argv)
    key = None
    if a.key_file:
        with open(a.key_file, "rb") as f:
            key = f.read()
    with open(a.index, encoding="utf-8") as f:
        index = json.load(f)
    try:
        m = merge_audit(index, out=a.out, key=key)
    except (AuditMergeError, InvalidArgument) as e:
        print(f"error: {e}")
        return 1
    print(f"merged {m['records']} records from {len(m['sources'])} logs into {m['merged_log']} "
          f"(manifest {m['merged_log']}.sources.json)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
