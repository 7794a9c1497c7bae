"""The one severity scale, and the engine's severity -> penalty table.

Severities are the C API's AGENTOS_SEVERITY_* values, named as in YAML.
Penalties are <= 0 and are *added* to a reward. DEFAULT_PENALTIES is read
from the engine (agentos_env_config_init), never written down here.
"""

from __future__ import annotations

SEVERITIES = ("low", "medium", "high", "critical")  # index == C value
SEVERITY_NONE = -1

_DEFAULT_PENALTIES = None


def __getattr__(name):
    # DEFAULT_PENALTIES, read once from the engine on first use.
    if name != "DEFAULT_PENALTIES":
        raise AttributeError(name)
    global _DEFAULT_PENALTIES
    if _DEFAULT_PENALTIES is None:
        from . import _env_capi  # noqa: PLC0415 - the library loads after this module
        c = _env_capi.default_config()
        _DEFAULT_PENALTIES = {"critical": c.critical_penalty, "high": c.high_penalty,
                              "medium": c.medium_penalty, "low": c.low_penalty}
    return dict(_DEFAULT_PENALTIES)


def severity_name(value: int) -> str | None:
    """C severity value -> name; None for AGENTOS_SEVERITY_NONE."""
    if 0 <= value < len(SEVERITIES):
        return SEVERITIES[value]
    if value == SEVERITY_NONE:
        return None
    # An out-of-range value can only come from a newer library: treat it as
    # the worst known one rather than as harmless.
    return "critical"


def severity_value(name: str) -> int:
    try:
        return SEVERITIES.index(name)
    except ValueError:
        raise ValueError(f"unknown severity {name!r} (expected one of {', '.join(SEVERITIES)})") from None


def normalize_severity(name) -> str:
    """A severity name as found on a violation record. Unknown or missing
    severities count as critical: a violation we cannot grade is never cheap."""
    if isinstance(name, str) and name.lower() in SEVERITIES:
        return name.lower()
    if isinstance(name, int) and not isinstance(name, bool):
        return severity_name(name) or "critical"
    return "critical"
