"""ctypes declarations of agentos_env.h (the governed vector environment)."""

from __future__ import annotations

import ctypes
from typing import Any
from ctypes import (POINTER, Structure, c_char_p, c_double, c_int, c_int8, c_int32, c_int64, c_size_t,
                    c_uint8, c_uint32, c_uint64, c_void_p)

from . import _lib

AUTORESET = {"next_step": 0, "same_step": 1, "disabled": 2}
SIGNALS = {"SIGSTOP": 0x01, "SIGCONT": 0x02, "SIGKILL": 0x04, "SIGTERM": 0x08, "SIGPOLICY": 0x10,
           "SIGBUDGET": 0x20}
SIGNAL_NAMES = {bit: name for name, bit in SIGNALS.items()}
SENDABLE = ("SIGSTOP", "SIGCONT", "SIGKILL", "SIGTERM")


class EnvConfig(Structure):
    """agentos_env_config."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("num_envs", c_uint32),
        ("num_threads", c_uint32),
        ("max_steps", c_uint32),
        ("seed", c_uint64),
        ("terminate_on_critical", c_int32),
        ("autoreset", c_int32),
        ("default_action_kind", c_int32),
        ("keep_results", c_int32),
        ("critical_penalty", c_double),
        ("high_penalty", c_double),
        ("medium_penalty", c_double),
        ("low_penalty", c_double),
        ("clean_bonus", c_double),
        ("step_penalty", c_double),
        ("min_reward", c_double),
        ("max_reward", c_double),
        ("max_cost_usd", c_double),
        ("max_action_bytes", c_uint32),
        ("min_envs_per_thread", c_uint32),
        ("spin_us", c_uint32),
        ("agent_id", c_char_p),
        ("agent_id_len", c_size_t),
        ("recorder", c_void_p),  # agentos_recorder*: every governed step is recorded; NULL = none
        ("penalties_in_reward", c_int32),
        ("batch_size", c_uint32),  # appended: async recv batch size; 0 = num_envs
        ("text_observations", c_int32),  # 1: every env's text gathered per step (agentos_venv_observation_texts)
    ]


class EnvMetrics(_lib.SizedStructure):
    """agentos_env_metrics."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("episodes", c_uint64),
        ("successful_episodes", c_uint64),
        ("episodes_with_violations", c_uint64),
        ("steps", c_uint64),
        ("executed", c_uint64),
        ("blocked", c_uint64),
        ("idle_steps", c_uint64),
        ("violations", c_uint64),
        ("unattributed_violations", c_uint64),
        ("task_errors", c_uint64),
        ("backend_destructive_ops", c_uint64),
        ("by_severity", c_uint64 * 4),
        ("signals", c_uint64 * 6),
        ("success_rate", c_double),
        ("violation_rate", c_double),
        ("clean_rate", c_double),
        ("violations_per_step", c_double),
        ("average_penalty", c_double),
        ("penalty_sum", c_double),
        ("reward_sum", c_double),
        ("changed_database_episodes", c_uint64),  # appended: episodes whose actions changed the task's database
    ]


class StepExtras(_lib.SizedStructure):
    """agentos_step_extras: every member optional (NULL)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("kinds", c_void_p),
        ("tool_bytes", c_void_p),
        ("tool_bytes_len", c_size_t),
        ("tool_offsets", c_void_p),
        ("cost_usd", c_void_p),
        ("tokens", c_void_p),
        ("external_reward", c_void_p),
        ("external_success", c_void_p),
        ("external_done", c_void_p),
    ]


class RecvRows(_lib.SizedStructure):
    """agentos_recv_rows: caller-owned arrays agentos_venv_recv fills."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("capacity", c_size_t),
        ("env_id", c_void_p),
        ("observation", c_void_p),
        ("reward", c_void_p),
        ("terminated", c_void_p),
        ("truncated", c_void_p),
        ("executed", c_void_p),
        ("success", c_void_p),
        ("task_error", c_void_p),
        ("violations", c_void_p),
        ("max_severity", c_void_p),
        ("signals", c_void_p),
        ("episode_step", c_void_p),
        ("cost_usd", c_void_p),
        ("episode_return", c_void_p),
        ("autoreset", c_void_p),
        ("final_observation", c_void_p),
        ("policy_cost", c_void_p),
        ("numeric_observation", c_void_p),
        ("final_numeric_observation", c_void_p),
    ]


class ResetOptions(_lib.SizedStructure):
    """agentos_reset_options: seeds, mask and per-env task pins; pointers optional (NULL)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("has_seed", c_int32),
        ("seed", c_uint64),
        ("seeds", c_void_p),
        ("has_seeds", c_void_p),
        ("mask", c_void_p),
        ("task_index", c_void_p),
    ]


class Chat(_lib.SizedStructure):
    """agentos_chat: the chat form of every env's observation."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("bytes", c_void_p),
        ("nbytes", c_size_t),
        ("offsets", c_void_p),
        ("roles", c_void_p),
        ("num_messages", c_size_t),
        ("env_first", c_void_p),
    ]


class NumericShape(_lib.SizedStructure):
    """agentos_numeric_shape: a numeric task's observation and action spaces."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("obs_dim", c_uint32),
        ("obs_dtype", c_int32),
        ("action_space", c_int32),
        ("num_actions", c_int64),
        ("action_dim", c_uint32),
        ("obs_bounded", c_int32),
        ("action_bounded", c_int32),
        ("obs_low", POINTER(c_double)),
        ("obs_high", POINTER(c_double)),
        ("action_low", POINTER(c_double)),
        ("action_high", POINTER(c_double)),
    ]


OBS_DTYPES = {0: "float32", 1: "float64"}
OBS_CTYPES = {0: ctypes.c_float, 1: c_double}
P, PP = c_void_p, POINTER(c_void_p)
Prototype = tuple[Any, list[Any]]

# The buffer getters: name -> (C function, ctypes element type, numpy dtype name).
BUFFERS = {
    "observation": ("agentos_venv_observations", c_int64, "int64"),
    "reward": ("agentos_venv_rewards", c_double, "float64"),
    "terminated": ("agentos_venv_terminated", c_uint8, "uint8"),
    "truncated": ("agentos_venv_truncated", c_uint8, "uint8"),
    "executed": ("agentos_venv_executed", c_uint8, "uint8"),
    "success": ("agentos_venv_success", c_uint8, "uint8"),
    "violations": ("agentos_venv_violations", c_uint32, "uint32"),
    "max_severity": ("agentos_venv_max_severity", c_int8, "int8"),
    "signals": ("agentos_venv_signals", c_uint32, "uint32"),
    "episode_step": ("agentos_venv_episode_steps", c_uint32, "uint32"),
    "cost_usd": ("agentos_venv_costs", c_double, "float64"),
    "episode_return": ("agentos_venv_episode_returns", c_double, "float64"),
    "autoreset": ("agentos_venv_autoreset", c_uint8, "uint8"),
    "final_observation": ("agentos_venv_final_observations", c_int64, "int64"),
    "policy_cost": ("agentos_venv_policy_costs", c_double, "float64"),
}

PROTOTYPES: dict[str, Prototype] = {
    "agentos_env_config_init": (c_int, [POINTER(EnvConfig)]),
    "agentos_venv_create": (c_int, [P, POINTER(EnvConfig), c_char_p, c_size_t, PP]),
    "agentos_venv_free": (None, [P]),
    "agentos_venv_num_envs": (c_int, [P, POINTER(c_size_t)]),
    "agentos_venv_reset": (c_int, [P, c_int32, c_uint64, c_void_p]),
    "agentos_venv_reset_seeds": (c_int, [P, c_void_p, c_void_p, c_void_p]),
    "agentos_venv_reset_with": (c_int, [P, POINTER(ResetOptions)]),
    "agentos_venv_find_task": (c_int, [P, c_char_p, c_size_t, POINTER(c_int64)]),
    "agentos_venv_step": (c_int, [P, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p]),
    "agentos_venv_signal": (c_int, [P, c_size_t, c_uint32]),
    "agentos_venv_send": (c_int, [P, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_void_p]),
    "agentos_venv_recv": (c_int, [P, c_void_p, POINTER(c_size_t)]),
    "agentos_venv_batch_size": (c_int, [P, POINTER(c_size_t)]),
    "agentos_venv_in_flight": (c_int, [P, POINTER(c_size_t)]),
    "agentos_signal_name": (c_char_p, [c_uint32]),
    "agentos_venv_would_execute": (c_int, [P, c_size_t, POINTER(_lib.CAction), POINTER(c_int32)]),
    "agentos_reward": (c_int, [POINTER(EnvConfig), c_double, POINTER(c_uint32), c_int32, POINTER(c_double),
                               POINTER(c_double)]),
    "agentos_venv_observation_text": (c_int, [P, c_size_t, POINTER(c_void_p), POINTER(c_size_t)]),
    "agentos_venv_observation_texts": (c_int, [P, POINTER(c_void_p), POINTER(c_void_p), POINTER(c_size_t)]),
    "agentos_venv_observation_chat": (c_int, [P, POINTER(Chat)]),
    "agentos_chat_role_name": (c_char_p, [c_uint32]),
    "agentos_venv_violation_count": (c_int, [P, c_size_t, POINTER(c_size_t)]),
    "agentos_venv_violation": (c_int, [P, c_size_t, c_size_t, POINTER(_lib.CViolation)]),
    "agentos_venv_metrics": (c_int, [P, POINTER(EnvMetrics)]),
    "agentos_venv_policy_slots": (c_int, [P, POINTER(c_size_t)]),
    "agentos_venv_policy_violations": (c_int, [P, c_size_t, POINTER(c_char_p), POINTER(c_uint64)]),
    "agentos_venv_policy_violations_by_name": (c_int, [P, c_char_p, c_size_t, POINTER(c_uint64)]),
    "agentos_venv_numeric_shape": (c_int, [P, POINTER(NumericShape)]),
    "agentos_venv_numeric_observations": (c_void_p, [P]),
    "agentos_venv_final_numeric_observations": (c_void_p, [P]),
    "agentos_venv_step_discrete": (c_int, [P, c_void_p, c_size_t]),
    "agentos_venv_step_numeric": (c_int, [P, c_void_p, c_size_t]),
    "agentos_venv_send_discrete": (c_int, [P, c_void_p, c_size_t, c_void_p]),
    "agentos_venv_send_numeric": (c_int, [P, c_void_p, c_size_t, c_void_p, c_size_t]),
}
for _name, _ctype, _dtype in BUFFERS.values():
    PROTOTYPES[_name] = (c_void_p, [P])  # addresses as ints: mapped once into views

AVAILABLE = _lib.declare_part("env", PROTOTYPES)


def require(what: str):
    _lib.require_part("env", what)
    return _lib.lib


def default_config() -> EnvConfig:
    """The engine's defaults. Initialised into an oversized scratch buffer
    first: if the library's agentos_env_config is not the layout declared
    here, that is an error, never a write past the end of our struct."""
    lib = require("environments")
    scratch = ctypes.create_string_buffer(4096)
    _lib.check(lib.agentos_env_config_init(ctypes.cast(scratch, POINTER(EnvConfig))))
    size = ctypes.c_uint32.from_buffer(scratch).value
    if size != ctypes.sizeof(EnvConfig):
        raise _lib.AgentOSLibraryError(
            f"{_lib.path}: agentos_env_config is {size} bytes but this package declares "
            f"{ctypes.sizeof(EnvConfig)}; the library and the Python package come from different versions")
    return EnvConfig.from_buffer_copy(scratch.raw[:size])


def signal_names(mask: int) -> list[str]:
    """The names of the AGENTOS_SIG* bits set in ``mask``, in bit order."""
    return [name for bit, name in SIGNAL_NAMES.items() if mask & bit]


def reward(config: EnvConfig, task_reward: float, counts, clean_success: bool) -> tuple[float, float]:
    """The engine's reward of one governed step (agentos_reward):
    (reward, policy penalty). ``counts``: violations per severity, indexed
    low, medium, high, critical. Raises InvalidArgument for a reward config
    the engine refuses."""
    lib = require("rewards")
    c = (c_uint32 * 4)(*counts)
    out, penalty = c_double(), c_double()
    _lib.check(lib.agentos_reward(ctypes.byref(config), task_reward, c, 1 if clean_success else 0,
                                  ctypes.byref(out), ctypes.byref(penalty)))
    return out.value, penalty.value
