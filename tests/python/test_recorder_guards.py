"""FlightRecorder's guards: record context values out of range are refused
(not wrapped by ctypes), an empty HMAC key is refused by the engine instead of
making an unkeyed log, and a log has one writer at a time, in one process or
across processes."""

import os
import subprocess
import sys
import textwrap

import pytest

from agent_os import FlightRecorder, InvalidArgument, KernelSpace, StateError
from agent_os.policies import SQLPolicy
from agent_os.recorder import verify_log

pytestmark = pytest.mark.nonumpy

from conftest import PYTHON_DIR as _TESTED_DIR  # noqa: E402  (the agent_os under test: installed or in-tree)

PYTHON_DIR = str(_TESTED_DIR)


@pytest.fixture
def kernel():
    return KernelSpace(policy=SQLPolicy())


@pytest.fixture
def rec(tmp_path):
    r = FlightRecorder(tmp_path / "audit.db", durability="relaxed")
    yield r
    r.close()


@pytest.mark.parametrize("context, error, message", [
    ({"env_id": 2**64}, InvalidArgument, "env_id must be in [0, 18446744073709551615], not 18446744073709551616"),
    ({"env_id": -1}, InvalidArgument, "env_id must be in [0, 18446744073709551615], not -1"),
    ({"episode": 2**64 + 5}, InvalidArgument, "episode must be in [0, 18446744073709551615], not 18446744073709551621"),
    ({"step": -1}, InvalidArgument, "step must be in [0, 4294967295], not -1"),
    ({"step": 2**32}, InvalidArgument, "step must be in [0, 4294967295], not 4294967296"),
    ({"signals": 2**32}, InvalidArgument, "signals must be in [0, 4294967295], not 4294967296"),
    ({"env_id": 1.0}, TypeError, "env_id must be an int, not float"),
    ({"step": "3"}, TypeError, "step must be an int, not str"),
    ({"episode": True}, TypeError, "episode must be an int, not a bool"),
])
def test_record_context_out_of_range_is_refused_and_records_nothing(kernel, rec, context, error, message):
    with pytest.raises(error) as e:
        kernel.check("SELECT 1", recorder=rec, record_context=context)
    assert str(e.value) == message
    assert isinstance(e.value, ValueError if error is InvalidArgument else TypeError)
    rec.flush()
    assert rec.records() == []
    assert rec.counters()["decisions_seen"] == 0


def test_record_context_limits_are_recorded_exactly(kernel, rec):
    kernel.check("SELECT 1", recorder=rec, record_context={"env_id": 2**64 - 1, "episode": 2**64 - 1,
                                                            "step": 2**32 - 1, "signals": 2**32 - 1})
    [r] = rec.records()
    assert (r["env_id"], r["episode"], r["step"], r["signal_mask"]) == (2**64 - 1, 2**64 - 1, 2**32 - 1, 2**32 - 1)
    assert r["signals"] == ["SIGSTOP", "SIGCONT", "SIGKILL", "SIGTERM", "SIGPOLICY", "SIGBUDGET"] + [
        f"bit{n}" for n in range(6, 32)]


def test_export_positions_beyond_u64_are_refused(rec):
    with pytest.raises(InvalidArgument):
        rec.export(after_seq=2**64)


def test_empty_hmac_key_is_refused_by_the_engine_and_makes_no_log(tmp_path):
    path = tmp_path / "audit.db"
    with pytest.raises(InvalidArgument) as e:
        FlightRecorder(path, hmac_key=b"")
    assert str(e.value) == ("agentos_recorder_open: hmac_key is empty: an HMAC key needs at least one byte "
                            "(pass NULL for an unkeyed SHA-256 log)")
    assert not path.exists()
    with FlightRecorder(path, hmac_key=None):
        pass
    with pytest.raises(InvalidArgument) as e:
        verify_log(path, b"")
    assert str(e.value) == "agentos_audit_verify: key is empty (pass NULL to verify an unkeyed log)"
    assert verify_log(path)["valid"]


def test_second_recorder_in_the_same_process_is_refused(kernel, tmp_path):
    path = tmp_path / "audit.db"
    first = FlightRecorder(path, durability="relaxed")
    kernel.check("SELECT 1", recorder=first)
    with pytest.raises(StateError) as e:
        FlightRecorder(path, durability="relaxed")
    assert str(e.value) == (
        f"agentos_recorder_open: {path}: another recorder is writing this log (process {os.getpid()} holds "
        f"{path}.lock); a log has one writer at a time: close that recorder first, or record into another file")
    kernel.check("SELECT 2", recorder=first)
    first.close()
    with FlightRecorder(path, durability="relaxed") as second:
        kernel.check("SELECT 3", recorder=second)
    result = verify_log(path)
    assert result["valid"] and result["records"] == 3
    assert not os.path.exists(f"{path}.lock")


HOLDER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from agent_os import FlightRecorder, KernelSpace
    from agent_os.policies import SQLPolicy
    kernel = KernelSpace(policy=SQLPolicy())
    rec = FlightRecorder(sys.argv[2], durability="relaxed")
    kernel.check("SELECT 1", recorder=rec)
    rec.flush()
    print("ready", flush=True)
    sys.stdin.readline()          # hold the log until told to let go
    kernel.check("SELECT 2", recorder=rec)
    rec.close()
    print("closed", flush=True)
""")


def test_recorder_in_another_process_holds_the_log_until_it_closes(kernel, tmp_path):
    path = tmp_path / "audit.db"
    env = dict(os.environ)
    child = subprocess.Popen([sys.executable, "-c", HOLDER, PYTHON_DIR, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(StateError) as e:
            FlightRecorder(path, durability="relaxed")
        assert f"another recorder is writing this log (process {child.pid} holds {path}.lock)" in str(e.value)
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "closed"
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    with FlightRecorder(path, durability="relaxed") as rec:
        kernel.check("SELECT 3", recorder=rec)
    result = verify_log(path)
    assert result["valid"] and result["records"] == 3


def test_killed_writer_process_leaves_the_log_usable(kernel, tmp_path):
    path = tmp_path / "audit.db"
    child = subprocess.Popen([sys.executable, "-c", HOLDER, PYTHON_DIR, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
    finally:
        child.kill()
        child.wait()
    with FlightRecorder(path, durability="relaxed") as rec:
        kernel.check("SELECT 2", recorder=rec)
    result = verify_log(path)
    assert result["valid"] and result["records"] == 2
