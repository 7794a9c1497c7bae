#!/usr/bin/python3
"""Three governed agents, one kernel: research -> analysis -> report.

    /usr/bin/python3 examples/multi_agent/pipeline.py [--out DIR]

The agents answer "how did the shop do in <city> in <year>?" from the real
shop database (env/sql/data/shop, loaded into SQLite). They share ONE
KernelSpace through agent_os.iatp.Pipeline, each under its own scope (the
agent id the kernel sees) and its own per-rollout budget, and every action
of every agent goes through the kernel first and into ONE FlightRecorder
audit log, verified at the end.

What each agent is allowed, and what it tries (every rule is enforced by the
C++ kernel; nothing here checks anything itself):

  research_agent  read-only SQL on the shop database, $0.50 per rollout.
                  Also tries to "clean up" cancelled orders with a DELETE
                  before counting: refused, the data is untouched.
  analysis_agent  no database; the stats.* tools only (max 6 calls),
                  $0.20 per rollout. Tries a $0.25 "deep model" pass first
                  (over its budget: refused) and a python.run tool (denied),
                  then does the cheap analysis it can afford.
  report_agent    $0.05 per rollout; its published text must not contain
                  e-mail addresses. Its first draft names the top customers
                  by e-mail: refused; it redacts and publishes.

Every hand-off between agents is itself checked as a message of the agent
that produced it (Pipeline does this), so the report reaches the caller
only because the kernel allowed it.
"""
from __future__ import annotations

import argparse
import collections
import os
import sqlite3
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
try:
    import agent_os  # noqa: F401
except ModuleNotFoundError as exc:  # not installed: use the one in this repository
    if exc.name != "agent_os":
        raise
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

from agent_os import FlightRecorder, is_refusal  # noqa: E402
from agent_os.iatp import Pipeline  # noqa: E402
from agent_os.integrations.agent_lightning import GovernedRunner  # noqa: E402
from agent_os.policies import ContentPolicy, SQLPolicy, ToolPolicy  # noqa: E402
from agent_os.recorder import verify_log  # noqa: E402

SHOP = os.path.join(ROOT, "env", "sql", "data", "shop")
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
BUDGETS = {"research_agent": 0.50, "analysis_agent": 0.20, "report_agent": 0.05}
# What one model call of each agent costs (USD), as a trainer would meter it.
COST = {"plan": 0.04, "deep_model": 0.25, "cheap_model": 0.05, "draft": 0.02}


def open_shop() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for name in ("schema.sql", "data.sql"):
        with open(os.path.join(SHOP, name), encoding="utf-8") as f:
            db.executescript(f.read())
    return db


# ---- the agents: plain callables agent(input, handle) ------------------------

def research_agent(task, handle):
    city, year = task["city"], task["year"]
    handle.spend(COST["plan"], tokens=900, note="plan the queries")
    # A shortcut an RL-trained agent might have learned: drop the rows that
    # should not be counted, then count everything. The kernel refuses it.
    shortcut = handle.sql("DELETE FROM orders WHERE status = 'cancelled'")
    notes = ["cleanup refused: %s" % shortcut.reason] if is_refusal(shortcut) else ["cleanup ran"]
    year_like = "%d-%%" % year
    revenue = handle.sql(
        "SELECT p.category_id, c.name, ROUND(SUM(oi.quantity * oi.unit_price), 2) "
        "FROM orders o JOIN customers cu ON cu.id = o.customer_id "
        "JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id "
        "JOIN categories c ON c.id = p.category_id "
        "WHERE cu.city = '%s' AND o.order_date LIKE '%s' AND o.status <> 'cancelled' "
        "GROUP BY p.category_id ORDER BY 3 DESC" % (city, year_like))
    top = handle.sql(
        "SELECT cu.email, ROUND(SUM(oi.quantity * oi.unit_price), 2) AS spent "
        "FROM orders o JOIN customers cu ON cu.id = o.customer_id JOIN order_items oi ON oi.order_id = o.id "
        "WHERE cu.city = '%s' AND o.order_date LIKE '%s' AND o.status <> 'cancelled' "
        "GROUP BY cu.id ORDER BY spent DESC, cu.id LIMIT 3" % (city, year_like))
    orders = handle.sql(
        "SELECT COUNT(*), SUM(o.status = 'cancelled') FROM orders o JOIN customers cu ON cu.id = o.customer_id "
        "WHERE cu.city = '%s' AND o.order_date LIKE '%s'" % (city, year_like))
    return {"city": city, "year": year, "revenue_by_category": [list(r) for r in revenue],
            "top_customers": [list(r) for r in top], "orders": list(orders[0]), "notes": notes}


def _stats_tools():
    def describe(values):
        values = [float(v) for v in values] or [0.0]
        return {"n": len(values), "total": round(sum(values), 2), "mean": round(statistics.fmean(values), 2),
                "max": max(values)}

    def share(part, whole):
        return round(100.0 * float(part) / float(whole), 1) if whole else 0.0

    return {"stats.describe": describe, "stats.share": share}


def analysis_agent(research, handle):
    notes = list(research["notes"])
    deep = handle.spend(COST["deep_model"], tokens=20000, note="deep model pass")
    if is_refusal(deep):
        notes.append("deep model pass refused: %s" % deep.reason)
    shell = handle.call_tool("python.run", {"code": "import os; os.listdir('/')"})
    if is_refusal(shell):
        notes.append("python.run refused: %s" % shell.reason)
    handle.spend(COST["cheap_model"], tokens=3000, note="cheap model pass")
    revenue = [r[2] for r in research["revenue_by_category"]]
    summary = handle.call_tool("stats.describe", {"values": revenue})
    total_orders, cancelled = research["orders"]
    cancel_share = handle.call_tool("stats.share", {"part": cancelled or 0, "whole": total_orders or 0})
    best = research["revenue_by_category"][0] if research["revenue_by_category"] else None
    return {"city": research["city"], "year": research["year"], "revenue": summary,
            "best_category": best[1] if best else None, "cancelled_pct": cancel_share,
            "top_customers": research["top_customers"], "notes": notes}


def report_agent(analysis, handle):
    handle.spend(COST["draft"], tokens=1500, note="write the draft")
    lines = ["Shop report: %s, %d" % (analysis["city"], analysis["year"]),
             "Revenue EUR %.2f over %d categories (best: %s); %.1f%% of orders cancelled." % (
                 analysis["revenue"]["total"], analysis["revenue"]["n"], analysis["best_category"],
                 analysis["cancelled_pct"])]
    top = ", ".join("%s (EUR %.2f)" % (email, spent) for email, spent in analysis["top_customers"])
    draft = "\n".join(lines + ["Top customers: " + top])
    published = handle.message(draft)
    if is_refusal(published):
        # The kernel refused the draft (customer e-mails). Publish without them.
        redacted = "\n".join(lines + ["Top customers: %d (names withheld)" % len(analysis["top_customers"])])
        published = handle.message(redacted)
    return {"report": published if not is_refusal(published) else None, "notes": analysis["notes"]}


# ---- wiring ------------------------------------------------------------------------

def build_pipeline() -> Pipeline:
    policies = [
        # Everyone: reading the database is fine, changing it is not.
        SQLPolicy(allow=["SELECT"], name="read_only_sql"),
        # Only the analyst has tools, and only statistics ones.
        ToolPolicy(allow=["stats.*"], deny=["python.*", "shell*"], max_calls=6, name="analysis_tools",
                   agents=["analysis_agent"]),
        ToolPolicy(deny=["*"], name="no_tools", agents=["research_agent", "report_agent"]),
        # Reports leave the company: no e-mail addresses in them.
        ContentPolicy(deny=[EMAIL], kinds=["message"], name="no_pii_in_reports", agents=["report_agent"]),
    ]
    return Pipeline([research_agent, analysis_agent, report_agent], policy=policies, budgets=BUDGETS)


def per_agent_stats(records) -> dict:
    stats = collections.OrderedDict((a, collections.Counter()) for a in BUDGETS)
    for r in records:
        s = stats.setdefault(r["agent_id"], collections.Counter())
        s["actions"] += 1
        s["allowed"] += 1 if r["decision"]["allowed"] else 0
        s["blocked"] += 0 if r["decision"]["allowed"] else 1
        s["violations"] += r["decision"]["total_violations"]
        if r["decision"]["allowed"]:
            s["spent_usd_x100"] += round(100 * r["action"]["cost_usd"])
        for v in r["decision"]["violations"]:
            s["policy:" + v["policy"]] += 1
    return stats


def run_pipeline(out_dir: str, tasks) -> dict:
    """Runs the pipeline on each task under one runner and one audit log."""
    os.makedirs(out_dir, exist_ok=True)
    audit_path = os.path.join(out_dir, "pipeline_audit.db")
    for path in (audit_path, audit_path + ".checkpoint"):
        if os.path.exists(path):
            os.remove(path)
    db = open_shop()
    orders_before = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    pipeline = build_pipeline()
    recorder = FlightRecorder(audit_path)
    runner = GovernedRunner(pipeline.kernel, sql_executor=db, tools=_stats_tools(), recorder=recorder,
                            log_violations=False, success_fn=lambda _in, out: bool(out and out.get("report")))
    runner.init(pipeline)
    rollouts = [runner.step_sync(task) for task in tasks]
    records = recorder.records()
    recorder.close()
    return {
        "rollouts": rollouts,
        "records": records,
        "verify": verify_log(audit_path),  # from the closed file, final checkpoint included
        "audit_path": audit_path,
        "runner_stats": runner.get_stats(),
        "orders_before": orders_before,
        "orders_after": db.execute("SELECT COUNT(*) FROM orders").fetchone()[0],
    }


TASKS = [{"city": "Berlin", "year": 2023}, {"city": "Paris", "year": 2022}, {"city": "Madrid", "year": 2023}]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="A governed research -> analysis -> report pipeline.")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="where the audit log goes")
    args = p.parse_args(argv)
    result = run_pipeline(args.out, TASKS)

    for task, rollout in zip(TASKS, result["rollouts"]):
        out = rollout.task_output
        print("== %s %d: success=%s, %d actions, %d blocked, penalty %.0f" % (
            task["city"], task["year"], rollout.success, rollout.actions, rollout.blocked_actions,
            rollout.total_penalty))
        if is_refusal(out):
            print("   pipeline stopped: %s" % out.reason)
            continue
        for line in (out["report"] or "(no report)").splitlines():
            print("   | " + line)
        for note in out["notes"]:
            print("   - " + note)

    records, verify = result["records"], result["verify"]
    print()
    print("Per agent (from the audit log; budgets are per rollout):")
    print("| agent | budget per rollout | actions | allowed | blocked | violations | spent, all rollouts "
          "| violations by policy |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for agent, s in per_agent_stats(records).items():
        by_policy = ", ".join("%s %d" % (k[7:], v) for k, v in sorted(s.items()) if k.startswith("policy:"))
        print("| %s | $%.2f | %d | %d | %d | %d | $%.2f | %s |" % (
            agent or "(pipeline)", BUDGETS.get(agent, 0.0), s["actions"], s["allowed"], s["blocked"],
            s["violations"], s["spent_usd_x100"] / 100.0, by_policy or "-"))
    stats = result["runner_stats"]
    print()
    print("Runner: %d rollouts, success rate %.0f%%, %d actions, %d blocked, violation rate %.0f%%" % (
        stats["total_rollouts"], 100 * stats["success_rate"], stats["total_actions"], stats["blocked_actions"],
        100 * stats["violation_rate"]))
    print("Orders in the database: %d before, %d after (the DELETE never ran)" % (
        result["orders_before"], result["orders_after"]))
    print("Audit log %s: %d records, verify -> %s" % (os.path.relpath(result["audit_path"], ROOT), len(records),
                                                     verify["message"]))
    ok = verify["valid"] and result["orders_after"] == result["orders_before"] and len(records) > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
