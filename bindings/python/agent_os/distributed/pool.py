"""ShardPool: the shards' actors on the cluster, and nothing else.

It knows the backend (dask_backend.py or ray_backend.py), which worker holds which shard incarnation, every
actor future it ever submitted (all are cancelled at the end), and each
incarnation's audit source record (its log path, env range, first step and
the recorder counters after every step). It places shards, builds and
replaces their actors, fans a method call out to them and collects the
outcomes. What a fault means for the batch is DistributedVectorEnv's
business (vector_env.py).
"""

from __future__ import annotations

import os
import time

from ..errors import AgentOSError, StateError
from .faults import ShardLostError
from .seeding import plan_shards
from .shard import AuditSpec, ShardSpec


class Shard:
    """One incarnation of shard ``slice.index`` on ``worker``."""

    __slots__ = ("slice", "incarnation", "future", "actor", "worker", "source")

    def __init__(self, sl, incarnation, future, actor, worker, source):
        self.slice, self.incarnation, self.future = sl, incarnation, future
        self.actor, self.worker, self.source = actor, worker, source


def library_version() -> str:
    import agent_os
    return agent_os.library_version()


class ShardPool:
    def __init__(self, backend, *, base_spec: dict, audit_dir, audit: dict, run_id: str, call_timeout: float,
                 restart_wait: float):
        self.backend = backend
        self.base_spec = base_spec
        self.audit_dir = audit_dir
        self.audit = audit
        self.run_id = run_id
        self.call_timeout = call_timeout
        self.restart_wait = restart_wait
        self.shards: list[Shard] = []
        self.sources: list[dict] = []
        self.futures = []
        self.incarnations: dict[int, int] = {}
        self.suspects: set[str] = set()
        self.identities: dict = {}
        self.plan = []

    # ---- placement -------------------------------------------------------------

    def start(self, num_envs: int, num_shards, seed_of) -> None:
        """Checks every worker's library, plans the shards and builds them,
        shard k on worker k mod W. seed_of(offset) is a shard's base seed."""
        identities = self.backend.identities()
        if not identities:
            raise StateError(f"the {self.backend.name} cluster has no workers")
        want = self.base_spec["library_version"]
        for addr, ident in identities.items():
            if ident["library_version"] != want:
                raise StateError(f"worker {addr} loads libagentos {ident['library_version']} from "
                                 f"{ident['library_path']}, the trainer {want}; use the same build everywhere")
        self.identities = identities
        workers = self.backend.slots(identities)
        self.plan = plan_shards(num_envs, min(len(workers), num_envs) if num_shards is None else num_shards)
        if self.audit_dir is not None:
            os.makedirs(self.audit_dir, exist_ok=True)
        pending = [(sl, workers[sl.index % len(workers)]) for sl in self.plan]
        submitted = [(sl, w, self._submit(sl, 0, w, seed_of(sl.offset), 1)) for sl, w in pending]
        for sl, worker, (fut, source) in submitted:
            self.shards.append(Shard(sl, 0, fut, self._await_actor(fut, worker), worker, source))

    def _submit(self, sl, incarnation, worker, seed, first_step):
        audit = None
        source = {"path": None, "shard": sl.index, "incarnation": incarnation, "offset": sl.offset,
                  "count": sl.count, "first_step": first_step, "boundaries": [], "end": "open",
                  "end_step": None, "committed_seq": 0, "decisions_seen": 0, "worker": worker}
        if self.audit_dir is not None:
            path = os.path.join(self.audit_dir, f"shard{sl.index:04d}-inc{incarnation}.db")
            audit = AuditSpec(path=path, **self.audit)
            source["path"] = path
            self.sources.append(source)
        spec = ShardSpec(index=sl.index, incarnation=incarnation, offset=sl.offset, count=sl.count, seed=seed,
                         audit=audit, **self.base_spec)
        self.incarnations[sl.index] = incarnation
        fut = self.backend.submit(spec, worker, f"agentos-shard-{self.run_id}-{sl.index}-{incarnation}")
        self.futures.append(fut)
        return fut, source

    def _await_actor(self, fut, worker):
        """The actor once built. Engine errors (a bad config or task) are
        raised as they are; a lost worker raises WorkerLost."""
        return self.backend.await_actor(fut, worker, self.call_timeout)

    def alive(self) -> set:
        return self.backend.alive()

    def pick_worker(self, exclude: set) -> str:
        """The live worker holding the fewest shards, not in exclude (and
        not a worker that timed out, while another is left); waits up to
        restart_wait for one to join."""
        deadline = time.monotonic() + self.restart_wait
        while True:
            alive = self.alive()
            candidates = alive - exclude - self.suspects or alive - exclude
            if candidates:
                load = {w: 0 for w in candidates}
                for sh in self.shards:
                    if sh.worker in load:
                        load[sh.worker] += 1
                return min(candidates, key=lambda w: (load[w], w))
            if time.monotonic() >= deadline:
                raise ShardLostError(f"no live worker to restart a shard on within {self.restart_wait:g} s "
                                     f"(excluded: {sorted(exclude)})")
            time.sleep(0.5)

    def respawn(self, k: int, seed_of_incarnation, first_step: int, exclude: set, prepare, max_attempts: int):
        """A new incarnation of shard k on a live worker not in exclude.
        prepare(actor, worker) runs its first calls (the reset) and returns
        their reply; a worker that fails meanwhile is excluded and the next
        one tried. Returns (new Shard, reply)."""
        sl = self.shards[k].slice
        attempts = 0
        while True:
            worker = self.pick_worker(exclude)
            inc = self.incarnations[k] + 1
            fut, source = self._submit(sl, inc, worker, seed_of_incarnation(inc), first_step)
            try:
                actor = self._await_actor(fut, worker)
                reply = prepare(actor, worker)
            except AgentOSError:
                raise
            except Exception as e:  # noqa: BLE001 - this worker failed too: try another
                source["end"] = "failed at start"
                if source["path"] is not None and not os.path.exists(source["path"]):
                    # This attempt never opened its log, so it decided nothing: nothing to merge.
                    self.sources.remove(source)
                self.backend.cancel(fut)
                exclude = exclude | {worker}
                attempts += 1
                if attempts > max_attempts:
                    raise ShardLostError(f"shard {k}: no worker could take it over ({e})") from e
                continue
            return Shard(sl, inc, fut, actor, worker, source), reply

    def retire(self, k: int, end: str, step: int) -> None:
        """Marks shard k's current incarnation ended and lets its actor go."""
        sh = self.shards[k]
        sh.source["end"] = end
        sh.source["end_step"] = step
        self.backend.cancel(sh.future)

    # ---- calls ----------------------------------------------------------------------

    def fan_out(self, method: str, args_of) -> dict:
        """Calls method on every shard k for which args_of(k) is not None;
        returns {k: (ok, value or exception)}."""
        calls, failed = {}, {}
        for k, sh in enumerate(self.shards):
            args = args_of(k)
            if args is None:
                continue
            try:
                calls[k] = (self.backend.invoke(sh.actor, method, args), sh.worker)
            except Exception as e:  # noqa: BLE001 - e.g. "Worker holding Actor was lost"
                failed[k] = (False, e)
        results = self.backend.gather(calls, self.call_timeout) if calls else {}
        results.update(failed)
        return results

    def call(self, actor, worker, method: str, *args):
        """One call on an actor that is not (yet) in the pool."""
        ok, value = self.backend.gather({0: (self.backend.invoke(actor, method, args), worker)},
                                        self.call_timeout)[0]
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Closes every live shard (each closes its audit log), records how
        each incarnation ended, and cancels every actor future."""
        try:
            results = self.fan_out("close", lambda k: ()) if self.shards else {}
        except Exception:  # noqa: BLE001 - the scheduler itself is gone
            results = {}
        for k, sh in enumerate(self.shards):
            ok, value = results.get(k, (False, None))
            if ok:
                sh.source.update(end="closed", committed_seq=value["committed_seq"],
                                 decisions_seen=value["decisions_seen"])
            elif sh.source["end"] == "open":
                sh.source["end"] = "not closed: " + (f"{type(value).__name__}: {value}" if value else "?")
        for fut in self.futures:
            self.backend.cancel(fut)
        self.futures = []
        self.shards = []
