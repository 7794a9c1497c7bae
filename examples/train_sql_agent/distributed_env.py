"""--workers N / --scheduler ADDRESS [--backend ray|dask] for train.py: the SQL-task envs on Ray or Dask.

train.py uses the engine through one object, the `engine` module
(engine.SqlTaskEnv, engine.check_dataset_order, ...). `install(args, engine)`
returns that object unchanged when neither option is given, else a stand-in
whose SqlTaskEnv keeps engine.SqlTaskEnv's interface and results but runs
its environments as agent_os.distributed shards on Dask worker processes:

    engine = distributed_env.install(args, engine)   # in train.py's main()

  --workers N          a local cluster of N worker processes (Dask) or CPUs (Ray)
  --scheduler ADDRESS  an existing cluster (Dask: tcp://host:8786; Ray: the
                       head's host:6379); every worker needs agent_os
                       importable, the same libagentos.so, and the SQL
                       dataset at the same path as here
  --backend ray|dask   which (default dask)

What changes and what does not:
  * the same policy files, seeds and tasks: each env draws exactly the task
    it draws locally (seed + global env index, see agent_os/distributed/
    README.md), so a run's numbers do not depend on the option;
  * assigning tasks to envs is one call per shard (DistributedVectorEnv.
    reset_envs) instead of one reset per env;
  * the governed run's audit: the shards record to their own logs next to
    the run's log (audit_governed_seedS.db.shards/) and closing the env
    merges them, every chain verified and every decision checked again, into
    the run's FlightRecorder, so engine.close_and_verify reads one log;
  * the cluster (when --workers started it) is shut down at exit.
"""
from __future__ import annotations

import atexit
import os
import shutil
import types

import numpy as np


def install(args, engine):
    """`engine`, or a stand-in for it whose SqlTaskEnv is distributed."""
    workers = getattr(args, "workers", None)
    scheduler = getattr(args, "scheduler", None)
    if workers is None and scheduler is None:
        return engine
    if workers is not None and scheduler is not None:
        raise SystemExit("give --workers or --scheduler, not both")
    from agent_os.distributed import DaskBackend, DistributedVectorEnv, RayBackend

    kind = getattr(args, "backend", None) or "dask"
    if kind not in ("dask", "ray"):
        raise SystemExit("--backend must be ray or dask")
    cls = RayBackend if kind == "ray" else DaskBackend
    if workers is not None:
        if workers < 1:
            raise SystemExit("--workers must be >= 1")
        client = cls.local(workers, timeout=120.0)
    else:
        client = cls.connect(scheduler, timeout=60.0, min_workers=1)
    atexit.register(client.close)

    class DistributedSqlTaskEnv(engine.SqlTaskEnv):
        """engine.SqlTaskEnv with its VectorEnv replaced by a DistributedVectorEnv."""

        def __init__(self, *, policy_file, condition, dataset_dir, split, num_envs, threads=1, recorder=None):
            if condition not in engine.REWARDS:
                raise ValueError("condition must be one of %s" % sorted(engine.REWARDS))
            self.kernel = engine.KernelSpace.from_yaml(policy_file)
            want_audit = condition == "ungoverned"
            if (self.kernel.mode == "audit") != want_audit:
                raise SystemExit("%s: the %s condition needs mode: %s" % (
                    policy_file, condition, "audit" if want_audit else "enforce"))
            config = engine.EnvironmentConfig(max_steps=1, terminate_on_critical=False, **engine.REWARDS[condition])
            audit_dir = None
            if recorder is not None:
                audit_dir = recorder.path + ".shards"
                shutil.rmtree(audit_dir, ignore_errors=True)  # this run's own output, from an earlier run
            self.env = DistributedVectorEnv(policy_file, num_envs, task="sql", dataset_dir=os.path.abspath(dataset_dir),
                                            split=split, config=config, autoreset="disabled", num_threads=threads,
                                            min_envs_per_thread=8, recorder=recorder, audit_dir=audit_dir,
                                            client=client,
                                            num_shards=min(num_envs, max(1, len(client.slots(client.alive())))))
            self.num_envs = num_envs
            self.split = split
            self._mask = np.zeros(num_envs, dtype=bool)
            self._seed_of_task = self._probe(engine._split_indices(dataset_dir, split))

        def assign(self, tasks) -> None:
            tasks = np.asarray(tasks, dtype=np.int64)
            if tasks.shape != (self.num_envs,):
                raise ValueError("need one task per env (%d)" % self.num_envs)
            self.env.reset_envs([self._seed_of_task[t] for t in tasks.tolist()])
            got = self.env.buffers["observation"]
            if not np.array_equal(got, tasks):
                bad = int(np.flatnonzero(got != tasks)[0])
                raise RuntimeError("env %d holds task %d, not %d: seeding contract broken" % (
                    bad, int(got[bad]), int(tasks[bad])))

    stand_in = types.SimpleNamespace(**{k: getattr(engine, k) for k in dir(engine) if not k.startswith("__")})
    stand_in.SqlTaskEnv = DistributedSqlTaskEnv
    stand_in.cluster_backend = client
    return stand_in
