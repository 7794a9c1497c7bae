"""agent_os: governance for RL agents, backed by the agentos C++ engine.

Pure Python over ctypes (standard library only; numpy used when importable).
Importing the package loads libagentos.so (``$AGENTOS_LIBRARY``, else beside
this package) and raises AgentOSLibraryError, an ImportError, saying how to
build it when it cannot.

    from agent_os import KernelSpace, FlightRecorder
    from agent_os.policies import SQLPolicy, CostControlPolicy
    kernel = KernelSpace(policy=[SQLPolicy(deny=["DROP", "DELETE"]),
                                 CostControlPolicy(max_cost_usd=100)])
    kernel.check("DROP TABLE users").allowed   # False

See bindings/python/README.md.
"""

from ._lib import AgentOSLibraryError, PACKAGE_VERSION
from .errors import (AgentOSError, AgentOSIOError, AgentOSMemoryError, InternalError, InvalidArgument,
                     NotFoundError, PolicyParseError, PolicyViolationError, StateError)
from .kernel import (Action, BatchResult, Decision, EpisodeState, ExecutionResult, KernelSpace, Violation)
from .violations import PolicyViolation
from .actions import GovernedHandle, Refusal, current_handle, is_refusal

__version__ = ".".join(map(str, PACKAGE_VERSION))

try:  # Gymnasium is optional: with it, the agentos/* ids are registered on import.
    import gymnasium as _gymnasium  # noqa: F401
except ImportError:
    pass
else:
    from .gym_env import register_envs as _register_envs
    _register_envs()


def library_version() -> str:
    """Version of the libagentos.so actually loaded."""
    from . import _lib
    return _lib.lib.agentos_version().decode()


def __getattr__(name):
    # The recorder binds an optional part of the C API; import it on first use
    # so `import agent_os` works with a library built before that part existed.
    if name in ("FlightRecorder",):
        from .recorder import FlightRecorder
        return FlightRecorder
    if name in ("VectorEnv",):
        from .vector_env import VectorEnv
        return VectorEnv
    raise AttributeError(f"module 'agent_os' has no attribute {name!r}")


__all__ = [
    "KernelSpace", "FlightRecorder", "VectorEnv", "Decision", "Violation", "Action", "BatchResult",
    "EpisodeState", "ExecutionResult", "PolicyViolation", "GovernedHandle", "Refusal", "is_refusal",
    "current_handle", "AgentOSError", "InvalidArgument", "PolicyParseError", "AgentOSIOError",
    "StateError", "NotFoundError", "AgentOSMemoryError", "InternalError", "PolicyViolationError",
    "AgentOSLibraryError", "__version__", "library_version",
]
