"""Getting a Dask client: a local cluster of worker processes, or an
existing scheduler. Kept apart so a trainer can make one cluster and hand
the client to several environments (DistributedVectorEnv(client=...))."""

from __future__ import annotations

import os
import time

from .. import _lib
from ..errors import InvalidArgument, StateError


def local_cluster(workers: int, *, threads_per_worker: int = 1, timeout: float = 120.0, silence_logs=True):
    """(client, cluster): ``workers`` worker processes on this machine, each
    loading the trainer's exact libagentos.so (AGENTOS_LIBRARY is set in
    the workers' environment). The caller closes both (client first)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument(f"workers must be an int >= 1, not {workers!r}")
    import logging
    import warnings
    from distributed import Client, LocalCluster
    env = {"AGENTOS_LIBRARY": str(_lib.path)}
    level = logging.ERROR if silence_logs else logging.WARNING
    with warnings.catch_warnings():
        # No dashboard; the scheduler's small HTTP endpoint binds to 127.0.0.1
        # and moves to a free port when 8787 is taken (another cluster): fine.
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=threads_per_worker,
                               dashboard_address=None, silence_logs=level, env=env)
    try:
        client = Client(cluster, timeout=timeout)
        client.wait_for_workers(workers, timeout=timeout)
    except BaseException:
        cluster.close()
        raise
    return client, cluster


def connect(address: str, *, timeout: float = 60.0, min_workers: int = 1):
    """A client of an existing scheduler ("tcp://host:8786"), once at least
    ``min_workers`` workers have joined it."""
    if not isinstance(address, str) or not address:
        raise InvalidArgument("scheduler address must be a non-empty string such as tcp://10.0.0.1:8786")
    from distributed import Client
    try:
        client = Client(address, timeout=timeout)
    except OSError as e:
        raise StateError(f"cannot reach the Dask scheduler at {address}: {e}") from e
    t0 = time.monotonic()
    try:
        client.wait_for_workers(min_workers, timeout=timeout)
    except BaseException as e:
        client.close()
        waited = time.monotonic() - t0
        if isinstance(e, TimeoutError) or waited >= timeout:
            raise StateError(f"the scheduler at {address} has fewer than {min_workers} workers "
                             f"after {waited:.0f} s") from e
        # Not a time-out (the scheduler went away, a protocol error...): say what happened, not "after 120 s".
        raise StateError(f"waiting for {min_workers} workers at {address} failed after {waited:.0f} s: "
                         f"{type(e).__name__}: {e}") from e
    return client


def worker_addresses(client, fresh: bool = True) -> set:
    """The addresses of the workers the scheduler knows now."""
    info = client.sync(client.scheduler.identity) if fresh else client.scheduler_info()
    return set(info.get("workers", {}))


def library_path_hint() -> str:
    return (f"each worker must import agent_os (PYTHONPATH={os.path.dirname(os.path.dirname(_lib.__file__))}) "
            f"and load the same libagentos.so (AGENTOS_LIBRARY={_lib.path})")
