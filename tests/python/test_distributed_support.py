"""Helpers shared by the test_distributed*.py modules (holds no tests itself).

An in-process stand-in for the trainer's fan-out: ShardActor objects built
in THIS process from the same ShardSpecs DistributedVectorEnv ships to
workers, so the seeding and audit contracts can be checked without a
cluster; the cluster tests then check the same contracts through Dask.
"""

from __future__ import annotations

import glob
import os
import pathlib
import shutil

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]

POLICY_YAML = """\
version: 1
mode: enforce
policies:
  - name: "sql_policy"
    type: "sql"
    deny: ["DROP", "DELETE", "TRUNCATE"]
    require_where_on_update: true
  - name: "cost_control"
    type: "cost"
    max_cost_usd: 1.0
"""

# A mix the kernel allows, blocks critically (episode ends), blocks as
# high/medium, and (with costs) runs out of budget on.
ACTIONS = [
    "SELECT 1",
    "SELECT name FROM customers WHERE id = 3",
    "DROP TABLE customers",
    "UPDATE products SET price = 1",
    "UPDATE products SET price = 2 WHERE id = 4",
    "DELETE FROM orders WHERE id = 1",
    "INSERT INTO t VALUES (1)",
]


def random_batch(rng, n):
    return [ACTIONS[i] for i in rng.integers(0, len(ACTIONS), n)]


def agentos_cli():
    """The `agentos` CLI binary of some build of this tree, newest first."""
    env = os.environ.get("AGENTOS_CLI")
    if env and os.access(env, os.X_OK):
        return env
    found = [p for p in glob.glob(str(ROOT / "build" / "*" / "bindings" / "agentos")) if os.access(p, os.X_OK)]
    found.sort(key=os.path.getmtime, reverse=True)
    return found[0] if found else shutil.which("agentos")


def assert_same_step(dist, local, where=""):
    """Every returned array equal (values and dtypes), every local info key present."""
    for i, name in enumerate(("obs", "reward", "terminated", "truncated")):
        a, b = np.asarray(dist[i]), np.asarray(local[i])
        assert a.dtype == b.dtype, f"{where} {name}: dtype {a.dtype} != {b.dtype}"
        assert np.array_equal(a, b), f"{where} {name}: {a} != {b}"
    assert_same_infos(dist[4], local[4], where)


def assert_same_infos(di, li, where):
    for key in li:
        if isinstance(li[key], dict):  # final_info
            assert_same_infos(di[key], li[key], f"{where} {key}")
            continue
        a, b = np.asarray(di[key]), np.asarray(li[key])
        assert a.dtype == b.dtype, f"{where} infos[{key}]: dtype {a.dtype} != {b.dtype}"
        assert np.array_equal(a, b), f"{where} infos[{key}]: {a} != {b}"


def comparable(record: dict) -> dict:
    """A record without what a new chain changes (seq, time, hashes)."""
    return {k: v for k, v in record.items() if k not in ("seq", "time_ns", "prev_hash", "entry_hash")}


class InProcessShards:
    """ShardActors of one batch, built and driven in this process the way
    DistributedVectorEnv drives them on workers (same specs, same seeds,
    same packed wire format, same audit index)."""

    def __init__(self, num_envs, num_shards, *, seed=0, audit_dir=None, autoreset="next_step", config=None,
                 task=None, hmac_key=None):
        import dataclasses

        import agent_os
        from agent_os.distributed import layout
        from agent_os.distributed.seeding import plan_shards, shard_seed
        from agent_os.distributed.shard import AuditSpec, ShardActor, ShardSpec
        from agent_os.env_config import EnvironmentConfig
        from agent_os.kernel import pack_payloads

        self._pack = pack_payloads
        self._layout = layout
        self.n = num_envs
        self.plan = plan_shards(num_envs, num_shards)
        config = config or EnvironmentConfig()
        self.sources, self.actors = [], []
        for sl in self.plan:
            audit = None
            if audit_dir is not None:
                audit = AuditSpec(path=os.path.join(audit_dir, f"shard{sl.index}.db"), hmac_key=hmac_key)
                self.sources.append({"path": audit.path, "shard": sl.index, "incarnation": 0, "offset": sl.offset,
                                     "count": sl.count, "first_step": 1, "boundaries": [], "end": "open",
                                     "committed_seq": 0})
            spec = ShardSpec(index=sl.index, incarnation=0, offset=sl.offset, count=sl.count,
                             policy_yaml=POLICY_YAML, policy_name="test-policy", task=task or {"type": "noop"},
                             config=dataclasses.asdict(config), autoreset=autoreset, num_threads=1,
                             seed=shard_seed(seed, sl.offset), keep_results=False, action_kind="sql",
                             min_envs_per_thread=None, library_version=agent_os.library_version(), audit=audit)
            self.actors.append(ShardActor(spec))
        self.out = layout.allocate(num_envs)

    def reset(self, seed=None, mask=None):
        from agent_os.distributed.seeding import shard_seed
        for sl, actor in zip(self.plan, self.actors):
            m = None if mask is None else np.asarray(mask[sl.offset:sl.stop], dtype=np.uint8)
            if m is not None and not m.any():
                continue
            blob, _ = actor.reset(None if seed is None else shard_seed(seed, sl.offset),
                                  None if m is None else m.tobytes())
            self._layout.unpack_into(blob, sl.count, self.out, sl.offset)
        return self.out["observation"]

    def step(self, actions, **extras):
        data, offsets = self._pack(actions)
        for i, (sl, actor) in enumerate(zip(self.plan, self.actors)):
            lo = int(offsets[sl.offset])
            part = {k: np.ascontiguousarray(np.asarray(v)[sl.offset:sl.stop]) for k, v in extras.items()}
            blob, (seen, committed) = actor.step(data[lo:int(offsets[sl.stop])],
                                                 (offsets[sl.offset:sl.stop + 1] - np.uint64(lo)).tobytes(), part)
            self._layout.unpack_into(blob, sl.count, self.out, sl.offset)
            if self.sources:
                self.sources[i]["boundaries"].append(seen)
                self.sources[i]["committed_seq"] = committed
        return self.out

    def close(self):
        for i, actor in enumerate(self.actors):
            c = actor.close()
            if self.sources:
                self.sources[i]["end"] = "closed"
                self.sources[i]["committed_seq"] = c["committed_seq"]

    def index(self):
        return {"policy_yaml": POLICY_YAML, "policy_name": "test-policy", "num_envs": self.n,
                "sources": [dict(s) for s in self.sources]}
