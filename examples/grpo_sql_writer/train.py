#!/usr/bin/env python3
"""A transformer that writes its own SQL, trained with GRPO through agentos, under five conditions.

For each seed: one behaviour-cloned prior (imitating correct, wrong and
destructive queries of the training tasks), then five GRPO runs from that
prior, one per condition (ungoverned, penalty, shield, governed,
lagrangian; see engine_env.py), same seeds and same kernel rules. Every
sampled query is executed by the SQL task in one VectorEnv step per batch;
rewards, costs, violations and the SQLite authorizer's counts are the
engine's. After training, greedy SQL for every held-out task is executed
through the engine. See README.md for what each number means.

    python examples/grpo_sql_writer/train.py            # 3 seeds x 5 conditions
    python examples/grpo_sql_writer/train.py --quick    # CI gate, exits 1 on failure
"""
from __future__ import annotations

import argparse
import copy
import multiprocessing
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import task_splits  # noqa: E402
import writer_report  # noqa: E402
import engine_env  # noqa: E402
from grpo_objective import GrpoConfig, group_advantages, grpo_loss  # noqa: E402
from writer_model import ModelConfig, SqlWriter, batch_observations, pad_actions  # noqa: E402
from sql_tokenizer import ObservationTokenizer, SqlTokenizer, question_of  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
DATASET = os.path.join(ROOT, "env", "sql", "data", "shop")
CONDITION_ORDER = ("ungoverned", "penalty", "shield", "governed", "lagrangian")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="CI gate: seeds 1,2 and conditions ungoverned,governed of the full run (same numbers); "
                        "exit 1 unless governed executed violations are 0, audit logs verify and governed "
                        "held-out accuracy beats the prior's")
    p.add_argument("--seeds", default=None, help="comma-separated seeds (default 1,2,3)")
    p.add_argument("--conditions", default=None, help="comma-separated (default all five; quick: ungoverned,governed)")
    p.add_argument("--steps", type=int, default=None, help="GRPO steps per run (default 20)")
    p.add_argument("--prior-epochs", type=int, default=None, help="behaviour-cloning epochs (default 12)")
    p.add_argument("--prior-lr", type=float, default=5e-3, help="behaviour-cloning Adam learning rate")
    p.add_argument("--tasks-per-step", type=int, default=8, help="B: tasks per GRPO step")
    p.add_argument("--group-size", type=int, default=8, help="G: completions per task")
    p.add_argument("--lr", type=float, default=3e-4, help="GRPO Adam learning rate")
    p.add_argument("--temperature", type=float, default=0.7, help="GRPO sampling temperature")
    p.add_argument("--kl", type=float, default=0.02, help="KL coefficient to the prior")
    p.add_argument("--lambda-lr", type=float, default=0.5, help="Lagrange multiplier step size")
    p.add_argument("--jobs", type=int, default=2, help="processes running the jobs (a prior per seed, a run per seed and condition); results do not depend on it")
    p.add_argument("--torch-threads", type=int, default=1, help="torch threads (fixed: results depend on it)")
    p.add_argument("--progress-every", type=int, default=5, help="a progress line every N steps")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="output directory")
    p.add_argument("--no-plot", action="store_true")
    a = p.parse_args(argv)
    if a.seeds is None:
        a.seeds = "1,2" if a.quick else "1,2,3"
    if a.conditions is None:
        a.conditions = "ungoverned,governed" if a.quick else ",".join(CONDITION_ORDER)
    a.seeds = [int(s) for s in a.seeds.split(",") if s]
    a.conditions = [c for c in a.conditions.split(",") if c]
    for c in a.conditions:
        if c not in engine_env.CONDITIONS:
            p.error("unknown condition %r" % c)
    if a.steps is None:
        a.steps = 20
    if a.prior_epochs is None:
        a.prior_epochs = 12
    return a


class Progress:
    """A line per N steps into a log; an updating line on a terminal."""

    def __init__(self, every: int):
        self.every = every
        self.tty = sys.stdout.isatty()
        self.t0 = time.monotonic()

    def step(self, label: str, k: int, total: int, text: str):
        if self.tty:
            sys.stdout.write("\r%-100s" % ("%s %d/%d %s" % (label, k, total, text)))
            if k == total:
                sys.stdout.write("\n")
            sys.stdout.flush()
        elif k % self.every == 0 or k == total:
            print("[%6.1fs] %s step %d/%d %s" % (time.monotonic() - self.t0, label, k, total, text), flush=True)


class Workspace:
    """Everything shared by all runs: tasks, observations from the engine, tokenizers, envs."""

    def __init__(self, args):
        self.args = args
        self.tasks = task_splits.load_tasks(DATASET)
        self.groups = task_splits.split_tasks(self.tasks)
        n = args.tasks_per_step * args.group_size
        reader = engine_env.SqlEnv("ungoverned", DATASET, len(self.tasks), n)
        self.observation = {}
        everything = list(range(len(self.tasks)))
        for s in range(0, len(everything), n):
            chunk = everything[s:s + n]
            padded = chunk + [chunk[-1]] * (n - len(chunk))
            for j, text in enumerate(reader.observations(padded)[:len(chunk)]):
                self.observation[chunk[j]] = text
        reader.close()
        self.question = {i: question_of(t) for i, t in self.observation.items()}
        for i, t in enumerate(self.tasks):
            if self.question[i] != t["question"]:
                raise RuntimeError("engine task %d is not tasks.jsonl line %d" % (i, i))
        self.prior_data = task_splits.prior_examples(self.tasks, self.groups["train"])
        with open(os.path.join(DATASET, "schema.sql"), encoding="utf-8") as f:
            schema = f.read()
        self.sql_tok = SqlTokenizer.from_data(schema, [sql for _, sql, _ in self.prior_data])
        self.obs_tok = ObservationTokenizer()
        self.encoded = {i: self.obs_tok.encode(t) for i, t in self.observation.items()}
        self.max_len = ModelConfig().max_sql
        self.eval_tasks = self.groups["held_out_instances"] + self.groups["held_out_families"]
        self.eval_env = engine_env.SqlEnv("ungoverned", DATASET, len(self.tasks), len(self.eval_tasks))

    def close(self):
        self.eval_env.close()

    def obs_batch(self, tasks):
        return batch_observations([self.encoded[t] for t in tasks])

    def decode(self, actions, tasks) -> list:
        return [self.sql_tok.decode(actions[i].tolist(), self.question[t]) for i, t in enumerate(tasks)]


# ---- the prior ------------------------------------------------------------------------

def train_prior(ws: Workspace, seed: int) -> SqlWriter:
    """Behaviour cloning on every candidate of the training tasks (correct, wrong, destructive)."""
    torch.manual_seed(seed)
    model = SqlWriter(ws.sql_tok, ws.obs_tok)
    by_task: dict = {}
    for t, sql, _ in ws.prior_data:
        by_task.setdefault(t, []).append(ws.sql_tok.encode(sql, ws.question[t]))
    task_list = sorted(by_task)
    opt = torch.optim.Adam(model.parameters(), lr=ws.args.prior_lr)
    g = torch.Generator().manual_seed(seed)
    tasks_per_batch = 8  # all candidates of 8 tasks: each observation is encoded once
    for epoch in range(ws.args.prior_epochs):
        order = torch.randperm(len(task_list), generator=g).tolist()
        total, count = 0.0, 0
        for s in range(0, len(order), tasks_per_batch):
            tasks = [task_list[k] for k in order[s:s + tasks_per_batch]]
            seqs = [ids for t in tasks for ids in by_task[t]]
            counts = torch.tensor([len(by_task[t]) for t in tasks])
            actions, mask = pad_actions(seqs, ws.sql_tok.pad_id, ws.sql_tok.eos_id)
            rows = torch.arange(len(tasks)).repeat_interleave(counts)
            logp = model.bucketed_log_probs(actions, model.encode(ws.obs_batch(tasks)), rows)
            loss = -(logp * mask).sum() / mask.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss.detach()) * len(seqs)
            count += len(seqs)
        print("  prior seed %d epoch %d/%d: token NLL %.3f" % (seed, epoch + 1, ws.args.prior_epochs, total / count),
              flush=True)
    return model


# ---- evaluation -----------------------------------------------------------------------

def evaluate(ws: Workspace, model: SqlWriter) -> dict:
    """Greedy SQL for every held-out task, executed by the engine in one step."""
    tasks = ws.eval_tasks
    with torch.no_grad():
        enc = model.encode(ws.obs_batch(tasks))
        actions = model.generate(enc, ws.max_len, greedy=True)
    sql = ws.decode(actions, tasks)
    out = ws.eval_env.run(tasks, sql)
    safe = out.success & (out.violations == 0)
    n_inst = len(ws.groups["held_out_instances"])
    res = {}
    for name, sl in (("held_out", slice(None)), ("instances", slice(0, n_inst)), ("families", slice(n_inst, None))):
        res[name] = {"exec_acc": float(out.success[sl].mean()), "safe_acc": float(safe[sl].mean()),
                     "violating": float((out.violations[sl] > 0).mean())}
    res["examples"] = [{"task": ws.tasks[t]["id"], "sql": s, "correct": bool(c), "violations": int(v)}
                       for t, s, c, v in list(zip(tasks, sql, out.success, out.violations))[::9]]
    return res


# ---- GRPO -----------------------------------------------------------------------------

def run_grpo(ws: Workspace, prior: SqlWriter, condition: str, seed: int, progress: Progress) -> dict:
    a = ws.args
    cfg = GrpoConfig(group_size=a.group_size, kl_coef=a.kl, lr=a.lr, temperature=a.temperature)
    torch.manual_seed(seed)
    policy = copy.deepcopy(prior)
    ref = prior
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(seed * 1000 + 7)
    order_rng = np.random.default_rng(seed)
    n = a.tasks_per_step * a.group_size
    log_path = os.path.join(a.out, "audit", "%s-seed%d.db" % (condition, seed))
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    recorder = engine_env.open_recorder(log_path)
    env = engine_env.SqlEnv(condition, DATASET, len(ws.tasks), n, recorder=recorder)
    lagrangian = engine_env.CONDITIONS[condition]["lagrangian"]
    lam = 0.0
    history = {"attempt_rate": [], "destructive_rate": [], "executed_violations": [], "executed_destructive": [], "success_rate": [], "reward": [], "cost": [],
               "lambda": []}
    queue: list = []
    for step in range(1, a.steps + 1):
        if len(queue) < a.tasks_per_step:
            queue += order_rng.permutation(ws.groups["train"]).tolist()
        tasks, queue = queue[:a.tasks_per_step], queue[a.tasks_per_step:]
        obs = ws.obs_batch(tasks)
        with torch.no_grad():
            actions = policy.generate(policy.encode(obs), ws.max_len, group=a.group_size, generator=gen,
                                      temperature=cfg.temperature)
        env_tasks = [t for t in tasks for _ in range(a.group_size)]
        out = env.run(env_tasks, ws.decode(actions, env_tasks))
        signal = out.reward - lam * out.cost if lagrangian else out.reward
        adv = group_advantages(torch.from_numpy(signal), a.group_size, cfg.adv_eps)
        mask = actions != policy.pad_id
        rows = torch.arange(len(tasks)).repeat_interleave(a.group_size)
        with torch.no_grad():
            ref_logp = ref.bucketed_log_probs(actions, ref.encode(obs), rows, cfg.temperature)
        old_logp = None
        for _ in range(cfg.inner_epochs):
            logp = policy.bucketed_log_probs(actions, policy.encode(obs), rows, cfg.temperature)
            if old_logp is None:  # the sampling policy is the one before the first update
                old_logp = logp.detach()
            loss, _ = grpo_loss(logp, old_logp, ref_logp, mask, adv, cfg.clip, cfg.kl_coef)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
        if lagrangian:  # dual ascent on the cost constraint E[cost] <= 0
            lam = max(0.0, lam + a.lambda_lr * float(out.cost.mean()))
        attempts = out.violations > 0
        history["attempt_rate"].append(float(attempts.mean()))
        history["destructive_rate"].append(float(out.critical.mean()))
        history["executed_violations"].append(int((attempts & out.executed).sum()))
        history["executed_destructive"].append(int((out.critical & out.executed).sum()))
        history["success_rate"].append(float(out.success.mean()))
        history["reward"].append(float(out.reward.mean()))
        history["cost"].append(float(out.cost.mean()))
        history["lambda"].append(lam)
        progress.step("seed %d %-10s" % (seed, condition), step, a.steps,
                      "success %.2f violation attempts %.2f destructive %.2f lambda %.2f" % (
                          history["success_rate"][-1], history["attempt_rate"][-1],
                          history["destructive_rate"][-1], lam))
    m = env.metrics()
    env.close()
    audit = engine_env.close_and_verify(recorder, log_path)
    return {"history": history, "eval": evaluate(ws, policy),
            "executed_violations": int(sum(history["executed_violations"])),
            "executed_destructive": int(sum(history["executed_destructive"])),
            "backend_destructive_ops": int(m["backend_destructive_ops"]),
            "changed_database_episodes": int(m["changed_database_episodes"]),
            "engine_steps": int(m["steps"]), "blocked": int(m["blocked"]), "audit": audit}


def deterministic_torch(threads: int) -> None:
    """Fixed thread count and deterministic kernels: the same seed gives the same numbers."""
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    # Deterministic mode also fills every new tensor with NaN to expose reads of
    # uninitialised memory; nothing here reads one, and the fill cost ~10% of the time.
    torch.utils.deterministic.fill_uninitialized_memory = False


# ---- jobs -----------------------------------------------------------------------------
# The work is one prior per seed, then one GRPO run per (seed, condition), each
# starting from its seed's prior saved to a file. Every job is deterministic on
# its own (fixed torch threads, its own seeds, an exact state_dict round trip),
# so the numbers do not depend on --jobs or on which process ran which job.

_WORKER: dict = {}


def _worker_init(args) -> None:
    deterministic_torch(args.torch_threads)
    _WORKER["ws"] = Workspace(args)
    _WORKER["progress"] = Progress(args.progress_every)


def _prior_path(args, seed: int) -> str:
    return os.path.join(args.prior_dir, "prior-seed%d.pt" % seed)


def prior_job(args, seed: int) -> dict:
    ws = _WORKER["ws"]
    prior = train_prior(ws, seed)
    torch.save(prior.state_dict(), _prior_path(args, seed))
    res = {"eval": evaluate(ws, prior)}
    print("  prior seed %d: held-out exec acc %.3f" % (seed, res["eval"]["held_out"]["exec_acc"]), flush=True)
    return res


def grpo_job(args, seed: int, condition: str) -> dict:
    ws = _WORKER["ws"]
    prior = SqlWriter(ws.sql_tok, ws.obs_tok)
    prior.load_state_dict(torch.load(_prior_path(args, seed)))
    return run_grpo(ws, prior, condition, seed, _WORKER["progress"])


def run_all(args) -> dict:
    """runs[row][seed] for row in prior + conditions: a pool of jobs over args.jobs processes."""
    runs: dict = {row: {} for row in ["prior"] + args.conditions}
    with tempfile.TemporaryDirectory(prefix="grpo_sql_writer_priors_") as prior_dir:
        args.prior_dir = prior_dir
        if args.jobs <= 1:
            _worker_init(args)
            for seed in args.seeds:
                runs["prior"][seed] = prior_job(args, seed)
                for c in args.conditions:
                    runs[c][seed] = grpo_job(args, seed, c)
            _WORKER.pop("ws").close()
        else:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(args.jobs, initializer=_worker_init, initargs=(args,)) as pool:
                priors = {seed: pool.apply_async(prior_job, (args, seed)) for seed in args.seeds}
                pending = {}
                # A seed's GRPO runs are queued as soon as its prior exists; an
                # idle process takes whichever job is next (priors first).
                for seed in args.seeds:
                    runs["prior"][seed] = priors[seed].get()
                    for c in args.conditions:
                        pending[(seed, c)] = pool.apply_async(grpo_job, (args, seed, c))
                for (seed, c), job in pending.items():
                    runs[c][seed] = job.get()
        del args.prior_dir
    return runs


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.torch_threads)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.monotonic()
    ws = Workspace(args)
    print("grpo_sql_writer: %d train tasks, %d held-out instances, %d tasks of %d held-out families; "
          "SQL vocabulary %d tokens + %d copy actions; seeds %s; conditions %s; %d steps x %d tasks x %d completions; "
          "%d processes" % (
              len(ws.groups["train"]), len(ws.groups["held_out_instances"]), len(ws.groups["held_out_families"]),
              len(task_splits.HELD_OUT_FAMILIES), ws.sql_tok.vocab_size, ws.sql_tok.num_actions - ws.sql_tok.vocab_size,
              args.seeds, ",".join(args.conditions), args.steps, args.tasks_per_step, args.group_size, args.jobs),
          flush=True)
    runs = run_all(args)
    elapsed = time.monotonic() - t0
    results = writer_report.build_results(args, ws, runs, elapsed)
    ws.close()
    paths = writer_report.write_all(args, results)
    print(results["table_markdown"])
    for p in paths:
        print("wrote %s" % p)
    print("total %.1f s" % elapsed)
    if args.quick:
        failures = writer_report.quick_gate(results)
        for f in failures:
            print("QUICK GATE FAILED: %s" % f)
        if failures:
            return 1
        print("quick gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
