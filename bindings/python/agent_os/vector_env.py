"""VectorEnv: N governed environments stepped in ONE C call, Gymnasium style.

    env = VectorEnv(kernel, 1024, task="noop")           # or "external", "sql"
    obs, infos = env.reset(seed=42)                       # env i seeded with 42 + i
    obs, rewards, terminated, truncated, infos = env.step(actions)

Conventions (Gymnasium 1.x ``VectorEnv``; with gymnasium installed this
class IS a ``gymnasium.vector.VectorEnv``, so Gymnasium's vector wrappers
and ``gymnasium.make_vec`` accept it):
  * ``num_envs``, ``single_action_space`` (text), ``action_space`` (Gymnasium's
    ``batch_space`` of it: a Tuple of num_envs Text spaces),
    ``single_observation_space`` / ``observation_space`` (task index, int64),
    ``metadata["autoreset_mode"]`` (NEXT_STEP by default; SAME_STEP and
    DISABLED on request), ``render_mode`` (None), ``spec``, ``unwrapped``,
    ``np_random`` / ``np_random_seed``, ``close()`` / ``close_extras()``.
  * ``reset(seed=s)`` seeds env i with s + i; ``reset(seed=[s0, s1, ...])``
    (num_envs entries) seeds env i with s_i, None entries keeping that env's
    RNG; ``reset(options={"task_id": [...]})`` pins env i to a task: a task id
    ("shop-042"), a task index or None (the seed picks), one per env; unknown
    ids and bad indices raise and change nothing (``find_task(id)`` gives the
    index); ``reset(options={"reset_mask": m})`` resets only envs with m[i]
    true; m is validated as ``SyncVectorEnv`` does (a bool numpy array of
    shape (num_envs,) with at least one True).
  * ``step`` returns arrays of shape (num_envs,): observations (int64),
    rewards (float64), terminated / truncated (bool), and ``infos``, a dict
    of arrays where every key ``k`` has a bool mask ``_k`` saying which rows
    carry it: executed (bool), violations, max_severity (-1 none .. 3
    critical), signals (bit mask), episode_step, cost_usd, episode_return
    and, unless ``EnvironmentConfig.penalty_mode == "reward"``, ``cost``
    (the step's policy cost, >= 0, computed by the engine).
    The rows follow ``SyncVectorEnv`` over single envs exactly: in NEXT_STEP
    mode an autoreset row is a reset, so its step keys are masked out; in
    SAME_STEP mode an ended row's step keys are masked out too and its
    transition is in ``final_obs`` / ``final_info`` (masks ``_final_obs`` /
    ``_final_info``), while ``obs`` is the new episode's.

Zero copy. The engine allocates every result buffer once, at construction;
this class maps each one into a numpy view once (``np.ctypeslib.as_array``
over the C pointer, read-only) and returns those same views after every
step. So the arrays returned by ``step`` are overwritten by the next
``step``/``reset``: copy what you keep (``rewards.copy()``). The views keep
the engine's memory alive: ``close()`` releases the environments once no
view is left. Without numpy, plain lists (copies) are returned instead.

Numeric tasks (``task="cartpole"`` or one registered through the task API,
env/task_api.h): observations are a zero-copy read-only array of shape
(num_envs, obs_dim) in the task's dtype (float32 for CartPole), spaces are
a Box and a Discrete (or Box) space, and ``step(actions)`` takes one action
per env as an int array (discrete) or a (num_envs, action_dim) float array:
a single C call, no packing. Each action passes the kernel as a ``numeric``
action (policies of type ``numeric`` bound it). The task's safety cost,
if any, is in ``infos["cost"]`` with the policy cost.

Audit: ``recorder=FlightRecorder(...)`` records every governed step (from
the worker thread that ran it; env i is the record's env_id). If recording
fails, the step fails and the env refuses further steps: nothing runs
unaudited once auditing broke.

Async mode (EnvPool's contract): ``send(actions, env_ids)`` queues one
step for each listed env and returns at once; worker threads (num_threads)
step them, with the GIL released, while Python computes. ``recv()`` waits
for the first ``batch_size`` envs (a constructor argument; default
num_envs) to finish and returns their rows in finish order, batch-shaped,
with ``infos["env_id"]``. Each env steps exactly as ``step`` would step it,
so its trajectory does not depend on the batches it lands in:

    env = VectorEnv(kernel, 64, task="sql", dataset_dir=..., num_threads=2, batch_size=16)
    env.reset(seed=0)
    env.send(first_actions, np.arange(64))
    while training:
        obs, rew, term, trunc, infos = env.recv()
        env.send(policy(obs), infos["env_id"])

A numeric task's ``send`` takes one action per listed env, as its ``step``
does (an int array, or a (len(env_ids), action_dim) float array), and
``recv`` returns its observations as a (batch, obs_dim) array.

Text observations: ``text_observations=True`` makes the engine gather every
env's observation text (SQL: the question and schema) into one buffer after
each reset and step; observations are then ``{"task": index array, "text":
tuple of str}`` (Gymnasium: a Dict of the index Box and a Tuple of Text), and
``observation_texts()`` (a list of str, one C call for the whole batch) and
``observation_text_views()`` (zero-copy numpy views: bytes and num_envs + 1
offsets) read them. ``observation_messages()`` gives each env's observation
as chat messages ({"role": "system"/"user", "content": ...}), the engine's
layout. Off by default: the observation stays the index, as before.

Actions: a list of str/bytes (packed into one buffer plus offsets per call),
or a ``PackedActions`` made once with ``env.pack(actions)`` and reused: then
a step is a single C call with no Python-side packing at all. Optional
per-env inputs: ``kinds`` (sql, tool_call, spend, message), ``tools``,
``cost_usd``, ``tokens`` and, for the external task, ``external_reward``,
``external_success``, ``external_done`` (applied only to actions the kernel
let execute: a blocked action never happened).
"""

from __future__ import annotations

import ctypes
import enum
import json
import numbers
import os
import weakref
from itertools import accumulate
from typing import Any

from . import _env_capi as _env
from . import _lib
from .env_config import EnvironmentConfig
from .errors import InvalidArgument, StateError
from .kernel import KernelSpace, _encode, _kind_value, pack_payloads, require_kernel
from .severity import severity_name
from . import spaces as _spaces
from . import _text_obs

_np: Any
_gym: Any
try:
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by the no-numpy run
    _np = None

try:
    import gymnasium as _gym
    from gymnasium.vector import AutoresetMode
    from gymnasium.vector.utils import batch_space as _batch_space
    _VectorBase: Any = _gym.vector.VectorEnv
except ImportError:
    _gym = None
    _VectorBase = object

    class AutoresetMode(enum.Enum):  # type: ignore[no-redef]
        """Gymnasium 1.x's autoreset modes (same names and values)."""
        NEXT_STEP = "NextStep"
        SAME_STEP = "SameStep"
        DISABLED = "Disabled"

_MODES = {"next_step": AutoresetMode.NEXT_STEP, "same_step": AutoresetMode.SAME_STEP,
          "disabled": AutoresetMode.DISABLED}
# Step info keys, by result buffer; "cost" is added unless penalty_mode == "reward".
INFO_KEYS = ("executed", "violations", "max_severity", "signals", "episode_step", "cost_usd",
             "episode_return")
_INFO_BUFFERS = {"executed": "executed_bool", "cost": "policy_cost"}
_U64 = (1 << 64) - 1


class _Venv:
    """Owns the agentos_venv*. Every buffer view references this object, so
    the C memory outlives every view handed out."""

    def __init__(self, handle, free):
        self.handle = handle
        self.fin = weakref.finalize(self, free, handle)


class PackedActions:
    """A batch of text actions as one contiguous buffer plus num_envs + 1
    uint64 offsets, with their addresses taken once."""

    __slots__ = ("data", "offsets", "n", "data_addr", "data_len", "offsets_addr")

    def __init__(self, actions):
        self.data, self.offsets = pack_payloads(actions)
        self.n = len(self.offsets) - 1
        self.data_len = len(self.data)
        self.data_addr = ctypes.cast(ctypes.c_char_p(self.data), ctypes.c_void_p).value or 0
        self.offsets_addr = (self.offsets.ctypes.data if _np is not None
                             else ctypes.addressof(self.offsets))


def task_spec(task, options: dict) -> bytes:
    """The JSON task spec the engine reads (env/task_registry.h)."""
    if isinstance(task, dict):
        if options:
            raise InvalidArgument("give task options inside the task dict or as keywords, not both")
        spec = dict(task)
    elif isinstance(task, str):
        spec = {"type": task, **options}
    else:
        raise TypeError(f"task must be 'noop', 'external', 'sql' or a spec dict, not {type(task).__name__}")
    for key in ("dataset_dir", "databases_dir", "questions_file"):
        if isinstance(spec.get(key), os.PathLike):
            spec[key] = os.fspath(spec[key])
    try:
        return json.dumps(spec).encode()
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"task spec is not JSON-serialisable: {e}") from None


def gym_infos(views: dict[str, Any], keys: tuple[str, ...], autoreset: str, stepped: Any) -> dict[str, Any]:
    """The step infos over result-buffer views, laid out as SyncVectorEnv
    lays out its single envs' infos: every key k with its mask _k (stepped:
    the rows that stepped rather than reset), and in SAME_STEP mode the
    ended rows' transition in final_obs / final_info."""
    step_info: dict[str, Any] = {}
    for k in keys:
        step_info[k] = views[_INFO_BUFFERS.get(k, k)]
        step_info["_" + k] = stepped
    if autoreset != "same_step":
        return step_info
    ended = views["autoreset_bool"]
    final_info: dict[str, Any] = {}
    for k in keys:
        final_info[k] = step_info[k]
        final_info["_" + k] = ended
    return dict(step_info, final_obs=views["final_observation"], _final_obs=ended, final_info=final_info,
                _final_info=ended)


def _autoreset_name(autoreset: Any) -> str:
    """"next_step" etc. from a name or an AutoresetMode (Gymnasium's or ours)."""
    for name, mode in _MODES.items():
        if autoreset is mode or autoreset == name or getattr(autoreset, "value", None) == mode.value:
            return name
    raise InvalidArgument(f"autoreset must be one of {sorted(_MODES)} or an AutoresetMode, not {autoreset!r}")


class VectorEnv(_VectorBase):
    """See the module docstring."""

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
    spec: Any = None
    render_mode: str | None = None
    closed: bool = False
    _texts: Any = None  # _text_obs.TextReader while open

    def __init__(self, kernel: KernelSpace, num_envs: int, *, task: Any = "noop",
                 config: EnvironmentConfig | None = None, autoreset: Any = "next_step", num_threads: int = 1,
                 seed: int = 0, keep_results: bool = False, action_kind: str = "sql",
                 min_envs_per_thread: int | None = None, spin_us: int | None = None, recorder: Any = None,
                 batch_size: int | None = None, text_observations: bool = False,
                 **task_options: Any) -> None:
        lib = _env.require("VectorEnv")
        self.kernel = require_kernel(kernel, "VectorEnv")
        if isinstance(num_envs, bool) or not isinstance(num_envs, numbers.Integral) or not 1 <= num_envs < 2**32:
            raise InvalidArgument(f"num_envs must be an int in [1, 2^32), not {num_envs!r}")
        if config is None:
            config = EnvironmentConfig()
        elif not isinstance(config, EnvironmentConfig):
            raise TypeError("config must be an EnvironmentConfig")
        autoreset = _autoreset_name(autoreset)
        for name, v in (("num_threads", num_threads), ("seed", seed)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"{name} must be an int")
        if not 0 <= seed <= _U64:
            raise InvalidArgument("seed must be in [0, 2^64)")
        if not 1 <= num_threads < 2**32:
            raise InvalidArgument("num_threads must be >= 1")
        self._check_text_observations(text_observations, autoreset)
        self.config: EnvironmentConfig = config
        c = _env.default_config()
        config.to_c(c)
        c.num_envs = int(num_envs)
        c.num_threads = int(num_threads)
        c.seed = int(seed)
        c.autoreset = _env.AUTORESET[autoreset]
        c.keep_results = 1 if keep_results else 0
        c.text_observations = 1 if text_observations else 0
        c.default_action_kind = _kind_value(action_kind)
        # The engine validates both; here they only must fit the C field.
        for name, v in (("min_envs_per_thread", min_envs_per_thread), ("spin_us", spin_us),
                        ("batch_size", batch_size)):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < 2**32:
                raise InvalidArgument(f"{name} must be an int in [0, 2^32), not {v!r}")
            setattr(c, name, int(v))
        if recorder is not None:
            from .recorder import FlightRecorder
            if not isinstance(recorder, FlightRecorder):
                raise TypeError(f"recorder must be an agent_os.FlightRecorder, not {type(recorder).__name__}")
            c.recorder = recorder.handle
        self.recorder = recorder
        spec = task_spec(task, task_options)
        handle = _lib.new_handle(lib.agentos_venv_create, self.kernel.handle, ctypes.byref(c), spec, len(spec))
        self._venv: _Venv | None = _Venv(handle, lib.agentos_venv_free)
        self._h = handle
        self._lib: Any = lib
        self._step_fn: Any = lib.agentos_venv_step
        self._send_fn: Any = lib.agentos_venv_send
        self._recv_fn: Any = lib.agentos_venv_recv
        n = int(num_envs)
        self.num_envs: int = n
        self.autoreset: str = autoreset
        self.keep_results = bool(keep_results)
        self.metadata = {"autoreset_mode": _MODES[autoreset], "render_modes": []}
        self._info_keys: tuple[str, ...] = INFO_KEYS + (("cost",) if config.penalty_mode != "reward" else ())
        self.single_action_space: Any = _spaces.text_space(config.max_action_bytes)
        self.single_observation_space: Any = _spaces.index_space()
        self.numeric: Any = self._numeric_shape()
        if self.numeric is not None:
            self.single_observation_space, self.single_action_space = self._numeric_spaces(self.numeric)
        if _gym is not None:
            self.action_space = _batch_space(self.single_action_space, n)
            self.observation_space = _batch_space(self.single_observation_space, n)
        else:
            self.action_space = _spaces.tuple_space([self.single_action_space] * n)
            self.observation_space = _spaces.index_space(n)
        self.closed = False
        self._map_buffers()
        size = ctypes.c_size_t()
        _lib.check(lib.agentos_venv_batch_size(handle, ctypes.byref(size)))
        self.batch_size: int = size.value
        self._make_recv_rows()
        self._init_text_observations(bool(text_observations))

    # ---- numeric tasks --------------------------------------------------------

    def _numeric_shape(self):
        """The task's agentos_numeric_shape, or None for a text task."""
        shape = _env.NumericShape()
        if self._lib.agentos_venv_numeric_shape(self._h, ctypes.byref(shape)) != 0:
            return None
        return shape

    @staticmethod
    def _numeric_spaces(shape):
        dtype = _env.OBS_DTYPES[shape.obs_dtype]
        if _gym is None or _np is None:
            raise StateError("numeric tasks need numpy and gymnasium for their spaces")
        inf = float("inf")
        low = [shape.obs_low[i] for i in range(shape.obs_dim)] if shape.obs_bounded else [-inf] * shape.obs_dim
        high = [shape.obs_high[i] for i in range(shape.obs_dim)] if shape.obs_bounded else [inf] * shape.obs_dim
        obs_space = _gym.spaces.Box(_np.array(low, dtype=dtype), _np.array(high, dtype=dtype), dtype=dtype)
        if shape.action_space == 0:
            return obs_space, _gym.spaces.Discrete(int(shape.num_actions))
        d = shape.action_dim
        alow = [shape.action_low[i] for i in range(d)] if shape.action_bounded else [-inf] * d
        ahigh = [shape.action_high[i] for i in range(d)] if shape.action_bounded else [inf] * d
        return obs_space, _gym.spaces.Box(_np.array(alow), _np.array(ahigh), dtype=_np.float64)

    def _map_numeric(self):
        shape, n = self.numeric, self.num_envs
        ctype = _env.OBS_CTYPES[shape.obs_dtype]
        for name, getter in (("numeric_observation", "agentos_venv_numeric_observations"),
                             ("final_numeric_observation", "agentos_venv_final_numeric_observations")):
            addr = getattr(self._lib, getter)(self._h)
            if not addr:
                raise _lib.errors.InternalError(f"{getter} returned NULL for a numeric venv")
            arr = (ctype * (n * shape.obs_dim)).from_address(addr)
            arr._owner = self._venv
            self._cbufs[name] = arr
            v = _np.ctypeslib.as_array(arr).reshape(n, shape.obs_dim)
            v.flags.writeable = False
            self._views[name] = v
        self._discrete = shape.action_space == 0
        self._action_shape = (n,) if self._discrete else (n, shape.action_dim)
        self._action_dtype = _np.int64 if self._discrete else _np.float64
        self._numeric_step = (self._lib.agentos_venv_step_discrete if self._discrete
                              else self._lib.agentos_venv_step_numeric)
        self._action_count = n if self._discrete else n * shape.action_dim

    def _numeric_actions(self, actions, n):
        """actions as a C-contiguous array of n rows of the task's action
        dtype (no copy when they already are one)."""
        a = actions
        if type(a) is not _np.ndarray or a.dtype != self._action_dtype or not a.flags.c_contiguous:
            try:
                a = _np.ascontiguousarray(actions, dtype=self._action_dtype)
            except (TypeError, ValueError, OverflowError) as e:
                raise InvalidArgument(f"actions: {e}") from None
        shape = (n,) + self._action_shape[1:]
        if a.shape != shape:
            raise InvalidArgument(f"actions must have shape {shape}, not {a.shape}")
        return a

    def _step_numeric(self, actions):
        a = self._numeric_actions(actions, self.num_envs)
        code = self._numeric_step(self._h, a.ctypes.data, self._action_count)
        if code:
            _lib.check(code)
        return self._result()

    def _send_numeric(self, actions, ids_addr, n):
        a = self._numeric_actions(actions, n)
        if self._discrete:
            code = self._lib.agentos_venv_send_discrete(self._h, ids_addr, n, a.ctypes.data)
        else:
            code = self._lib.agentos_venv_send_numeric(self._h, ids_addr, n, a.ctypes.data, a.size)
        if code:
            _lib.check(code)

    # ---- buffers ------------------------------------------------------------

    def _map_buffers(self):
        n = self.num_envs
        self._addresses, self._cbufs, self._views = {}, {}, {}
        for name, (getter, ctype, _dtype) in _env.BUFFERS.items():
            addr = getattr(self._lib, getter)(self._h)
            if not addr:
                raise _lib.errors.InternalError(f"{getter} returned NULL for a live venv")
            arr = (ctype * n).from_address(addr)
            arr._owner = self._venv  # the C memory lives while any view does
            self._addresses[name] = addr
            self._cbufs[name] = arr
            if _np is not None:
                v = _np.ctypeslib.as_array(arr)
                v.flags.writeable = False
                self._views[name] = v
        if self.numeric is not None:
            self._map_numeric()
            self._views["observation"] = self._views["numeric_observation"]
            self._views["final_observation"] = self._views["final_numeric_observation"]
        if _np is not None:
            for name in ("terminated", "truncated", "autoreset", "executed"):
                self._views[name + "_bool"] = self._views[name].view(_np.bool_)
            # Which rows carry this step's info: all of them, except rows that
            # Gymnasium's SyncVectorEnv fills from a reset (autoreset rows).
            ones = _np.ones(n, dtype=_np.bool_)
            ones.flags.writeable = False
            self._stepped = ones if self.autoreset == "disabled" else _np.ones(n, dtype=_np.bool_)
            self._infos = gym_infos(self._views, self._info_keys, self.autoreset, self._stepped)

    def buffer_address(self, name: str) -> int:
        """The C address of a result buffer (constant for the env's life)."""
        return self._addresses[name]

    @property
    def buffers(self) -> dict:
        """The zero-copy numpy views, by buffer name (numpy only)."""
        if _np is None:
            raise StateError("buffers needs numpy")
        return {k: v for k, v in self._views.items() if not k.endswith("_bool")}

    def _result(self):
        if _np is not None:
            v = self._views
            if self._stepped.flags.writeable:
                _np.logical_not(v["autoreset_bool"], out=self._stepped)
            return (v["observation"], v["reward"], v["terminated_bool"], v["truncated_bool"], dict(self._infos))
        b = self._cbufs
        ended = [bool(x) for x in b["autoreset"]]
        stepped = [True] * self.num_envs if self.autoreset == "disabled" else [not x for x in ended]
        infos: dict[str, Any] = {}
        for k in self._info_keys:
            buf = b[_INFO_BUFFERS.get(k, k).replace("_bool", "")]
            infos[k] = [bool(x) for x in buf] if k == "executed" else list(buf)
            infos["_" + k] = stepped
        if self.autoreset == "same_step":
            final_info: dict[str, Any] = {}
            for k in self._info_keys:
                final_info[k], final_info["_" + k] = infos[k], ended
            infos.update(final_obs=list(b["final_observation"]), _final_obs=ended, final_info=final_info,
                         _final_info=ended)
        return (list(b["observation"]), list(b["reward"]), [bool(x) for x in b["terminated"]],
                [bool(x) for x in b["truncated"]], infos)

    # ---- gymnasium API ----------------------------------------------------------

    def _handle(self):
        if self.closed:
            raise StateError("VectorEnv is closed")
        return self._h

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        h = self._handle()
        has_seed, s, seeds = 0, 0, None
        if seed is not None:
            if isinstance(seed, (list, tuple)) or (_np is not None and isinstance(seed, _np.ndarray)):
                seeds = self._seed_list(seed)
            else:
                has_seed, s = 1, self._check_seed(seed)
        mask_arg, keep, pins = None, None, None
        if options:
            if not isinstance(options, dict):
                raise TypeError("options must be a dict")
            unknown = set(options) - {"reset_mask", "task_id"}
            if unknown:
                raise InvalidArgument(f"unknown reset options {sorted(unknown)} (known: reset_mask, task_id)")
            mask = options.get("reset_mask")
            if mask is not None:
                self._check_reset_mask(mask)
                keep, mask_arg = self._u8(mask, "reset_mask")
            if options.get("task_id") is not None:
                pins = self._task_pins(options["task_id"])
        if has_seed and _gym is not None:
            super().reset(seed=s)  # Gymnasium's np_random / np_random_seed follow the int seed
        if pins is not None:
            o = _env.ResetOptions()
            o.has_seed, o.seed, o.mask, o.task_index = has_seed, s, mask_arg, ctypes.addressof(pins)
            if seeds is not None:
                o.seeds = ctypes.addressof(seeds[0])
                o.has_seeds = ctypes.addressof(seeds[1]) if seeds[1] is not None else None
            _lib.check(self._lib.agentos_venv_reset_with(h, ctypes.byref(o)))
        elif seeds is None:
            _lib.check(self._lib.agentos_venv_reset(h, has_seed, s, mask_arg))
        else:
            values, flags = seeds
            _lib.check(self._lib.agentos_venv_reset_seeds(h, values, flags, mask_arg))
        obs = self._result()[0]
        if self.text_observations:
            obs = self._with_texts(obs)
        return obs, {}

    def find_task(self, task_id: str) -> int:
        """The task index of a task id ("shop-042"), as options={"task_id": [...]}
        takes it; NotFound for an id the task does not know."""
        h = self._handle()
        if not isinstance(task_id, str):
            raise TypeError(f"a task id must be a str, not {type(task_id).__name__}")
        raw = task_id.encode("utf-8")
        index = ctypes.c_int64(-1)
        _lib.check(self._lib.agentos_venv_find_task(h, raw, len(raw), ctypes.byref(index)))
        return index.value

    def _task_pins(self, task_ids: Any):
        """options["task_id"]: one entry per env, a task id (str), a task
        index (int) or None (the seed picks), as a C int64 array. Ids are
        resolved, and indices checked, by the engine."""
        if isinstance(task_ids, (str, bytes)) or not hasattr(task_ids, "__len__"):
            raise TypeError("options['task_id'] must be a list with one task id (str), index (int) or None per env")
        if _np is not None and isinstance(task_ids, _np.ndarray):
            task_ids = task_ids.tolist()
        task_ids = list(task_ids)
        if len(task_ids) != self.num_envs:
            raise InvalidArgument(f"options['task_id'] must have num_envs = {self.num_envs} entries, "
                                  f"got {len(task_ids)}")
        pins = (ctypes.c_int64 * self.num_envs)()
        for i, t in enumerate(task_ids):
            if t is None:
                pins[i] = -1
            elif isinstance(t, str):
                pins[i] = self.find_task(t)
            elif isinstance(t, numbers.Integral) and not isinstance(t, bool):
                if not 0 <= int(t) < 2**63:
                    raise InvalidArgument(f"options['task_id'][{i}]: a task index must be >= 0, got {t}")
                pins[i] = int(t)
            else:
                raise TypeError(f"options['task_id'][{i}] must be a task id (str), an index (int) or None, "
                                f"not {type(t).__name__}")
        return pins

    def _check_reset_mask(self, mask: Any) -> None:
        """SyncVectorEnv's rules: a bool numpy array of shape (num_envs,)
        with at least one True (without numpy: a sequence of bools)."""
        if _np is not None:
            if not isinstance(mask, _np.ndarray):
                raise TypeError(f"options['reset_mask'] must be a numpy array, got {type(mask).__name__}")
            if mask.shape != (self.num_envs,):
                raise InvalidArgument(f"options['reset_mask'] must have shape ({self.num_envs},), got {mask.shape}")
            if mask.dtype != _np.bool_:
                raise TypeError(f"options['reset_mask'] must have dtype bool, got {mask.dtype}")
            ok = bool(mask.any())
        else:
            mask = list(mask)
            if len(mask) != self.num_envs or not all(isinstance(m, bool) for m in mask):
                raise InvalidArgument(f"options['reset_mask'] must be {self.num_envs} bools")
            ok = any(mask)
        if not ok:
            raise InvalidArgument("options['reset_mask'] must have at least one True value")

    @staticmethod
    def _check_seed(seed) -> int:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an int or None, not {type(seed).__name__}")
        if not 0 <= int(seed) <= _U64:
            raise InvalidArgument("seed must be in [0, 2^64)")
        return int(seed)

    def _seed_list(self, seed):
        """A per-env seed list (None entries keep that env's RNG) as C arrays."""
        if _np is not None and isinstance(seed, _np.ndarray):
            if seed.ndim != 1:
                raise InvalidArgument(f"a seed array must be 1-D, got shape {seed.shape}")
            seed = seed.tolist()
        seed = list(seed)
        if len(seed) != self.num_envs:
            raise InvalidArgument(f"a list of seeds must have num_envs = {self.num_envs} entries, got {len(seed)}")
        values = (ctypes.c_uint64 * self.num_envs)()
        flags = None
        for i, x in enumerate(seed):
            if x is None:
                if flags is None:
                    flags = (ctypes.c_uint8 * self.num_envs)(*([1] * self.num_envs))
                flags[i] = 0
            else:
                values[i] = self._check_seed(x)
        return values, flags

    def pack(self, actions) -> PackedActions:
        """Packs a batch once for reuse across steps."""
        p = PackedActions(actions)
        if p.n != self.num_envs:
            raise InvalidArgument(f"{p.n} actions for {self.num_envs} envs")
        return p

    def step(self, actions, *, kinds=None, tools=None, cost_usd=None, tokens=None, external_reward=None,
             external_success=None, external_done=None):
        h = self._handle()
        if self.numeric is not None:
            if not (kinds is None and tools is None and cost_usd is None and tokens is None
                    and external_reward is None and external_success is None and external_done is None):
                raise InvalidArgument("a numeric task's step takes only its actions")
            return self._step_numeric(actions)
        p = actions if type(actions) is PackedActions else self.pack(actions)
        if p.n != self.num_envs:
            raise InvalidArgument(f"{p.n} actions for {self.num_envs} envs")
        extras, keep = None, None
        if not (kinds is None and tools is None and cost_usd is None and tokens is None and external_reward is None
                and external_success is None and external_done is None):
            extras, keep = self._extras(kinds, tools, cost_usd, tokens, external_reward, external_success,
                                        external_done)
        code = self._step_fn(h, p.data_addr, p.data_len, p.offsets_addr, p.n, extras)
        if code:
            _lib.check(code)
        if self.text_observations:
            obs, *rest = self._result()
            return (self._with_texts(obs), *rest)
        return self._result()

    # ---- per-env inputs -----------------------------------------------------------

    def _array(self, values, what, ctype, dtype, n=None):
        n = self.num_envs if n is None else n
        if _np is not None:
            try:
                a = _np.ascontiguousarray(values, dtype=dtype)
            except (TypeError, ValueError, OverflowError) as e:
                raise InvalidArgument(f"{what}: {e}") from None
            if a.shape != (n,):
                raise InvalidArgument(f"{what} must have shape ({n},), not {a.shape}")
            return a, a.ctypes.data
        values = list(values)
        if len(values) != n:
            raise InvalidArgument(f"{what} must have {n} entries, not {len(values)}")
        try:
            a = (ctype * n)(*values)
        except (TypeError, OverflowError) as e:
            raise InvalidArgument(f"{what}: {e}") from None
        return a, ctypes.addressof(a)

    def _u8(self, values, what, n=None):
        vals = values
        if _np is None or not isinstance(values, _np.ndarray):
            vals = [1 if bool(v) else 0 for v in values]
        elif values.dtype == _np.bool_:
            vals = values.view(_np.uint8)
        return self._array(vals, what, ctypes.c_uint8, "uint8", n)

    def _extras(self, kinds, tools, cost_usd, tokens, reward, success, done, n=None):
        """The per-env inputs of n rows of actions (num_envs for a step)."""
        n = self.num_envs if n is None else n
        ex = _env.StepExtras()
        keep = []

        def put(field, pair):
            keep.append(pair[0])
            setattr(ex, field, pair[1])

        if kinds is not None:
            ks = [_kind_value(k) if isinstance(k, str) else k for k in kinds] if not (
                _np is not None and isinstance(kinds, _np.ndarray)) else kinds
            put("kinds", self._array(ks, "kinds", ctypes.c_uint8, "uint8", n))
        if tools is not None:
            data, offsets = pack_payloads(tools)
            if len(offsets) - 1 != n:
                raise InvalidArgument(f"tools must have {n} entries")
            keep.extend([data, offsets])
            ex.tool_bytes = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
            ex.tool_bytes_len = len(data)
            ex.tool_offsets = offsets.ctypes.data if _np is not None else ctypes.addressof(offsets)
        if cost_usd is not None:
            put("cost_usd", self._array(cost_usd, "cost_usd", ctypes.c_double, "float64", n))
        if tokens is not None:
            put("tokens", self._array(tokens, "tokens", ctypes.c_int64, "int64", n))
        if reward is not None:
            put("external_reward", self._array(reward, "external_reward", ctypes.c_double, "float64", n))
        if success is not None:
            put("external_success", self._u8(success, "external_success", n))
        if done is not None:
            put("external_done", self._u8(done, "external_done", n))
        keep.append(ex)
        return ctypes.byref(ex), keep

    # ---- async mode (EnvPool's send / recv) -------------------------------------------

    def _make_recv_rows(self):
        """Allocates the arrays recv fills (batch_size rows) and points the
        C struct at them once, so a recv is one C call."""
        cap = self.batch_size
        rows = _env.RecvRows()
        rows.capacity = cap
        self._recv_arrays: dict[str, Any] = {}
        fields = {"env_id": (ctypes.c_uint32, "uint32")}
        fields.update({name: (ctype, dtype) for name, (_getter, ctype, dtype) in _env.BUFFERS.items()})
        fields["task_error"] = (ctypes.c_uint8, "uint8")
        for name, (ctype, dtype) in fields.items():
            if _np is not None:
                arr = _np.zeros(cap, dtype=dtype)
                addr = arr.ctypes.data
            else:
                arr = (ctype * cap)()
                addr = ctypes.addressof(arr)
            self._recv_arrays[name] = arr
            setattr(rows, name, addr)
        if self.numeric is not None:
            dtype = _env.OBS_DTYPES[self.numeric.obs_dtype]
            for name in ("numeric_observation", "final_numeric_observation"):
                arr = _np.zeros((cap, self.numeric.obs_dim), dtype=dtype)
                self._recv_arrays[name] = arr
                setattr(rows, name, arr.ctypes.data)
        self._recv_rows = rows
        self._recv_views: dict[int, Any] = {}  # k -> _recv_views_of(k)
        self._recv_ref = ctypes.byref(rows)
        self._recv_count = ctypes.c_size_t()
        if _np is not None:
            self._recv_stepped = _np.ones(cap, dtype=_np.bool_)

    def _env_ids(self, env_ids):
        """env_ids as a C uint32 array: (keep-alive, address, n)."""
        if _np is not None:
            a = _np.asarray(env_ids)
            if a.ndim != 1:
                raise InvalidArgument(f"env_ids must be 1-D, got shape {a.shape}")
            if a.dtype != _np.uint32:
                if a.size and not _np.issubdtype(a.dtype, _np.integer):
                    raise TypeError(f"env_ids must be integers, not {a.dtype}")
                if a.size and (a.min() < 0 or a.max() >= 2**32):
                    raise InvalidArgument(f"env_ids must be in [0, {self.num_envs})")
                a = a.astype(_np.uint32)
            a = _np.ascontiguousarray(a)
            return a, a.ctypes.data, a.shape[0]
        ids = list(env_ids)
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):
                raise TypeError("env_ids must be ints")
            if not 0 <= i < 2**32:
                raise InvalidArgument(f"env_ids must be in [0, {self.num_envs})")
        c = (ctypes.c_uint32 * len(ids))(*ids)
        return c, ctypes.addressof(c), len(ids)

    def send(self, actions, env_ids, *, kinds=None, tools=None, cost_usd=None, tokens=None, external_reward=None,
             external_success=None, external_done=None) -> None:
        """Queues one step for each env in ``env_ids`` (action k is env
        env_ids[k]'s; per-env inputs likewise) and returns at once: worker
        threads step them while the caller computes. Collect them with
        ``recv``. An env may not be sent again before it is received;
        sync ``step``/``reset`` wait until nothing is in flight (StateError)."""
        h = self._handle()
        ids, ids_addr, n = self._env_ids(env_ids)
        if self.numeric is not None:
            if not (kinds is None and tools is None and cost_usd is None and tokens is None
                    and external_reward is None and external_success is None and external_done is None):
                raise InvalidArgument("a numeric task's send takes only its actions and env_ids")
            return self._send_numeric(actions, ids_addr, n)
        p = actions if type(actions) is PackedActions else PackedActions(actions)
        if p.n != n:
            raise InvalidArgument(f"{p.n} actions for {n} env ids")
        extras, keep = None, None
        if not (kinds is None and tools is None and cost_usd is None and tokens is None and external_reward is None
                and external_success is None and external_done is None):
            extras, keep = self._extras(kinds, tools, cost_usd, tokens, external_reward, external_success,
                                        external_done, n)
        code = self._send_fn(h, ids_addr, n, p.data_addr, p.data_len, p.offsets_addr, extras)
        if code:
            _lib.check(code)

    def recv(self):
        """Waits for ``batch_size`` envs in flight to finish (all of them
        when fewer are in flight) and returns their (observations, rewards,
        terminated, truncated, infos) in finish order, with
        ``infos["env_id"]`` naming each row's env (EnvPool's contract). The
        arrays are reused by the next ``recv``: copy what you keep. If a step
        failed (a task reset inside autoreset, the recorder), the error is
        raised with the received rows, every env's, as its ``result``: those
        envs are no longer in flight."""
        h = self._handle()
        code = self._recv_fn(h, self._recv_ref, ctypes.byref(self._recv_count))
        result = self._recv_result(self._recv_count.value)
        if code:
            try:
                _lib.check(code)
            except Exception as e:
                e.result = result  # type: ignore[attr-defined]
                raise
        return result

    @property
    def in_flight(self) -> int:
        """Envs sent and not yet received."""
        out = ctypes.c_size_t()
        _lib.check(self._lib.agentos_venv_in_flight(self._handle(), ctypes.byref(out)))
        return out.value

    def _recv_views_of(self, k: int):
        """recv's result over the first k rows as numpy views, followed by
        the autoreset mask and the stepped mask recomputed from it at
        every recv."""
        a = self._recv_arrays
        keys = self._info_keys
        stepped = self._recv_stepped[:k]
        infos: dict[str, Any] = {"env_id": a["env_id"][:k]}
        for key in keys:
            name = _INFO_BUFFERS.get(key, key)
            if name == "executed_bool":
                infos[key] = a["executed"][:k].view(_np.bool_)
            else:
                infos[key] = a[name][:k]
            infos["_" + key] = stepped
        infos["autoreset"] = a["autoreset"][:k].view(_np.bool_)
        obs = a["observation"][:k]
        infos["final_observation"] = a["final_observation"][:k]
        if self.numeric is not None:
            obs = a["numeric_observation"][:k]
            infos["final_observation"] = a["final_numeric_observation"][:k]
        return (obs, a["reward"][:k], a["terminated"][:k].view(_np.bool_),
                a["truncated"][:k].view(_np.bool_), infos, infos["autoreset"], stepped)

    def _recv_result(self, k: int):
        a = self._recv_arrays
        keys = self._info_keys
        if _np is not None:
            # The views of the first k rows are the same from one recv to
            # the next (the arrays are fixed), so they are made once per k:
            # a recv then costs the C call, the stepped mask and a copy of
            # the infos dict (each caller's own, free to change).
            views = self._recv_views.get(k)
            if views is None:
                views = self._recv_views[k] = self._recv_views_of(k)
            obs, reward, terminated, truncated, infos, ended, stepped = views
            if self.autoreset != "disabled":
                _np.logical_not(ended, out=stepped)
            return obs, reward, terminated, truncated, dict(infos)
        ended = [bool(x) for x in a["autoreset"][:k]]
        stepped_l = [True] * k if self.autoreset == "disabled" else [not x for x in ended]
        infos = {"env_id": list(a["env_id"][:k])}
        for key in keys:
            buf = a[_INFO_BUFFERS.get(key, key).replace("_bool", "")][:k]
            infos[key] = [bool(x) for x in buf] if key == "executed" else list(buf)
            infos["_" + key] = stepped_l
        infos["autoreset"] = ended
        infos["final_observation"] = list(a["final_observation"][:k])
        return (list(a["observation"][:k]), list(a["reward"][:k]), [bool(x) for x in a["terminated"][:k]],
                [bool(x) for x in a["truncated"][:k]], infos)

    # ---- signals, explanations, metrics --------------------------------------------

    def send_signal(self, env: int, signal) -> None:
        """Sends SIGSTOP, SIGCONT, SIGKILL or SIGTERM (name or bit) to env."""
        h = self._handle()
        if isinstance(signal, str):
            if signal not in _env.SENDABLE:
                raise InvalidArgument(f"a trainer may send {_env.SENDABLE}, not {signal!r}")
            signal = _env.SIGNALS[signal]
        self._check_env(env)
        _lib.check(self._lib.agentos_venv_signal(h, env, signal))

    def would_execute(self, env: int, action) -> bool:
        """True if stepping ``env`` with ``action`` now would execute it: the
        engine's own answer (its kernel, limits and the episode's state),
        changing nothing. For callers that run an action's effects
        themselves and must run only what the engine will let through."""
        from .kernel import _fill, as_action  # noqa: PLC0415
        h = self._handle()
        self._check_env(env)
        c = _lib.CAction()
        _fill(c, as_action(action))
        out = ctypes.c_int32()
        _lib.check(self._lib.agentos_venv_would_execute(h, env, ctypes.byref(c), ctypes.byref(out)))
        return out.value == 1

    def _check_env(self, env):
        if isinstance(env, bool) or not isinstance(env, numbers.Integral):
            raise TypeError("env index must be an int")
        if not 0 <= env < self.num_envs:
            raise InvalidArgument(f"env index {env} outside [0, {self.num_envs})")

    def observation_text(self, env: int) -> str:
        """Env's observation text: for SQL, the question and schema, and after
        a step the feedback on its action (rows, error or the kernel's reason;
        format in env/sql/data/README.md)."""
        h = self._handle()
        self._check_env(env)
        p, n = ctypes.c_void_p(), ctypes.c_size_t()
        _lib.check(self._lib.agentos_venv_observation_text(h, env, ctypes.byref(p), ctypes.byref(n)))
        return ctypes.string_at(p.value, n.value).decode("utf-8", "replace") if p.value and n.value else ""

    # ---- observation texts ------------------------------------------------------------

    @staticmethod
    def _check_text_observations(text_observations: Any, autoreset: str) -> None:
        if not isinstance(text_observations, bool):
            raise TypeError(f"text_observations must be a bool, not {type(text_observations).__name__}")
        if text_observations and autoreset == "same_step":
            # SAME_STEP's final_obs would need the ended episode's text, which the engine does not keep.
            raise InvalidArgument("text_observations needs autoreset 'next_step' or 'disabled': in 'same_step' "
                                  "mode the ended episode's final text is not kept")

    def _init_text_observations(self, on):
        """With text_observations, observations are {"task": index, "text": text}
        (Gymnasium: a Dict of the index Box and a Text per env)."""
        self.text_observations = on
        self._texts = _text_obs.TextReader(self._lib, self.num_envs, self._venv)
        if not on:
            return
        n = self.num_envs
        self.single_observation_space = _spaces.text_observation_space()
        if _gym is not None:
            self.observation_space = _batch_space(self.single_observation_space, n)
        else:
            self.observation_space = _spaces.dict_space(
                {"task": _spaces.index_space(n),
                 "text": _spaces.tuple_space([_spaces.observation_text_space()] * n)})

    def _with_texts(self, obs):
        return {"task": obs, "text": tuple(self._texts.texts(self._h))}

    def _require_texts(self) -> Any:
        h = self._handle()
        if not self.text_observations:
            raise StateError("observation_texts needs VectorEnv(..., text_observations=True); "
                             "observation_text(env) reads one env without it")
        return h

    def observation_texts(self) -> list[str]:
        """Every env's observation text after the last reset or step, read in
        one C call (needs text_observations=True)."""
        h = self._require_texts()
        return self._texts.texts(h)

    def observation_text_views(self) -> tuple[Any, Any]:
        """Zero copy (numpy): (bytes, offsets), read-only uint8 and uint64
        arrays over the engine's text buffer: text i is
        bytes[offsets[i]:offsets[i+1] - 1] (a NUL follows each). Valid until
        the next step or reset only: the engine may move the bytes to a
        larger buffer then, so take fresh views after every step."""
        if _np is None:
            raise StateError("observation_text_views needs numpy")
        h = self._require_texts()
        return self._texts.views(h)

    def observation_messages(self) -> list[list[dict[str, str]]]:
        """Every env's observation as chat messages ({"role", "content"}
        dicts): the engine's rule is a "system" message with the task's
        standing instructions, when it has some, then a "user" message with
        the observation text. Works with or without text_observations."""
        h = self._handle()
        return self._texts.messages(h)

    def last_violations(self, env: int) -> list:
        """Env's last step's kept violations (needs keep_results=True)."""
        from .kernel import Violation
        h = self._handle()
        self._check_env(env)
        count = ctypes.c_size_t()
        _lib.check(self._lib.agentos_venv_violation_count(h, env, ctypes.byref(count)))
        out, cv = [], _lib.CViolation()
        for i in range(count.value):
            _lib.check(self._lib.agentos_venv_violation(h, env, i, ctypes.byref(cv)))
            out.append(Violation(_lib.text(cv.policy), _lib.text(cv.rule), severity_name(cv.severity) or "critical",
                                 _lib.text(cv.reason), bool(cv.blocked)))
        return out

    def metrics(self) -> dict:
        h = self._handle()
        m = _env.EnvMetrics()
        _lib.check(self._lib.agentos_venv_metrics(h, ctypes.byref(m)))
        out = {field[0]: getattr(m, field[0]) for field in _env.EnvMetrics._fields_
               if field[0] not in ("struct_size", "by_severity", "signals")}
        out["by_severity"] = {severity_name(i): m.by_severity[i] for i in range(4)}
        out["signals"] = {_env.SIGNAL_NAMES[1 << i]: m.signals[i] for i in range(6)}
        out["by_policy"] = self.policy_violations()
        return out

    def policy_violations(self) -> dict:
        h = self._handle()
        count = ctypes.c_size_t()
        _lib.check(self._lib.agentos_venv_policy_slots(h, ctypes.byref(count)))
        out = {}
        for slot in range(count.value):
            name, n = ctypes.c_char_p(), ctypes.c_uint64()
            _lib.check(self._lib.agentos_venv_policy_violations(h, slot, ctypes.byref(name), ctypes.byref(n)))
            out[_lib.text(name.value)] = n.value
        return out

    # ---- lifetime --------------------------------------------------------------------

    def close(self, **kwargs: Any) -> None:
        """Releases the environments. Views still held elsewhere keep the
        engine's memory alive until they are dropped."""
        if self.closed:
            return
        self.close_extras(**kwargs)
        self.closed = True

    def close_extras(self, **kwargs: Any) -> None:
        self._cbufs, self._views, self._infos = {}, {}, {}
        self._texts = None  # it holds the engine too
        self._venv = None

    def render(self) -> None:
        return None

    @property
    def unwrapped(self) -> "VectorEnv":
        return self

    def __del__(self) -> None:
        # Gymnasium's VectorEnv.__del__ closes; the engine's memory is
        # released by the views' owner, so nothing more is needed here.
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self):
        return self.num_envs

    def __repr__(self):
        return f"VectorEnv(num_envs={self.num_envs}, autoreset={self.autoreset!r}{', closed' if self.closed else ''})"


__all__ = ["VectorEnv", "PackedActions", "AutoresetMode", "task_spec", "INFO_KEYS"]
