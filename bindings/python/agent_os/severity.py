"""The one severity scale and the one severity -> penalty table.

Severities are the C API's AGENTOS_SEVERITY_* values, named as in YAML.
Penalties are <= 0 and are *added* to a reward (one sign convention, used by
PolicyReward, the runner's total_penalty and the environment's defaults).
"""

from __future__ import annotations

SEVERITIES = ("low", "medium", "high", "critical")  # index == C value
SEVERITY_NONE = -1

DEFAULT_PENALTIES = {
    "critical": -100.0,
    "high": -50.0,
    "medium": -10.0,
    "low": -1.0,
}


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
