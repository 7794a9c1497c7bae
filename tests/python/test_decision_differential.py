"""One decision everywhere: the Python entry points and the CLI decide every
generated action exactly as KernelSpace.check does for the same action and
episode state (allowed, rules, severities, blocked flags, signals).

Entry points: KernelSpace.check / execute / check_actions (with states),
VectorEnv.step (64 envs, one episode each, autoreset in the same step),
GovernedHandle (the gate GovernedRunner's agents act through) and a
GovernedRunner rollout, the Agent-Lightning GovernedEnvironment with an
executor (which must run exactly the actions the engine executes), and
`agentos check` (one episode per agent id). 64 x 1600 = 102,400 actions go
through check, execute, check_actions and VectorEnv; fewer through the
slower single-action paths. Actions of every kind: valid, empty, oversized,
NUL, invalid UTF-8, and each policy's edge cases.
"""

import asyncio
import json
import random
import subprocess

import pytest

from agent_os import Action, EpisodeState, KernelSpace
from agent_os.actions import GovernedHandle
from agent_os.env_config import EnvironmentConfig
from agent_os.integrations.agent_lightning import GovernedEnvironment, GovernedRunner
from agent_os.vector_env import VectorEnv
from agent_os.violations import signals_for
from test_distributed_support import agentos_cli


POLICY = """version: 1
mode: enforce
policies:
  - name: sql
    type: sql
    allow: [SELECT, INSERT]
    deny: [DELETE, DROP, UPDATE]
    severities:
      DROP: critical
      DELETE: high
  - name: tools
    type: tool
    allow: ["search", "calc"]
    max_calls: 4
  - name: budget
    type: cost
    max_cost_usd: 1.0
    max_cost_per_action_usd: 0.6
    max_tokens: 900
  - name: secrets
    type: content
    kinds: [message, tool_call]
    severity: critical
    deny: ['(?i)password\\s*=']
"""
LIMIT = 64 * 1024
TEXTS = [b"SELECT 1", b"SELECT name FROM t WHERE id = 1", b"INSERT INTO t VALUES (1)", b"DELETE FROM t",
         b"DROP TABLE t", b"UPDATE t SET a = 1", b"SELECT 1; DROP TABLE t",
         "SELECT 'café € 😀'".encode(), b"SELECT 1 --\r'\n; DROP TABLE t; --'", b"/*!50000 DROP TABLE t */",
         b'{"q": "weather"}', b"password = hunter2", b"hello there", b"SELECT '\xc0\xaf'", b"SELECT '\xed\xa0\x80'",
         b"SELECT '\xf4\x90\x80\x80'", b"SELECT 'ab\xe2\x82", b"\xff\xfe", b"", b"SELECT 1\x00; DROP TABLE t",
         b"x" * (LIMIT + 1), b"y" * LIMIT]
TOOLS = [b"search", b"calc", b"shell", b"", b"sea\xc3rch", b"calc\x00x"]
COSTS = [0.0, 0.0, 0.05, 0.2, 0.45, 0.7, -0.1, 1.5]
TOKENS = [0, 0, 10, 150, 400, -3]
KINDS = ["sql", "tool_call", "spend", "message"]


def generate(rng):
    kind = rng.choice(KINDS)
    tool = rng.choice(TOOLS) if kind == "tool_call" or rng.random() < 0.125 else b""
    return Action(kind, rng.choice(TEXTS), tool=tool, cost_usd=rng.choice(COSTS), tokens=rng.choice(TOKENS))


def verdict(d):
    """What must be identical: allowed, every kept violation, total, signals."""
    return (d.allowed, tuple((v.policy, v.rule, v.severity, v.blocked) for v in d.violations), d.total_violations,
            tuple(signals_for(d)))


@pytest.fixture(scope="module")
def kernel():
    return KernelSpace.from_yaml_text(POLICY, "differential")


def test_check_execute_check_actions_and_vector_env_agree_on_102400_actions(kernel):
    n, steps = 64, 1600
    rng = random.Random(20261206)
    env = VectorEnv(kernel, n, task="noop", config=EnvironmentConfig(max_steps=2**31, terminate_on_critical=False),
                    autoreset="same_step", keep_results=True)
    env.reset(seed=1)
    b = env._cbufs
    ref = [EpisodeState() for _ in range(n)]
    via_execute = [EpisodeState() for _ in range(n)]
    via_batch = [EpisodeState() for _ in range(n)]
    mismatches, kinds_seen, allowed = [], {k: 0 for k in KINDS}, 0
    for step in range(steps):
        actions = [generate(rng) for _ in range(n)]
        env.step([a.payload for a in actions], kinds=[a.kind for a in actions], tools=[a.tool for a in actions],
                 cost_usd=[a.cost_usd for a in actions], tokens=[a.tokens for a in actions])
        for i, a in enumerate(actions):
            kinds_seen[a.kind] += 1
            d = kernel.check(a, state=ref[i])
            want = verdict(d)
            allowed += d.allowed
            ran = []
            r = kernel.execute(a, lambda act: ran.append(act), state=via_execute[i])
            got_execute = verdict(r.decision)
            batch = kernel.check_actions([a], state=via_batch[i])
            venv_violations = tuple((v.policy, v.rule, v.severity, v.blocked) for v in env.last_violations(i))
            sig = int(b["signals"][i])
            venv_signals = tuple(s for s, bit in (("SIGPOLICY", 0x10), ("SIGBUDGET", 0x20)) if sig & bit)
            same = (got_execute == want and r.executed == d.allowed and len(ran) == int(d.allowed)
                    and tuple(r.signals) == want[3]
                    and bool(batch.allowed[0]) == d.allowed and int(batch.violations[0]) == d.total_violations
                    and bool(b["executed"][i]) == d.allowed and venv_violations == want[1]
                    and int(b["violations"][i]) == d.total_violations and venv_signals == want[3])
            if not same and len(mismatches) < 5:
                mismatches.append((step, i, a.kind, len(a.payload), a.tool, a.cost_usd, want))
            ends = "SIGBUDGET" in want[3]
            assert bool(b["autoreset"][i]) == ends
            if ends:  # the venv started a new episode in the same step
                for s in (ref[i], via_execute[i], via_batch[i]):
                    s.reset()
    env.close()
    assert mismatches == []
    assert sum(kinds_seen.values()) == 102400 and min(kinds_seen.values()) > 20000
    assert 5000 < allowed < 102400 - 5000


def test_governed_handle_runner_and_environment_agree_with_check(kernel):
    rng = random.Random(7)
    actions = [generate(rng) for _ in range(3000)]

    # GovernedHandle: the gate of GovernedRunner's agents.
    ref, handle = EpisodeState(), GovernedHandle(kernel)
    seen = []
    handle._on_decision = lambda action, decision, records, signals, executed: seen.append(
        (verdict(decision), tuple(signals)))
    for a in actions:
        want = verdict(kernel.check(Action(a.kind, a.payload, tool=a.tool, agent_id="agent", cost_usd=a.cost_usd,
                                           tokens=a.tokens), state=ref))
        handle._govern(Action(a.kind, a.payload, tool=a.tool, agent_id="agent", cost_usd=a.cost_usd,
                              tokens=a.tokens))
        assert seen[-1] == (want, want[3])

    # A GovernedRunner rollout of the first 200 actions.
    def agent(task_input, h):
        for a in actions[:200]:
            h._govern(Action(a.kind, a.payload, tool=a.tool, agent_id=h.agent_id, cost_usd=a.cost_usd,
                             tokens=a.tokens))
    runner = GovernedRunner(kernel, agent=agent, log_violations=False)
    rollout = asyncio.run(runner.step("t"))
    ref = EpisodeState()
    want = [(v[0], v[1], v[2]) for a in actions[:200]
            for v in verdict(kernel.check(Action(a.kind, a.payload, tool=a.tool, agent_id="agent",
                                                 cost_usd=a.cost_usd, tokens=a.tokens), state=ref))[1]]
    assert [(v.policy_name, v.rule, v.severity) for v in rollout.violations] == want

    # The Agent-Lightning GovernedEnvironment: the executor runs exactly the
    # actions the engine executes, and the violations are the kernel's.
    ran = []
    genv = GovernedEnvironment(kernel, executor=lambda a: ran.append(a) or "ok",
                               config=EnvironmentConfig(max_steps=2**31, terminate_on_critical=False))
    genv.reset(seed=0)
    ref = EpisodeState()
    for a in actions[:1500]:
        d = kernel.check(Action(a.kind, a.payload, tool=a.tool, agent_id="agent", cost_usd=a.cost_usd,
                                tokens=a.tokens), state=ref)
        before = len(ran)
        _, _, terminated, truncated, info = genv.step(a)
        assert info["executed"] == d.allowed and len(ran) - before == int(d.allowed)
        assert [(v["policy"], v["rule"], v["severity"], v["blocked"]) for v in info["violations"]] == \
            [(v.policy, v.rule, v.severity, v.blocked) for v in d.violations]
        if terminated or truncated:
            genv.reset()
            ref.reset()
    genv.close()


def test_the_cli_decides_like_check(kernel, tmp_path):
    cli = agentos_cli()
    if cli is None:
        pytest.skip("no agentos CLI built")
    rng = random.Random(11)
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    lines, expected, states = [], [], {}
    while len(lines) < 20000:
        a = generate(rng)
        try:  # JSON text carries only valid UTF-8; NUL travels as \\u0000
            payload, tool = a.payload.decode("utf-8"), a.tool.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if a.cost_usd < 0 or a.tokens < 0:
            continue  # the CLI refuses such lines as malformed before the kernel
        agent = f"agent-{len(lines) % 8}"
        line = {"kind": a.kind, "agent_id": agent, "payload": payload, "cost_usd": a.cost_usd, "tokens": a.tokens}
        if tool or a.kind == "tool_call":
            line["tool"] = tool
        lines.append(json.dumps(line))
        st = states.setdefault(agent, EpisodeState())
        d = kernel.check(Action(a.kind, a.payload, tool=a.tool, agent_id=agent, cost_usd=a.cost_usd,
                                tokens=a.tokens), state=st)
        expected.append((d.allowed, [(v.policy, v.rule, v.severity, v.blocked) for v in d.violations]))
    inp = tmp_path / "actions.jsonl"
    inp.write_text("\n".join(lines) + "\n")
    out = subprocess.run([cli, "check", "--policy", str(policy), "--input", str(inp)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode in (0, 1), out.stderr
    got = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(got) == len(expected)
    for g, (allowed, violations) in zip(got, expected):
        assert "error" not in g
        assert (g["allowed"], [(v["policy"], v["rule"], v["severity"], v["blocked"]) for v in g["violations"]]) \
            == (allowed, violations)
