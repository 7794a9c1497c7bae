"""Async send/recv against sync step from Python, on the SQL task with a
heavy-tailed query mix (the Python side of build/release/bench/bench_async_sql):
env-steps/s of each, phases of equal work alternating in one run, the ratio,
and the ceiling the mix itself puts on that ratio.

Every env runs its own seeded query sequence in which 10% of the queries are
heavy and 90% typical SELECTs; the same sequence in both modes. Two mixes
(the C++ bench's header says why each is realistic):
  heavy    the heavy 10% are a bounded cross join (~15-20x the median step);
  runaway  the heavy 10% never end by themselves and are stopped by the
           task's CPU time limit, set to 50x the median step measured here.
Sync: ``step`` over all N envs on 2 threads. Async: N envs in flight on 2
workers; each ``recv`` returns batch_size finished envs, which are sent their
next query at once.

The ceiling: every query is first timed alone (median CPU time of one-thread
steps), and the same steps are replayed with zero machinery cost: sync = each
batch split the way VectorEnv splits it (min(N, 8) fixed index ranges, as
VectorEnv::step_chunks() gives with min_envs_per_thread 1,
the calling thread claiming from the front and the worker from the back);
ideal async = all steps' work / 2 cores. ceiling = ideal async / sync model:
no async implementation beats sync by more on this mix with 2 threads.

    PYTHONPATH=bindings/python AGENTOS_LIBRARY=build/release/bindings/libagentos.so \\
        /usr/bin/python3 bench/bench_async_sql.py [--mix heavy|runaway] [--envs 16] [--batch 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import statistics
import time

import numpy as np

from agent_os import KernelSpace
from agent_os.env_config import EnvironmentConfig
from agent_os.vector_env import VectorEnv

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIGHT = [
    "SELECT COUNT(*) FROM orders WHERE status = 'shipped'",
    "SELECT name, price FROM products WHERE price > 50 ORDER BY price DESC LIMIT 5",
    "SELECT tier, COUNT(*) FROM customers GROUP BY tier",
    "SELECT c.country, COUNT(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.country",
    "SELECT AVG(shipping_fee) FROM orders WHERE order_date >= '2024-01-01'",
    "SELECT p.name FROM products p WHERE p.stock = (SELECT MAX(stock) FROM products)",
    "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY 2 DESC",
    "SELECT name FROM categories WHERE parent_id IS NULL ORDER BY name",
    "SELECT email FROM customers WHERE city = 'Berlin' LIMIT 10",
]
HEAVY = "SELECT COUNT(*) FROM products a, products b WHERE a.id <= 130 AND a.price < b.price"
RUNAWAY = "SELECT COUNT(*) FROM orders a, orders b, orders c, orders d"
RUNAWAY_MULTIPLE = 50  # the runaway's time limit, in median steps
MAX_STEPS = 50  # episode length: an env's step k (from 0) is an autoreset step when k % 51 == 50
THREADS = 2


def sequences(n: int, heavy: str, length: int = 1000) -> list[list[str]]:
    """Env e's queries: exactly 10% heavy, shuffled with seed e."""
    out = []
    for e in range(n):
        seq = [heavy if i % 10 == 9 else LIGHT[i % 10] for i in range(length)]
        random.Random(e).shuffle(seq)
        out.append(seq)
    return out


def make(kernel: KernelSpace, n: int, batch: int | None, time_limit_ms: int, threads: int = THREADS) -> VectorEnv:
    env = VectorEnv(kernel, n, task="sql", dataset_dir=str(ROOT / "env/sql/data/shop"), num_threads=threads,
                    min_envs_per_thread=1, batch_size=batch, finish_on_success=False,
                    time_limit_ms=time_limit_ms, config=EnvironmentConfig(max_steps=MAX_STEPS))
    env.reset(seed=0)
    return env


def step_us(kernel: KernelSpace, sql: str, time_limit_ms: int, reps: int = 21, envs: int = 8) -> float:
    """Median CPU time of one env's step of `sql` with no other step running:
    `envs` envs stepped one after the other on this thread (num_threads 1
    runs them inline), so the per-call cost of Python and the binding is
    spread over them as in a batch. CPU time, not wall time: on a shared
    machine the wall time includes other processes' turns on the core."""
    env = make(kernel, envs, None, time_limit_ms, threads=1)  # reps < MAX_STEPS: no autoreset step among them
    times = []
    for _ in range(reps):
        t0 = time.thread_time()
        env.step([sql] * envs)
        times.append((time.thread_time() - t0) * 1e6 / envs)
    env.close()
    return statistics.median(times)


def sync_model_us(cost, n: int, at: list[int]) -> float:
    """One sync batch's makespan under VectorEnv's split, zero hand-off cost."""
    chunks = min(n, 4 * THREADS)
    chunk_us = [sum(cost(i, at[i]) for i in range(n * c // chunks, n * (c + 1) // chunks)) for c in range(chunks)]
    front_t = back_t = 0.0
    front, back = 0, chunks
    while front < back:
        if front_t <= back_t:
            front_t += chunk_us[front]
            front += 1
        else:
            back -= 1
            back_t += chunk_us[back]
    return max(front_t, back_t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mix", choices=("heavy", "runaway"), default="heavy")
    ap.add_argument("--envs", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches-per-phase", type=int, default=30)
    args = ap.parse_args()
    n, batch = args.envs, args.batch
    kernel = KernelSpace.from_yaml(str(ROOT / "examples/policies/sql_safety.yaml"))

    query_us = {q: step_us(kernel, q, 200) for q in LIGHT + [HEAVY]}
    median = statistics.median([query_us[q] for q in LIGHT] + [query_us[HEAVY]])
    time_limit_ms = 200
    heavy = HEAVY
    if args.mix == "runaway":
        heavy = RUNAWAY
        time_limit_ms = max(1, round(RUNAWAY_MULTIPLE * median / 1000))
        query_us[RUNAWAY] = step_us(kernel, RUNAWAY, time_limit_ms)
    print(f"mix {args.mix}: median step {median:.0f} us CPU, heavy 10% {query_us[heavy]:.0f} us = "
          f"{query_us[heavy] / median:.1f}x the median (time limit {time_limit_ms} ms); "
          f"load average {os.getloadavg()[0]:.2f}")

    seqs = sequences(n, heavy)

    def cost(e: int, k: int) -> float:
        # An autoreset step runs no query (about 1 us in the C++ bench): counted as 0.
        return 0.0 if k % (MAX_STEPS + 1) == MAX_STEPS else query_us[seqs[e][k % len(seqs[e])]]

    sync_env, async_env = make(kernel, n, None, time_limit_ms), make(kernel, n, batch, time_limit_ms)
    sync_at, async_at = [0] * n, [0] * n

    def next_queries(at: list[int], ids) -> list[str]:
        out = []
        for e in ids:
            out.append(seqs[e][at[e] % len(seqs[e])])
            at[e] += 1
        return out

    all_ids = np.arange(n, dtype=np.uint32)
    sync_s = async_s = sync_model = async_work = 0.0
    sync_steps = async_steps = 0
    for _ in range(args.rounds):
        sync_model += sum(sync_model_us(cost, n, [k + b for k in sync_at]) for b in range(args.batches_per_phase))
        t0 = time.perf_counter()
        for _ in range(args.batches_per_phase):
            sync_env.step(next_queries(sync_at, range(n)))
        t1 = time.perf_counter()
        target, sent, done = args.batches_per_phase * n, n, 0
        before = list(async_at)
        async_env.send(next_queries(async_at, range(n)), all_ids)
        while async_env.in_flight:
            infos = async_env.recv()[4]
            ids = infos["env_id"]
            done += len(ids)
            if sent < target:
                ids = ids[:target - sent].copy()
                async_env.send(next_queries(async_at, ids), ids)
                sent += len(ids)
        t2 = time.perf_counter()
        async_work += sum(cost(e, k) for e in range(n) for k in range(before[e], async_at[e]))
        sync_s, async_s = sync_s + (t1 - t0), async_s + (t2 - t1)
        sync_steps, async_steps = sync_steps + args.batches_per_phase * n, async_steps + done
    for env in (sync_env, async_env):
        m = env.metrics()
        # Runaway steps end in a time-limit error outcome by design.
        if m["blocked"] or (args.mix == "heavy" and m["task_errors"]):
            raise SystemExit(f"a benchmark query was denied or failed: {m['blocked']} blocked, "
                             f"{m['task_errors']} errors")
    s, a = sync_steps / sync_s, async_steps / async_s
    sm, ai = sync_steps / (sync_model * 1e-6), async_steps / (async_work / THREADS * 1e-6)
    print(f"{n} envs, {THREADS} threads: sync step {s:.0f} env-steps/s [model {sm:.0f}, {100 * s / sm:.0f}%] | "
          f"async send/recv (batch_size {batch}) {a:.0f} env-steps/s [ideal {ai:.0f}, {100 * a / ai:.0f}%]")
    print(f"async/sync = {a / s:.2f}x achieved; ceiling {ai / sm:.2f}x (ideal async / sync model)   "
          f"[target: >= 1.5x]; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
