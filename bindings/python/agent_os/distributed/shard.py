"""ShardActor: one VectorEnv shard living in a Dask worker process.

The trainer never ships engine objects (a KernelSpace, a VectorEnv or a
FlightRecorder are C handles of ITS process). It ships a ShardSpec, plain
data: the policy file's YAML text, the task spec, the environment config,
the shard's slice of the batch and its seed, and where to write its audit
log. The worker builds everything from that with the same agent_os
bindings (so it loads libagentos.so like any agent_os user: AGENTOS_LIBRARY
or the library beside the package) and refuses to start if its library is
not the trainer's version.

Every method is one round trip and moves whole arrays: step takes the
shard's actions as one byte buffer plus offsets and returns every result
buffer packed into one bytes object (layout.py), plus the recorder's
counters so the trainer can tell which audit records belong to which
batch step.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import socket

import numpy as np

from .. import errors
from ..env_config import EnvironmentConfig
from ..kernel import KernelSpace
from ..vector_env import PackedActions, VectorEnv
from . import layout


@dataclasses.dataclass(frozen=True)
class AuditSpec:
    """Where and how a shard records. ``path`` is on the worker's file
    system (a shared one for several hosts, see README.md)."""

    path: str
    durability: str = "sync"
    hmac_key: bytes | None = None
    payload_max_bytes: int = 64 * 1024
    queue_capacity: int | None = None
    checkpoint_every: int | None = None


@dataclasses.dataclass(frozen=True)
class ShardSpec:
    """Everything a worker needs to build shard ``index`` (plain data)."""

    index: int
    incarnation: int
    offset: int
    count: int
    policy_yaml: str
    policy_name: str
    task: dict
    config: dict
    autoreset: str
    num_threads: int
    seed: int
    keep_results: bool
    action_kind: str
    min_envs_per_thread: int | None
    library_version: str
    audit: AuditSpec | None = None


def worker_identity() -> dict:
    """What a worker reports before any shard is placed on it."""
    import agent_os
    from .. import _lib
    return {"pid": os.getpid(), "host": socket.gethostname(), "library_version": agent_os.library_version(),
            "library_path": str(_lib.path), "package": os.path.dirname(os.path.dirname(__file__))}


def packed_actions(data: bytes, offsets: bytes) -> PackedActions:
    """A PackedActions over text and little-endian uint64 offsets that
    arrived already packed: the trainer packed the whole batch once and sent
    each shard its slice."""
    if len(offsets) % 8:
        raise errors.InvalidArgument("shard actions: offsets are not a whole number of uint64")
    p = PackedActions.__new__(PackedActions)
    p.data = data
    p.offsets = np.frombuffer(offsets, dtype="<u8").astype(np.uint64)  # the wire is little-endian
    p.n = len(p.offsets) - 1
    p.data_len = len(data)
    p.data_addr = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0
    p.offsets_addr = p.offsets.ctypes.data
    if p.n < 0 or (p.n and int(p.offsets[-1]) > p.data_len):
        raise errors.InvalidArgument("shard actions: offsets do not fit the data")
    return p


class ShardActor:
    """A Dask actor (``client.submit(ShardActor, spec, actor=True)``)."""

    def __init__(self, spec: ShardSpec):
        import agent_os
        if agent_os.library_version() != spec.library_version:
            raise errors.StateError(
                f"worker {socket.gethostname()} pid {os.getpid()} loads libagentos {agent_os.library_version()} "
                f"but the trainer runs {spec.library_version}; use the same build everywhere")
        self.spec = spec
        self.kernel = KernelSpace.from_yaml_text(spec.policy_yaml, spec.policy_name)
        self.recorder = None
        if spec.audit is not None:
            a = spec.audit
            if os.path.exists(a.path) or os.path.exists(a.path + ".checkpoint"):
                raise errors.StateError(f"shard audit log {a.path} already exists; a shard never appends to "
                                        "another run's log")
            from ..recorder import FlightRecorder
            self.recorder = FlightRecorder(a.path, durability=a.durability, level="all", hmac_key=a.hmac_key,
                                           payload_max_bytes=a.payload_max_bytes, queue_capacity=a.queue_capacity,
                                           checkpoint_every=a.checkpoint_every)
        self.env = VectorEnv(self.kernel, spec.count, task=dict(spec.task), config=EnvironmentConfig(**spec.config),
                             autoreset=spec.autoreset, num_threads=spec.num_threads, seed=spec.seed,
                             keep_results=spec.keep_results, action_kind=spec.action_kind,
                             min_envs_per_thread=spec.min_envs_per_thread, recorder=self.recorder)
        self.packer = layout.Packer(self.env.buffers, spec.count)
        self._mask = np.zeros(spec.count, dtype=np.bool_)

    # ---- the batch ---------------------------------------------------------

    def _counters(self) -> tuple:
        if self.recorder is None:
            return (0, 0)
        c = self.recorder.counters()
        return (c["decisions_seen"], c["committed_seq"])

    def reset(self, seed, mask):
        """seed: the shard's base seed (env j gets seed + j) or None; mask:
        bytes of count 0/1 entries, or None for all."""
        options = None
        if mask is not None:
            options = {"reset_mask": np.frombuffer(mask, dtype=np.uint8).astype(np.bool_)}
        self.env.reset(seed=seed, options=options)
        return self.packer.pack(), self._counters()

    def reset_envs(self, seeds: dict):
        """Resets env j alone with exactly seed seeds[j], for each j given:
        per-env seeds without one network round trip per env."""
        m = self._mask
        for j, s in sorted(seeds.items()):
            m[:] = False
            m[int(j)] = True
            self.env.reset(seed=(int(s) - int(j)) % (1 << 64), options={"reset_mask": m})
        return self.packer.pack(), self._counters()

    def step(self, data: bytes, offsets: bytes, extras: dict | None):
        self.env.step(packed_actions(data, offsets), **(extras or {}))
        return self.packer.pack(), self._counters()

    # ---- per-env queries and signals ------------------------------------------

    def signal(self, env: int, signal) -> None:
        self.env.send_signal(env, signal)

    def observation_text(self, env: int) -> str:
        return self.env.observation_text(env)

    def last_violations(self, env: int) -> list:
        return self.env.last_violations(env)

    def metrics(self) -> dict:
        return self.env.metrics()

    def identity(self) -> dict:
        out = worker_identity()
        out.update(shard=self.spec.index, incarnation=self.spec.incarnation)
        return out

    # ---- end -------------------------------------------------------------------

    def close(self) -> dict:
        """Closes the envs and the recorder (final checkpoint) and returns
        the recorder's last counters; the trainer verifies the file."""
        counters = self._counters()
        self.packer = None  # its views keep the engine's buffers alive
        self.env.close()
        if self.recorder is not None:
            self.recorder.close()
        return {"decisions_seen": counters[0], "committed_seq": counters[1]}
