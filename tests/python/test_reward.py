"""PolicyReward: every severity, the clean bonus rule, stats (the arithmetic is the engine's)."""

import math
import types

import pytest

from agent_os import InvalidArgument, KernelSpace, PolicyViolation
from agent_os.integrations.agent_lightning import (CompositeReward, GovernedRollout, PolicyReward, RewardConfig,
                                                   create_policy_reward, policy_penalty)
from agent_os.policies import SQLPolicy

pytestmark = pytest.mark.nonumpy

SEVERITY_PENALTY = {"critical": -100.0, "high": -50.0, "medium": -10.0, "low": -1.0}


@pytest.fixture(scope="module")
def kernel():
    return KernelSpace(policy=SQLPolicy())


def violation(sev):
    return PolicyViolation(policy_name="p", description="d", severity=sev)


def rollout(success, *sevs):
    return GovernedRollout(task_input="t", success=success, violations=[violation(s) for s in sevs])


@pytest.mark.parametrize("sev, penalty", SEVERITY_PENALTY.items())
def test_each_severity(kernel, sev, penalty):
    r = PolicyReward(kernel)
    assert r(rollout(True, sev)) == 1.0 + penalty
    assert r(rollout(False, sev)) == penalty


def test_sums_and_clamps(kernel):
    r = PolicyReward(kernel)
    assert r(rollout(True, "low", "low", "medium")) == 1.0 - 12.0
    assert r(rollout(False, "critical", "critical")) == -200.0
    assert r(rollout(True, "high", "high", "low")) == -100.0
    cfg = RewardConfig(min_reward=-150.0)
    assert PolicyReward(kernel, config=cfg)(rollout(False, "critical", "critical")) == -150.0  # clamped


def test_clean_bonus_never_outweighs_success(kernel):
    r = PolicyReward(kernel, clean_bonus=5.0, min_reward=-100.0, max_reward=100.0)  # the 5.0 bonus of env/reward_config.h's WHY note
    clean_success, clean_failure = r(rollout(True)), r(rollout(False))
    assert clean_success == 6.0 and clean_failure == 0.0
    for sev in SEVERITY_PENALTY:
        # no failure scores above any success with the same violations, and
        # a clean failure never beats a success
        assert r(rollout(False, sev)) < r(rollout(True, sev)) or r(rollout(True, sev)) == -100.0
        assert clean_failure < clean_success
    assert clean_failure <= r(rollout(True, "low")) + 1.0  # the bonus is not paid to failures


def test_there_is_no_multiplicative_mode(kernel):
    # The engine has one formula; a Python-only mode would be a second.
    with pytest.raises(TypeError):
        RewardConfig(multiplicative=True)
    with pytest.raises(TypeError):
        PolicyReward(kernel, multiplicative=True, multiplicative_factor=0.5)


def test_unknown_severity_counts_as_critical(kernel):
    r = PolicyReward(kernel, config=RewardConfig(min_reward=-1000.0))
    odd = types.SimpleNamespace(severity="catastrophic")
    assert r(GovernedRollout(task_input=0, success=False, violations=[odd, {"severity": None}])) == -200.0


def test_base_reward_fn_and_contrib_kwargs(kernel):
    def accuracy(r):
        return r.task_output
    r = PolicyReward(kernel, base_reward_fn=accuracy, critical_penalty=-100.0, clean_bonus=5.0)
    assert r(GovernedRollout(task_input=0, task_output=0.75, success=True)) == 5.75
    r = PolicyReward(kernel, base_reward_fn=accuracy, high_penalty=-20.0)
    assert r(GovernedRollout(task_input=0, task_output=0.5, success=True, violations=[violation("high")])) == -19.5
    with pytest.raises(TypeError):
        PolicyReward(kernel, critical=-5)
    with pytest.raises(InvalidArgument):
        PolicyReward(kernel, base_reward_fn=lambda r: float("nan"))(rollout(True))
    with pytest.raises(InvalidArgument):
        PolicyReward(kernel, base_reward_fn=lambda r: "1")(rollout(True))


@pytest.mark.parametrize("bad", [dict(critical_penalty=5.0), dict(clean_bonus=-1.0), dict(min_reward=1, max_reward=0),
                                 dict(step_penalty=0.5), dict(low_penalty=math.inf), dict(high_penalty=-200.0),
                                 dict(high_penalty="x")])
def test_config_validation(bad):
    with pytest.raises(InvalidArgument):
        RewardConfig(**bad)


def test_reward_refuses_a_non_kernel():
    with pytest.raises(TypeError):
        PolicyReward(None)
    with pytest.raises(TypeError):
        PolicyReward("kernel")


def test_stats_count_each_rollout_once(kernel):
    r = PolicyReward(kernel, emitter=lambda info: None)
    for ro in [rollout(True), rollout(False, "low"), rollout(True, "high", "low"), rollout(False)]:
        r(ro)
    s = r.get_stats()
    assert s["total_rewards"] == 4
    assert s["total_penalties"] == -1.0 - 51.0
    assert s["avg_penalty"] == (-52.0) / 4
    assert s["violation_rate"] == 0.5 and s["clean_rate"] == 0.5
    r.reset_stats()
    assert r.get_stats()["total_rewards"] == 0


def test_emit_records_reward_info_on_the_rollout(kernel):
    seen = []
    r = PolicyReward(kernel, emitter=seen.append)
    ro = rollout(True, "low")
    r(ro)
    assert ro.reward_info["final"] == 0.0 and ro.reward_info["agent_os.violation_count"] == 1
    assert seen == [ro.reward_info]
    r(rollout(True), emit=False)
    assert len(seen) == 1


def test_helpers(kernel):
    assert policy_penalty([violation("critical"), violation("low")]) == -101.0
    assert policy_penalty([violation("low")], low_penalty=-2.0) == -2.0
    comp = CompositeReward([(lambda r: 1.0, 1.0), (lambda r: 3.0, 3.0)], normalize=True)
    assert comp(rollout(True)) == pytest.approx(0.25 + 2.25)
    r = create_policy_reward(kernel, severity_penalties={"low": -3.0}, clean_bonus=0.0)
    assert r(rollout(True, "low")) == -2.0
    with pytest.raises(InvalidArgument):
        create_policy_reward(kernel, severity_penalties={"LOW": -3.0})
