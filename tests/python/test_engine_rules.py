"""Python keeps no copy of an engine rule: these tests fail if a Python
rule ever differs from the engine's. Each compares what Python reports with
what the engine itself does (a VectorEnv step, agentos_env_config_init),
never with a value recomputed here."""

import itertools

import pytest

from agent_os import Action, EpisodeState, KernelSpace
from agent_os import _env_capi
from agent_os.env_config import EnvironmentConfig
from agent_os.integrations.agent_lightning import GovernedRollout, PolicyReward, RewardConfig
from agent_os.severity import DEFAULT_PENALTIES
from agent_os.vector_env import VectorEnv
from agent_os.violations import signals_for

pytestmark = pytest.mark.nonumpy

REWARD_FIELDS = ("critical_penalty", "high_penalty", "medium_penalty", "low_penalty", "clean_bonus", "step_penalty",
                 "min_reward", "max_reward")


def test_python_reward_defaults_are_the_engines():
    engine = _env_capi.default_config()
    cfg = RewardConfig()
    assert {f: getattr(cfg, f) for f in REWARD_FIELDS} == {f: getattr(engine, f) for f in REWARD_FIELDS}
    assert DEFAULT_PENALTIES == {"critical": engine.critical_penalty, "high": engine.high_penalty,
                                 "medium": engine.medium_penalty, "low": engine.low_penalty}
    env = EnvironmentConfig()
    assert env.penalties() == DEFAULT_PENALTIES
    assert (env.success_bonus, env.step_penalty, env.min_reward, env.max_reward) == \
        (engine.clean_bonus, engine.step_penalty, engine.min_reward, engine.max_reward)


COST_POLICY = """version: 1
policies:
  - name: budget
    type: cost
    max_cost_usd: 1.0
    max_cost_per_action_usd: 0.6
    max_tokens: 500
"""
# Action sequences (one episode each) that end on each cost rule.
COST_CASES = {
    "cost.episode_budget": [(0.5, 0), (0.5, 0), (0.5, 0)],
    "cost.token_budget": [(0.0, 300), (0.0, 300)],
    "cost.per_action": [(0.7, 0)],
}


@pytest.mark.parametrize("rule", sorted(COST_CASES))
@pytest.mark.parametrize("mode", ["enforce", "audit"])
def test_signals_of_every_cost_rule_are_the_engines(rule, mode):
    kernel = KernelSpace.from_yaml_text(COST_POLICY.replace("version: 1", f"version: 1\nmode: {mode}"))
    env = VectorEnv(kernel, 1, task="noop", config=EnvironmentConfig(max_steps=100), keep_results=True,
                    autoreset="disabled")
    env.reset(seed=0)
    state, seen = EpisodeState(), set()
    for cost, tokens in COST_CASES[rule]:
        d = kernel.check(Action("spend", "", agent_id="agent", cost_usd=cost, tokens=tokens), state=state)
        env.step([b""], kinds=["spend"], cost_usd=[cost], tokens=[tokens])
        engine = [name for bit, name in _env_capi.SIGNAL_NAMES.items()
                  if int(env._cbufs["signals"][0]) & bit and name in ("SIGPOLICY", "SIGBUDGET")]
        assert signals_for(d) == engine
        seen.update(v.rule for v in d.violations)
        if env._cbufs["terminated"][0] or env._cbufs["truncated"][0]:
            break
    assert rule in seen
    env.close()


SEVERITY_POLICY = """version: 1
mode: audit
policies:
""" + "".join(f"""  - name: {sev}
    type: content
    kinds: [message]
    severity: {sev}
    deny: ["{sev.upper()}1", "{sev.upper()}2"]
""" for sev in ("low", "medium", "high", "critical"))

CONFIGS = [
    {},
    {"critical_penalty": -100.0, "high_penalty": -50.0, "medium_penalty": -10.0, "low_penalty": -1.0,
     "clean_bonus": 5.0, "min_reward": -100.0, "max_reward": 100.0},
    {"critical_penalty": -40.0, "high_penalty": -20.0, "medium_penalty": -5.0, "low_penalty": -0.5,
     "clean_bonus": 2.0, "step_penalty": -0.25, "min_reward": -60.0, "max_reward": 4.0},
]


@pytest.mark.parametrize("config", CONFIGS)
def test_policy_reward_pays_what_the_engines_environment_pays_for_every_severity_mix(config):
    kernel = KernelSpace.from_yaml_text(SEVERITY_POLICY)
    cfg = RewardConfig(**config)
    env_cfg = EnvironmentConfig(critical_penalty=cfg.critical_penalty, high_penalty=cfg.high_penalty,
                                medium_penalty=cfg.medium_penalty, low_penalty=cfg.low_penalty,
                                success_bonus=cfg.clean_bonus, step_penalty=cfg.step_penalty,
                                min_reward=cfg.min_reward, max_reward=cfg.max_reward,
                                terminate_on_critical=False)
    env = VectorEnv(kernel, 1, task="external", config=env_cfg, keep_results=True, autoreset="disabled")
    reward_fn = PolicyReward(kernel, config=cfg, emitter=lambda info: None)
    for counts in itertools.product(range(3), repeat=4):
        text = " ".join(f"{sev.upper()}{k + 1}" for sev, n in zip(("low", "medium", "high", "critical"), counts)
                        for k in range(n)) or "clean"
        for success in (False, True):
            env.reset(seed=0)
            base = 1.0 if success else 0.0
            env.step([text], kinds=["message"], external_reward=[base], external_success=[success])
            engine_reward = float(env._cbufs["reward"][0])
            violations = env.last_violations(0)
            assert sorted(v.severity for v in violations) == sorted(
                sev for sev, n in zip(("low", "medium", "high", "critical"), counts) for _ in range(n))
            rollout = GovernedRollout(task_input="t", success=success, violations=violations)
            assert reward_fn(rollout) == engine_reward, (counts, success)
    env.close()
