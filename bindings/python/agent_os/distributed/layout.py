"""The wire format of one shard's step/reset result: every result buffer of
its VectorEnv, rows in env order, packed back to back into ONE bytes object
(widest types first, so every field starts aligned) and unpacked by the
trainer straight into its batch arrays. One message per shard per step; no
per-env or per-field objects cross the network."""

from __future__ import annotations

import numpy as np

# (buffer name in agent_os.vector_env / _env_capi.BUFFERS, wire dtype), widest
# first. The wire is little-endian whatever the hosts; the arrays on either
# side are native, as the local VectorEnv's are.
FIELDS = (
    ("observation", "<i8"),
    ("reward", "<f8"),
    ("cost_usd", "<f8"),
    ("episode_return", "<f8"),
    ("final_observation", "<i8"),
    ("policy_cost", "<f8"),
    ("violations", "<u4"),
    ("signals", "<u4"),
    ("episode_step", "<u4"),
    ("terminated", "u1"),
    ("truncated", "u1"),
    ("executed", "u1"),
    ("max_severity", "i1"),
    ("autoreset", "u1"),
)
ROW_BYTES = sum(np.dtype(t).itemsize for _, t in FIELDS)

# What a restarted shard's rows hold at the step its worker was lost: a
# fresh episode (its observation comes from the new shard's reset), nothing
# governed, nothing earned.
RESTART_ROW = {
    "reward": 0.0, "cost_usd": 0.0, "policy_cost": 0.0, "episode_return": 0.0, "final_observation": -1, "violations": 0,
    "signals": 0, "episode_step": 0, "terminated": 0, "truncated": 0, "executed": 0, "max_severity": -1,
}


class Packer:
    """Shard side: copies a VectorEnv's buffers into one reusable blob."""

    def __init__(self, buffers: dict, n: int):
        self.n = n
        self.blob = np.empty(ROW_BYTES * n, dtype=np.uint8)
        self._pairs = []
        off = 0
        for name, dtype in FIELDS:
            size = np.dtype(dtype).itemsize * n
            self._pairs.append((self.blob[off:off + size].view(dtype), buffers[name]))
            off += size

    def pack(self) -> bytes:
        for dst, src in self._pairs:
            np.copyto(dst, src, casting="equiv")
        return self.blob.tobytes()


def unpack_into(blob, n: int, out: dict, start: int) -> None:
    """Trainer side: writes a shard's n rows into out[name][start:start + n]."""
    if len(blob) != ROW_BYTES * n:
        raise ValueError(f"shard result has {len(blob)} bytes, expected {ROW_BYTES * n} for {n} envs")
    off = 0
    for name, dtype in FIELDS:
        size = np.dtype(dtype).itemsize * n
        out[name][start:start + n] = np.frombuffer(blob, dtype=dtype, count=n, offset=off)
        off += size


def allocate(n: int) -> dict:
    """The trainer's batch arrays, one per field, n rows each."""
    return {name: np.zeros(n, dtype=np.dtype(dtype).newbyteorder("=")) for name, dtype in FIELDS}
