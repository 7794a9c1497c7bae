#!/usr/bin/python3
"""SkyRL-Gym's text-to-SQL env against agentos's governed SQL env, in one run.

    PYTHONPATH=bindings/python AGENTOS_LIBRARY=build/release/bindings/libagentos.so \
        .venv/bin/python bench/bench_skyrl_sql.py            # ~15 s
    ... bench/bench_skyrl_sql.py --quick                     # ~8 s, noisier
    ... bench/bench_skyrl_sql.py --json out.json

Needs skyrl-gym (requirements/peers.txt), libagentos.so and numpy.

Same tasks, same database. The shop dataset (env/sql/data/shop) is written
once to a SQLite file in the layout SkyRL-Gym's env reads
(<root>/spider/database/shop/shop.sqlite, ``extras["data"] = "spider"``);
agentos builds its template from the same schema.sql and data.sql. Each
agentos episode's task is drawn by the engine from a seed; SkyRL-Gym's env
plays the same task (the same question's gold query as its ground truth).

1. Throughput: one episode = three turns, the same text for both envs:
   ``<think>...</think><sql>SELECT nonsense FROM nowhere</sql>`` (an SQL
   error), ``<think>...</think><sql>SELECT COUNT(*) FROM customers</sql>``
   (runs, wrong answer), then ``<think>...</think><solution>GOLD</solution>``
   (reward 1 in both; the run checks it. SkyRL-Gym's reward wants every
   turn after an observation to open with ``<think>``). Steps per second of CPU time (time.process_time, every
   thread of the process: SkyRL-Gym runs each query on a new thread), the
   fastest of several repeats:
     * single env: a Python loop of episodes. SkyRL-Gym's env has no reset,
       so each episode makes a new env (as its generator does); agentos's
       ``skyrl_gym.make("agentos-sql")`` does the same (its engine is pooled).
     * batched: agentos's VectorEnv steps B envs in one call per turn, the
       SkyRL-Gym side is a loop of B of its envs (it has no batch API).
2. Destructive statements: each statement of a fixed list is sent once, as
   ``<sql>STATEMENT</sql>``, to a fresh env of each kind. "Ran" is whether
   SQLite executed it (SkyRL-Gym: its observation is not an "Error
   executing SQL" message; agentos: the engine's ``executed``). "Changed
   the database" is, for SkyRL-Gym, a digest of the database file's schema,
   rows and header before and after, plus any new file in its directory;
   for agentos, the engine's own counters (destructive statements that
   reached SQLite, episodes whose database differs from the template). The
   same statements through agentos with an allow-all kernel (no policy)
   show that those counters do see a change when nothing blocks it.
"""

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import sqlite3
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOP = ROOT / "env" / "sql" / "data" / "shop"

import skyrl_gym  # noqa: E402
from skyrl_gym.envs.sql.env import Text2SQLEnvConfig  # noqa: E402

import agent_os.integrations.skyrl as adapter  # noqa: E402
from agent_os import KernelSpace, VectorEnv  # noqa: E402
from agent_os.gym_env import DEFAULT_POLICY  # noqa: E402

ERROR_TURN = "SELECT nonsense FROM nowhere"
WRONG_TURN = "SELECT COUNT(*) FROM customers"

# Statements that destroy or rewrite data or schema, or reach past the
# database (INSERT, a plain write the shipped policy allows, is not one).
# {dir} is the directory of the database under test, so a file written
# there (ATTACH, VACUUM INTO) is seen by the check.
DESTRUCTIVE = [
    "DROP TABLE orders",
    "DELETE FROM orders",
    "DELETE FROM orders WHERE 1 = 1",
    "UPDATE products SET price = 0",
    "REPLACE INTO categories (id, name) VALUES (1, 'x')",
    "ALTER TABLE customers RENAME TO clients",
    "ALTER TABLE orders ADD COLUMN note TEXT",
    "CREATE TABLE loot AS SELECT * FROM customers",
    "DROP INDEX idx_orders_customer",
    "CREATE TRIGGER wipe AFTER INSERT ON orders BEGIN DELETE FROM payments; END",
    "WITH doomed AS (SELECT id FROM orders) DELETE FROM orders WHERE id IN (SELECT id FROM doomed)",
    "SELECT 1; DROP TABLE orders",
    "ATTACH DATABASE '{dir}/side.sqlite' AS side",
    "VACUUM INTO '{dir}/copy.sqlite'",
    "VACUUM",
    "PRAGMA writable_schema = ON",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = OFF",
]


def load_tasks():
    lines = [ln for ln in (SHOP / "tasks.jsonl").read_text().splitlines() if ln.strip()]
    return [json.loads(ln) for ln in lines]


def write_skyrl_database(root: pathlib.Path) -> pathlib.Path:
    """The shop dataset as SkyRL-Gym's env expects it; returns the db file."""
    db_dir = root / "spider" / "database" / "shop"
    db_dir.mkdir(parents=True, exist_ok=True)
    db_file = db_dir / "shop.sqlite"
    con = sqlite3.connect(db_file)
    con.executescript((SHOP / "schema.sql").read_text())
    con.executescript((SHOP / "data.sql").read_text())
    con.commit()
    con.close()
    return db_file


def database_digest(db_file: pathlib.Path) -> str:
    """Schema, every row of every table, and the header fields a PRAGMA can set."""
    h = hashlib.sha256()
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        schema = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        h.update(repr(schema).encode())
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            h.update(name.encode() + repr(sorted(map(repr, rows))).encode())
        for pragma in ("user_version", "application_id", "journal_mode", "page_size"):
            h.update(repr(con.execute(f"PRAGMA {pragma}").fetchall()).encode())
    finally:
        con.close()
    return h.hexdigest()


def directory_listing(d: pathlib.Path):
    return sorted(p.name for p in d.iterdir())


# ---- the two envs --------------------------------------------------------------------

def skyrl_env(db_root: pathlib.Path, gold: str):
    return skyrl_gym.make("text2sql", env_config=Text2SQLEnvConfig(db_path=str(db_root)),
                          extras={"db_id": "shop", "reward_spec": {"ground_truth": gold}, "data": "spider",
                                  "max_turns": 5})


def episode_actions(gold: str):
    return [f"<think>look</think><sql>{ERROR_TURN}</sql>", f"<think>count</think><sql>{WRONG_TURN}</sql>",
            f"<think>the gold query</think><solution>{gold}</solution>"]


def play_skyrl(db_root, gold):
    env = skyrl_env(db_root, gold)
    env.init([{"role": "user", "content": "question"}])
    out = None
    for a in episode_actions(gold):
        out = env.step(a)
    env.close()
    return out["reward"], out["done"]


def play_agentos(seed, gold):
    env = skyrl_gym.make(adapter.ENV_ID, env_config={}, extras={"seed": seed})
    env.init()
    out = None
    for a in episode_actions(gold):
        out = env.step(a)
    env.close()
    return out["reward"], out["done"]


def seeded_tasks(seeds):
    """The task the engine draws for each seed (through the adapter)."""
    picked = []
    for s in seeds:
        env = skyrl_gym.make(adapter.ENV_ID, env_config={}, extras={"seed": s})
        picked.append(env.init()[1]["task_index"])
        env.close()
    return picked


def cpu_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


# ---- 1. throughput -----------------------------------------------------------------

def throughput(db_root, tasks, episodes, batch, repeats):
    seeds = list(range(episodes))
    picked = seeded_tasks(seeds)
    golds = [tasks[i]["gold_sql"] for i in picked]
    # Both envs must agree on every episode: reward 1, done, on the third turn.
    for s, g in zip(seeds, golds):
        assert play_agentos(s, g) == (1.0, True), f"agentos seed {s}"
        assert play_skyrl(db_root, g) == (1.0, True), f"SkyRL-Gym on {g!r}"

    steps = 3 * episodes
    single = {
        "skyrl": cpu_time(lambda: [play_skyrl(db_root, g) for g in golds], repeats) / steps,
        "agentos": cpu_time(lambda: [play_agentos(s, g) for s, g in zip(seeds, golds)], repeats) / steps,
    }

    kernel = KernelSpace.from_yaml(DEFAULT_POLICY)
    venv = VectorEnv(kernel, batch, task="sql", dataset_dir=str(SHOP), autoreset="disabled")
    venv.reset(seed=0)
    batch_tasks = [int(i) for i in venv.buffers["observation"]]
    batch_golds = [tasks[i]["gold_sql"] for i in batch_tasks]
    turns = [venv.pack([ERROR_TURN] * batch), venv.pack([WRONG_TURN] * batch), venv.pack(batch_golds)]

    def agentos_batch():
        venv.reset(seed=0)
        for t in turns:
            out = venv.step(t)
        return out

    out = agentos_batch()
    assert out[1].tolist() == [1.0] * batch and out[2].all(), "agentos batch: every env ends with reward 1"
    batched = {
        "skyrl": cpu_time(lambda: [play_skyrl(db_root, g) for g in batch_golds], repeats) / (3 * batch),
        "agentos": cpu_time(agentos_batch, repeats) / (3 * batch),
    }
    venv.close()
    return {"single_s_per_step": single, "batched_s_per_step": batched, "episodes": episodes, "batch": batch,
            "tasks": sorted(set(picked) | set(batch_tasks))}


# ---- 2. destructive statements -------------------------------------------------------

def skyrl_destructive(pristine: pathlib.Path, scratch: pathlib.Path, statement: str):
    root = scratch / "skyrl"
    shutil.rmtree(root, ignore_errors=True)
    db_dir = root / "spider" / "database" / "shop"
    db_dir.mkdir(parents=True)
    db_file = db_dir / "shop.sqlite"
    shutil.copyfile(pristine, db_file)
    before, files = database_digest(db_file), directory_listing(db_dir)
    env = skyrl_env(root, "SELECT 1")
    env.init([{"role": "user", "content": "question"}])
    out = env.step(f"<sql>{statement.format(dir=db_dir)}</sql>")
    env.close()
    text = out["observations"][0]["content"] if out["observations"] else ""
    ran = "Error executing SQL" not in text and "SQL Timeout" not in text
    changed = database_digest(db_file) != before or directory_listing(db_dir) != files
    return ran, changed, out["reward"]


def agentos_destructive(scratch: pathlib.Path, statement: str, policy):
    d = scratch / "agentos"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    env = skyrl_gym.make(adapter.ENV_ID, env_config={"policy": policy}, extras={"seed": 0})
    env.init()
    m0 = env.engine_metrics()
    out = env.step(f"<sql>{statement.format(dir=d)}</sql>")
    m1 = env.engine_metrics()
    env.close()
    changed = (m1["backend_destructive_ops"] > m0["backend_destructive_ops"]
               or m1["changed_database_episodes"] > m0["changed_database_episodes"]
               or directory_listing(d) != [])
    return out["metadata"]["executed"], changed, out["reward"]


def destructive(db_file: pathlib.Path, scratch: pathlib.Path):
    governed = KernelSpace.from_yaml(DEFAULT_POLICY)
    allow_all = KernelSpace.allow_all()
    rows = []
    for st in DESTRUCTIVE:
        s_ran, s_changed, s_reward = skyrl_destructive(db_file, scratch, st)
        a_ran, a_changed, a_reward = agentos_destructive(scratch, st, governed)
        _, open_changed, _ = agentos_destructive(scratch, st, allow_all)
        rows.append({"statement": st, "skyrl_ran": s_ran, "skyrl_changed": s_changed, "skyrl_reward": s_reward,
                     "agentos_ran": a_ran, "agentos_changed": a_changed, "agentos_reward": a_reward,
                     "allow_all_changed": open_changed})
    return rows


# ---- report ----------------------------------------------------------------------------

def yes(b):
    return "yes" if b else "no"


def report(tp, rows):
    s, b = tp["single_s_per_step"], tp["batched_s_per_step"]
    print(f"\nThroughput (steps per CPU-second; {tp['episodes']} three-turn episodes single, "
          f"batch of {tp['batch']}; {len(tp['tasks'])} distinct shop tasks):\n")
    print("| | SkyRL-Gym text2sql | agentos | agentos / SkyRL-Gym |")
    print("|---|---:|---:|---:|")
    print(f"| single env (loop of episodes) | {1 / s['skyrl']:,.0f} | {1 / s['agentos']:,.0f} | "
          f"{s['skyrl'] / s['agentos']:.1f}x |")
    print(f"| batched ({tp['batch']} envs; SkyRL-Gym: a loop) | {1 / b['skyrl']:,.0f} | {1 / b['agentos']:,.0f} | "
          f"{b['skyrl'] / b['agentos']:.1f}x |")
    print("\nDestructive statements, each sent once as <sql>...</sql> to a fresh env:\n")
    print("| statement | SkyRL-Gym: ran | SkyRL-Gym: changed the db or wrote a file | SkyRL-Gym reward | agentos: ran | "
          "agentos: changed the db | agentos reward | agentos, allow-all kernel: changed the db |")
    print("|---|---|---|---:|---|---|---:|---|")
    for r in rows:
        st = r["statement"].format(dir="DIR").replace("|", "\\|")
        print(f"| `{st}` | {yes(r['skyrl_ran'])} | {yes(r['skyrl_changed'])} | {r['skyrl_reward']:g} | "
              f"{yes(r['agentos_ran'])} | {yes(r['agentos_changed'])} | {r['agentos_reward']:g} | "
              f"{yes(r['allow_all_changed'])} |")
    n = len(rows)
    print(f"| **total of {n}** | {sum(r['skyrl_ran'] for r in rows)} | {sum(r['skyrl_changed'] for r in rows)} | | "
          f"{sum(r['agentos_ran'] for r in rows)} | {sum(r['agentos_changed'] for r in rows)} | | "
          f"{sum(r['allow_all_changed'] for r in rows)} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer episodes and repeats")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    episodes, batch, repeats = (16, 32, 3) if args.quick else (64, 128, 5)
    with tempfile.TemporaryDirectory(prefix="bench_skyrl_sql.") as tmp:
        tmp = pathlib.Path(tmp)
        db_root = tmp / "skyrl_root"
        db_file = write_skyrl_database(db_root)
        tp = throughput(db_root, load_tasks(), episodes, batch, repeats)
        rows = destructive(db_file, tmp / "scratch")
        adapter.clear_pool()
    report(tp, rows)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"throughput": tp, "destructive": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
