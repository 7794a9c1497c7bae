"""DaskBackend: shard actors as Dask actors (``client.submit(..., actor=True)``).

A *worker* is a Dask worker process (its address): the actor lives inside
it, so a lost worker is a lost shard. The backend interface is the one
ShardPool uses (ray_backend.py implements the same on Ray):

    identities()                {worker: worker_identity()} of every worker
    alive()                     the workers the scheduler knows now
    slots(workers)              workers in placement order (shard k -> slot k mod len)
    submit(spec, worker, key)   starts building a ShardActor there; a handle
    await_actor(handle, worker, timeout)
                                the actor once built (an engine error raised as
                                is; WorkerLost / CallTimedOut otherwise)
    invoke(actor, method, args) a pending call
    gather(calls, timeout)      {k: (ok, value)} for {k: (pending, worker)}
    cancel(handle)              lets the actor go
    exclude_after_loss(worker)  workers a lost shard must not be restarted on
    wait_for_workers(n, timeout)
    close()                     shuts down what the backend itself started
"""

from __future__ import annotations

import time

from ..errors import AgentOSError, StateError
from . import cluster as _cluster
from .faults import CallTimedOut, WorkerLost, gather
from .shard import ShardActor, worker_identity


class DaskBackend:
    name = "dask"

    def __init__(self, client, cluster=None, *, owned: bool = False):
        self.client = client
        self.cluster = cluster
        self.owned = owned

    @classmethod
    def local(cls, workers: int, *, timeout: float):
        client, cluster = _cluster.local_cluster(workers, timeout=timeout)
        return cls(client, cluster, owned=True)

    @classmethod
    def connect(cls, address: str, *, timeout: float, min_workers: int):
        return cls(_cluster.connect(address, timeout=timeout, min_workers=min_workers), owned=True)

    def address(self) -> str:
        return self.client.scheduler.address

    def identities(self) -> dict:
        try:
            return self.client.run(worker_identity)
        except Exception as e:  # noqa: BLE001 - any worker-side import failure
            raise StateError(f"a Dask worker cannot load agent_os: {type(e).__name__}: {e}; "
                             + _cluster.library_path_hint()) from e

    def alive(self) -> set:
        return _cluster.worker_addresses(self.client, fresh=True)

    def slots(self, workers) -> list:
        return sorted(workers)

    def submit(self, spec, worker: str, key: str):
        return self.client.submit(ShardActor, spec, actor=True, workers=[worker], allow_other_workers=False,
                                  pure=False, key=key)

    def await_actor(self, fut, worker: str, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return fut.result(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            except AgentOSError:
                raise
            except Exception as e:  # noqa: BLE001 - sorted below
                if not _is_timeout(e):
                    raise
            if worker not in self.alive():
                raise WorkerLost(f"worker {worker} left the cluster while building a shard")
            if time.monotonic() >= deadline:
                raise CallTimedOut(f"worker {worker} did not build its shard within {timeout:g} s")

    def invoke(self, actor, method: str, args: tuple):
        return getattr(actor, method)(*args)

    def gather(self, calls: dict, timeout: float) -> dict:
        return gather(self.client, calls, timeout=timeout, alive=self.alive)

    def cancel(self, fut) -> None:
        try:
            self.client.cancel([fut], force=True)
        except Exception:  # noqa: BLE001 - the future may already be gone with its worker
            pass

    def exclude_after_loss(self, worker: str) -> set:
        return {worker}  # the actor died with its worker process

    def wait_for_workers(self, n: int, timeout: float) -> None:
        try:
            self.client.wait_for_workers(n, timeout=timeout)
        except Exception as e:  # noqa: BLE001 - dask raises its own TimeoutError
            raise StateError(f"the cluster has fewer than {n} workers after {timeout:g} s") from e

    def close(self) -> None:
        if not self.owned:
            return
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 - best effort at interpreter exit
                    pass


def _is_timeout(e) -> bool:
    import asyncio
    from distributed import TimeoutError as DaskTimeoutError
    return isinstance(e, (TimeoutError, asyncio.TimeoutError, DaskTimeoutError))
