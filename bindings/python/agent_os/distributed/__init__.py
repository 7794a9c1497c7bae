"""agent_os.distributed: governed VectorEnv shards on Ray or Dask workers.

    from agent_os.distributed import DistributedVectorEnv
    env = DistributedVectorEnv(kernel, 4096, task="noop", seed=7, workers=4)

The local VectorEnv's API and results (step for step, same seeds), with the
shards as Dask actors in other processes or on other hosts. See README.md
in this directory: how to run a scheduler and workers on several machines,
seeding, the audit merge, faults, and the same design on Ray actors.
Needs numpy and either ray or dask.distributed (backend="ray" / "dask").
"""

from .audit_merge import AuditMergeError, merge_audit
from .cluster import connect, local_cluster
from .dask_backend import DaskBackend
from .ray_backend import RayBackend
from .faults import FaultEvent, ShardLostError, StepTimeoutError
from .seeding import plan_shards, restart_seed, shard_seed
from .vector_env import DistributedVectorEnv, ShardedActions

__all__ = ["DistributedVectorEnv", "ShardedActions", "merge_audit", "AuditMergeError", "FaultEvent",
           "ShardLostError", "StepTimeoutError", "plan_shards", "shard_seed", "restart_seed", "local_cluster",
           "connect", "DaskBackend", "RayBackend"]
