#!/usr/bin/env python3
"""CartPole env-steps/s: agentos vs EnvPool vs Gymnasium, in one process run.

    python bench/bench_cartpole.py                 # ~2-3 min on 2 cores
    python bench/bench_cartpole.py --quick         # fewer repeats, noisier
    python bench/bench_cartpole.py --json out.json

Needs libagentos.so beside bindings/python/agent_os (or $AGENTOS_LIBRARY),
numpy, gymnasium and envpool (requirements/envpool.txt).

Engines, each stepping CartPole-v1 with uniformly random actions drawn once
per run (the same actions for every engine), N = 8, 64, 1,024 envs:
  * agentos allow-all: VectorEnv(task="cartpole") under
    KernelSpace.allow_all(): every action still passes the kernel (screen,
    validation, decision, reward, bookkeeping);
  * agentos safety: the same with the numeric zone policy of ZONE_POLICY
    and a safety zone reported as cost (safety_zone=1.0);
  * EnvPool sync: envpool.make("CartPole-v1", env_type="gymnasium",
    num_envs=N, batch_size=N, num_threads=T);
  * Gymnasium SyncVectorEnv and AsyncVectorEnv of CartPole-v1 (one process
    per env for Async: N = 8 and 64 only; 1,024 processes do not fit 2 cores).
Threads T = 1 and 2 for agentos (num_threads) and EnvPool; Gymnasium has
no thread setting (T is "-").

Async mode (EnvPool's send/recv, at N = 64 and 1,024, batch M = N/2 and
N/4, T = 1 and 2; T worker threads step while the Python thread waits in
recv or computes):
  * agentos async: VectorEnv(task="cartpole", num_threads=T, batch_size=M)
    under the allow-all kernel; every env sent once, then each step is
    `obs, rew, term, trunc, info = env.recv(); env.send(actions, info["env_id"])`;
  * EnvPool async: envpool.make(..., num_envs=N, batch_size=M,
    num_threads=T); env.async_reset(), then the same recv/send loop.
Throughput counts M env-steps per recv/send pair.

Throughput = N x steps / wall time of the step loop, best of `repeats`
loops of at least `min_seconds` each (the machine is shared: the best loop
is the least disturbed). Per-call cost: wall time of one step() call at
N = 1 and 1,024 (1 thread), for agentos and EnvPool.

Ratios printed: agentos allow-all / EnvPool sync and agentos safety /
EnvPool sync per (N, T), the targets being >= 1.0 everywhere and >= 1.5 at
N <= 64 (met when both ratios reach it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

import gymnasium as gym  # noqa: E402

from agent_os import KernelSpace  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.vector_env import VectorEnv  # noqa: E402

ZONE_POLICY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "policies",
                           "cartpole_zone.yaml")
SIZES = (8, 64, 1024)
THREADS = (1, 2)
ASYNC_SIZES = (64, 1024)
ASYNC_BATCH_DIVISORS = (2, 4)  # batch_size = N / divisor
ACTION_ROWS = 256  # distinct random action rows cycled through


def timed_loop(step, actions, n, min_seconds, repeats):
    """Best env-steps/s and seconds per call over `repeats` loops."""
    best = 0.0
    best_call = float("inf")
    for _ in range(repeats):
        calls = 0
        start = time.perf_counter()
        while True:
            for row in actions:
                step(row)
            calls += len(actions)
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = max(best, n * calls / elapsed)
        best_call = min(best_call, elapsed / calls)
    return best, best_call


def agentos_env(n, threads, safety):
    kernel = KernelSpace.from_yaml(ZONE_POLICY) if safety else KernelSpace.allow_all()
    extra = {"safety_zone": 1.0} if safety else {}
    env = VectorEnv(kernel, n, task="cartpole", num_threads=threads, config=EnvironmentConfig(max_steps=500),
                    **extra)
    env.reset(seed=0)
    return env, env.step


def envpool_env(n, threads):
    import envpool
    env = envpool.make("CartPole-v1", env_type="gymnasium", num_envs=n, batch_size=n, num_threads=threads)
    env.reset()
    return env, env.step


def agentos_async_env(n, threads, batch, first_actions):
    env = VectorEnv(KernelSpace.allow_all(), n, task="cartpole", num_threads=threads, batch_size=batch,
                    config=EnvironmentConfig(max_steps=500))
    env.reset(seed=0)
    env.send(first_actions, np.arange(n, dtype=np.uint32))

    def step(actions):
        _obs, _rew, _term, _trunc, info = env.recv()
        env.send(actions, info["env_id"])
    return env, step


def envpool_async_env(n, threads, batch):
    import envpool
    env = envpool.make("CartPole-v1", env_type="gymnasium", num_envs=n, batch_size=batch, num_threads=threads)
    env.async_reset()

    def step(actions):
        _obs, _rew, _term, _trunc, info = env.recv()
        env.send(actions, info["env_id"])
    return env, step


def gymnasium_env(n, mode):
    fns = [lambda: gym.make("CartPole-v1") for _ in range(n)]
    env = gym.vector.SyncVectorEnv(fns) if mode == "sync" else gym.vector.AsyncVectorEnv(fns)
    env.reset(seed=0)
    return env, env.step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    min_seconds, repeats = (0.1, 2) if args.quick else (0.25, 3)
    rng = np.random.default_rng(0)
    batches = {n // d for n in ASYNC_SIZES for d in ASYNC_BATCH_DIVISORS}
    rows = {n: [rng.integers(0, 2, size=n, dtype=np.int64) for _ in range(ACTION_ROWS)]
            for n in SIZES + (1,) + tuple(sorted(batches - set(SIZES)))}
    rows32 = {n: [r.astype(np.int32) for r in rs] for n, rs in rows.items()}
    results = []

    def record(engine, n, threads, rate, per_call, batch=None):
        results.append({"engine": engine, "n": n, "threads": threads, "steps_per_s": rate,
                        "us_per_call": per_call * 1e6, "batch": batch if batch is not None else n})
        shown = f" M={batch:4d}" if batch is not None else ""
        print(f"{engine:22s} N={n:5d}{shown} T={threads!s:2s} {rate / 1e6:8.3f} M env-steps/s  "
              f"{per_call * 1e6:9.2f} us/call", flush=True)

    for n in SIZES:
        for t in THREADS:
            for safety in (False, True):
                env, step = agentos_env(n, t, safety)
                rate, call = timed_loop(step, rows[n], n, min_seconds, repeats)
                record("agentos safety" if safety else "agentos allow-all", n, t, rate, call)
                env.close()
            env, step = envpool_env(n, t)
            rate, call = timed_loop(step, rows32[n], n, min_seconds, repeats)
            record("envpool sync", n, t, rate, call)
            env.close()
        for mode in ("sync", "async"):
            if mode == "async" and n > 64:
                continue
            env, step = gymnasium_env(n, mode)
            rate, call = timed_loop(step, [r for r in rows[n][:32]], n, min_seconds, max(1, repeats - 1))
            record(f"gymnasium {mode}", n, "-", rate, call)
            env.close()
    for n in ASYNC_SIZES:
        for d in ASYNC_BATCH_DIVISORS:
            m = n // d
            for t in THREADS:
                env, step = agentos_async_env(n, t, m, rows[n][0])
                rate, call = timed_loop(step, rows[m], m, min_seconds, repeats)
                record("agentos async", n, t, rate, call, m)
                env.close()
                env, step = envpool_async_env(n, t, m)
                rate, call = timed_loop(step, rows32[m], m, min_seconds, repeats)
                record("envpool async", n, t, rate, call, m)
                env.close()
    # Per-call cost at N = 1 (1 thread); N = 1,024 is in the table above.
    env, step = agentos_env(1, 1, False)
    rate, call = timed_loop(step, rows[1], 1, min_seconds, repeats)
    record("agentos allow-all", 1, 1, rate, call)
    env.close()
    env, step = envpool_env(1, 1)
    rate, call = timed_loop(step, rows32[1], 1, min_seconds, repeats)
    record("envpool sync", 1, 1, rate, call)
    env.close()

    def find(engine, n, t):
        return next(r for r in results if r["engine"] == engine and r["n"] == n and r["threads"] == t)

    print("\n| N | threads | agentos allow-all | agentos safety | EnvPool sync | allow-all / EnvPool | "
          "safety / EnvPool | target | Gymnasium sync | Gymnasium async |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for n in SIZES:
        for t in THREADS:
            a, s, e = find("agentos allow-all", n, t), find("agentos safety", n, t), find("envpool sync", n, t)
            ratio = a["steps_per_s"] / e["steps_per_s"]
            safety_ratio = s["steps_per_s"] / e["steps_per_s"]
            target = 1.5 if n <= 64 else 1.0
            met = min(ratio, safety_ratio) >= target
            ratios.append({"n": n, "threads": t, "ratio": ratio, "safety_ratio": safety_ratio, "target": target,
                           "met": met})
            gs = next((r for r in results if r["engine"] == "gymnasium sync" and r["n"] == n), None)
            ga = next((r for r in results if r["engine"] == "gymnasium async" and r["n"] == n), None)
            fmt = lambda r: f"{r['steps_per_s'] / 1e6:.3f} M" if r else "not run"  # noqa: E731
            print(f"| {n} | {t} | {fmt(a)} | {fmt(s)} | {fmt(e)} | {ratio:.2f}x | {safety_ratio:.2f}x | "
                  f">= {target}x {'met' if met else 'NOT met'} | {fmt(gs)} | {fmt(ga)} |")
    print("\n| async N | batch M | threads | agentos async | EnvPool async | agentos / EnvPool |")
    print("|---:|---:|---:|---:|---:|---:|")
    async_ratios = []
    for n in ASYNC_SIZES:
        for d in ASYNC_BATCH_DIVISORS:
            m = n // d
            for t in THREADS:
                a = next(r for r in results if r["engine"] == "agentos async" and r["n"] == n and r["batch"] == m
                         and r["threads"] == t)
                e = next(r for r in results if r["engine"] == "envpool async" and r["n"] == n and r["batch"] == m
                         and r["threads"] == t)
                ratio = a["steps_per_s"] / e["steps_per_s"]
                async_ratios.append({"n": n, "batch": m, "threads": t, "ratio": ratio})
                print(f"| {n} | {m} | {t} | {a['steps_per_s'] / 1e6:.3f} M | {e['steps_per_s'] / 1e6:.3f} M | "
                      f"{ratio:.2f}x |")
    print("\n| per step() call, 1 thread | agentos allow-all | EnvPool sync |")
    print("|---|---:|---:|")
    for n in (1, 1024):
        print(f"| N = {n} | {find('agentos allow-all', n, 1)['us_per_call']:.2f} us | "
              f"{find('envpool sync', n, 1)['us_per_call']:.2f} us |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "ratios": ratios, "async_ratios": async_ratios, "cpus": os.cpu_count()},
                      f, indent=1)


if __name__ == "__main__":
    main()
