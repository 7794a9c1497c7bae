"""What can go wrong with a shard, how it is detected, and how it is told.

A shard call ends in one of four ways:
  * it returns: the shard's rows are written into the batch;
  * the engine refuses it (an agent_os error raised inside the shard, e.g.
    a StateError): the trainer gets that error, exactly as from a local
    VectorEnv; nothing is restarted;
  * the worker is lost: the call raises a communication error, or the
    worker has left the scheduler's list while the call was pending
    (SIGKILL, OOM kill, a host gone);
  * it times out: still pending after ``step_timeout`` seconds while its
    worker is alive (a slow or stopped worker).
The last two are faults. With ``on_timeout="restart"`` (the default) both
restart the shard on another live worker from a reset and are REPORTED: a
FaultEvent in ``env.fault_events``, the counters in ``env.fault_counters``
and, for that step, ``infos["shard_restarted"]`` and
``infos["lost_episode_steps"]`` on the shard's rows. Nothing is replayed
or made up: the rows of a restarted shard hold its fresh reset.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from ..errors import AgentOSError, StateError


class ShardLostError(StateError):
    """A shard failed and could not be restarted (no live worker left, or
    ``max_restarts`` reached)."""


class StepTimeoutError(StateError, TimeoutError):
    """A shard did not answer within ``step_timeout`` (with
    ``on_timeout="raise"``). The env is unusable afterwards: close it."""


class WorkerLost(Exception):
    """Internal: the shard's worker left the cluster during a call."""


class CallTimedOut(Exception):
    """Internal: the call was still pending at the deadline."""


@dataclasses.dataclass(frozen=True)
class FaultEvent:
    """One shard failure and what it cost.

    step, during: the trainer's step count when it happened, and in what
      call ("step", "reset" or "query": a per-env call or metrics);
    envs: the global env range [start, stop) of the shard;
    lost_env_steps: env-steps the trainer sent and never got back (the
      shard's rows of that call);
    cut_episodes / lost_episode_steps: unfinished episodes discarded by the
      restart, and the steps they had already taken;
    restarted_on: the worker now holding the shard (its new incarnation).
    """

    step: int
    during: str
    shard: int
    incarnation: int
    envs: tuple
    worker: str
    reason: str
    detail: str
    seconds: float
    lost_env_steps: int
    cut_episodes: int
    lost_episode_steps: int
    restarted_on: str | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def is_engine_error(exc: BaseException) -> bool:
    """True if the shard's engine refused the call (not a fault)."""
    return isinstance(exc, AgentOSError)


def is_comm_error(exc: BaseException) -> bool:
    """Errors that mean the call never completed on a live worker."""
    if is_engine_error(exc):
        return False
    if isinstance(exc, (OSError, EOFError, ConnectionError, asyncio.CancelledError, WorkerLost)):
        return True
    # Actor.__getattr__ raises ValueError("Worker holding Actor was lost...")
    if isinstance(exc, ValueError) and "Worker holding Actor was lost" in str(exc):
        return True
    from .ray_backend import is_ray_comm_error
    return is_ray_comm_error(exc)


async def _settle(fut):
    try:
        return True, await fut
    except BaseException as e:  # noqa: BLE001 - every outcome is reported to the caller
        return False, e


async def _wait_some(futs: dict, timeout: float) -> dict:
    tasks = {k: asyncio.ensure_future(_settle(f)) for k, f in futs.items()}
    await asyncio.wait(list(tasks.values()), timeout=timeout)
    out = {}
    for k, t in tasks.items():
        if t.done():
            out[k] = t.result()
        else:
            t.cancel()  # only our waiter: the actor call itself goes on
    return out


def gather(client, futs: dict, *, timeout: float, alive, poll: float = 1.0) -> dict:
    """Waits for actor futures {key: (ActorFuture, worker address)}.

    Returns {key: (ok, value_or_exception)}. A call whose worker left the
    cluster ends as WorkerLost, one still pending at the deadline as
    CallTimedOut. ``alive()`` returns the scheduler's current worker
    addresses; it is asked only while something is pending past a poll.
    """
    deadline = time.monotonic() + timeout
    pending = dict(futs)
    results = {}
    while pending:
        left = deadline - time.monotonic()
        waited = client.sync(_wait_some, {k: f for k, (f, _w) in pending.items()}, max(0.0, min(poll, left)))
        for k, outcome in waited.items():
            results[k] = outcome
            del pending[k]
        if not pending:
            break
        workers = alive()
        for k, (_f, worker) in list(pending.items()):
            if worker not in workers:
                results[k] = (False, WorkerLost(f"worker {worker} left the cluster during the call"))
                del pending[k]
        if pending and time.monotonic() >= deadline:
            for k in list(pending):
                results[k] = (False, CallTimedOut(f"no answer within {timeout:g} s"))
                del pending[k]
    return results


__all__ = ["ShardLostError", "StepTimeoutError", "FaultEvent", "gather", "is_engine_error", "is_comm_error"]
