"""The C structs the package declares are the ones the library was built with
(every struct carries struct_size, and the engine refuses a size it does not
know), and the thread pool's knobs reach the engine from Python."""

import ctypes

import pytest

from agent_os import InvalidArgument, KernelSpace, _lib
from agent_os import _env_capi as _env
from agent_os.env_config import EnvironmentConfig
from agent_os.policies import ToolPolicy
from agent_os.vector_env import VectorEnv

pytestmark = pytest.mark.nonumpy


def kernel():
    return KernelSpace(policy=ToolPolicy(deny=["bad"], severity="high"))


def test_library_reports_the_version_the_package_expects():
    assert _lib.lib.agentos_version() == b"0.1.0"
    assert _lib.lib.agentos_version_number() == 100


def test_every_declared_struct_starts_with_its_own_size():
    for cls in (_lib.CAction, _lib.CViolation, _env.EnvMetrics, _env.StepExtras, _env.ResetOptions, _env.Chat,
                _env.RecvRows):
        assert cls._fields_[0] == ("struct_size", ctypes.c_uint32)
        assert cls().struct_size == ctypes.sizeof(cls)


def test_a_violation_struct_of_the_wrong_size_is_refused():
    k = kernel()
    d = _lib.new_handle(_lib.lib.agentos_decision_new)
    try:
        a = _lib.CAction(kind=1, tool=b"bad", tool_len=3)
        _lib.check(_lib.lib.agentos_kernel_check(k.handle, None, ctypes.byref(a), d))
        v = _lib.CViolation()
        v.struct_size = 8
        with pytest.raises(InvalidArgument, match="struct_size is 8"):
            _lib.check(_lib.lib.agentos_decision_violation(d, 0, ctypes.byref(v)))
        v.struct_size = ctypes.sizeof(v)
        _lib.check(_lib.lib.agentos_decision_violation(d, 0, ctypes.byref(v)))
        assert v.rule == b"tool.denied"
    finally:
        _lib.lib.agentos_decision_free(d)


def test_spin_time_and_min_envs_per_thread_reach_the_engine():
    env = VectorEnv(kernel(), 8, task="external", config=EnvironmentConfig(max_steps=3), num_threads=2,
                    min_envs_per_thread=1, spin_us=0)
    env.reset(seed=1)
    _obs, rewards, *_ = env.step(["m"] * 8, kinds=["message"] * 8, external_reward=[1.0] * 8,
                                 external_done=[False] * 8)
    assert list(rewards) == [1.0] * 8
    env.close()


@pytest.mark.parametrize("kwargs, mentions", [
    ({"spin_us": 1_000_001}, "spin_us must be <= 1000000"),
    ({"spin_us": -1}, "spin_us must be an int"),
    ({"min_envs_per_thread": 0}, "min_envs_per_thread must be >= 1"),
    ({"min_envs_per_thread": 2**32}, "min_envs_per_thread must be an int"),
])
def test_bad_thread_pool_settings_are_refused_with_a_reason(kwargs, mentions):
    with pytest.raises(InvalidArgument, match=mentions):
        VectorEnv(kernel(), 2, task="external", **kwargs)
