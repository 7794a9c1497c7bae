"""DistributedVectorEnv on a local cluster of worker PROCESSES, every test
once per backend: Dask (2 worker processes) and Ray (one node with 2 CPUs,
each shard actor its own process).

Specification:
  * the distributed env returns what the local VectorEnv returns, step for
    step, for the same num_envs and seed (every array, every info key);
  * the shard logs merge into one trail that verifies and equals the local
    run's log record for record;
  * a worker killed with SIGKILL mid-run is detected, its shard restarts on
    a live worker from a reset, the loss is reported (infos and counters),
    the run completes, no committed record is lost and the dead shard's log
    verifies;
  * a stopped (slow) worker costs at most the step timeout, reported;
  * bad input is refused before any shard moves; every cluster is shut down.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

from agent_os import FlightRecorder, KernelSpace, VectorEnv  # noqa: E402
from agent_os.distributed import DaskBackend, DistributedVectorEnv, RayBackend, StepTimeoutError  # noqa: E402
from agent_os.distributed.audit_merge import iter_records  # noqa: E402
from agent_os.env_config import EnvironmentConfig  # noqa: E402
from agent_os.errors import AgentOSError, InvalidArgument, StateError  # noqa: E402
from agent_os.recorder import verify_log  # noqa: E402

from test_distributed_support import POLICY_YAML, assert_same_step, comparable, random_batch  # noqa: E402

WORKERS = 2
# distinct places shards land on: Dask worker processes, Ray nodes
PLACES = {"dask": WORKERS, "ray": 1}


@pytest.fixture(scope="module", params=["dask", "ray"])
def client(request):
    """The backend every test of the module runs on (the caller owns it)."""
    if request.param == "dask":
        pytest.importorskip("distributed", reason="backend dask needs dask.distributed")
        backend = DaskBackend.local(WORKERS, timeout=120)
    else:
        pytest.importorskip("ray", reason="backend ray needs ray")
        backend = RayBackend.local(WORKERS, timeout=120)
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture
def kernel():
    return KernelSpace.from_yaml_text(POLICY_YAML)


def _wait_for_workers(client, n=None, timeout=60):
    client.wait_for_workers(PLACES[client.name] if n is None else n, timeout)


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # a Ray shard process is gone with its actor
        pass


def test_distributed_results_equal_local_ones_step_for_step(client, kernel):
    n, seed = 37, 1234
    config = EnvironmentConfig(max_steps=6)
    local = VectorEnv(kernel, n, seed=seed, config=config)
    with DistributedVectorEnv(kernel, n, seed=seed, config=config, client=client, num_shards=3) as dist:
        assert len({w for _s, _r, w, _i in dist.shard_placement()}) == PLACES[client.name]
        assert dist.metadata == local.metadata and dist.num_envs == local.num_envs
        obs_d, info_d = dist.reset(seed=99)
        obs_l, info_l = local.reset(seed=99)
        assert np.array_equal(obs_d, obs_l) and info_d == info_l == {}
        rng = np.random.default_rng(5)
        for step in range(1000):
            actions, costs = random_batch(rng, n), rng.random(n) * 0.4
            d = dist.step(actions, cost_usd=costs)
            loc = local.step(actions, cost_usd=costs)
            assert_same_step(d, loc, f"step {step}")
            assert not d[4]["shard_restarted"].any()
        md, ml = dist.metrics(), local.metrics()
        for key, value in ml.items():
            if isinstance(value, float):
                assert md[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
            else:
                assert md[key] == value, key
        assert md["distributed"]["restarts"] == 0
        assert dist.observation_text(20) == local.observation_text(20)
    local.close()


@pytest.mark.parametrize("autoreset", ["same_step", "disabled"])
def test_every_autoreset_mode_and_masked_resets_match_the_local_env(client, kernel, autoreset):
    n, seed = 16, 7
    config = EnvironmentConfig(max_steps=3)
    local = VectorEnv(kernel, n, seed=seed, config=config, autoreset=autoreset)
    with DistributedVectorEnv(kernel, n, seed=seed, config=config, autoreset=autoreset, client=client) as dist:
        dist.reset()
        local.reset()
        rng = np.random.default_rng(11)
        for step in range(40):
            if autoreset == "disabled":
                ended = local.buffers["terminated"].astype(bool) | local.buffers["truncated"].astype(bool)
                if ended.any():
                    a = dist.reset(seed=step, options={"reset_mask": ended})[0]
                    b = local.reset(seed=step, options={"reset_mask": ended})[0]
                    assert np.array_equal(a, b)
            actions = random_batch(rng, n)
            assert_same_step(dist.step(actions), local.step(actions), f"{autoreset} step {step}")
        # per-env seeds in one call per shard == one local masked reset per env
        seeds = rng.integers(0, 2**62, n)
        mask = rng.random(n) < 0.6
        dist.reset_envs(seeds, mask)
        for i in np.flatnonzero(mask):
            one = np.zeros(n, dtype=bool)
            one[i] = True
            local.reset(seed=int(seeds[i]) - int(i), options={"reset_mask": one})
        assert np.array_equal(dist.buffers["observation"], local.buffers["observation"])
    local.close()


def test_the_shard_logs_merge_into_one_trail_equal_to_the_local_runs(client, kernel, tmp_path):
    n = 12
    local_rec = FlightRecorder(str(tmp_path / "local.db"))
    local = VectorEnv(kernel, n, seed=3, recorder=local_rec)
    rec = FlightRecorder(str(tmp_path / "merged.db"))
    dist = DistributedVectorEnv(kernel, n, seed=3, client=client, recorder=rec)
    dist.reset(seed=1)
    local.reset(seed=1)
    rng = np.random.default_rng(2)
    for _ in range(30):
        actions = random_batch(rng, n)
        dist.step(actions)
        local.step(actions)
    dist.close()
    local.close()
    local_rec.close()
    assert dist.audit_manifest["records"] > 0
    assert os.path.exists(str(tmp_path / "merged.db.shards" / "index.json"))
    rec.close()
    v = verify_log(str(tmp_path / "merged.db"))
    assert v["valid"], v["message"]
    merged = [comparable(r) for r in iter_records(str(tmp_path / "merged.db"))]
    assert merged == [comparable(r) for r in iter_records(str(tmp_path / "local.db"))]
    assert {s["end"] for s in dist.audit_index()["sources"]} == {"closed"}


def test_bad_input_is_refused_before_any_shard_moves(client, kernel):
    n = 8
    local = VectorEnv(kernel, n, seed=1)
    with DistributedVectorEnv(kernel, n, seed=1, client=client) as dist:
        with pytest.raises(StateError, match="step before reset"):
            dist.step(["SELECT 1"] * n)
        dist.reset(seed=4)
        local.reset(seed=4)
        with pytest.raises(InvalidArgument):
            dist.step(["SELECT 1"] * (n - 1))
        with pytest.raises(InvalidArgument):
            dist.step(["SELECT 1"] * n, cost_usd=[0.1] * 3)
        with pytest.raises(TypeError):
            dist.step([1] * n)
        with pytest.raises(InvalidArgument):
            dist.send_signal(n, "SIGSTOP")
        with pytest.raises(InvalidArgument):
            dist.send_signal(0, "SIGPOLICY")
        # nothing moved: the next step still equals the local env's
        assert_same_step(dist.step(["DROP TABLE x"] * n), local.step(["DROP TABLE x"] * n))
        dist.send_signal(3, "SIGSTOP")
        local.send_signal(3, "SIGSTOP")
        assert_same_step(dist.step(["SELECT 1"] * n), local.step(["SELECT 1"] * n))
    with pytest.raises(StateError, match="closed"):
        dist.step(["SELECT 1"] * n)
    dist.close()  # twice is fine
    local.close()


def _shards_running(backend):
    """Dask: the shard actors' keys held by workers; Ray: the processes
    holding a shard actor (Ray titles them ray::RayShardHost)."""
    if backend.name == "dask":
        c = backend.client
        return {k for keys in c.has_what().values() for k in keys if str(k).startswith("agentos-shard-")}
    pids = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f.read().startswith(b"ray::RayShardHost"):
                    pids.add(int(entry))
        except (OSError, ValueError):
            continue
    return pids


def test_an_engine_error_on_a_worker_reaches_the_trainer_and_leaves_nothing_running(client, kernel, tmp_path):
    none = set()
    deadline = time.monotonic() + 20
    while _shards_running(client) != none:  # earlier tests' shards go asynchronously
        assert time.monotonic() < deadline, f"shards left running: {_shards_running(client)}"
        time.sleep(0.1)
    with pytest.raises(AgentOSError) as e:
        DistributedVectorEnv(kernel, 4, task="sql", dataset_dir=str(tmp_path / "missing"), client=client)
    assert "missing" in str(e.value)
    deadline = time.monotonic() + 20
    while _shards_running(client) != none:  # cancelling is asynchronous
        assert time.monotonic() < deadline, f"shards left running: {_shards_running(client)}"
        time.sleep(0.1)


def test_a_worker_killed_mid_run_is_reported_and_the_run_completes(client, kernel, tmp_path):
    n = 48
    rec = FlightRecorder(str(tmp_path / "merged.db"), durability="relaxed")
    dist = DistributedVectorEnv(kernel, n, seed=8, client=client, recorder=rec, step_timeout=60)
    try:
        dist.reset(seed=8)
        victim_shard, (lo, hi), victim, _inc = dist.shard_placement()[0]
        pid = dist.shard_identity(victim_shard)["pid"]
        rng = np.random.default_rng(4)
        for _ in range(5):
            dist.step(random_batch(rng, n))
        killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
        killer.start()
        steps_after, committed_before = 0, 0
        deadline = time.monotonic() + 60
        while steps_after < 15:
            assert time.monotonic() < deadline, "the run did not get past the killed worker"
            if not dist.fault_events:
                committed_before = dist.audit_index()["sources"][0]["committed_seq"]
            obs, rew, term, trunc, infos = dist.step(random_batch(rng, n))
            if infos["shard_restarted"].any():
                # exactly the victim's envs, as a fresh episode, nothing earned
                assert np.flatnonzero(infos["shard_restarted"]).tolist() == list(range(lo, hi))
                assert not rew[lo:hi].any() and not term[lo:hi].any() and not trunc[lo:hi].any()
                assert dist.buffers["autoreset"][lo:hi].all() and (infos["episode_step"][lo:hi] == 0).all()
                assert np.array_equal(infos["_lost_episode_steps"], infos["shard_restarted"])
                assert int(infos["lost_episode_steps"].sum()) == dist.fault_counters["lost_episode_steps"]
            if dist.fault_events:
                steps_after += 1
        killer.join()
        (event,) = dist.fault_events
        assert event.reason == "worker lost" and event.during == "step" and event.shard == victim_shard
        assert event.worker == victim
        if client.name == "dask":  # the process was the worker; on Ray the node lives on
            assert event.restarted_on != victim
        assert dist.shard_identity(victim_shard)["pid"] != pid
        assert dist.fault_counters["restarts"] == dist.fault_counters["worker_lost"] == 1
        assert dist.fault_counters["lost_env_steps"] == hi - lo
        assert dist.metrics()["distributed"]["restarts"] == 1
    finally:
        dist.close()
    sources = dist.audit_index()["sources"]
    dead = [s for s in sources if s["end"] == "worker lost"]
    assert len(dead) == 1 and dead[0]["shard"] == victim_shard
    v = verify_log(dead[0]["path"])
    assert v["valid"], v["message"]
    assert v["records"] >= max(committed_before, dead[0]["committed_seq"])  # no committed record lost
    assert v["records"] > 0
    assert {s["end"] for s in sources if s is not dead[0]} == {"closed"}
    rec.close()
    merged = verify_log(str(tmp_path / "merged.db"))
    assert merged["valid"], merged["message"]
    assert merged["records"] == sum(verify_log(s["path"])["records"] for s in sources)
    _wait_for_workers(client)  # Dask's nanny brings the killed worker back for later tests


def test_a_shard_lost_during_a_seeded_reset_comes_back_with_exactly_the_requested_seeds(client, kernel):
    """A full reset with a seed restarts a lost shard with that very seed:
    the batch is again the local env's, step for step."""
    _wait_for_workers(client)
    n = 16
    local = VectorEnv(kernel, n, seed=1)
    dist = DistributedVectorEnv(kernel, n, seed=1, client=client, step_timeout=60)
    try:
        dist.reset(seed=3)
        local.reset(seed=3)
        rng = np.random.default_rng(9)
        for _ in range(3):
            actions = random_batch(rng, n)
            assert_same_step(dist.step(actions), local.step(actions))
        os.kill(dist.shard_identity(0)["pid"], signal.SIGKILL)
        obs, infos = dist.reset(seed=77)
        assert np.array_equal(obs, local.reset(seed=77)[0])
        assert infos["shard_restarted"].any()
        assert all(e.during == "reset" and e.lost_env_steps == 0 for e in dist.fault_events)
        assert dist.fault_counters["lost_env_steps"] == 0
        for step in range(10):
            actions = random_batch(rng, n)
            assert_same_step(dist.step(actions), local.step(actions), f"after the restart, step {step}")
    finally:
        dist.close()
        local.close()
    _wait_for_workers(client)


def test_a_stopped_worker_costs_at_most_the_step_timeout_and_is_reported(client, kernel):
    _wait_for_workers(client)
    n = 8
    for on_timeout in ("restart", "raise"):
        dist = DistributedVectorEnv(kernel, n, seed=1, client=client, step_timeout=3.0, on_timeout=on_timeout)
        pid = None
        try:
            dist.reset(seed=1)
            dist.step(["SELECT 1"] * n)
            slow = dist.shard_placement()[0][2]
            pid = dist.shard_identity(0)["pid"]
            os.kill(pid, signal.SIGSTOP)
            t0 = time.monotonic()
            if on_timeout == "raise":
                with pytest.raises(StepTimeoutError, match="no answer within 3 s"):
                    dist.step(["SELECT 1"] * n)
                with pytest.raises(StateError, match="unusable"):
                    dist.step(["SELECT 1"] * n)
            else:
                infos = dist.step(["SELECT 1"] * n)[4]
                assert infos["shard_restarted"][:n // 2].all() and not infos["shard_restarted"][n // 2:].any()
                (event,) = dist.fault_events
                assert event.reason == "timeout"
                if client.name == "dask":
                    assert event.restarted_on != slow
                assert dist.fault_counters["timeouts"] == 1
                dist.step(["SELECT 1"] * n)  # the run goes on without the stopped worker
            assert time.monotonic() - t0 < 30
        finally:
            if pid is not None:
                _kill(pid, signal.SIGCONT)
            dist.close()


def test_an_env_that_started_its_own_cluster_shuts_it_down(kernel):
    pytest.importorskip("distributed", reason="backend dask needs dask.distributed")
    dist = DistributedVectorEnv(kernel, 4, workers=1, seed=2)
    cluster = dist.backend.cluster
    dist.reset(seed=2)
    local = VectorEnv(kernel, 4, seed=2)
    local.reset(seed=2)
    assert_same_step(dist.step(["SELECT 1"] * 4), local.step(["SELECT 1"] * 4))
    dist.close()
    assert cluster.status.name == "closed"
    assert dist.client.status == "closed"


def test_a_ray_env_that_started_its_own_ray_shuts_it_down():
    """backend="ray", workers=N starts Ray in the trainer process and close()
    stops it. Ray allows one instance per process and this module's fixture
    holds one, so the check runs in a fresh interpreter."""
    pytest.importorskip("ray", reason="backend ray needs ray")
    import subprocess
    import sys
    from conftest import PYTHON_DIR
    from agent_os import _lib
    script = (
        "import ray\n"
        "from agent_os import KernelSpace, VectorEnv\n"
        "from agent_os.distributed import DistributedVectorEnv\n"
        "from test_distributed_support import POLICY_YAML, assert_same_step\n"
        "k = KernelSpace.from_yaml_text(POLICY_YAML)\n"
        "dist = DistributedVectorEnv(k, 4, workers=1, seed=2, backend='ray')\n"
        "assert ray.is_initialized() and dist.shard_placement()[0][2] in dist.worker_identities\n"
        "local = VectorEnv(k, 4, seed=2)\n"
        "dist.reset(seed=2); local.reset(seed=2)\n"
        "assert_same_step(dist.step(['SELECT 1'] * 4), local.step(['SELECT 1'] * 4))\n"
        "dist.close()\n"
        "assert not ray.is_initialized()\n"
        "print('closed')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PYTHON_DIR), os.path.dirname(__file__)]),
               AGENTOS_LIBRARY=str(_lib.path))
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0 and r.stdout.strip().endswith("closed"), r.stdout + r.stderr


def test_the_training_examples_envs_give_the_same_outcomes_on_the_cluster(client, tmp_path):
    """examples/train_sql_agent/distributed_env.py: --scheduler ADDRESS gives
    train.py an engine whose SQL-task envs run as shards, with the same
    outcomes and one merged, verified audit log."""
    import argparse
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(root, "examples", "train_sql_agent"))
    import distributed_env
    import engine
    dataset = os.path.join(root, "env", "sql", "data", "shop")
    policy = os.path.join(root, "examples", "policies", "train_governed.yaml")
    assert distributed_env.install(argparse.Namespace(workers=None, scheduler=None), engine) is engine
    dist_engine = distributed_env.install(argparse.Namespace(workers=None, scheduler=client.address(),
                                                             backend=client.name), engine)
    n = 16
    rec = engine.open_recorder(str(tmp_path / "audit.db"))
    d = dist_engine.SqlTaskEnv(policy_file=policy, condition="governed", dataset_dir=dataset, split="train",
                               num_envs=n, recorder=rec)
    loc = engine.SqlTaskEnv(policy_file=policy, condition="governed", dataset_dir=dataset, split="train", num_envs=n)
    indices = engine.global_indices(dataset, "train")
    rng = np.random.default_rng(0)
    sql = ["SELECT COUNT(*) FROM customers", "DROP TABLE orders", "SELECT name FROM products WHERE price > 10",
           "DELETE FROM orders"]
    try:
        for _ in range(3):
            tasks = rng.choice(indices, n)
            actions = [sql[i] for i in rng.integers(0, len(sql), n)]
            a, b = d.run(tasks, actions), loc.run(tasks, actions)
            for field in ("reward", "success", "violations", "executed"):
                assert np.array_equal(getattr(a, field), getattr(b, field)), field
        assert d.observation_text(5) == loc.observation_text(5)
        assert d.destructive_ops() == loc.destructive_ops() == 0
    finally:
        d.close()
        loc.close()
    audit = engine.close_and_verify(rec, str(tmp_path / "audit.db"))
    assert audit["valid"] and audit["records"] == 3 * n
    if client.name == "dask":
        dist_engine.cluster_backend.close()  # Ray: the driver is this process's one Ray instance, kept
