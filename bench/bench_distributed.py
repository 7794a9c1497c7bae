"""Benchmark: DistributedVectorEnv on 1, 2 and 4 Dask worker processes
against the local VectorEnv, same total env count, same run.

    /usr/bin/python3 bench/bench_distributed.py [--envs 4096] [--steps 200] [--workers 1,2,4]

No-op task, the issue 2 SQL policy, one engine thread per process, actions
packed once and reused (so Python-side packing is not measured; shipping
each shard its slice every step is). Wall-clock time (several processes
are involved, so one process's CPU time would hide the work), median of
--repeats timed blocks of --steps steps each. Reported, all measured in
this one run:

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


def timed_echo(client, steps: int, repeats: int) -> float:
    from agent_os.distributed.faults import gather
    workers = sorted(client.scheduler_info()["workers"])
    actors = [(client.submit(Echo, actor=True, workers=[w], pure=False).result(), w) for w in workers]

    def once():
        calls = {k: (a.step(b"x"), w) for k, (a, w) in enumerate(actors)}
        gather(client, calls, timeout=60, alive=lambda: set(workers))

    once()
    per_step = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            once()
        per_step.append((time.perf_counter() - t0) / steps)
    return statistics.median(per_step)


def timed_steps(env, packed, steps: int, repeats: int) -> float:
    """Median seconds per step over `repeats` blocks of `steps` steps."""
    env.step(packed)  # warm: first-call costs out of the measurement
    per_step = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            env.step(packed)
        per_step.append((time.perf_counter() - t0) / steps)
    return statistics.median(per_step)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", type=int, default=4096)
    p.add_argument("--steps", type=int, default=200)
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
    t_local = timed_steps(local, local.pack(actions), a.steps, a.repeats)
    local.close()
    rows = [{"config": "local VectorEnv", "workers": 0, "step_us": t_local * 1e6,
             "env_steps_per_s": a.envs / t_local, "ratio": 1.0}]

    for w in workers:
        client, cluster = local_cluster(w)
        try:
            dist = DistributedVectorEnv(kernel, a.envs, seed=1, client=client, num_shards=w)
            dist.reset(seed=1)
            t = timed_steps(dist, dist.pack(actions), a.steps, a.repeats)
            dist.close()
            tiny = DistributedVectorEnv(kernel, w, seed=1, client=client, num_shards=w)
            tiny.reset(seed=1)
            t_tiny = timed_steps(tiny, tiny.pack(actions[:w]), a.steps, a.repeats)
            tiny.close()
            t_echo = timed_echo(client, a.steps, a.repeats)
        finally:
            client.close()
            cluster.close()
        rows.append({"config": f"distributed, {w} worker process{'es' if w > 1 else ''}", "workers": w,
                     "step_us": t * 1e6, "env_steps_per_s": a.envs / t, "ratio": t_local / t,
                     "overhead_per_step_us": (t - t_local) * 1e6, "round_trip_us": t_tiny * 1e6,
                     "per_env_ns": (t - t_tiny) / (a.envs - w) * 1e9, "dask_echo_us": t_echo * 1e6})

    load = os.getloadavg()[0]
    print(f"{a.envs} envs, no-op task, SQL policy, {a.steps} steps x {a.repeats} blocks (median), "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print("| configuration | µs per batch step | env-steps/s | vs local | layer cost per step | "
          "round trip (1 env/shard) | Dask actor echo | per env |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        extra = ("| | | | |" if r["workers"] == 0 else
                 f"| {r['overhead_per_step_us']:.0f} µs | {r['round_trip_us']:.0f} µs | {r['dask_echo_us']:.0f} µs "
                 f"| {r['per_env_ns']:.0f} ns |")
        print(f"| {r['config']} | {r['step_us']:.0f} | {r['env_steps_per_s']:,.0f} | {r['ratio']:.3f}× {extra}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"envs": a.envs, "steps": a.steps, "repeats": a.repeats, "load_average": load, "rows": rows},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
