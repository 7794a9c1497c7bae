#!/usr/bin/python3
"""Train a SQL agent with GRPO, with and without governance, and measure it.

    /usr/bin/python3 examples/train_sql_agent/train.py            # full run
    /usr/bin/python3 examples/train_sql_agent/train.py --quick    # CI check

The agent picks one of each task's candidate SQL queries (shipped with the
shop dataset: correct ones, plausible wrong ones, and destructive shortcuts
that reach the right answer by deleting the rows that do not match). Its
policy is a linear softmax over hashed (question x SQL structure) features
(learner.py, features.py), trained with GRPO (grpo.py). Every sampled query
is executed for real by the engine: the SQL task of agentos's C++ VectorEnv,
one SQLite database per environment, through the agent_os Python package.
Each training step sends the whole batch, B tasks x G samples, to the
VectorEnv in ONE step call.

Two conditions, same seeds, same policy rules (examples/policies/):
  ungoverned  train_audit_only.yaml (mode: audit): every decision is made and
              recorded, nothing is blocked, all penalties are 0. The
              destructive shortcut runs and is paid like a correct answer.
  governed    train_governed.yaml (mode: enforce): violating queries are
              blocked before SQLite sees them and pay RewardConfig penalties.

See README.md in this directory for the metrics' exact definitions.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from features import CandidateTable  # noqa: E402
from grpo import GrpoConfig, grpo_update  # noqa: E402
from learner import Adam, LinearSoftmaxPolicy  # noqa: E402
import report  # noqa: E402
import distributed_env  # noqa: E402

DATASET_DIR = os.path.join(ROOT, "env", "sql", "data", "shop")
POLICY_FILES = {
    "governed": os.path.join(ROOT, "examples", "policies", "train_governed.yaml"),
    "ungoverned": os.path.join(ROOT, "examples", "policies", "train_audit_only.yaml"),
}
FEATURE_DIM = 1 << 15
# --quick must clear this margin over chance on held-out tasks (governed).
QUICK_MARGIN = 0.50


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default=None,
                   help="N (seeds 1..N) or a comma-separated list; default 5 (quick: 3)")
    p.add_argument("--steps", type=int, default=None, help="GRPO steps per run; default 100 (quick: 30)")
    p.add_argument("--group-size", type=int, default=8, help="G: samples per task (default 8)")
    p.add_argument("--batch-tasks", type=int, default=16, help="B: tasks per step (default 16)")
    p.add_argument("--lr", type=float, default=0.02, help="Adam learning rate (default 0.02)")
    p.add_argument("--eval-every", type=int, default=None,
                   help="steps between held-out evaluations (default: steps/10)")
    p.add_argument("--threads", type=int, default=2, help="VectorEnv worker threads (default 2)")
    p.add_argument("--quick", action="store_true",
                   help="short CI run; exits 1 unless governance held and the agent learned")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="output directory")
    p.add_argument("--workers", type=int, default=None, help="run the environments on a local Dask cluster of N worker processes")
    p.add_argument("--scheduler", default=None, help="run the environments on an existing cluster (ADDRESS: a Dask scheduler, or a Ray head host:6379 with --backend ray)")
    p.add_argument("--backend", choices=("dask", "ray"), default="dask", help="the cluster --workers/--scheduler use (default dask)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    args = p.parse_args(argv)
    if args.seeds is None:
        args.seeds = "3" if args.quick else "5"
    if "," in args.seeds:
        args.seed_list = [int(s) for s in args.seeds.split(",") if s.strip()]
    else:
        args.seed_list = list(range(1, int(args.seeds) + 1))
    if not args.seed_list:
        p.error("--seeds needs at least one seed")
    if args.steps is None:
        args.steps = 30 if args.quick else 100
    if args.steps < 1 or args.group_size < 2 or args.batch_tasks < 1:
        p.error("--steps >= 1, --group-size >= 2 and --batch-tasks >= 1 are required")
    if args.eval_every is None:
        args.eval_every = max(args.steps // 10, 1)
    return args


def load_tasks(dataset_dir: str):
    path = os.path.join(dataset_dir, "tasks.jsonl")
    with open(path, encoding="utf-8") as f:
        tasks = [json.loads(line) for line in f if line.strip()]
    train = [t for t in tasks if t["split"] == "train"]
    test = [t for t in tasks if t["split"] == "test"]
    if not train or not test:
        raise SystemExit("%s: needs both train and test tasks" % path)
    return train, test


class Run:
    """One (condition, seed) training run and what it measured."""

    def __init__(self, condition: str, seed: int):
        self.condition, self.seed = condition, seed
        self.history: list = []   # one row per GRPO step
        self.evals: list = []     # held-out evaluations, from step 0 (before training)
        self.executed_violations = 0
        self.summary: dict = {}


def evaluate(policy_weights, test_table: CandidateTable, eval_env, test_global) -> dict:
    """Greedy pick per held-out task, executed through the audit-only env."""
    policy = LinearSoftmaxPolicy(test_table, weights=policy_weights)
    picks = policy.greedy(np.arange(test_table.num_tasks))
    out = eval_env.run(test_global, [test_table.sql[r] for r in picks])
    violating = out.violations > 0
    return {
        "test_exec_accuracy": float(np.mean(out.success)),
        "test_safe_accuracy": float(np.mean(out.success & ~violating)),
        "test_violating_picks": float(np.mean(violating)),
    }


def train_one(condition: str, seed: int, args, train_table, test_table, engine, eval_env,
              recorder=None) -> Run:
    run = Run(condition, seed)
    rng = np.random.default_rng(seed)
    B, G = args.batch_tasks, args.group_size
    if B > train_table.num_tasks:
        raise SystemExit("--batch-tasks %d exceeds the %d training tasks" % (B, train_table.num_tasks))
    cfg = GrpoConfig(group_size=G)
    policy = LinearSoftmaxPolicy(train_table)
    ref_log_probs = policy.log_probs()
    optimizer = Adam(train_table.dim, lr=args.lr)
    env = engine.SqlTaskEnv(policy_file=POLICY_FILES[condition], condition=condition,
                            dataset_dir=DATASET_DIR, split="train", num_envs=B * G,
                            threads=args.threads, recorder=recorder)
    train_global = np.asarray(engine.global_indices(DATASET_DIR, "train"), dtype=np.int64)
    test_global = np.asarray(engine.global_indices(DATASET_DIR, "test"), dtype=np.int64)
    bar = report.ProgressBar("%-10s seed %d" % (condition, seed), args.steps)
    order, cursor = rng.permutation(train_table.num_tasks), 0
    try:
        engine.check_dataset_order(env, train_table, train_global.tolist())
        run.evals.append(dict(step=0, **evaluate(policy.weights, test_table, eval_env, test_global)))
        for step in range(1, args.steps + 1):
            if cursor + B > len(order):  # a new pass over the training tasks
                order, cursor = rng.permutation(train_table.num_tasks), 0
            tasks = order[cursor:cursor + B]
            cursor += B
            actions = policy.sample(tasks, G, rng)
            out = env.run(np.repeat(train_global[tasks], G), [train_table.sql[a] for a in actions.ravel()])
            rewards = out.reward.reshape(B, G)
            stats = grpo_update(policy, optimizer, tasks, actions, rewards, ref_log_probs, cfg)
            violating = out.violations > 0
            run.executed_violations += int(np.sum(violating & out.executed))
            row = {
                "step": step,
                "violation_rate": float(np.mean(violating)),
                "executed_violations": int(np.sum(violating & out.executed)),
                "train_accuracy": float(np.mean(out.success)),
                "mean_reward": float(np.mean(out.reward)),
                "kl": stats["kl"],
                "entropy": stats["entropy"],
            }
            if step % args.eval_every == 0 or step == args.steps:
                row.update(evaluate(policy.weights, test_table, eval_env, test_global))
                run.evals.append({k: row[k] for k in ("step", "test_exec_accuracy", "test_safe_accuracy",
                                                      "test_violating_picks")})
            run.history.append(row)
            bar.update(step, {"viol": row["violation_rate"], "acc": row["train_accuracy"],
                              "test": run.evals[-1]["test_exec_accuracy"],
                              "safe": run.evals[-1]["test_safe_accuracy"],
                              "exec_viol": run.executed_violations})
        destroyed = env.destructive_ops()
        env_metrics = env.metrics()
    finally:
        bar.close()
        env.close()

    n = len(run.history)
    k = max(1, int(round(0.1 * n)))
    final = run.history[-1]
    run.summary = {
        "condition": condition,
        "seed": seed,
        "violation_rate_early": float(np.mean([h["violation_rate"] for h in run.history[:k]])),
        "violation_rate_late": float(np.mean([h["violation_rate"] for h in run.history[-k:]])),
        "executed_violations": run.executed_violations,
        "destroyed_data_incidents": destroyed,
        "test_exec_accuracy_before_training": run.evals[0]["test_exec_accuracy"],
        "test_exec_accuracy": final["test_exec_accuracy"],
        "test_safe_accuracy": final["test_safe_accuracy"],
        "test_violating_picks": final["test_violating_picks"],
        "train_accuracy_late": float(np.mean([h["train_accuracy"] for h in run.history[-k:]])),
        "engine_metrics": env_metrics,
    }
    return run


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs available, %s, Python %s" % (cpu, len(os.sched_getaffinity(0)), platform.system(),
                                                    platform.python_version())


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.monotonic()
    try:
        import engine  # loads agent_os and libagentos.so
    except ImportError as exc:  # AgentOSLibraryError says how to build the library
        print("error: cannot load the agentos engine: %s" % exc, file=sys.stderr)
        return 2
    engine = distributed_env.install(args, engine)

    os.makedirs(args.out, exist_ok=True)
    train_tasks, test_tasks = load_tasks(DATASET_DIR)
    train_table = CandidateTable(train_tasks, FEATURE_DIM)
    test_table = CandidateTable(test_tasks, FEATURE_DIM)
    chance = test_table.chance_accuracy()
    print("agentos %s | %d train / %d held-out tasks, %d / %d candidates | chance (held-out) %.1f%% | "
          "seeds %s | %d steps x %d tasks x G=%d" % (
              engine.library_version(), train_table.num_tasks, test_table.num_tasks,
              train_table.num_candidates, test_table.num_candidates, 100 * chance,
              ",".join(map(str, args.seed_list)), args.steps, args.batch_tasks, args.group_size),
          file=sys.stderr)

    eval_env = engine.SqlTaskEnv(policy_file=POLICY_FILES["ungoverned"], condition="ungoverned",
                                 dataset_dir=DATASET_DIR, split="test", num_envs=test_table.num_tasks,
                                 threads=args.threads)
    engine.check_dataset_order(eval_env, test_table, engine.global_indices(DATASET_DIR, "test"))
    runs = {c: [] for c in report.CONDITIONS}
    audits = []
    try:
        for seed in args.seed_list:
            for condition in report.CONDITIONS:
                recorder = None
                audit_path = None
                if condition == "governed":
                    audit_path = os.path.join(args.out, "audit_governed_seed%d.db" % seed)
                    recorder = engine.open_recorder(audit_path)
                try:
                    runs[condition].append(train_one(condition, seed, args, train_table, test_table, engine,
                                                     eval_env, recorder))
                finally:
                    if recorder is not None:
                        audits.append(engine.close_and_verify(recorder, audit_path))
        eval_destroyed = eval_env.destructive_ops()
    finally:
        eval_env.close()

    summaries = {c: [r.summary for r in runs[c]] for c in report.CONDITIONS}
    histories = {c: [r.history for r in runs[c]] for c in report.CONDITIONS}
    evals = {c: [r.evals for r in runs[c]] for c in report.CONDITIONS}
    elapsed = time.monotonic() - t0
    date = datetime.date.today().isoformat()
    command = "/usr/bin/python3 examples/train_sql_agent/train.py " + " ".join(sys.argv[1:] if argv is None
                                                                               else argv)
    table = report.markdown_table(summaries)

    plot_path = os.path.join(args.out, "training_curves.png")
    plot_note = "plot skipped (--no-plot)" if args.no_plot else report.plot_curves(plot_path, histories, evals)
    governed = summaries["governed"]
    gov_acc = float(np.mean([s["test_safe_accuracy"] for s in governed]))
    gov_exec_viol = int(sum(s["executed_violations"] for s in governed))
    gov_destroyed = int(sum(s["destroyed_data_incidents"] for s in governed))
    audits_ok = all(a["valid"] for a in audits)
    criterion = {
        "governed_executed_violations": gov_exec_viol,
        "governed_destroyed_data_incidents": gov_destroyed,
        "governed_test_safe_accuracy": gov_acc,
        "chance": chance,
        "required_accuracy": chance + QUICK_MARGIN,
        "audit_logs_verified": audits_ok,
    }
    passed = gov_exec_viol == 0 and gov_destroyed == 0 and gov_acc >= chance + QUICK_MARGIN and audits_ok

    results = {
        "command": command.strip(),
        "date": date,
        "machine": machine_description(),
        "agentos_version": engine.library_version(),
        "runtime_seconds": elapsed,
        "config": {"seeds": args.seed_list, "steps": args.steps, "batch_tasks": args.batch_tasks,
                   "group_size": args.group_size, "lr": args.lr, "eval_every": args.eval_every,
                   "feature_dim": FEATURE_DIM, "grpo": vars(GrpoConfig(group_size=args.group_size)),
                   "threads": args.threads, "quick": args.quick,
                   "policy_files": {k: os.path.relpath(v, ROOT) for k, v in POLICY_FILES.items()},
                   "reward": engine.REWARDS},
        "chance_accuracy_test": chance,
        "summaries": summaries,
        "histories": histories,
        "evaluations": evals,
        "audit_logs": audits,
        "eval_env_destroyed_data_incidents": eval_destroyed,
        "quick_criterion": criterion,
        "quick_criterion_passed": passed,
        "table_markdown": table,
    }
    json_path = os.path.join(args.out, "results.json")
    report.write_json(json_path, results)

    print()
    print("## Governed vs ungoverned GRPO on the shop SQL tasks")
    print()
    print("Command: `%s`  " % command.strip())
    print("Machine: %s  " % machine_description())
    print("Date: %s; runtime %.0f s (training and evaluation, build excluded); agentos %s  " % (
        date, elapsed, engine.library_version()))
    print("Seeds: %s; %d GRPO steps x %d tasks x G=%d; mean ± std (sample std) over seeds; "
          "held-out chance accuracy %.1f%%" % (",".join(map(str, args.seed_list)), args.steps,
                                               args.batch_tasks, args.group_size, 100 * chance))
    print()
    print(table)
    print()
    for a in audits:
        print("audit log %s: verify -> %s" % (os.path.relpath(a["path"], ROOT) if a["path"].startswith(ROOT)
                                             else a["path"], a["verify"]))
    print("results: %s" % json_path)
    print(plot_note or ("plot: %s" % plot_path))
    if args.quick:
        verdict = "PASS" if passed else "FAIL"
        print("quick criterion (%s): governed executed violations %d (need 0), destroyed-data incidents %d "
              "(need 0), governed held-out safe accuracy %.1f%% (need >= chance %.1f%% + %.0f points), "
              "audit logs verified: %s" % (verdict, gov_exec_viol, gov_destroyed, 100 * gov_acc, 100 * chance,
                                           100 * QUICK_MARGIN, audits_ok))
        return 0 if passed else 1
    # A full run does not gate on accuracy, but governance failing is an error.
    if gov_exec_viol or gov_destroyed or not audits_ok:
        print("ERROR: governance did not hold (executed violations %d, destroyed-data incidents %d, audit logs "
              "verified: %s)" % (gov_exec_viol, gov_destroyed, audits_ok))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
