"""Cutting the trainer's batch inputs into shard slices, checking them the
way the local VectorEnv does, and adding the shards' metrics back up."""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import InvalidArgument
from .seeding import U64


class ShardedActions:
    """A batch of text actions packed once and cut into each shard's slice:
    per shard one bytes object of text and one of num_envs_k + 1 uint64
    offsets (plain bytes travel with the least serialisation work)."""

    __slots__ = ("data", "offsets", "n")

    def __init__(self, data: bytes, offsets, plan):
        offsets = np.asarray(offsets, dtype=np.uint64)
        self.n = len(offsets) - 1
        self.data, self.offsets = [], []
        for sl in plan:
            lo, hi = int(offsets[sl.offset]), int(offsets[sl.stop])
            self.data.append(data[lo:hi])
            self.offsets.append((offsets[sl.offset:sl.stop + 1] - np.uint64(lo)).astype("<u8").tobytes())


def split_extras(extras: dict, plan, n: int) -> list:
    """Per shard, the per-env step inputs that were given (None if none)."""
    given = {k: v for k, v in extras.items() if v is not None}
    if not given:
        return [None] * len(plan)
    arrays = {}
    for name, v in given.items():
        if name in ("kinds", "tools") and not isinstance(v, np.ndarray):
            v = list(v)
            if len(v) != n:
                raise InvalidArgument(f"{name} must have {n} entries, not {len(v)}")
            arrays[name] = v
            continue
        a = np.asarray(v)
        if a.shape != (n,):
            raise InvalidArgument(f"{name} must have shape ({n},), not {a.shape}")
        arrays[name] = a
    out = []
    for sl in plan:
        part = {}
        for name, a in arrays.items():
            s = a[sl.offset:sl.stop]
            part[name] = np.ascontiguousarray(s) if isinstance(s, np.ndarray) else s
        out.append(part)
    return out


def u64_seed(seed, n: int) -> int:
    """The local VectorEnv's seed rules: an int in [0, 2^64) or n consecutive seeds."""
    if isinstance(seed, (list, tuple, np.ndarray)):
        seeds = [int(x) for x in seed]
        if len(seeds) != n:
            raise InvalidArgument(f"a list of seeds must have num_envs = {n} entries")
        if any(seeds[i] != seeds[0] + i for i in range(len(seeds))):
            raise InvalidArgument("per-env seeds must be consecutive (seed + i): the engine derives them")
        seed = seeds[0]
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None, not {type(seed).__name__}")
    if not 0 <= seed < U64:
        raise InvalidArgument("seed must be in [0, 2^64)")
    return int(seed)


def bool_array(values, n: int, what: str):
    a = np.asarray(values)
    if a.dtype != np.bool_:
        a = a.astype(np.bool_) if a.dtype.kind in "biu" else np.array([bool(x) for x in values], dtype=np.bool_)
    if a.shape != (n,):
        raise InvalidArgument(f"{what} must have shape ({n},), not {a.shape}")
    return a


_SUMMED = ("episodes", "successful_episodes", "episodes_with_violations", "steps", "executed", "blocked",
           "idle_steps", "violations", "unattributed_violations", "task_errors", "backend_destructive_ops",
           "changed_database_episodes",
           "penalty_sum", "reward_sum")


def _ratio(a, b):
    return a / b if b else 0.0


def sum_metrics(parts: list) -> dict:
    """VectorEnv.metrics() of several shards as one: counts summed, rates
    recomputed from the sums exactly as the engine computes them
    (env/metrics.h: 0 when the denominator is 0)."""
    m = {name: sum(p[name] for p in parts) for name in _SUMMED}
    for name in ("by_severity", "signals", "by_policy"):
        acc = {}
        for p in parts:
            for key, v in p[name].items():
                acc[key] = acc.get(key, 0) + v
        m[name] = acc
    m["success_rate"] = _ratio(m["successful_episodes"], m["episodes"])
    m["violation_rate"] = _ratio(m["episodes_with_violations"], m["episodes"])
    m["clean_rate"] = _ratio(m["episodes"] - m["episodes_with_violations"], m["episodes"])
    m["violations_per_step"] = _ratio(m["violations"], m["steps"])
    m["average_penalty"] = _ratio(m["penalty_sum"], m["steps"])
    return m
