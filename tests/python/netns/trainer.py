"""The trainer of the multi-host test, run inside the scheduler's namespace.

    python3 trainer.py --scheduler tcp://10.253.7.1:8786 --workers 2 --audit-dir DIR --out RESULT.json
    python3 trainer.py --backend ray --scheduler 10.253.7.1:6379 ...

Connects to the scheduler (a Dask scheduler or a Ray head), places one shard on each of the two workers
(other namespaces, reached over the bridge), steps the distributed env and
a local VectorEnv with the same seeds and random actions, and writes what
it saw as JSON: whether every step matched, the workers' addresses and
hosts, and the merged audit trail's verification.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from agent_os import FlightRecorder, KernelSpace, VectorEnv  # noqa: E402
from agent_os.distributed import DistributedVectorEnv  # noqa: E402
from agent_os.recorder import verify_log  # noqa: E402

from test_distributed_support import POLICY_YAML, assert_same_step, random_batch  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--scheduler", required=True)
    p.add_argument("--backend", default="dask", choices=("dask", "ray"))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--audit-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--lose-host-file", help="after the equal steps, write this file and keep stepping until a "
                                            "shard is lost (the test takes a host down), then 10 steps more")
    a = p.parse_args()
    kernel = KernelSpace.from_yaml_text(POLICY_YAML)
    n = 24
    result = {"steps_matched": 0}
    merged_path = os.path.join(a.audit_dir, "merged.db")
    rec = FlightRecorder(merged_path)
    local = VectorEnv(kernel, n, seed=21)
    dist = DistributedVectorEnv(kernel, n, seed=21, scheduler=a.scheduler, recorder=rec,
                                audit_dir=os.path.join(a.audit_dir, "shards"), connect_timeout=90,
                                min_workers=a.workers, backend=a.backend)
    try:
        result["placement"] = dist.shard_placement()
        # where each worker is: a Dask worker's address holds its host; a Ray node reports its own
        result["workers"] = {addr: ident.get("node_address") or addr.split("//")[1].split(":")[0]
                             for addr, ident in dist.worker_identities.items()}
        dist.reset(seed=5)
        local.reset(seed=5)
        rng = np.random.default_rng(1)
        for step in range(a.steps):
            actions = random_batch(rng, n)
            assert_same_step(dist.step(actions), local.step(actions), f"step {step}")
            result["steps_matched"] += 1
        if a.lose_host_file:
            with open(a.lose_host_file, "w") as f:
                f.write("ready")
            after, restarted_rows = 0, 0
            while after < 10:
                infos = dist.step(random_batch(rng, n))[4]
                restarted_rows += int(infos["shard_restarted"].sum())
                after += bool(dist.fault_events)
            result["faults"] = [e.as_dict() for e in dist.fault_events]
            result["restarted_rows"] = restarted_rows
            result["placement_after"] = dist.shard_placement()
    finally:
        dist.close()
        local.close()
    rec.close()
    result["merged"] = verify_log(merged_path)
    result["manifest_sources"] = len(dist.audit_manifest["sources"])
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
