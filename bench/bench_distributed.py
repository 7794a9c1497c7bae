"""Benchmark: DistributedVectorEnv on 1, 2 and 4 Dask worker processes
against the local VectorEnv, same total env count, same run.

    /usr/bin/python3 bench/bench_distributed.py [--envs 4096] [--steps 100] [--repeats 5] [--workers 1,2,4]

No-op task, the issue 2 SQL policy, one engine thread per process, actions
packed once and reused (so Python-side packing is not measured; shipping
each shard its slice every step is). Wall-clock time (several processes
are involved, so one process's CPU time would hide the work), median of
--repeats blocks of --steps steps each, the configurations' blocks
alternating (local, distributed, 1 env per shard, Dask echo) so that load
changes on a shared machine hit all alike. Reported, all from this one run:

  * env-steps/s of each configuration and its ratio to the local VectorEnv;
  * the distribution layer's cost per batch step: distributed step time
    minus the local step time of the same batch (the shards step in
    parallel, so this is round trips + (de)serialisation + the slowest
    shard's share, not the shards' summed work);
  * its fixed part: a step of num_envs = workers (one env per shard), i.e.
    the round trip alone, and the per-env part derived from the two;
  * the baseline for that fixed part: Dask's own actor round trip (an echo
    actor per worker, called the same way), so what the layer adds on top
    of Dask is visible.
"""

import argparse
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))


class Echo:
    """Dask's bare actor round trip (defined in __main__: pickled by value)."""

    def step(self, x):
        return x


def echo_step(client):
    """A step function over one echo actor per worker: Dask's bare round trip."""
    from agent_os.distributed.faults import gather
    workers = sorted(client.scheduler_info()["workers"])
    actors = [(client.submit(Echo, actor=True, workers=[w], pure=False).result(), w) for w in workers]

    def step():
        calls = {k: (a.step(b"x"), w) for k, (a, w) in enumerate(actors)}
        gather(client, calls, timeout=60, alive=lambda: set(workers))

    return step


def interleaved(steppers: dict, steps: int, repeats: int) -> dict:
    """Median seconds per step of each stepper, timed in alternating blocks
    so that a change in the machine's load hits every one alike."""
    for step in steppers.values():
        step()  # warm: first-call costs out of the measurement
    times = {name: [] for name in steppers}
    for _ in range(repeats):
        for name, step in steppers.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append((time.perf_counter() - t0) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", type=int, default=4096)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args()
    workers = [int(w) for w in a.workers.split(",")]

    from agent_os import KernelSpace, VectorEnv
    from agent_os.policies import SQLPolicy
    from agent_os.distributed import DistributedVectorEnv, local_cluster

    kernel = KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT", "UPDATE"], deny=["DROP", "DELETE", "TRUNCATE"],
                                          require_where_on_update=True))
    actions = ["SELECT name FROM customers WHERE id = 3"] * a.envs

    local = VectorEnv(kernel, a.envs, seed=1)
    local.reset(seed=1)
    local_packed = local.pack(actions)
    rows, local_times = [], []
    for w in workers:
        client, cluster = local_cluster(w)
        try:
            dist = DistributedVectorEnv(kernel, a.envs, seed=1, client=client, num_shards=w)
            tiny = DistributedVectorEnv(kernel, w, seed=1, client=client, num_shards=w)
            dist.reset(seed=1)
            tiny.reset(seed=1)
            packed, tiny_packed = dist.pack(actions), tiny.pack(actions[:w])
            t = interleaved({"local": lambda: local.step(local_packed), "dist": lambda: dist.step(packed),
                             "tiny": lambda: tiny.step(tiny_packed), "echo": echo_step(client)},
                            a.steps, a.repeats)
            dist.close()
            tiny.close()
        finally:
            client.close()
            cluster.close()
        local_times.append(t["local"])
        rows.append({"config": f"distributed, {w} worker process{'es' if w > 1 else ''}", "workers": w,
                     "step_us": t["dist"] * 1e6, "env_steps_per_s": a.envs / t["dist"],
                     "local_step_us": t["local"] * 1e6, "ratio": t["local"] / t["dist"],
                     "overhead_per_step_us": (t["dist"] - t["local"]) * 1e6, "round_trip_us": t["tiny"] * 1e6,
                     "dask_echo_us": t["echo"] * 1e6, "per_env_ns": (t["dist"] - t["tiny"]) / (a.envs - w) * 1e9})
    local.close()
    t_local = statistics.median(local_times)
    rows.insert(0, {"config": "local VectorEnv", "workers": 0, "step_us": t_local * 1e6,
                    "env_steps_per_s": a.envs / t_local, "ratio": 1.0})

    load = os.getloadavg()[0]
    print(f"{a.envs} envs, no-op task, SQL policy, {a.steps} steps x {a.repeats} alternating blocks (median), "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print("| configuration | µs per batch step | env-steps/s | vs local | layer cost per step | "
          "round trip (1 env/shard) | Dask actor echo | per env |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        extra = ("| | | | |" if r["workers"] == 0 else
                 f"| {r['overhead_per_step_us']:.0f} µs | {r['round_trip_us']:.0f} µs | {r['dask_echo_us']:.0f} µs "
                 f"| {r['per_env_ns']:.0f} ns |")
        print(f"| {r['config']} | {r['step_us']:.0f} | {r['env_steps_per_s']:,.0f} | {r['ratio']:.3f}× {extra}")
    print("vs local = local step time (measured in the same alternating blocks) / distributed step time; "
          "layer cost = distributed - local step time; per env = (distributed - round trip) / envs")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"envs": a.envs, "steps": a.steps, "repeats": a.repeats, "load_average": load, "rows": rows},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
