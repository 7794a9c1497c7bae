"""Exceptions raised by agent_os.

Every failing C call becomes one of these, carrying the C library's own
message (``agentos_errmsg()``) and result code. The classes also derive from
the matching built-in exception where one exists, so ``except ValueError``
catches a bad argument whether Python or C noticed it.
"""

from __future__ import annotations

# Result codes of agentos.h. Values never change.
OK = 0
ERROR = 1
INVALID = 2
PARSE = 3
IO = 4
STATE = 5
NOTFOUND = 6
NOMEM = 7
INTERNAL = 8

CODE_NAMES = {
    OK: "AGENTOS_OK",
    ERROR: "AGENTOS_ERROR",
    INVALID: "AGENTOS_INVALID",
    PARSE: "AGENTOS_PARSE",
    IO: "AGENTOS_IO",
    STATE: "AGENTOS_STATE",
    NOTFOUND: "AGENTOS_NOTFOUND",
    NOMEM: "AGENTOS_NOMEM",
    INTERNAL: "AGENTOS_INTERNAL",
}


class AgentOSError(Exception):
    """Base class of every agent_os error. ``code`` is the AGENTOS_* result
    code (``ERROR`` when Python raised it itself) and ``message`` the text."""

    default_code = ERROR

    def __init__(self, message: str = "", code: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = self.default_code if code is None else code

    @property
    def code_name(self) -> str:
        return CODE_NAMES.get(self.code, "AGENTOS_UNKNOWN")


class InvalidArgument(AgentOSError, ValueError):
    """A malformed argument: bad length, unknown enum, wrong value."""

    default_code = INVALID


class PolicyParseError(AgentOSError, ValueError):
    """A policy document could not be understood. ``yaml`` holds the text
    that was given to the loader when agent_os rendered it from objects."""

    default_code = PARSE

    def __init__(self, message: str = "", code: int | None = None, yaml: str | None = None):
        super().__init__(message, code)
        self.yaml = yaml


class AgentOSIOError(AgentOSError, OSError):
    """A file or database could not be read or written."""

    default_code = IO


class StateError(AgentOSError, RuntimeError):
    """The call is not valid in the object's current state (closed, finished...)."""

    default_code = STATE


class NotFoundError(AgentOSError, LookupError):
    default_code = NOTFOUND


class AgentOSMemoryError(AgentOSError, MemoryError):
    default_code = NOMEM


class InternalError(AgentOSError):
    """A bug in the engine; please report it with the message."""

    default_code = INTERNAL


class PolicyViolationError(AgentOSError):
    """An action was refused by the kernel and the caller asked to fail on
    violations. ``violation`` is the first (most relevant) violation,
    ``violations`` all of them and ``decision`` the kernel's decision."""

    def __init__(self, violation, *, violations=None, decision=None):
        self.violation = violation
        self.violations = list(violations) if violations is not None else [violation]
        self.decision = decision
        policy = getattr(violation, "policy_name", None) or getattr(violation, "policy", "?")
        reason = getattr(violation, "description", None) or getattr(violation, "reason", "")
        super().__init__(f"blocked by policy '{policy}': {reason}")


_BY_CODE = {
    ERROR: AgentOSError,
    INVALID: InvalidArgument,
    PARSE: PolicyParseError,
    IO: AgentOSIOError,
    STATE: StateError,
    NOTFOUND: NotFoundError,
    NOMEM: AgentOSMemoryError,
    INTERNAL: InternalError,
}


def error_for(code: int, message: str) -> AgentOSError:
    """The exception for a failed C call's result code and message."""
    cls = _BY_CODE.get(code, AgentOSError)
    if not message:
        message = CODE_NAMES.get(code, f"agentos result code {code}")
    return cls(message, code)


__all__ = [
    "AgentOSError",
    "InvalidArgument",
    "PolicyParseError",
    "AgentOSIOError",
    "StateError",
    "NotFoundError",
    "AgentOSMemoryError",
    "InternalError",
    "PolicyViolationError",
    "error_for",
]
