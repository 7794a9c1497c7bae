#!/usr/bin/python3
"""agent_os from Python: what the ctypes boundary costs, as ratios measured in one run.

    /usr/bin/python3 bench/bench_python.py            # ~30 s
    /usr/bin/python3 bench/bench_python.py --quick    # ~10 s, noisier
    /usr/bin/python3 bench/bench_python.py --json out.json
    .venv/bin/python bench/bench_python.py --install-vs-tree   # pip-installed vs in-tree, ~1 min

Needs libagentos.so beside bindings/python/agent_os (or $AGENTOS_LIBRARY) and numpy.

What is compared, for two kernels - "governed" (the three-rule SQL
policy of examples/policies/sql_safety.yaml, as in bench/bench_env.cc) and "allow_all" (the engine with no
policy: what the framework itself costs) - with "SELECT name FROM customers
WHERE id = 42" as every env's action, the no-op task and 1 thread:

 1. Batch step through ctypes: ``VectorEnv.step(packed)`` for 1,024 and 8,192
    envs (actions packed once and reused; results are the zero-copy views),
    against
    a. the same steps in C++ alone: bench_env's BM_Governed / BM_AllowAll
       (envs:N/threads:1), read from its JSON output when the binary exists
       (--bench-env, $AGENTOS_BENCH_ENV, else the newest build/*/bench/bench_env;
       a warning is printed when it is older than the loaded library). The
       Python overhead per call is python - C++, and the overhead per env
       added is the slope of that difference between 1,024 and 8,192 envs
       (targets: <= 5 us per call, <= 5 ns per env);
    b. the bare ctypes call (``lib.agentos_venv_step`` with cached addresses):
       how much of the time is agent_os's wrapper rather than ctypes and the
       engine (and the baseline when bench_env is missing).
 2. A Python loop of single-env steps: 1,024 VectorEnv(num_envs=1), each
    stepped once (the fastest single-env path, packed action reused), against
    one batch step of 1,024 envs (target: batch >= 50x faster). The ratio is
    bounded by (Python cost of one call + engine cost of one env-step) /
    (engine cost of one env-step): the cheaper the env-step, the larger.
 3. One ``KernelSpace.check`` against the pure-Python regex checker of the
    kind agentos replaces (bench/regex_baseline_checker.py), over the same
    statements; and ``check_batch`` per statement. The regex checker is
    shown for speed only: tests/python/test_regex_baseline.py shows the
    destructive statements it lets through.

--install-vs-tree compares ``VectorEnv.step`` (governed, 1,024 and 8,192
envs) of the pip-installed package (this interpreter's site-packages, run
from a scratch directory, no AGENTOS_LIBRARY) against the in-tree build
(bindings/python + build/release/bindings/libagentos.so), with the same
interpreter, in alternating child processes (5 rounds each, fastest kept):
the wheel must not be slower than the build it packages (target: within 5%).

Timing: each figure is CPU time per call (time.process_time; one thread
does all the work), the fastest of several repeats of a loop sized to run
~0.1-0.2 s of CPU, after a warm-up; bench_env's figure is likewise its
cpu_time, fastest repetition. CPU time rather than wall time because the
machine is shared: time spent waiting for the CPU is not the code's cost. Ratios are the
meaningful output; absolute numbers move with the machine's load.
"""

import argparse
import glob
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if os.environ.get("AGENTOS_BENCH_INSTALLED") != "1":
    sys.path.insert(0, str(ROOT / "bindings" / "python"))

import numpy as np  # noqa: E402

from agent_os import KernelSpace  # noqa: E402
from agent_os.vector_env import VectorEnv  # noqa: E402

POLICY = """version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
"""
ACTION = "SELECT name FROM customers WHERE id = 42"
SIZES = (1024, 8192)
CHECK_STATEMENTS = [
    "SELECT name FROM customers WHERE id = 42",
    "UPDATE orders SET status = 'paid' WHERE id = 7",
    "SELECT o.id, SUM(i.quantity * i.unit_price) FROM orders o JOIN order_items i ON i.order_id = o.id "
    "WHERE o.status <> 'cancelled' GROUP BY o.id ORDER BY 2 DESC LIMIT 10",
    "DROP TABLE customers",
]


def timed(fn, *, repeats, target_s):
    """CPU seconds per call of fn(): the fastest of `repeats` loops. CPU time
    (time.process_time; everything here runs on one thread) rather than wall
    time, so that other processes on a shared machine do not count."""
    fn()
    t0 = time.process_time()
    fn()
    one = max(time.process_time() - t0, 1e-6)
    n = max(1, int(target_s / one))
    samples = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        samples.append((time.process_time() - t0) / n)
    return min(samples)


def find_bench_env(explicit):
    """An explicit path, $AGENTOS_BENCH_ENV, else the newest build/*/bench/bench_env."""
    for c in (explicit, os.environ.get("AGENTOS_BENCH_ENV")):
        if c:
            return c if os.path.isfile(c) and os.access(c, os.X_OK) else None
    found = [c for c in glob.glob(str(ROOT / "build/*/bench/bench_env")) if os.access(c, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else None


def cpp_step_times(binary, quick):
    """{(benchmark, num_envs): CPU ns per batch step} from bench_env, 1 thread."""
    flt = "BM_(Governed|AllowAll)/envs:(1024|8192)/threads:1/"
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "bench_env.json")
        cmd = [binary, f"--benchmark_filter={flt}", f"--benchmark_out={out_path}", "--benchmark_out_format=json",
               f"--benchmark_min_time={'0.05' if quick else '0.2'}", f"--benchmark_repetitions={3 if quick else 7}"]
        try:
            subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
            report = json.loads(pathlib.Path(out_path).read_text())
        except (subprocess.SubprocessError, OSError, ValueError) as e:
            print(f"  (bench_env failed: {e})")
            return {}
    res = {}
    for b in report["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        key = (b["name"].split("/")[0], int(b["name"].split("envs:")[1].split("/")[0]))
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6}[b.get("time_unit", "ns")]
        res[key] = min(res.get(key, float("inf")), b["cpu_time"] * scale)  # fastest repetition, as for Python
    return res


def batch_times(kernel, repeats, target):
    """{n: (VectorEnv.step ns, bare ctypes call ns)} for a batch step."""
    out = {}
    for n in SIZES:
        env = VectorEnv(kernel, n, task="noop", num_threads=1)
        env.reset(seed=1)
        packed = env.pack([ACTION] * n)
        py = timed(lambda: env.step(packed), repeats=repeats, target_s=target) * 1e9
        if env.metrics()["blocked"] != 0:
            raise SystemExit("the benchmark action was blocked")
        step, h = env._step_fn, env._h
        a, ln, off = packed.data_addr, packed.data_len, packed.offsets_addr
        raw = timed(lambda: step(h, a, ln, off, n, None), repeats=repeats, target_s=target) * 1e9
        env.close()
        out[n] = (py, raw)
    return out


def single_loop_time(kernel, n, repeats, target):
    """CPU ns for stepping n single-env VectorEnvs once each from a Python loop."""
    singles = [VectorEnv(kernel, 1, task="noop") for _ in range(n)]
    for e in singles:
        e.reset(seed=1)
    one = singles[0].pack([ACTION])

    def loop():
        for e in singles:
            e.step(one)
    t = timed(loop, repeats=max(3, repeats // 2), target_s=target * 2) * 1e9
    for e in singles:
        e.close()
    return t


def step_only(repeats, target):
    """Child of --install-vs-tree: governed VectorEnv.step times as JSON."""
    import agent_os
    from agent_os import _lib
    kernel = KernelSpace.from_yaml_text(POLICY, "bench_python.yaml")
    times = {str(n): t[0] for n, t in batch_times(kernel, repeats, target).items()}
    print(json.dumps({"package": agent_os.__file__, "library": str(_lib.path), "step_ns": times}))


def install_vs_tree(rounds=5):
    tree_lib = ROOT / "build" / "release" / "bindings" / "libagentos.so"
    if not tree_lib.is_file():
        raise SystemExit(f"{tree_lib} is missing: bash .ci/build release --target agentos")
    script = str(pathlib.Path(__file__).resolve())
    base = {k: v for k, v in os.environ.items() if k not in ("AGENTOS_LIBRARY", "AGENTOS_BENCH_INSTALLED")}
    variants = {"installed": dict(base, AGENTOS_BENCH_INSTALLED="1"),
                "in-tree": dict(base, AGENTOS_LIBRARY=str(tree_lib))}
    best, where = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(rounds):
            for name, env in variants.items():
                r = subprocess.run([sys.executable, script, "--step-only"], env=env, cwd=scratch, capture_output=True,
                                   text=True, timeout=600)
                if r.returncode != 0:
                    raise SystemExit(f"{name} run failed:\n{r.stderr}")
                out = json.loads(r.stdout.strip().splitlines()[-1])
                where[name] = (out["package"], out["library"])
                for n, ns in out["step_ns"].items():
                    best[(name, n)] = min(best.get((name, n), float("inf")), ns)
    if pathlib.Path(where["installed"][0]).is_relative_to(ROOT / "bindings"):
        raise SystemExit("the 'installed' run imported bindings/python: pip install . into this interpreter first")
    print(f"VectorEnv.step, governed, 1 thread (CPU time, fastest of {rounds} alternating runs x 3 repeats)")
    for name, (pkg, lib) in where.items():
        print(f"  {name:<9}: {pkg}\n             {lib}")
    result = {}
    for n in (str(s) for s in SIZES):
        inst, tree = best[("installed", n)], best[("in-tree", n)]
        result[n] = {"installed_ns": inst, "in_tree_ns": tree, "ratio": inst / tree}
        print(f"  {int(n):>5} envs: installed {inst / 1e3:8.2f} us   in-tree {tree / 1e3:8.2f} us   "
              f"installed/in-tree {inst / tree:.3f}")
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--install-vs-tree", action="store_true",
                    help="pip-installed package vs the in-tree build, VectorEnv.step only")
    ap.add_argument("--step-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--bench-env", help="path to the bench_env binary (default: the newest build/*/bench/bench_env)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    repeats, target = (3, 0.05) if args.quick else (7, 0.15)
    if args.step_only:
        return step_only(3, target)
    if args.install_vs_tree:
        return install_vs_tree()
    kernels = {"governed": ("BM_Governed", KernelSpace.from_yaml_text(POLICY, "bench_python.yaml")),
               "allow_all": ("BM_AllowAll", KernelSpace.allow_all())}
    binary = find_bench_env(args.bench_env)
    stale = None
    if binary:
        from agent_os import _lib
        if os.path.getmtime(binary) < os.path.getmtime(_lib.path) - 60:
            stale = (f"{binary} is older than {_lib.path}: the two may come from different sources; "
                     "rebuild both (cmake --build <dir> --target agentos bench_env)")
    cpp = cpp_step_times(binary, args.quick) if binary else {}
    results = {"policy": "three-rule SQL policy (governed) / allow-all", "action": ACTION, "threads": 1,
               "bench_env": binary, "bench_env_warning": stale, "timing": "CPU time, fastest repeat"}
    lo, hi = SIZES
    print(f"agent_os Python benchmark (1 thread; CPU time, fastest of {repeats} repeats)")
    if stale:
        print(f"WARNING: {stale}")
    for label, (bm, kernel) in kernels.items():
        t = batch_times(kernel, repeats, target)
        py = {n: t[n][0] for n in SIZES}
        raw = {n: t[n][1] for n in SIZES}
        c = {n: cpp.get((bm, n)) for n in SIZES}
        have_cpp = all(v is not None for v in c.values())
        base = c if have_cpp else raw
        base_name = f"C++ alone (bench_env {bm})" if have_cpp else "the bare ctypes call (bench_env not found)"
        ovh = {n: py[n] - base[n] for n in SIZES}
        per_env = (ovh[hi] - ovh[lo]) / (hi - lo)
        loop = single_loop_time(kernel, lo, repeats, target)
        results[label] = {
            "batch_step_ns": {str(n): {"python": py[n], "bare_ctypes": raw[n], "cpp": c[n]} for n in SIZES},
            "overhead": {"baseline": base_name, "per_call_us_1024": ovh[lo] / 1e3, "per_call_us_8192": ovh[hi] / 1e3,
                         "per_env_added_ns": per_env, "wrapper_over_bare_ctypes_us_1024": (py[lo] - raw[lo]) / 1e3},
            "single_env_loop": {"envs": lo, "loop_ns": loop, "batch_ns": py[lo], "speedup": loop / py[lo]},
        }
        print(f"\n[{label}] 1. batch step, per call   {'1,024 envs':>14} {'8,192 envs':>14}")
        print(f"   VectorEnv.step (ctypes)       {py[lo] / 1e3:>11.2f} us {py[hi] / 1e3:>11.2f} us")
        print(f"   bare ctypes call              {raw[lo] / 1e3:>11.2f} us {raw[hi] / 1e3:>11.2f} us")
        if have_cpp:
            print(f"   C++ alone ({bm:<12})      {c[lo] / 1e3:>11.2f} us {c[hi] / 1e3:>11.2f} us")
        print(f"   Python overhead vs {base_name}: {ovh[lo] / 1e3:.2f} us per call at 1,024, "
              f"{ovh[hi] / 1e3:.2f} us at 8,192 (target <= 5 us); {per_env:.2f} ns per env added (target <= 5 ns)")
        print(f"   agent_os wrapper over the bare ctypes call: {(py[lo] - raw[lo]) / 1e3:.2f} us per call")
        print(f"[{label}] 2. 1,024 single-env steps in a Python loop: {loop / 1e3:.0f} us vs one batch step "
              f"{py[lo] / 1e3:.0f} us -> batch {loop / py[lo]:.0f}x faster (target >= 50x)")

    # ---- 3. one check vs the regex baseline ------------------------------------------
    kernel = kernels["governed"][1]
    spec = importlib.util.spec_from_file_location("regex_baseline_checker", ROOT / "bench/regex_baseline_checker.py")
    regex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regex)
    checks = {}
    for sql in CHECK_STATEMENTS:
        k_ns = timed(lambda: kernel.check(sql), repeats=repeats, target_s=target) * 1e9
        r_ns = timed(lambda: regex.check(sql), repeats=repeats, target_s=target) * 1e9
        checks[sql[:40]] = {"kernel_check_ns": k_ns, "regex_ns": r_ns, "regex_over_kernel": r_ns / k_ns,
                            "kernel_allowed": kernel.check(sql).allowed, "regex_allowed": regex.check(sql)[0]}
    batch = CHECK_STATEMENTS * 256
    b_ns = timed(lambda: kernel.check_batch(batch), repeats=repeats, target_s=target) * 1e9 / len(batch)
    results["check"] = {"statements": checks, "check_batch_ns_per_statement": b_ns}
    print("\n3. one check, per call                      kernel.check  regex baseline  regex/kernel")
    for sql, c in checks.items():
        print(f"   {sql:<40} {c['kernel_check_ns'] / 1e3:>7.2f} us {c['regex_ns'] / 1e3:>11.2f} us "
              f"{c['regex_over_kernel']:>10.2f}x   (allowed: kernel {c['kernel_allowed']}, "
              f"regex {c['regex_allowed']})")
    print(f"   check_batch: {b_ns:.0f} ns per statement ({len(batch)} statements per call)")
    print("   (the regex baseline lets destructive SQL through: tests/python/test_regex_baseline.py)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
