"""Multi-host: a scheduler and two workers on three "hosts" (network
namespaces on this machine joined by a bridge, netns/topology.py), the
trainer on the scheduler's host, once with Dask (scheduler + 2 workers) and
once with Ray (a head node without CPUs + 2 worker nodes). The distributed
env must equal the local one step for step with its shards on the two other
hosts, and the merged audit trail must verify. In the Ray run, host "a" is
then taken down (every process in its namespace SIGKILLed): its shard must
be detected lost, restarted on host "b" and reported, and the audit still
merges.

Traffic goes only between the addresses the test assigns inside its own
namespaces (10.253.7.1-3); the namespaces, bridge and veths are created by
the test and always removed. Skipped, saying why, without root or `ip`.
"""

import importlib.util
import json
import os
import secrets
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "netns"))
import topology  # noqa: E402

from agent_os import _lib  # noqa: E402
from conftest import PYTHON_DIR  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
# The interpreter running the tests has the backends installed (a venv's).
PYTHON = sys.executable
PORT = 8786


@pytest.fixture
def hosts(tmp_path):
    reason = topology.unavailable_reason()
    if reason:
        pytest.skip(f"multi-host test skipped: {reason}")
    topo = topology.Topology()
    try:
        topo.up()
        yield topo
    finally:
        topo.down()
    for name in topo.ns.values():
        assert not os.path.exists(f"/run/netns/{name}"), f"namespace {name} was not removed"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PYTHON_DIR)
    env["AGENTOS_LIBRARY"] = str(_lib.path)
    env["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"] = "30s"
    return env


def _needs(module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


def _check_result(hosts, out):
    result = json.loads(out.read_text())
    assert result["steps_matched"] == 60
    assert sorted(result["workers"].values()) == [hosts.address("a"), hosts.address("b")], result["workers"]
    placed_on = sorted({result["workers"][w] for _s, _r, w, _i in result["placement"]})
    assert placed_on == [hosts.address("a"), hosts.address("b")]
    assert result["merged"]["valid"], result["merged"]["message"]
    assert result["merged"]["records"] > 0
    assert result["manifest_sources"] == 2 + len(result.get("faults", []))
    return result


def _run_trainer(hosts, tmp_path, env, backend, address, lose_host=None):
    """Runs netns/trainer.py on host s; with lose_host, that host's processes
    are SIGKILLed once the trainer has matched the local env (a host gone)."""
    out = tmp_path / "result.json"
    signal_file = tmp_path / "lose-host-now"
    argv = [PYTHON, str(HERE / "netns" / "trainer.py"), "--backend", backend, "--scheduler", address,
            "--workers", "2", "--audit-dir", str(tmp_path), "--out", str(out)]
    if lose_host:
        argv += ["--lose-host-file", str(signal_file)]
    t0 = time.monotonic()
    trainer = hosts.spawn("s", argv, env, str(tmp_path / "trainer.log"))
    if lose_host:
        while not signal_file.exists() and trainer.poll() is None:
            assert time.monotonic() - t0 < 240, "the trainer did not get ready"
            time.sleep(0.2)
        hosts.kill_host(lose_host)
    try:
        rc = trainer.wait(timeout=max(10.0, 300 - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired:
        rc = "timeout"
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in tmp_path.glob("*.log"))
    assert rc == 0, f"trainer failed ({time.monotonic() - t0:.0f} s, {rc}):\n{logs}"
    return _check_result(hosts, out)


def test_ray_head_and_two_worker_nodes_on_other_hosts_equal_the_local_env(hosts, tmp_path):
    _needs("ray")
    env = _env()
    # Ray's session files and its cluster token stay in this test's own directory (short: socket paths).
    ray_tmp = tempfile.mkdtemp(prefix="aosray", dir="/tmp")
    env["HOME"] = ray_tmp
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # A cluster reached over non-loopback addresses needs token authentication; one token,
    # given to every process up front, leaves no race with the head writing its token file.
    env["RAY_AUTH_MODE"] = "token"
    env["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    ray = os.path.join(os.path.dirname(PYTHON), "ray")
    head = hosts.address("s")
    common = ["--include-dashboard=false", "--block", "--object-store-memory=80000000", "--disable-usage-stats"]
    try:
        hosts.spawn("s", [ray, "start", "--head", f"--node-ip-address={head}", "--port=6379", "--num-cpus=0",
                          f"--temp-dir={ray_tmp}/t", *common], env, str(tmp_path / "ray-head.log"))
        for host in ("a", "b"):
            hosts.spawn(host, [ray, "start", f"--address={head}:6379", f"--node-ip-address={hosts.address(host)}",
                               "--num-cpus=1", *common[1:],
                               # the hosts share one file system: each node's sockets in its own directory
                               f"--temp-dir={ray_tmp}/{host}"],
                        env, str(tmp_path / f"ray-{host}.log"))
        result = _run_trainer(hosts, tmp_path, env, "ray", f"{head}:6379", lose_host="a")
        # host a went down mid-run: its shard was detected lost and restarted on host b, and reported
        lost_node = [w for w, ip in result["workers"].items() if ip == hosts.address("a")][0]
        (fault,) = result["faults"]
        assert fault["reason"] == "worker lost" and fault["worker"] == lost_node
        assert result["workers"][fault["restarted_on"]] == hosts.address("b")
        assert {w for _s, _r, w, _i in result["placement_after"]} == {fault["restarted_on"]}
        assert result["restarted_rows"] == fault["envs"][1] - fault["envs"][0]
    finally:
        hosts.down()
        shutil.rmtree(ray_tmp, ignore_errors=True)


def test_shards_on_two_other_hosts_equal_the_local_env_and_the_audit_merges(hosts, tmp_path):
    _needs("distributed")
    env = _env()
    # the namespaces reach nothing but each other
    for host in ("s", "a", "b"):
        routes = hosts.routes(host)
        assert routes and all(r.startswith(f"{topology.SUBNET}.0/24") for r in routes), routes
    scheduler = f"tcp://{hosts.address('s')}:{PORT}"
    hosts.spawn("s", [PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", hosts.address("s"),
                      "--port", str(PORT), "--no-dashboard", "--no-show"], env, str(tmp_path / "scheduler.log"))
    for host in ("a", "b"):
        hosts.spawn(host, [PYTHON, "-m", "distributed.cli.dask_worker", scheduler, "--host", hosts.address(host),
                           "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"worker-{host}",
                           "--local-directory", str(tmp_path / f"dask-{host}")], env,
                    str(tmp_path / f"worker-{host}.log"))
    _run_trainer(hosts, tmp_path, env, "dask", scheduler)
