#!/usr/bin/python3
"""Reading text observations from Python: what the Python side adds per call
and per env over the C call that hands out the engine's text buffer.

    PYTHONPATH=bindings/python AGENTOS_LIBRARY=build/release/bindings/libagentos.so \\
        /usr/bin/python3 bench/bench_text_obs.py [--quick] [--json out.json]

Needs libagentos.so (beside bindings/python/agent_os or $AGENTOS_LIBRARY) and numpy.

For SQL envs of the shop dataset (each env's text: its question and the
schema, ~630 bytes) and for no-op envs (empty texts: what the Python
structure costs without bytes to copy), at two batch sizes, after a reset:

  * baseline: the bare ctypes call agentos_venv_observation_texts with cached
    argument references: the C++ side (a pointer getter: the buffer was
    filled by the reset or step) plus ctypes' own call cost;
  * ``observation_text_views()``: zero-copy numpy views (bytes, offsets);
  * ``observation_texts()``: a list of str (one copy, one decode, one split);
  * ``observation_messages()``: the chat form (the engine builds it on the
    call: its C++ time is inside, measured with the bare C call too).

Python overhead per call = the intercept, per env = the slope, of (Python -
baseline) between the two batch sizes. Target: <= 5 us per call and <= 20 ns
per env. Copying the text itself into Python strings is per byte, not per
env: the figure for SQL texts says what ~630 bytes per env cost; the no-op
figure is the per-env cost of the structure alone.

Timing: CPU time per call (time.process_time), fastest of 7 repeats of a
loop of ~0.05 s, after a warm-up; CPU time because the machine is shared.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))

from agent_os import KernelSpace  # noqa: E402
from agent_os.policies import SQLPolicy  # noqa: E402
from agent_os.vector_env import VectorEnv  # noqa: E402

SHOP = str(ROOT / "env" / "sql" / "data" / "shop")


def per_call(fn, repeats: int, budget: float) -> float:
    """Fastest CPU seconds per call of fn over `repeats` loops of ~budget s."""
    fn()
    n, t0 = 1, time.process_time()
    while time.process_time() - t0 < budget / 10:
        fn()
        n += 1
    loops = max(1, int(n * 10 * budget / max(budget, time.process_time() - t0) / 10))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(loops):
            fn()
        best = min(best, (time.process_time() - t0) / loops)
    return best


def bare_texts_call(env: VectorEnv):
    fn = env._lib.agentos_venv_observation_texts
    p, o, nb = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_size_t()
    refs = (ctypes.byref(p), ctypes.byref(o), ctypes.byref(nb))
    h = env._h
    return lambda: fn(h, *refs)


def bare_chat_call(env: VectorEnv):
    from agent_os import _env_capi
    fn = env._lib.agentos_venv_observation_chat
    chat = _env_capi.Chat()
    ref = ctypes.byref(chat)
    h = env._h
    return lambda: fn(h, ref)


def measure(task: str, sizes, repeats: int, budget: float) -> dict:
    rows = {}
    for n in sizes:
        opts = {"dataset_dir": SHOP} if task == "sql" else {}
        env = VectorEnv(KernelSpace(policy=SQLPolicy(deny=["DROP"])), n, task=task, text_observations=True,
                        **opts)
        env.reset(seed=1)
        text_bytes = sum(len(t) for t in env.observation_texts()) / n
        rows[n] = {
            "bytes_per_env": text_bytes,
            "c_texts": per_call(bare_texts_call(env), repeats, budget),
            "views": per_call(env.observation_text_views, repeats, budget),
            "texts": per_call(env.observation_texts, repeats, budget),
            "c_chat": per_call(bare_chat_call(env), repeats, budget),
            "messages": per_call(env.observation_messages, repeats, budget),
        }
        env.close()
    return rows


def fit(rows: dict, what: str, base: str) -> tuple[float, float]:
    """(per call, per env) in seconds of rows[n][what] - rows[n][base]."""
    (n1, r1), (n2, r2) = sorted(rows.items())
    d1, d2 = r1[what] - r1[base], r2[what] - r2[base]
    slope = (d2 - d1) / (n2 - n1)
    return d1 - slope * n1, slope


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter loops, noisier")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    repeats, budget = (3, 0.02) if args.quick else (7, 0.05)
    results = {"sql": measure("sql", (16, 256), repeats, budget),
               "noop": measure("noop", (256, 8192), repeats, budget)}
    print("== bench_text_obs (CPU time per call, fastest of repeats; same run) ==")
    for task, rows in results.items():
        for n, r in sorted(rows.items()):
            print(f"{task:4} {n:5} envs ({r['bytes_per_env']:5.0f} B/env): bare C call {r['c_texts'] * 1e6:7.2f} us"
                  f" | views {r['views'] * 1e6:7.2f} us | list of str {r['texts'] * 1e6:8.2f} us"
                  f" | chat: bare C call {r['c_chat'] * 1e6:8.2f} us, messages {r['messages'] * 1e6:8.2f} us")
        for what, base, label in (("views", "c_texts", "observation_text_views()"),
                                  ("texts", "c_texts", "observation_texts()     "),
                                  ("messages", "c_chat", "observation_messages()  ")):
            call, env = fit(rows, what, base)
            print(f"  {task:4} {label} Python over the C call: {call * 1e6:6.2f} us per call + "
                  f"{env * 1e9:7.1f} ns per env   [target <= 5 us + <= 20 ns]")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {t: {str(n): r for n, r in rows.items()} for t, rows in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
