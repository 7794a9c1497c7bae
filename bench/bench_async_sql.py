"""Async send/recv against sync step from Python, on the SQL task with a
heavy-tailed query mix (the Python side of build/release/bench/bench_async_sql):
env-steps/s of each, phases of equal work alternating in one run, and the ratio.

Every env runs its own seeded query sequence in which 10% of the queries are a
bounded cross join (many times the median step) and 90% typical SELECTs; the
same sequence in both modes. Sync: ``step`` over all N envs on 2 threads.
Async: N envs in flight on 2 workers; each ``recv`` returns batch_size
finished envs, which are sent their next query at once.

    PYTHONPATH=bindings/python AGENTOS_LIBRARY=build/release/bindings/libagentos.so \\
        /usr/bin/python3 bench/bench_async_sql.py [--envs 16] [--batch 4] [--rounds 6]
"""

from __future__ import annotations

import argparse
import pathlib
import random
import time

import numpy as np

from agent_os import KernelSpace
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


def sequences(n: int, length: int = 1000) -> list[list[str]]:
    """Env e's queries: exactly 10% heavy, shuffled with seed e."""
    out = []
    for e in range(n):
        seq = [HEAVY if i % 10 == 9 else LIGHT[i % 10] for i in range(length)]
        random.Random(e).shuffle(seq)
        out.append(seq)
    return out


def make(kernel: KernelSpace, n: int, batch: int | None) -> VectorEnv:
    env = VectorEnv(kernel, n, task="sql", dataset_dir=str(ROOT / "env/sql/data/shop"), num_threads=2,
                    min_envs_per_thread=1, batch_size=batch, finish_on_success=False)
    env.reset(seed=0)
    return env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--envs", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--batches-per-phase", type=int, default=10)
    args = ap.parse_args()
    n, batch = args.envs, args.batch
    kernel = KernelSpace.from_yaml(str(ROOT / "examples/policies/sql_safety.yaml"))
    seqs = sequences(n)
    sync_env, async_env = make(kernel, n, None), make(kernel, n, batch)
    sync_at, async_at = [0] * n, [0] * n

    def next_queries(at: list[int], ids) -> list[str]:
        out = []
        for e in ids:
            out.append(seqs[e][at[e] % len(seqs[e])])
            at[e] += 1
        return out

    all_ids = np.arange(n, dtype=np.uint32)
    sync_s = async_s = 0.0
    sync_steps = async_steps = 0
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for _ in range(args.batches_per_phase):
            sync_env.step(next_queries(sync_at, range(n)))
        t1 = time.perf_counter()
        target, sent, done = args.batches_per_phase * n, n, 0
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
        sync_s, async_s = sync_s + (t1 - t0), async_s + (t2 - t1)
        sync_steps, async_steps = sync_steps + args.batches_per_phase * n, async_steps + done
    for env in (sync_env, async_env):
        m = env.metrics()
        if m["blocked"] or m["task_errors"]:
            raise SystemExit(f"a benchmark query was denied or failed: {m['blocked']} blocked, "
                             f"{m['task_errors']} errors")
    s, a = sync_steps / sync_s, async_steps / async_s
    print(f"{n} envs, 2 threads: sync step {s:.0f} env-steps/s | async send/recv (batch_size {batch}) "
          f"{a:.0f} env-steps/s = {a / s:.2f}x   [target: >= 1.5x]")


if __name__ == "__main__":
    main()
