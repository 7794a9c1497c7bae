"""Multi-host: a Dask scheduler and two workers on three "hosts" (network
namespaces on this machine joined by a bridge, netns/topology.py), the
trainer on the scheduler's host. The distributed env must equal the local
one step for step with its shards on the two other hosts, and the merged
audit trail must verify.

Traffic goes only between the addresses the test assigns inside its own
namespaces (10.253.7.1-3); the namespaces, bridge and veths are created by
the test and always removed. Skipped, saying why, without root or `ip`.
"""

import json
import os
import pathlib
import sys
import time

import pytest

pytest.importorskip("distributed", reason="agent_os.distributed needs dask.distributed (python3-distributed)")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "netns"))
import topology  # noqa: E402

from agent_os import _lib  # noqa: E402
from conftest import PYTHON_DIR  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
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


def test_shards_on_two_other_hosts_equal_the_local_env_and_the_audit_merges(hosts, tmp_path):
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
    out = tmp_path / "result.json"
    t0 = time.monotonic()
    r = hosts.run("s", [PYTHON, str(HERE / "netns" / "trainer.py"), "--scheduler", scheduler, "--workers", "2",
                        "--audit-dir", str(tmp_path), "--out", str(out)], env, timeout=150)
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in tmp_path.glob("*.log"))
    assert r.returncode == 0, f"trainer failed ({time.monotonic() - t0:.0f} s):\n{r.stdout}\n{r.stderr}\n{logs}"
    result = json.loads(out.read_text())
    assert result["steps_matched"] == 60
    worker_hosts = sorted(w.split("//")[1].split(":")[0] for w in result["workers"])
    assert worker_hosts == [hosts.address("a"), hosts.address("b")], result["workers"]
    placed_on = sorted({w.split("//")[1].split(":")[0] for _s, _r, w, _i in result["placement"]})
    assert placed_on == [hosts.address("a"), hosts.address("b")]
    assert result["merged"]["valid"], result["merged"]["message"]
    assert result["merged"]["records"] > 0 and result["manifest_sources"] == 2
