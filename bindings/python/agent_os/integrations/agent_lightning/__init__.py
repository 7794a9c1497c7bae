"""agent_os for Agent-Lightning: governed runner, policy reward, governed
environment, and audit spans for the LightningStore.

    from agent_os.integrations.agent_lightning import (
        GovernedRunner, PolicyReward, RewardConfig,
        GovernedEnvironment, EnvironmentConfig, FlightRecorderEmitter)

The contrib names (``AgentOSRunner``, ``FlightRecorderAdapter``) are the same
engine under Agent-Lightning's names. agentlightning itself is optional:
nothing here imports it unless it is installed.
"""

from ...env_config import EnvironmentConfig
from ...violations import PolicyViolation
from .environment import GovernedEnvironment, create_governed_env
from .reward import CompositeReward, PolicyReward, RewardConfig, create_policy_reward, policy_penalty
from .runner import AgentOSRunner, GovernedRollout, GovernedRunner, using_agent


def __getattr__(name):
    # The emitter and adapter bind the recorder part of the C API: loaded on
    # first use so the rest works with a library built without it.
    if name in ("FlightRecorderEmitter", "create_emitter"):
        from . import emitter
        return getattr(emitter, name)
    if name == "FlightRecorderAdapter":
        from .adapter import FlightRecorderAdapter
        return FlightRecorderAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "GovernedRunner", "AgentOSRunner", "GovernedRollout", "using_agent",
    "PolicyReward", "RewardConfig", "CompositeReward", "create_policy_reward", "policy_penalty",
    "GovernedEnvironment", "EnvironmentConfig", "create_governed_env",
    "FlightRecorderEmitter", "create_emitter", "FlightRecorderAdapter", "PolicyViolation",
]
