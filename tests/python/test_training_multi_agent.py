"""examples/multi_agent: three agents, one kernel, one audit trail."""
import collections
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "multi_agent"))

import pipeline  # noqa: E402


def test_each_agent_is_governed_under_its_own_scope_and_budget(tmp_path):
    result = pipeline.run_pipeline(str(tmp_path), pipeline.TASKS[:2])
    records = result["records"]
    assert result["verify"]["valid"] and result["verify"]["records"] == len(records)
    # One audit trail holding every agent's actions, under each agent's own id.
    assert {r["agent_id"] for r in records} == set(pipeline.BUDGETS)
    blocked = collections.defaultdict(set)
    for r in records:
        for v in r["decision"]["violations"]:
            blocked[r["agent_id"]].add(v["policy"])
        if not r["decision"]["allowed"]:
            assert not r["executed"]
    # Each agent tripped only the policies scoped to it (or the shared SQL rule).
    assert blocked["research_agent"] == {"read_only_sql"}
    assert blocked["analysis_agent"] == {"analysis_tools", "budget.analysis_agent"}
    assert blocked["report_agent"] == {"no_pii_in_reports"}
    # The refused DELETE never ran; every report was published without e-mails.
    assert result["orders_after"] == result["orders_before"]
    for rollout in result["rollouts"]:
        assert rollout.success and "@" not in rollout.task_output["report"]
    stats = result["runner_stats"]
    assert stats["total_rollouts"] == 2 and stats["blocked_actions"] == 8


def test_the_script_exits_zero(tmp_path, capsys):
    assert pipeline.main(["--out", str(tmp_path)]) == 0
    assert "| analysis_agent | $0.20 |" in capsys.readouterr().out
