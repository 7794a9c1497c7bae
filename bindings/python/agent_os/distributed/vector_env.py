"""DistributedVectorEnv: the local VectorEnv's API over shards on Ray or Dask workers.

    env = VectorEnv(kernel, 4096, task="noop", seed=7)                   # local
    env = DistributedVectorEnv(kernel, 4096, task="noop", seed=7,
                               workers=4)                               # 4 Dask worker processes
    env = DistributedVectorEnv(kernel, 4096, ..., backend="ray", workers=4)  # Ray, 4 CPUs on this machine
    env = DistributedVectorEnv(kernel, 4096, ..., scheduler="tcp://10.0.0.1:8786")
    env = DistributedVectorEnv(kernel, 4096, ..., backend="ray", scheduler="10.0.0.1:6379")
    obs, infos = env.reset(seed=42)
    obs, rewards, terminated, truncated, infos = env.step(actions)

Same arguments, same return values, same dtypes and shapes, same seeds: env
i of the union is env i of a local VectorEnv with the same num_envs and
seed, step for step (seeding.py). Differences, all additions:

  * the cluster: ``backend="dask"`` (default) or ``"ray"``; ``workers=N``
    (a local cluster of N worker processes / CPUs, owned and shut down by
    close()), ``scheduler=ADDRESS`` (an existing cluster: a Dask scheduler or
    a Ray head) or ``client=`` (a dask.distributed Client, or a backend
    object such as RayBackend.attach(), the caller owns);
    ``min_workers`` to wait for (scheduler/client); ``num_shards``
    (default: one per worker present at construction);
  * the policy travels as text: pass a KernelSpace made from Python policy
    objects or YAML text, or the policy file's path;
  * audit: ``recorder=FlightRecorder(...)`` as locally, or ``audit_dir=``.
    Every shard records to its own log in audit_dir (default: beside the
    recorder, RECORDER.shards/); close() merges them, verified, into the
    recorder (audit_merge.py). ``audit_index()`` describes the shard logs;
  * faults (faults.py): ``step_timeout`` seconds (default 120),
    ``on_timeout="restart"`` or ``"raise"``, ``max_restarts``. Every step's
    infos carry ``shard_restarted`` (bool) and ``lost_episode_steps``
    (uint32); ``fault_counters`` and ``fault_events`` keep the totals;
  * ``reset_envs(seeds, mask)``: each masked env reset with exactly its own
    seed, one call per shard (a local VectorEnv needs one reset per env).

The returned arrays are the env's own batch buffers, read-only and
overwritten by the next step or reset, as the local env's views are: copy
what you keep. Metrics of a shard incarnation whose worker was lost are
lost with it (the restart is counted in fault_counters instead).
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import os
import time
import uuid
import weakref

import numpy as np

from .. import _env_capi as _env
from .. import spaces as _spaces
from ..env_config import EnvironmentConfig
from ..errors import InvalidArgument, StateError
from ..kernel import KernelSpace, _kind_value, pack_payloads, require_kernel
from ..vector_env import _MODES, INFO_KEYS, PackedActions, gym_infos, task_spec
from . import layout
from .batching import ShardedActions, bool_array, split_extras, sum_metrics, u64_seed
from .faults import CallTimedOut, FaultEvent, ShardLostError, StepTimeoutError, WorkerLost, is_comm_error, \
    is_engine_error
from .pool import ShardPool, library_version
from .seeding import restart_seed, shard_seed

_ENDS = {"timeout": "timed out", "worker lost": "worker lost"}


def _policy_text(policy):
    """(yaml text, source name, trainer-side KernelSpace)."""
    if isinstance(policy, KernelSpace):
        kernel = require_kernel(policy, "DistributedVectorEnv")
        if not policy.yaml:
            raise InvalidArgument(
                "this KernelSpace was loaded from a file and does not carry its text; pass the policy file's "
                "path (DistributedVectorEnv('policy.yaml', ...)) so the policy can travel to the workers")
        text = policy.yaml if isinstance(policy.yaml, str) else policy.yaml.decode()
        return text, "<agent_os policies>", kernel
    if isinstance(policy, (str, os.PathLike)):
        path = os.fspath(policy)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise InvalidArgument(f"cannot read policy file {path}: {e}") from None
        return text, path, KernelSpace.from_yaml_text(text, path)
    raise TypeError(f"policy must be a KernelSpace or a policy file path, not {type(policy).__name__}")


def _check_recorder(recorder, hmac_key):
    from ..recorder import FlightRecorder
    if not isinstance(recorder, FlightRecorder):
        raise TypeError(f"recorder must be an agent_os.FlightRecorder, not {type(recorder).__name__}")
    if recorder.closed:
        raise StateError("the recorder is closed")
    if recorder.level != "all":
        raise InvalidArgument("a distributed run merges its shard logs in step order, which needs every "
                              "decision: use a FlightRecorder at level='all'")
    if hmac_key is not None and hmac_key != recorder.hmac_key:
        raise InvalidArgument("hmac_key differs from the recorder's key")


_BACKENDS = ("dask", "ray")


def _backend_class(name):
    if name == "dask":
        from .dask_backend import DaskBackend
        return DaskBackend
    from .ray_backend import RayBackend
    return RayBackend


def _make_backend(name, client, scheduler, workers, connect_timeout, min_workers):
    """(backend, owned): the caller's client wrapped, or a cluster this env starts or joins."""
    if client is not None:
        if hasattr(client, "slots") and hasattr(client, "exclude_after_loss"):  # a backend object
            return client, False
        if name != "dask":
            raise InvalidArgument("client= for backend='ray' must be a RayBackend (RayBackend.attach())")
        from .dask_backend import DaskBackend
        return DaskBackend(client), False
    cls = _backend_class(name)
    if workers is not None:
        return cls.local(workers, timeout=connect_timeout), True
    return cls.connect(scheduler, timeout=connect_timeout, min_workers=min_workers), True


def _shutdown(backend):
    try:
        backend.close()
    except Exception:  # noqa: BLE001 - best effort at interpreter exit
        pass


class DistributedVectorEnv:
    """See the module docstring."""

    def __init__(self, policy, num_envs: int, *, task="noop", config: EnvironmentConfig | None = None,
                 autoreset: str = "next_step", num_threads: int = 1, seed: int = 0, keep_results: bool = False,
                 action_kind: str = "sql", min_envs_per_thread: int | None = None, recorder=None,
                 client=None, scheduler: str | None = None, workers: int | None = None, backend: str = "dask",
                 num_shards: int | None = None, audit_dir=None, audit_durability: str = "sync",
                 hmac_key: bytes | None = None, step_timeout: float = 120.0, on_timeout: str = "restart",
                 max_restarts: int = 8, restart_wait: float = 60.0, connect_timeout: float = 120.0,
                 min_workers: int = 1, **task_options):
        self._closed = True  # until fully built
        self._pool = None
        self._backend = self._finalizer = None
        self._broken = None
        self.policy_yaml, self.policy_name, self.kernel = _policy_text(policy)
        if isinstance(num_envs, bool) or not isinstance(num_envs, numbers.Integral) or not 1 <= num_envs < 2**32:
            raise InvalidArgument(f"num_envs must be an int in [1, 2^32), not {num_envs!r}")
        if config is None:
            config = EnvironmentConfig()
        elif not isinstance(config, EnvironmentConfig):
            raise TypeError("config must be an EnvironmentConfig")
        if autoreset not in _MODES:
            raise InvalidArgument(f"autoreset must be one of {sorted(_MODES)}, not {autoreset!r}")
        for name, v, lo in (("num_threads", num_threads, 1), ("max_restarts", max_restarts, 0),
                            ("min_workers", min_workers, 1)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
                raise InvalidArgument(f"{name} must be an int >= {lo}")
        for name, v in (("step_timeout", step_timeout), ("restart_wait", restart_wait),
                        ("connect_timeout", connect_timeout)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0:
                raise InvalidArgument(f"{name} must be a number of seconds > 0")
        if on_timeout not in ("restart", "raise"):
            raise InvalidArgument(f"on_timeout must be 'restart' or 'raise', not {on_timeout!r}")
        _kind_value(action_kind)
        self._seed = u64_seed(seed, 1)
        if backend not in _BACKENDS:
            raise InvalidArgument(f"backend must be one of {_BACKENDS}, not {backend!r}")
        if sum(x is not None for x in (client, scheduler, workers)) != 1:
            raise InvalidArgument("give exactly one of client= (a dask Client or a backend), scheduler= (an "
                                  "address) or workers= (a number of local worker processes)")
        if recorder is not None:
            _check_recorder(recorder, hmac_key)
            hmac_key = recorder.hmac_key
            if audit_dir is None:
                audit_dir = recorder.path + ".shards"
        self.recorder = recorder
        self.audit_manifest = None
        self.task = json.loads(task_spec(task, task_options))
        self.config = config
        self.num_envs = n = int(num_envs)
        self.autoreset = autoreset
        self.keep_results = bool(keep_results)
        self.metadata = {"autoreset_mode": _MODES[autoreset], "render_modes": []}
        self.single_action_space = _spaces.text_space(config.max_action_bytes)
        self.action_space = _spaces.tuple_space([self.single_action_space] * min(n, 1))
        self.single_observation_space = _spaces.index_space()
        self.observation_space = _spaces.index_space(n)
        self.step_timeout = float(step_timeout)
        self.on_timeout = on_timeout
        self.max_restarts = int(max_restarts)

        # the batch: written from the shards' replies, handed out read-only
        self._out = layout.allocate(n)
        self._ro = {}
        for name, arr in self._out.items():
            v = arr.view()
            v.flags.writeable = False
            self._ro[name] = v
        for name in ("terminated", "truncated", "autoreset", "executed"):
            self._ro[name + "_bool"] = self._ro[name].view(np.bool_)
        cfg = config if config is not None else EnvironmentConfig()
        self._info_keys = INFO_KEYS + (("cost",) if cfg.penalty_mode != "reward" else ())
        self._stepped = np.ones(n, dtype=np.bool_)
        self._ones = np.ones(n, dtype=np.bool_)
        self._ones.flags.writeable = False
        self._restarted = np.zeros(n, dtype=np.bool_)
        self._lost_steps = np.zeros(n, dtype=np.uint32)
        # what the engine's own pre-step check looks at, for the whole batch
        self._started = np.zeros(n, dtype=np.bool_)
        self._ended = np.zeros(n, dtype=np.bool_)
        self._paused = np.zeros(n, dtype=np.bool_)
        self._step_count = 0
        self._seed_base = self._seed
        self.fault_events = []
        self.fault_counters = {"restarts": 0, "worker_lost": 0, "timeouts": 0, "lost_env_steps": 0,
                               "cut_episodes": 0, "lost_episode_steps": 0}

        self._backend, owned = _make_backend(backend, client, scheduler, workers, connect_timeout, min_workers)
        if owned:
            self._finalizer = weakref.finalize(self, _shutdown, self._backend)
        base_spec = dict(policy_yaml=self.policy_yaml, policy_name=self.policy_name, task=self.task,
                         config=dataclasses.asdict(config), autoreset=autoreset, num_threads=int(num_threads),
                         keep_results=self.keep_results, action_kind=action_kind,
                         min_envs_per_thread=min_envs_per_thread, library_version=library_version())
        audit = dict(durability=audit_durability, hmac_key=hmac_key,
                     payload_max_bytes=min(config.max_action_bytes, 1 << 20))
        self._pool = ShardPool(self._backend, base_spec=base_spec, audit=audit, run_id=uuid.uuid4().hex[:12],
                               audit_dir=os.path.abspath(os.fspath(audit_dir)) if audit_dir is not None else None,
                               call_timeout=self.step_timeout, restart_wait=float(restart_wait))
        try:
            if client is not None:
                self._backend.wait_for_workers(min_workers, connect_timeout)
            self._pool.start(n, num_shards, lambda offset: shard_seed(self._seed, offset))
        except BaseException:
            self._teardown(merge=False)
            raise
        self.worker_identities = self._pool.identities
        self._closed = False

    # ---- outcomes and faults ------------------------------------------------------

    def _fault_reason(self, k, exc):
        """None for an engine error (raised to the trainer), else the fault."""
        if is_engine_error(exc):
            return None
        if isinstance(exc, CallTimedOut):
            return "timeout"
        if isinstance(exc, WorkerLost) or is_comm_error(exc):
            return "worker lost"
        if self._pool.shards[k].worker not in self._pool.alive():
            return "worker lost"
        return None

    def _settle(self, results: dict, during: str, on_ok, reset_request=None):
        """Writes every shard's outcome, restarts faulted shards, then raises
        the first engine error (after every shard was dealt with)."""
        first_error = None
        for k in sorted(results):
            ok, value = results[k]
            if ok:
                on_ok(k, value)
                continue
            reason = self._fault_reason(k, value)
            if reason is None:
                if first_error is None:
                    first_error = (k, value)
                continue
            if reason == "timeout" and self.on_timeout == "raise":
                self._broken = f"shard {k} timed out"
                raise StepTimeoutError(f"shard {k} on worker {self._pool.shards[k].worker} gave no answer within "
                                       f"{self.step_timeout:g} s (step {self._step_count}); the env is unusable, "
                                       "close it") from value
            self._restart(k, reason, f"{type(value).__name__}: {value}", during, reset_request)
        if first_error is not None:
            k, e = first_error
            sl = self._pool.shards[k].slice
            if hasattr(e, "add_note"):
                e.add_note(f"(raised by shard {k}, envs [{sl.offset}, {sl.stop}); other shards completed the call)")
            raise e

    def _write_rows(self, k, blob):
        sl = self._pool.shards[k].slice
        layout.unpack_into(blob, sl.count, self._out, sl.offset)

    def _restart(self, k, reason, detail, during, reset_request=None):
        """Replaces shard k by a new incarnation from a reset, and reports
        what was lost (faults.py)."""
        t0 = time.monotonic()
        pool = self._pool
        old = pool.shards[k]
        sl = old.slice
        rows = slice(sl.offset, sl.stop)
        if self.fault_counters["restarts"] >= self.max_restarts:
            self._broken = "max_restarts reached"
            raise ShardLostError(f"shard {k} failed ({reason}: {detail}) after {self.max_restarts} restarts; "
                                 "max_restarts reached")
        ep = self._out["episode_step"][rows]
        in_progress = self._started[rows] & ~self._ended[rows] & (ep > 0)
        requested_seed = requested_mask = None
        if during == "reset" and reset_request is not None:
            requested_seed, requested_mask = reset_request
            if requested_mask is not None:
                in_progress &= ~requested_mask[rows]  # those were being reset anyway
        lost = np.where(in_progress, ep, 0).astype(np.uint32)
        pool.retire(k, _ENDS[reason], self._step_count)
        if reason == "timeout":
            pool.suspects.add(old.worker)

        # A full seeded reset in progress gets exactly what it asked for;
        # otherwise the restart seeds, then any masked reset that was asked.
        full_seed = None
        if requested_seed is not None and requested_mask is None:
            full_seed = shard_seed(requested_seed, sl.offset)

        def seed_of(incarnation):
            if full_seed is not None:
                return full_seed
            return restart_seed(self._seed_base, sl.offset, incarnation, self.num_envs)

        def prepare(actor, worker):
            reply = pool.call(actor, worker, "reset", seed_of(pool.incarnations[k]), None)
            if requested_mask is not None and requested_mask[rows].any():
                s = None if requested_seed is None else shard_seed(requested_seed, sl.offset)
                reply = pool.call(actor, worker, "reset", s, requested_mask[rows].astype(np.uint8).tobytes())
            return reply

        new, reply = pool.respawn(k, seed_of, self._step_count + 1, self._backend.exclude_after_loss(old.worker),
                                  prepare, self.max_restarts)
        pool.shards[k] = new
        self._write_rows(k, reply[0])
        for name, value in layout.RESTART_ROW.items():
            self._out[name][rows] = value
        self._out["autoreset"][rows] = 1 if self.autoreset == "next_step" else 0
        self._restarted[rows] = True
        self._lost_steps[rows] = lost
        self._started[rows] = True
        self._ended[rows] = False
        self._paused[rows] = False
        lost_env_steps = sl.count if during == "step" else 0
        c = self.fault_counters
        c["restarts"] += 1
        c["timeouts" if reason == "timeout" else "worker_lost"] += 1
        c["lost_env_steps"] += lost_env_steps
        c["cut_episodes"] += int(in_progress.sum())
        c["lost_episode_steps"] += int(lost.sum())
        self.fault_events.append(FaultEvent(
            step=self._step_count, during=during, shard=k, incarnation=old.incarnation,
            envs=(sl.offset, sl.stop), worker=old.worker, reason=reason, detail=detail[:500],
            seconds=time.monotonic() - t0, lost_env_steps=lost_env_steps, cut_episodes=int(in_progress.sum()),
            lost_episode_steps=int(lost.sum()), restarted_on=new.worker))

    # ---- gymnasium API ----------------------------------------------------------

    def _check_open(self):
        if self._closed:
            raise StateError("DistributedVectorEnv is closed")
        if self._broken:
            raise StateError(f"DistributedVectorEnv is unusable ({self._broken}); close it")

    def _clear_fault_infos(self):
        self._restarted[:] = False
        self._lost_steps[:] = 0

    def _infos(self) -> dict:
        v = self._ro
        if self.autoreset != "disabled":
            np.logical_not(v["autoreset_bool"], out=self._stepped)
        infos = gym_infos(v, self._info_keys, self.autoreset, self._stepped)
        infos["shard_restarted"] = self._restarted
        infos["_shard_restarted"] = self._ones
        infos["lost_episode_steps"] = self._lost_steps
        infos["_lost_episode_steps"] = self._restarted
        return infos

    def _result(self):
        v = self._ro
        return v["observation"], v["reward"], v["terminated_bool"], v["truncated_bool"], self._infos()

    def reset(self, *, seed=None, options: dict | None = None):
        self._check_open()
        n = self.num_envs
        if seed is not None:
            seed = u64_seed(seed, n)
        mask = None
        if options:
            if not isinstance(options, dict):
                raise TypeError("options must be a dict")
            unknown = set(options) - {"reset_mask"}
            if unknown:
                raise InvalidArgument(f"unknown reset options {sorted(unknown)} (known: reset_mask)")
            if options.get("reset_mask") is not None:
                mask = bool_array(options["reset_mask"], n, "reset_mask")
        self._clear_fault_infos()

        def args_of(k):
            sl = self._pool.shards[k].slice
            m = None if mask is None else mask[sl.offset:sl.stop]
            if m is not None and not m.any():
                return None  # nothing of this shard is reset: its rows stay, as locally
            return (None if seed is None else shard_seed(seed, sl.offset),
                    None if m is None else m.astype(np.uint8).tobytes())

        results = self._pool.fan_out("reset", args_of)
        self._settle(results, "reset", lambda k, v: self._write_rows(k, v[0]), reset_request=(seed, mask))
        reset_rows = self._ones if mask is None else mask
        self._started |= reset_rows
        self._ended &= ~reset_rows
        if seed is not None:
            self._seed_base = seed
        infos = {}
        if self._restarted.any():
            infos = {"shard_restarted": self._restarted, "_shard_restarted": self._ones,
                     "lost_episode_steps": self._lost_steps, "_lost_episode_steps": self._restarted}
        return self._ro["observation"], infos

    def reset_envs(self, seeds, mask=None):
        """Resets each env i with mask[i] (all when mask is None) alone with
        exactly seed seeds[i] (the same as a local masked reset per env with
        base seed seeds[i] - i). One call per shard holding such an env."""
        self._check_open()
        n = self.num_envs
        seeds = np.asarray(seeds, dtype=object)
        if seeds.shape != (n,):
            raise InvalidArgument(f"seeds must have num_envs = {n} entries")
        mask = self._ones if mask is None else bool_array(mask, n, "mask")
        per_shard = {}
        for sh in self._pool.shards:
            sl = sh.slice
            chosen = {j: u64_seed(seeds[sl.offset + j], 1) for j in np.flatnonzero(mask[sl.offset:sl.stop]).tolist()}
            if chosen:
                per_shard[sl.index] = chosen
        self._clear_fault_infos()
        results = self._pool.fan_out("reset_envs", lambda k: (per_shard[k],) if k in per_shard else None)
        faulted = [k for k, (ok, _v) in results.items() if not ok]
        self._settle(results, "reset", lambda k, v: self._write_rows(k, v[0]))
        # A shard restarted meanwhile was reset whole with its restart seed:
        # its requested envs still get their requested seeds.
        redo = {k: per_shard[k] for k in faulted}
        if redo:
            again = self._pool.fan_out("reset_envs", lambda k: (redo[k],) if k in redo else None)
            self._settle(again, "reset", lambda k, v: self._write_rows(k, v[0]))
        self._started |= mask
        self._ended &= ~mask
        return self._ro["observation"], {}

    def pack(self, actions) -> ShardedActions:
        """Packs a batch of text actions once (and cuts it per shard) for reuse."""
        if isinstance(actions, PackedActions):
            data, offsets = actions.data, actions.offsets
        else:
            data, offsets = pack_payloads(actions)
        if len(offsets) - 1 != self.num_envs:
            raise InvalidArgument(f"{len(offsets) - 1} actions for {self.num_envs} envs")
        return ShardedActions(data, offsets, self._pool.plan)

    def _precheck_step(self):
        """The engine checks every env before any moves; the shards do so
        each for their own envs. Checked here too, for the whole batch, so
        a refused step moves no shard, exactly as locally."""
        if not self._started.all():
            i = int(np.flatnonzero(~self._started)[0])
            raise StateError(f"env {i}: step before reset; call Reset first")
        if self.autoreset == "disabled":
            bad = self._ended & ~self._paused
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise StateError(f"env {i}: the episode ended (terminated or truncated) and autoreset is "
                                 "disabled; reset it before stepping")

    def step(self, actions, *, kinds=None, tools=None, cost_usd=None, tokens=None, external_reward=None,
             external_success=None, external_done=None):
        self._check_open()
        p = actions if type(actions) is ShardedActions else self.pack(actions)
        if p.n != self.num_envs or len(p.data) != len(self._pool.shards):
            raise InvalidArgument(f"{p.n} actions for {self.num_envs} envs")
        extras = split_extras(dict(kinds=kinds, tools=tools, cost_usd=cost_usd, tokens=tokens,
                                   external_reward=external_reward, external_success=external_success,
                                   external_done=external_done), self._pool.plan, self.num_envs)
        self._precheck_step()
        self._step_count += 1
        self._clear_fault_infos()
        results = self._pool.fan_out("step", lambda k: (p.data[k], p.offsets[k], extras[k]))

        def ok(k, value):
            blob, (seen, committed) = value
            self._write_rows(k, blob)
            src = self._pool.shards[k].source
            src["boundaries"].append(seen)
            src["decisions_seen"], src["committed_seq"] = seen, committed

        self._settle(results, "step", ok)
        ended = self._out["terminated"].astype(np.bool_) | self._out["truncated"].astype(np.bool_)
        self._ended = ended & ~self._restarted
        return self._result()

    # ---- per-env calls --------------------------------------------------------------

    def _locate(self, env) -> tuple:
        if isinstance(env, bool) or not isinstance(env, numbers.Integral):
            raise TypeError("env index must be an int")
        if not 0 <= env < self.num_envs:
            raise InvalidArgument(f"env index {env} outside [0, {self.num_envs})")
        for k, sh in enumerate(self._pool.shards):
            if sh.slice.offset <= env < sh.slice.stop:
                return k, int(env) - sh.slice.offset
        raise AssertionError("plan does not cover env")  # pragma: no cover

    def _call_one(self, k, method, *args):
        """One shard call; a fault restarts the shard (reported) and the
        call is made once more, on the new incarnation."""
        for _attempt in range(2):
            results = self._pool.fan_out(method, lambda j: args if j == k else None)
            ok, value = results[k]
            if ok:
                return value
            self._settle(results, "query", lambda *_: None)  # raises an engine error; restarts on a fault
        raise ShardLostError(f"shard {k} failed twice in a row on {method}")

    def send_signal(self, env: int, signal) -> None:
        """Sends SIGSTOP, SIGCONT, SIGKILL or SIGTERM (name or bit) to env."""
        self._check_open()
        if isinstance(signal, str):
            if signal not in _env.SENDABLE:
                raise InvalidArgument(f"a trainer may send {_env.SENDABLE}, not {signal!r}")
            signal = _env.SIGNALS[signal]
        k, j = self._locate(env)
        self._call_one(k, "signal", j, signal)
        if signal == _env.SIGNALS["SIGSTOP"]:
            self._paused[env] = True
        elif signal == _env.SIGNALS["SIGCONT"]:
            self._paused[env] = False

    def observation_text(self, env: int) -> str:
        self._check_open()
        k, j = self._locate(env)
        return self._call_one(k, "observation_text", j)

    def last_violations(self, env: int) -> list:
        self._check_open()
        k, j = self._locate(env)
        return self._call_one(k, "last_violations", j)

    def metrics(self) -> dict:
        """The engine's metrics summed over the shards' current incarnations,
        rates recomputed from the sums; plus ``distributed`` (shards,
        restarts and the fault counters)."""
        self._check_open()
        for _attempt in range(2):
            results = self._pool.fan_out("metrics", lambda k: ())
            if all(ok for ok, _v in results.values()):
                break
            self._settle(results, "query", lambda *_: None)  # a restarted shard is asked again
        else:
            raise ShardLostError("a shard failed twice in a row on metrics")
        m = sum_metrics([v for _ok, v in results.values()])
        m["distributed"] = {"shards": len(self._pool.shards), **self.fault_counters}
        return m

    def policy_violations(self) -> dict:
        return self.metrics()["by_policy"]

    @property
    def buffers(self) -> dict:
        """The batch arrays by buffer name (read-only, overwritten by every call)."""
        return {k: v for k, v in self._ro.items() if not k.endswith("_bool")}

    # ---- cluster facts ---------------------------------------------------------------

    def shard_placement(self) -> list:
        """[(shard, (first env, stop), worker address, incarnation)]."""
        return [(sh.slice.index, (sh.slice.offset, sh.slice.stop), sh.worker, sh.incarnation)
                for sh in self._pool.shards]

    @property
    def client(self):
        """The Dask client (backend "dask") or the RayBackend."""
        return getattr(self._backend, "client", self._backend)

    @property
    def backend(self):
        return self._backend

    def shard_identity(self, shard: int) -> dict:
        """The process holding shard ``shard`` now: pid, host, library."""
        self._check_open()
        return self._call_one(shard, "identity")

    @property
    def steps_taken(self) -> int:
        return self._step_count

    def audit_index(self) -> dict:
        """What merge_audit needs: the policy text and every shard log with
        its env range and per-step record counts."""
        return {"format": "agentos-distributed-audit-index/1", "policy_yaml": self.policy_yaml,
                "policy_name": self.policy_name, "num_envs": self.num_envs, "steps": self._step_count,
                "sources": [dict(s) for s in self._pool.sources],
                "faults": [e.as_dict() for e in self.fault_events]}

    # ---- lifetime ----------------------------------------------------------------------

    def close(self) -> None:
        """Closes every shard (each closes its audit log), shuts down a
        cluster this env started, writes AUDIT_DIR/index.json and, with a
        recorder, merges the shard logs into it (``audit_manifest``)."""
        if self._closed:
            return
        self._closed = True
        self._teardown(merge=True)

    def _teardown(self, merge: bool):
        try:
            if self._pool is not None:
                self._pool.close()
        finally:
            if self._finalizer is not None:
                self._finalizer()  # shuts down the cluster this env started or joined
        pool = self._pool
        if pool is None or pool.audit_dir is None or not pool.sources:
            return
        index = self.audit_index()
        with open(os.path.join(pool.audit_dir, "index.json"), "w", encoding="utf-8") as f:
            json.dump(index, f, indent=1)
        if merge and self.recorder is not None:
            from .audit_merge import merge_audit
            self.audit_manifest = merge_audit(index, into=self.recorder, key=self.recorder.hmac_key)
            with open(self.recorder.path + ".sources.json", "w", encoding="utf-8") as f:
                json.dump(self.audit_manifest, f, indent=1)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self):
        return self.num_envs

    def __repr__(self):
        return (f"DistributedVectorEnv(num_envs={self.num_envs}, shards={len(self._pool.shards)}, "
                f"autoreset={self.autoreset!r}{', closed' if self._closed else ''})")


__all__ = ["DistributedVectorEnv", "ShardedActions"]
