"""KernelSpace: check, check_batch, execute, callbacks, and bad input."""

import gc
import threading

import pytest

from agent_os import (Action, Decision, EpisodeState, InvalidArgument, KernelSpace, StateError, Violation)
from agent_os.policies import CostControlPolicy, SQLPolicy, ToolPolicy

pytestmark = pytest.mark.nonumpy


def test_check_returns_structured_violations(sql_kernel):
    d = sql_kernel.check("DROP TABLE users")
    assert isinstance(d, Decision) and not d.allowed and d.blocked
    v = d.violations[0]
    assert isinstance(v, Violation)
    assert v.policy == "sql_policy" and v.rule.startswith("sql.") and v.blocked
    assert v.severity in ("low", "medium", "high", "critical") and v.reason
    assert d.total_violations >= 1 and d.max_severity == max(
        (x.severity for x in d.violations), key=["low", "medium", "high", "critical"].index)


def test_allowed_sql(sql_kernel):
    d = sql_kernel.check("SELECT name FROM users WHERE id = 1")
    assert d.allowed and d.violations == () and d.max_severity is None
    assert sql_kernel.check("UPDATE users SET a = 1 WHERE id = 2").allowed
    assert not sql_kernel.check("UPDATE users SET a = 1").allowed


@pytest.mark.parametrize("sql", ["DROP/**/TABLE users", "drop table users", "SELECT 1; DROP TABLE users",
                                 "/* x */ DELETE FROM users", "TRUNCATE users", "DELETE FROM t WHERE 1=1"])
def test_evasions_the_regex_checker_misses_are_denied(sql_kernel, sql):
    assert not sql_kernel.check(sql).allowed


def test_action_forms_are_equivalent(full_kernel):
    for a, b in [(Action.tool_call("shell", {"cmd": "ls"}), {"kind": "tool_call", "tool": "shell", "args": {"cmd": "ls"}}),
                 (Action.spend(11.0), {"kind": "spend", "cost_usd": 11.0}),
                 (Action.sql("SELECT 1"), {"sql": "SELECT 1"})]:
        assert full_kernel.check(a) == full_kernel.check(b)
    assert not full_kernel.check(Action.tool_call("shell")).allowed
    assert full_kernel.check(Action.tool_call("search", {"q": "x"})).allowed
    assert not full_kernel.check(Action.message("my password = hunter2")).allowed
    assert full_kernel.check(Action.message("hello")).allowed


def test_episode_state_accumulates_only_allowed_actions(full_kernel):
    st = EpisodeState()
    assert full_kernel.check(Action.spend(6.0, 100), state=st).allowed
    assert not full_kernel.check(Action.spend(6.0), state=st).allowed   # 12 > 10
    snap = st.get()
    assert snap.cost_usd == 6.0 and snap.tokens == 100 and snap.actions == 1
    for _ in range(3):
        assert full_kernel.check(Action.tool_call("search"), state=st).allowed
    assert not full_kernel.check(Action.tool_call("search"), state=st).allowed  # max_calls 3
    st.reset()
    assert st.get().cost_usd == 0 and full_kernel.check(Action.spend(6.0), state=st).allowed
    assert full_kernel.check(Action.spend(6.0)).allowed  # no state: a fresh episode each time


def test_invalid_values_are_denied_by_the_kernel_not_crashes(full_kernel):
    for a in [Action.spend(float("nan")), Action.spend(float("inf")), Action.spend(-1.0), Action.spend(1.0, -5)]:
        d = full_kernel.check(a)
        assert not d.allowed and d.violations[0].policy == "kernel" and d.max_severity == "critical"


@pytest.mark.parametrize("bad, exc", [
    (None, TypeError), (42, TypeError), (3.5, TypeError), (object(), TypeError), ([b"x"], TypeError),
    ({"kind": "teleport"}, InvalidArgument), ({"sql": "x", "extra": 1}, InvalidArgument), ({}, InvalidArgument),
    ({"kind": "spend", "cost_usd": "1"}, TypeError), ({"kind": "spend", "tokens": 1.5}, TypeError),
    ({"kind": "spend", "tokens": 2 ** 70}, InvalidArgument), ({"kind": 1}, TypeError),
    ({"kind": "sql", "sql": 12}, TypeError), ({"kind": "tool_call", "tool": None}, TypeError),
    ({"kind": "tool_call", "tool": "t", "args": {"x": object()}}, InvalidArgument),
    ({"kind": "tool_call", "tool": "t", "args": {"x": float("nan")}}, InvalidArgument),
])
def test_bad_input_raises_python_exceptions(full_kernel, bad, exc):
    with pytest.raises(exc):
        full_kernel.check(bad)


def test_invalid_utf8_and_huge_and_nul_inputs_are_denied(sql_kernel):
    for payload in [b"SELECT \xff\xfe", "SELECT '\udc80'", b"SELECT 1\x00; DROP TABLE t",
                    "SELECT 1 " + "x" * (2 << 20)]:
        d = sql_kernel.check(payload)
        assert not d.allowed and d.violations[0].reason


def test_check_batch_matches_single_checks(sql_kernel):
    payloads = ["SELECT 1", "DROP TABLE t", b"DELETE FROM t", "", "UPDATE t SET a=1", "SELECT 2; DROP TABLE x",
                b"\xff"]
    r = sql_kernel.check_batch(payloads)
    assert len(r) == len(payloads)
    for i, p in enumerate(payloads):
        d = sql_kernel.check(p)
        assert bool(r.allowed[i]) == d.allowed
        assert int(r.violations[i]) == d.total_violations
        expected = -1 if d.max_severity is None else ["low", "medium", "high", "critical"].index(d.max_severity)
        assert int(r.max_severity[i]) == expected
    assert r.denied() == [i for i, p in enumerate(payloads) if not sql_kernel.check(p).allowed]
    assert len(sql_kernel.check_batch([])) == 0


def test_check_batch_bad_input(sql_kernel):
    with pytest.raises(TypeError):
        sql_kernel.check_batch("SELECT 1")
    with pytest.raises(TypeError):
        sql_kernel.check_batch(None)
    with pytest.raises(TypeError):
        sql_kernel.check_batch(["SELECT 1", 5])
    with pytest.raises(InvalidArgument):
        sql_kernel.check_batch(["SELECT 1"], kind="teleport")


def test_execute_runs_only_allowed_actions_and_reports(sql_kernel):
    seen, signals, ran = [], [], []
    sql_kernel.on_policy_violation(lambda *a: seen.append(a))
    sql_kernel.on_signal(lambda *a: signals.append(a))
    r = sql_kernel.execute("DROP TABLE users", executor=lambda a: ran.append(a))
    assert not r.executed and not r.allowed and ran == []
    assert len(seen) == len(r.violations) >= 1
    policy, description, severity, blocked = seen[0]
    assert policy == "sql_policy" and blocked is True and description
    r = sql_kernel.execute("SELECT 1", executor=lambda a: "rows")
    assert r.executed and r.result == "rows"
    recent = sql_kernel.get_recent_violations()
    assert len(recent) == len(seen) and recent[0].violation_type == "blocked"
    sql_kernel.reset()
    assert sql_kernel.get_recent_violations() == []
    assert not sql_kernel.check("DROP TABLE users").allowed  # check() is pure: nothing recorded
    assert sql_kernel.get_recent_violations() == []


def test_signals_for_critical_and_budget():
    k = KernelSpace(policy=[SQLPolicy(severities={"DROP": "critical"}), CostControlPolicy(max_cost_usd=1)])
    got = []
    k.on_signal(lambda sig, agent: got.append((sig, agent)))
    k.execute(Action.sql("DROP TABLE t", agent_id="a1"))
    k.execute(Action.spend(5.0, agent_id="a2"))
    assert ("SIGPOLICY", "a1") in got and ("SIGBUDGET", "a2") in got


def test_a_failing_callback_does_not_change_the_decision(sql_kernel):
    sql_kernel.on_policy_violation(lambda *a: 1 / 0)
    r = sql_kernel.execute("DROP TABLE t", executor=lambda a: pytest.fail("must not run"))
    assert not r.executed
    with pytest.raises(TypeError):
        sql_kernel.on_signal("not callable")


def test_closed_kernel_refuses_and_gc_is_safe():
    k = KernelSpace(policy=SQLPolicy())
    d = k.check("DROP TABLE t")
    k.close()
    k.close()  # idempotent
    with pytest.raises(StateError):
        k.check("SELECT 1")
    assert not d.allowed  # decisions are plain Python values, valid after the kernel is gone
    for _ in range(50):
        KernelSpace(policy=ToolPolicy(allow=["x"])).check(Action.tool_call("x"))
    gc.collect()


def test_checks_from_many_threads_agree(full_kernel):
    payloads = ["SELECT 1", "DROP TABLE t", "SELECT 2; DELETE FROM x"] * 50
    expected = [full_kernel.check(p).allowed for p in payloads]
    errors = []

    def worker():
        try:
            for _ in range(5):
                assert [full_kernel.check(p).allowed for p in payloads] == expected
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_check_actions_is_one_episode_with_a_state(full_kernel):
    actions = [Action.spend(4.0), Action.tool_call("search"), Action.spend(4.0), Action.spend(4.0),
               Action.tool_call("shell"), Action.message("hi")]
    st = EpisodeState()
    r = full_kernel.check_actions(actions, state=st)
    assert [bool(x) for x in r.allowed] == [True, True, True, False, False, True]
    assert st.get().cost_usd == 8.0
    fresh = full_kernel.check_actions(actions)
    assert [bool(x) for x in fresh.allowed] == [True, True, True, True, False, True]
    assert len(full_kernel.check_actions([])) == 0
    with pytest.raises(TypeError):
        full_kernel.check_actions([None])


def test_a_copy_shares_the_c_kernel_and_is_closed_on_its_own():
    import copy

    original = KernelSpace.from_yaml_text(
        "version: 1\npolicies:\n  - name: sql_safety\n    type: sql\n    deny: [DROP]\n")
    clone, shallow = copy.deepcopy(original), copy.copy(original)
    assert clone is not original and shallow is not original
    assert clone.handle.value != original.handle.value
    assert clone.yaml == original.yaml and clone.mode == "enforce" and clone.policy_count == 1
    original.close()
    assert original.closed and not clone.closed and not shallow.closed
    assert clone.check("DROP TABLE users").allowed is False
    assert shallow.check("SELECT 1").allowed is True
    clone.close()
    assert shallow.check("DROP TABLE users").allowed is False
    with pytest.raises(TypeError, match="cannot be pickled"):
        import pickle
        pickle.dumps(shallow)
