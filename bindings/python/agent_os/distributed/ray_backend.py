"""RayBackend: shard actors as Ray actors, with the interface of DaskBackend
(dask_backend.py has the list).

A *worker* here is a Ray node (its node id): shards are pinned to nodes
(NodeAffinitySchedulingStrategy, hard), each shard actor is its own process,
and a node offers as many shard slots as it has CPUs. The actors reserve no
CPU (num_cpus=0): the plan already puts one shard per CPU by default, and
num_shards= may ask for more shards than CPUs, as on Dask, where several
shards share a worker process; a restart must never wait for a CPU that a
stopped, still-dying actor holds. A shard actor's process dying (SIGKILL, OOM kill) fails its pending
calls with RayActorError: the shard is lost, its node usually is not, so the
restart may go to the same node. A node gone (its host down) is lost with
every shard on it.

Ray's own fault tolerance stays OFF (max_restarts=0, max_task_retries=0):
an actor Ray restarted would re-run its constructor and carry on behind the
trainer's back, the silent replacement this package forbids; the trainer
restarts a shard itself and reports it (faults.py).

The actor is built in two calls (construct an empty host, then ``build``)
so that an engine error in building a shard (a bad task, a missing dataset)
arrives as that error, like any other call's, rather than as an actor death.
"""

from __future__ import annotations

import os
import time

from .. import _lib
from ..errors import AgentOSError, InvalidArgument, StateError
from .faults import CallTimedOut, WorkerLost
from .shard import ShardActor, worker_identity


class RayShardHost:
    """The Ray actor class: an empty process until ``build(spec)``, then a
    ShardActor whose methods ``call`` runs (one shard protocol, shard.py)."""

    def __init__(self):
        self.shard = None

    def build(self, spec):
        self.shard = ShardActor(spec)
        return self.shard.identity()

    def call(self, method: str, *args):
        return getattr(self.shard, method)(*args)


def _node_identity():
    out = worker_identity()
    import ray
    out["node_id"] = ray.get_runtime_context().get_node_id()
    return out


def runtime_env() -> dict:
    """What every Ray worker process needs to import agent_os and load the
    trainer's libagentos.so: PYTHONPATH and AGENTOS_LIBRARY."""
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p)
    return {"env_vars": {"AGENTOS_LIBRARY": str(_lib.path), "PYTHONPATH": path}}


class RayBackend:
    name = "ray"

    def __init__(self, *, owned: bool, address: str | None = None):
        self.owned = owned
        self._address = address
        self._remote_host = None

    @classmethod
    def local(cls, workers: int, *, timeout: float = 120.0, object_store_bytes: int = 128 << 20):
        """A Ray instance on this machine with ``workers`` CPUs (shard slots),
        started and shut down by this backend. Ray allows one per process."""
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidArgument(f"workers must be an int >= 1, not {workers!r}")
        import ray
        if ray.is_initialized():
            raise StateError("Ray is already initialized in this process; pass client=RayBackend.attach() "
                             "to use that instance")
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env(),
                 object_store_memory=object_store_bytes, configure_logging=False)
        backend = cls(owned=True)
        backend.wait_for_workers(1, timeout)
        return backend

    @classmethod
    def connect(cls, address: str, *, timeout: float = 60.0, min_workers: int = 1):
        """Joins the Ray cluster at ``address`` ("10.0.0.1:6379" or "auto")
        as a driver; the nodes must already have agent_os importable."""
        if not isinstance(address, str) or not address:
            raise InvalidArgument("Ray address must be a non-empty string such as 10.0.0.1:6379")
        import ray
        if ray.is_initialized():
            here = ray.get_runtime_context().gcs_address
            if address not in ("auto", here):
                raise StateError(f"this process is already a driver of the Ray cluster at {here}, not {address}")
            return cls(owned=False, address=here)  # the same cluster: use it, leave it running
        try:
            ray.init(address=address, log_to_driver=False, runtime_env=runtime_env(), configure_logging=False)
        except Exception as e:  # noqa: BLE001 - ray raises ConnectionError and others
            raise StateError(f"cannot reach the Ray cluster at {address}: {e}") from e
        backend = cls(owned=True, address=address)
        try:
            backend.wait_for_workers(min_workers, timeout)
        except BaseException:
            backend.close()
            raise
        return backend

    @classmethod
    def attach(cls):
        """The Ray instance this process already initialized (not shut down
        by close())."""
        import ray
        if not ray.is_initialized():
            raise StateError("Ray is not initialized in this process")
        return cls(owned=False)

    def address(self) -> str:
        import ray
        return self._address or ray.get_runtime_context().gcs_address

    # ---- nodes -------------------------------------------------------------------

    def _nodes(self) -> list:
        import ray
        return [n for n in ray.nodes() if n.get("Alive")]

    def alive(self) -> set:
        """Live nodes that take shards (a node without CPUs, e.g. a head
        started with --num-cpus=0, takes none, restarts included)."""
        return {node for node, cpus in self._cpus().items() if cpus > 0}

    def _cpus(self) -> dict:
        return {n["NodeID"]: int(n.get("Resources", {}).get("CPU", 0)) for n in self._nodes()}

    def identities(self) -> dict:
        """{node id: identity} of every node with a CPU to give a shard."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        probe = ray.remote(_node_identity)
        refs = {node: probe.options(num_cpus=0, max_retries=0,
                                    scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote()
                for node, cpus in self._cpus().items() if cpus > 0}
        address = {n["NodeID"]: n.get("NodeManagerAddress") for n in self._nodes()}
        out = {}
        for node, ref in refs.items():
            try:
                out[node] = ray.get(ref, timeout=120)
                out[node]["node_address"] = address.get(node)
            except Exception as e:  # noqa: BLE001 - any node-side import failure
                raise StateError(f"Ray node {node} cannot load agent_os: {type(e).__name__}: {e}; each node "
                                 f"must import agent_os and load the same libagentos.so ({runtime_env()})") from e
        return out

    def slots(self, workers) -> list:
        """Nodes round robin, each as often as it has CPUs."""
        cpus = self._cpus()
        nodes = sorted(workers)
        out = []
        for i in range(max((cpus.get(n, 0) for n in nodes), default=0)):
            out.extend(n for n in nodes if cpus.get(n, 0) > i)
        return out

    def wait_for_workers(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len([c for c in self._cpus().values() if c > 0]) < n:
            if time.monotonic() >= deadline:
                raise StateError(f"the Ray cluster has fewer than {n} nodes with CPUs after {timeout:g} s")
            time.sleep(0.5)

    # ---- actors ------------------------------------------------------------------

    def submit(self, spec, worker: str, key: str):
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        if self._remote_host is None:
            self._remote_host = ray.remote(RayShardHost)
        actor = self._remote_host.options(
            num_cpus=0, max_restarts=0, max_task_retries=0, max_concurrency=1,
            scheduling_strategy=NodeAffinitySchedulingStrategy(worker, soft=False)).remote()
        return actor, actor.build.remote(spec)

    # A Ray actor starts a process (Dask's lives in a running worker): its
    # build may take longer than a step may, on a busy machine seconds.
    startup_timeout = 60.0

    def await_actor(self, handle, worker: str, timeout: float):
        actor, built = handle
        ok, value = self.gather({0: (built, worker)}, max(timeout, self.startup_timeout))[0]
        if not ok:
            raise value if isinstance(value, (AgentOSError, WorkerLost, CallTimedOut)) else WorkerLost(
                f"node {worker} could not build the shard: {type(value).__name__}: {value}")
        return actor

    def invoke(self, actor, method: str, args: tuple):
        return actor.call.remote(method, *args)

    def gather(self, calls: dict, timeout: float, poll: float = 1.0) -> dict:
        """Like faults.gather: waits in slices; a call whose node left the
        cluster ends as WorkerLost, one pending at the deadline as
        CallTimedOut. A dead actor's call resolves at once with RayActorError."""
        import ray
        deadline = time.monotonic() + timeout
        pending = dict(calls)
        results = {}
        while pending:
            by_ref = {ref: k for k, (ref, _w) in pending.items()}
            left = max(0.0, deadline - time.monotonic())
            ready, _rest = ray.wait(list(by_ref), num_returns=len(by_ref), timeout=min(poll, left))
            for ref in ready:
                k = by_ref[ref]
                try:
                    results[k] = (True, ray.get(ref))
                except Exception as e:  # noqa: BLE001 - every outcome goes to the caller
                    results[k] = (False, e)
                del pending[k]
            if not pending:
                break
            nodes = self.alive()
            for k, (_ref, worker) in list(pending.items()):
                if worker not in nodes:
                    results[k] = (False, WorkerLost(f"node {worker} left the cluster during the call"))
                    del pending[k]
            if pending and time.monotonic() >= deadline:
                for k in list(pending):
                    results[k] = (False, CallTimedOut(f"no answer within {timeout:g} s"))
                    del pending[k]
        return results

    def cancel(self, handle) -> None:
        import ray
        try:
            ray.kill(handle[0], no_restart=True)
        except Exception:  # noqa: BLE001 - the actor may already be gone
            pass

    def exclude_after_loss(self, worker: str) -> set:
        # The actor's process died, not necessarily its node: a live node may
        # take the shard again (one with a dead raylet is not alive anyway).
        return set()

    def close(self) -> None:
        if self.owned:
            import ray
            ray.shutdown()
            self.owned = False


def is_ray_comm_error(exc: BaseException) -> bool:
    """A Ray error meaning the call never completed on a live actor (not an
    error the shard's own code raised: that arrives as RayTaskError)."""
    import sys
    rex = sys.modules.get("ray.exceptions")
    if rex is None:
        return False
    if isinstance(exc, rex.RayTaskError):
        return False
    lost = tuple(getattr(rex, n) for n in ("RayActorError", "ActorDiedError", "ActorUnavailableError",
                                           "NodeDiedError", "ObjectLostError", "OwnerDiedError",
                                           "WorkerCrashedError", "ActorUnschedulableError")
                 if hasattr(rex, n))
    return isinstance(exc, lost)
