"""Benchmark: DistributedVectorEnv on Ray and on Dask, 1, 2 and 4 workers,
against the local VectorEnv, same total env count, same run.

    python3 bench/bench_distributed.py [--envs 4096] [--steps 50] [--repeats 5] [--workers 1,2,4]
                                       [--backends ray,dask] [--sweep-envs 64] [--sweep-rows 0,100,1000,10000]

No-op task, an SQL policy, one engine thread per process, actions packed
once and reused (so Python-side packing is not measured; shipping each
shard its slice every step is). Wall-clock time (several processes are
involved, so one process's CPU time would hide the work), median of
--repeats blocks of --steps steps each, the configurations' blocks
alternating (local, distributed, 1 env per shard) so that load changes on a
shared machine hit all alike. Ray allows one instance per process, so the
backends' clusters are made one after the other; each configuration's
"vs local" divides by the local time of ITS OWN blocks.

Reported, all from this one run:

  * env-steps/s of each configuration and its ratio to the local VectorEnv;
  * the per-call round trip: a step of one env per shard (the fixed cost a
    distributed step pays whatever the batch);
  * the sweep: the SQL task (each step runs the action on the env's SQLite
    database), the action a short recursive query counting --sweep-rows
    rows, so the env's own cost per step grows while what travels stays
    ~100 bytes; local vs 2 workers per backend at --sweep-envs envs. The
    crossover is the cheapest env-step (µs, measured locally in the same
    blocks) at which 2 workers beat local.
"""

import argparse
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))


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


SQL_TASK = {"task": "sql", "dataset_dir": os.path.join(ROOT, "env", "sql", "data", "shop"), "split": "train"}


def query_counting(rows: int) -> str:
    """An allowed SELECT whose execution walks ``rows`` rows (0: a constant)."""
    if rows <= 0:
        return "SELECT 1"
    return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) SELECT count(*) FROM c"


def make_backend(name: str, workers: int):
    from agent_os.distributed import DaskBackend, RayBackend
    return (RayBackend if name == "ray" else DaskBackend).local(workers, timeout=180)


def measure(kernel, backend, workers: int, envs: int, actions: list, steps: int, repeats: int, tiny: bool,
            task=None):
    """Seconds per batch step: local, distributed and (tiny) one env per shard."""
    from agent_os import VectorEnv
    from agent_os.distributed import DistributedVectorEnv
    task = task or {"task": "noop"}
    local = VectorEnv(kernel, envs, seed=1, **task)
    local.reset(seed=1)
    local_packed = local.pack(actions)
    dist = DistributedVectorEnv(kernel, envs, seed=1, client=backend, num_shards=workers, **task)
    dist.reset(seed=1)
    packed = dist.pack(actions)
    steppers = {"local": lambda: local.step(local_packed), "dist": lambda: dist.step(packed)}
    small = None
    if tiny:
        small = DistributedVectorEnv(kernel, workers, seed=1, client=backend, num_shards=workers)
        small.reset(seed=1)
        small_packed = small.pack(actions[:workers])
        steppers["tiny"] = lambda: small.step(small_packed)
    try:
        return interleaved(steppers, steps, repeats)
    finally:
        dist.close()
        if small is not None:
            small.close()
        local.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", type=int, default=4096)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--backends", default="ray,dask")
    p.add_argument("--sweep-envs", type=int, default=64)
    p.add_argument("--sweep-rows", default="0,100,1000,10000")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args()
    workers = [int(w) for w in a.workers.split(",")]
    backends = a.backends.split(",")
    sizes = [int(b) for b in a.sweep_rows.split(",")] if a.sweep_rows else []

    from agent_os import KernelSpace
    from agent_os.policies import SQLPolicy

    kernel = KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT", "UPDATE"], deny=["DROP", "DELETE", "TRUNCATE"],
                                          require_where_on_update=True))
    actions = ["SELECT name FROM customers WHERE id = 3"] * a.envs
    rows, sweep, local_times = [], [], []
    for name in backends:
        for w in workers:
            backend = make_backend(name, w)
            try:
                t = measure(kernel, backend, w, a.envs, actions, a.steps, a.repeats, tiny=True)
                if w == 2:
                    for n_rows in sizes:
                        sql = query_counting(n_rows)
                        s = measure(kernel, backend, 2, a.sweep_envs, [sql] * a.sweep_envs, max(5, a.steps // 5),
                                    a.repeats, tiny=False, task=SQL_TASK)
                        sweep.append({"backend": name, "rows": n_rows, "envs": a.sweep_envs,
                                      "local_us_per_env_step": s["local"] / a.sweep_envs * 1e6,
                                      "local_step_us": s["local"] * 1e6, "dist_step_us": s["dist"] * 1e6,
                                      "speedup": s["local"] / s["dist"]})
            finally:
                backend.close()
            local_times.append(t["local"])
            rows.append({"config": f"{name}, {w} worker{'s' if w > 1 else ''}", "backend": name, "workers": w,
                         "step_us": t["dist"] * 1e6, "env_steps_per_s": a.envs / t["dist"],
                         "local_step_us": t["local"] * 1e6, "ratio": t["local"] / t["dist"],
                         "round_trip_us": t["tiny"] * 1e6,
                         "per_env_ns": (t["dist"] - t["tiny"]) / (a.envs - w) * 1e9})
    t_local = statistics.median(local_times)
    rows.insert(0, {"config": "local VectorEnv", "workers": 0, "step_us": t_local * 1e6,
                    "env_steps_per_s": a.envs / t_local, "ratio": 1.0})

    load = os.getloadavg()[0]
    print(f"{a.envs} envs, no-op task, SQL policy, {a.steps} steps x {a.repeats} alternating blocks (median), "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print("| configuration | µs per batch step | env-steps/s | vs local | round trip (1 env/shard) | per env |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        extra = "| | |" if r["workers"] == 0 else f"| {r['round_trip_us']:.0f} µs | {r['per_env_ns']:.0f} ns |"
        print(f"| {r['config']} | {r['step_us']:.0f} | {r['env_steps_per_s']:,.0f} | {r['ratio']:.3f}× {extra}")
    print("vs local = local step time (same alternating blocks) / distributed step time; "
          "per env = (distributed - round trip) / envs")
    if sweep:
        print(f"\nSweep: SQL task, {a.sweep_envs} envs, 2 workers vs local (1 engine thread), env-step cost set by "
              "the rows the query walks")
        print("| backend | rows walked | local µs per env-step | local µs per batch | 2 workers µs per batch "
              "| 2 workers vs local |")
        print("|---|---|---|---|---|---|")
        for s in sweep:
            print(f"| {s['backend']} | {s['rows']} | {s['local_us_per_env_step']:.2f} | "
                  f"{s['local_step_us']:.0f} | {s['dist_step_us']:.0f} | {s['speedup']:.2f}× |")
        for name in backends:
            wins = [s for s in sweep if s["backend"] == name and s["speedup"] > 1.0]
            first = min(wins, key=lambda s: s["local_us_per_env_step"]) if wins else None
            print(f"crossover ({name}, {a.sweep_envs} envs): " + (
                f"2 workers beat local from {first['local_us_per_env_step']:.2f} µs per env-step "
                f"({first['local_step_us']:.0f} µs of work per batch step)" if first else "not reached in this sweep"))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"envs": a.envs, "steps": a.steps, "repeats": a.repeats, "load_average": load, "rows": rows,
                       "sweep": sweep}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
