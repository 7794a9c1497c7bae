"""FlightRecorder -> spans -> store, end to end; honest counts; stoppable streams."""

import asyncio
import json
import sqlite3
import threading

import pytest

from agent_os import Action, AgentOSError, FlightRecorder, InvalidArgument, KernelSpace, StateError
from agent_os.integrations.agent_lightning import (AgentOSRunner, FlightRecorderAdapter, FlightRecorderEmitter,
                                                   GovernedRunner)
from agent_os.integrations.agent_lightning.spans import StoreDeliveryError
from agent_os.policies import SQLPolicy, ToolPolicy
from fake_store import SPAN_KEYS, FakeLightningStore, SyncManyStore, validate_span

pytestmark = pytest.mark.nonumpy


def agent(task, handle):
    handle.sql("SELECT 1")
    handle.sql("DROP TABLE users")
    handle.call_tool("search", {"q": task})
    handle.call_tool("shell", {"cmd": "rm -rf /"})
    return "done"


@pytest.fixture
def recorded(tmp_path):
    rec = FlightRecorder(tmp_path / "audit.db", durability="relaxed")
    kernel = KernelSpace(policy=[SQLPolicy(), ToolPolicy(deny=["shell"])])
    runner = GovernedRunner(kernel, recorder=rec, log_violations=False, agent=agent)
    for task in ("a", "b", "c"):
        asyncio.run(runner.step(task))
    yield rec
    rec.close()


def test_recorder_to_spans_to_store_end_to_end(recorded):
    emitter = FlightRecorderEmitter(recorded)
    spans = emitter.get_spans()
    assert len(spans) == 12
    for s in spans:
        validate_span(s)
        assert set(SPAN_KEYS) <= set(s) and s["name"].startswith("agent_os.")
        assert not any(k.startswith("agentlightning.reward") for k in s["attributes"])
    assert len({s["rollout_id"] for s in spans}) == 3          # one rollout per runner rollout
    denied = [s for s in spans if s["status"]["status_code"] == "ERROR"]
    assert len(denied) == 6 and all(s["events"][0]["name"] == "agent_os.violation" for s in denied)
    store = FakeLightningStore()
    assert emitter.emit_to_store(store) == 12 == len(store.spans)
    assert emitter.emit_to_store(store) == 0                     # nothing new: no duplicates sent
    assert emitter.get_stats()["emitted_count"] == 12
    emitter.get_spans(); emitter.get_new_spans()
    assert emitter.get_stats()["emitted_count"] == 12            # reading never counts as emitting
    s = emitter.get_violation_summary()
    assert s == {"total_entries": 12, "total_violations": 6, "violating_entries": 6, "blocked_entries": 6,
                 "violation_rate": 0.5, "rate_basis": "records",
                 "policies_violated": {"sql_policy": 3, "tool_policy": 3}}


def test_only_new_records_are_emitted(recorded):
    emitter = FlightRecorderEmitter(recorded)
    store = SyncManyStore()
    assert emitter.emit_to_store(store) == 12
    KernelSpace(policy=SQLPolicy()).check("DELETE FROM t", recorder=recorded)
    assert emitter.emit_to_store(store) == 1 and len(store.spans) == 13
    assert [s["attributes"]["agent_os.seq"] for s in store.spans] == list(range(1, 14))


def test_a_failing_store_counts_only_what_it_accepted(recorded):
    emitter = FlightRecorderEmitter(recorded)
    store = FakeLightningStore(fail_after=5)
    with pytest.raises(StoreDeliveryError) as e:
        emitter.emit_to_store(store)
    assert e.value.delivered == 5 and emitter.get_stats()["emitted_count"] == 5
    store.fail_after = None
    assert emitter.emit_to_store(store) == 7 and len(store.spans) == 12
    with pytest.raises(TypeError):
        emitter.emit_to_store(object())


def test_emit_inside_a_running_loop_and_async_api(recorded):
    async def main():
        store = FakeLightningStore()
        a = FlightRecorderEmitter(recorded).emit_to_store(store)       # sync call from async code
        b = await FlightRecorderEmitter(recorded).emit_to_store_async(FakeLightningStore())
        return a, b
    assert asyncio.run(main()) == (12, 12)


def test_routing_filters_and_prefix(recorded):
    routed = FlightRecorderEmitter(recorded, rollout_id="ro-1", attempt_id="at-1").get_spans()
    assert {s["rollout_id"] for s in routed} == {"ro-1"}
    assert [s["sequence_id"] for s in routed] == list(range(1, 13))
    assert routed[0]["resource"]["attributes"]["agentlightning.rollout_id"] == "ro-1"
    no_tools = FlightRecorderEmitter(recorded, include_tool_calls=False, include_policy_checks=False).get_spans()
    assert no_tools == []
    only_checks = FlightRecorderEmitter(recorded, include_tool_calls=False).get_spans()
    assert len(only_checks) == 12          # every record is a policy check
    prefixed = FlightRecorderEmitter(recorded, trace_id_prefix="train").get_spans()
    assert all(s["rollout_id"].startswith("train-") for s in prefixed)
    with pytest.raises(TypeError):
        FlightRecorderEmitter("recorder")
    with pytest.raises(InvalidArgument):
        FlightRecorderEmitter(recorded, trace_id_prefix="")


def test_stream_stops(recorded):
    emitter = FlightRecorderEmitter(recorded)

    async def take(**kw):
        return [s async for s in emitter.stream(**kw)]

    assert len(asyncio.run(take(max_items=5))) == 5
    assert len(asyncio.run(take(idle_timeout=0.05))) == 7      # the rest, then idle
    stop = threading.Event()
    stop.set()
    assert asyncio.run(take(stop_event=stop)) == []
    with pytest.raises(InvalidArgument):
        asyncio.run(take())
    assert emitter.get_stats()["last_position"] == 12


def test_stream_sees_records_made_while_it_runs(recorded):
    emitter = FlightRecorderEmitter(recorded)
    emitter.get_new_spans()
    kernel = KernelSpace(policy=SQLPolicy())

    async def main():
        async def produce():
            for _ in range(3):
                await asyncio.sleep(0.01)
                kernel.check("DROP TABLE x", recorder=recorded)
        task = asyncio.create_task(produce())
        got = [s async for s in emitter.stream(max_items=3, poll_interval=0.005)]
        await task
        return got
    assert len(asyncio.run(main())) == 3


def test_export_to_file_and_adapter(recorded, tmp_path):
    emitter = FlightRecorderEmitter(recorded)
    assert emitter.export_to_file(tmp_path / "audit.json") == 12
    data = json.loads((tmp_path / "audit.json").read_text())
    assert data == emitter.get_spans()
    store = FakeLightningStore()
    assert FlightRecorderAdapter(recorded).import_to_store(store) == 12


def test_runner_emits_rollout_spans_to_the_worker_store():
    kernel = KernelSpace(policy=[SQLPolicy(), ToolPolicy(deny=["shell"])])
    runner = AgentOSRunner(kernel, fail_on_violation=False, emit_violations=True, agent=agent)
    store = FakeLightningStore()
    runner.init_worker(0, store)
    r = asyncio.run(runner.step("x", rollout_id="ro-9", attempt_id="at-1"))
    assert len(store.spans) == 1 + len(r.violations) == 3
    root = store.spans[("ro-9", "at-1", next(iter(store.spans))[2])]
    assert root["name"] == "agent_os.rollout" and root["attributes"]["agent_os.violations"] == 2
    assert sorted(s["sequence_id"] for s in store.spans.values()) == [1, 2, 3]


def test_recorder_verifies_and_detects_tampering(recorded):
    assert recorded.verify()["valid"]
    recorded.flush()
    db = sqlite3.connect(recorded.path)
    db.execute("UPDATE records SET allowed = 1 WHERE seq = 2")   # rewrite blocked -> allowed
    db.commit()
    db.close()
    v = recorded.verify()
    assert not v["valid"] and v["first_bad_seq"] == 2 and "2" in v["message"]


def test_recorder_bad_input(tmp_path):
    with pytest.raises(InvalidArgument):
        FlightRecorder(tmp_path / "x.db", durability="eventually")
    with pytest.raises(InvalidArgument):
        FlightRecorder("bad\0path")
    with pytest.raises(TypeError):
        FlightRecorder(tmp_path / "x.db", hmac_key="not bytes")
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"this is not an sqlite file at all" * 100)
    with pytest.raises(AgentOSError):
        FlightRecorder(foreign)
    with pytest.raises(AgentOSError):
        FlightRecorder(tmp_path)                      # a directory
    rec = FlightRecorder(tmp_path / "k.db", hmac_key=b"secret")
    KernelSpace(policy=SQLPolicy()).check("DROP TABLE t", recorder=rec)
    rec.close()
    rec.close()
    with pytest.raises(StateError):
        KernelSpace(policy=SQLPolicy()).check("SELECT 1", recorder=rec)
    from agent_os.recorder import verify_log
    assert verify_log(tmp_path / "k.db", b"secret")["valid"]
    assert not verify_log(tmp_path / "k.db", b"wrong")["valid"]
    with pytest.raises(AgentOSError):
        verify_log(tmp_path / "k.db")                 # keyed log, no key


def test_recorder_level_violations_and_counters(tmp_path):
    rec = FlightRecorder(tmp_path / "v.db", level="violations")
    k = KernelSpace(policy=SQLPolicy())
    for sql in ["SELECT 1", "DROP TABLE t", "SELECT 2"]:
        k.check(sql, recorder=rec)
    rec.flush()
    assert rec.counters()["decisions_seen"] == 3
    assert [r["action"]["payload"] for r in rec.records()] == ["DROP TABLE t"]
    rec.close()


def test_group_commit_wait_is_an_option(tmp_path):
    with pytest.raises(InvalidArgument):
        FlightRecorder(tmp_path / "g.db", group_commit_us=2_000_000)   # more than 1 s
    assert not (tmp_path / "g.db").exists()
    k = KernelSpace(policy=SQLPolicy())
    for wait in (0, 500):
        rec = FlightRecorder(tmp_path / f"g{wait}.db", durability="sync", group_commit_us=wait)
        for sql in ["SELECT 1", "DROP TABLE t"]:
            k.check(sql, recorder=rec)
        rec.flush()
        assert rec.counters()["committed_seq"] == 2
        rec.close()
        from agent_os.recorder import verify_log
        assert verify_log(tmp_path / f"g{wait}.db")["valid"]


def test_vector_env_steps_are_recorded(tmp_path):
    from agent_os.vector_env import VectorEnv
    rec = FlightRecorder(tmp_path / "venv.db", durability="relaxed")
    env = VectorEnv(KernelSpace(policy=ToolPolicy(deny=["bad"])), 4, task="external", recorder=rec)
    env.reset(seed=0)
    for _ in range(3):
        env.step(["{}"] * 4, kinds=["tool_call"] * 4, tools=["ok", "bad", "ok", "ok"])
    records = rec.records()
    assert len(records) == 12
    assert sorted({r["env_id"] for r in records}) == [0, 1, 2, 3]
    assert sum(1 for r in records if not r["decision"]["allowed"]) == 3
    assert all(r["executed"] == r["decision"]["allowed"] for r in records)
    spans = FlightRecorderEmitter(rec).get_spans()
    assert len(spans) == 12 and len({s["rollout_id"] for s in spans}) == 4
    assert rec.verify()["valid"]
    env.close()
    rec.close()
    with pytest.raises(TypeError):
        VectorEnv(KernelSpace(policy=SQLPolicy()), 1, recorder="audit.db")


def test_governed_environment_records_its_steps(tmp_path):
    from agent_os.integrations.agent_lightning import GovernedEnvironment
    rec = FlightRecorder(tmp_path / "env.db")
    env = GovernedEnvironment(KernelSpace(policy=SQLPolicy()), recorder=rec, reward_fn=lambda *a: 1.0)
    env.reset(seed=0)
    env.step("SELECT 1")
    env.step("DELETE FROM users")
    summary = FlightRecorderEmitter(rec).get_violation_summary()
    assert summary["total_entries"] == 2 and summary["violation_rate"] == 0.5
    rec.close()
