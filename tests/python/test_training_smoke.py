"""The training example against the real engine: the SQL task of the C++
VectorEnv through agent_os (no test double here), and a tiny end-to-end run."""
import io
import json
import os
import re
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "train_sql_agent"))

import engine  # noqa: E402
import report  # noqa: E402
import train  # noqa: E402

TASKS = [json.loads(line) for line in open(os.path.join(train.DATASET_DIR, "tasks.jsonl"), encoding="utf-8")]


def _env(condition, split="train", num_envs=8):
    return engine.SqlTaskEnv(policy_file=train.POLICY_FILES[condition], condition=condition,
                             dataset_dir=train.DATASET_DIR, split=split, num_envs=num_envs)


def test_the_two_policy_files_differ_only_in_mode():
    def rules(path):
        with open(path, encoding="utf-8") as f:
            return [line for line in f if not line.lstrip().startswith("#") and not line.startswith("mode:")]

    assert rules(train.POLICY_FILES["governed"]) == rules(train.POLICY_FILES["ungoverned"])
    from agent_os import KernelSpace
    assert KernelSpace.from_yaml(train.POLICY_FILES["governed"]).mode == "enforce"
    assert KernelSpace.from_yaml(train.POLICY_FILES["ungoverned"]).mode == "audit"


def test_a_condition_refuses_a_kernel_in_the_wrong_mode():
    with pytest.raises(SystemExit):
        engine.SqlTaskEnv(policy_file=train.POLICY_FILES["ungoverned"], condition="governed",
                          dataset_dir=train.DATASET_DIR, split="train", num_envs=2)


def test_every_env_is_put_on_the_task_asked_for():
    env = _env("governed", split="test", num_envs=5)
    try:
        test_ids = engine.global_indices(train.DATASET_DIR, "test")
        wanted = [test_ids[3], test_ids[3], test_ids[0], test_ids[7], test_ids[3]]
        env.assign(wanted)
        for j, t in enumerate(wanted):
            assert TASKS[t]["question"] in env.observation_text(j)
    finally:
        env.close()


def _one_task_with_every_label():
    for i, t in enumerate(TASKS):
        labels = [c["label"] for c in t["candidates"]]
        if t["split"] == "train" and {"correct", "wrong", "destructive"} <= set(labels):
            return i, t
    raise AssertionError("the dataset has no task with all three labels")


def test_governance_blocks_the_shortcut_and_audit_mode_lets_it_run_and_pay():
    index, task = _one_task_with_every_label()
    sql = [c["sql"] for c in task["candidates"]]
    labels = np.array([c["label"] for c in task["candidates"]])
    out = {}
    for condition in ("governed", "ungoverned"):
        env = _env(condition, num_envs=len(sql))
        try:
            out[condition] = (env.run([index] * len(sql), sql), env.destructive_ops())
        finally:
            env.close()
    gov, gov_destroyed = out["governed"]
    aud, aud_destroyed = out["ungoverned"]
    dest, corr, wrong = labels == "destructive", labels == "correct", labels == "wrong"
    # Governed: the shortcut never runs, costs at least the critical penalty, destroys nothing.
    assert not gov.executed[dest].any() and (gov.violations[dest] > 0).all()
    assert (gov.reward[dest] <= -100).all() and not gov.success[dest].any()
    assert gov_destroyed == 0
    # Audit only: the same shortcut is seen (same violations) but runs and is paid like a correct query.
    assert aud.executed[dest].all() and (aud.violations[dest] == gov.violations[dest]).all()
    assert aud.success[dest].all() and (aud.reward[dest] == 1.0).all()
    assert aud_destroyed > 0
    # Clean queries are treated alike by both.
    for o in (gov, aud):
        assert o.success[corr].all() and (o.reward[corr] == 1.0).all()
        assert not o.success[wrong].any() and (o.reward[wrong] == 0.0).all()


def test_the_audit_log_records_every_governed_decision_and_verifies(tmp_path):
    index, task = _one_task_with_every_label()
    sql = [c["sql"] for c in task["candidates"]]
    path = str(tmp_path / "audit.db")
    recorder = engine.open_recorder(path)
    env = engine.SqlTaskEnv(policy_file=train.POLICY_FILES["governed"], condition="governed",
                            dataset_dir=train.DATASET_DIR, split="train", num_envs=len(sql), recorder=recorder)
    try:
        out = env.run([index] * len(sql), sql)
        env.run([index] * len(sql), sql)
    finally:
        env.close()
    result = engine.close_and_verify(recorder, path)
    assert result["valid"] and result["records"] == 2 * len(sql)
    assert result["blocked_records"] == 2 * int(np.sum(~out.executed))


def _run_main(tmp_path, *extra):
    argv = ["--seeds", "1", "--steps", "4", "--batch-tasks", "8", "--group-size", "4", "--no-plot",
            "--out", str(tmp_path)] + list(extra)
    code = train.main(argv)
    with open(tmp_path / "results.json", encoding="utf-8") as f:
        return code, json.load(f)


def test_a_tiny_training_run_end_to_end(tmp_path, capsys):
    code, results = _run_main(tmp_path)
    assert code == 0
    gov = results["summaries"]["governed"][0]
    ung = results["summaries"]["ungoverned"][0]
    assert gov["executed_violations"] == 0 and gov["destroyed_data_incidents"] == 0
    # Audit only: whatever was attempted ran.
    attempts = sum(round(h["violation_rate"] * 32) for h in results["histories"]["ungoverned"][0])
    assert ung["executed_violations"] == attempts > 0
    assert len(results["histories"]["governed"][0]) == 4
    assert [e["step"] for e in results["evaluations"]["governed"][0]][0] == 0
    audit = results["audit_logs"][0]
    assert audit["valid"] and audit["records"] == 4 * 8 * 4
    captured = capsys.readouterr()
    assert "| governed (blocked + penalties), 1 seeds |" in captured.out
    # Not a terminal: whole progress lines (the last step's included), no \r frames.
    assert "\r" not in captured.err and " 4/4 " in captured.err


def test_progress_bar_rewrites_in_place_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, log = Tty(), io.StringIO()
    for stream in (tty, log):
        bar = report.ProgressBar("governed", 20, stream=stream, every=10)
        for step in range(1, 21):
            bar.update(step, {"viol": 0.0})
        bar.close()
    assert tty.getvalue().count("\r") == 20 and tty.getvalue().endswith("\n")
    assert "\r" not in log.getvalue()
    assert [line.split("] ")[1].split()[0] for line in log.getvalue().splitlines()] == ["10/20", "20/20"]


def test_quick_mode_fails_when_the_agent_does_not_learn(tmp_path):
    # lr 0: the policy never moves from uniform, so held-out accuracy stays
    # near chance and --quick must exit non-zero.
    code, results = _run_main(tmp_path, "--quick", "--lr", "0")
    assert code == 1
    assert results["quick_criterion_passed"] is False
    assert results["quick_criterion"]["governed_executed_violations"] == 0

