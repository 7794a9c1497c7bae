"""Policy objects that render to the one policy schema.

There is one schema and one loader (the C++ one, policies/policy_loader.h):
these classes only *write* a policy file's entries. ``KernelSpace(policy=...)``
renders the objects into one JSON document (valid YAML) and builds the kernel from it with
``agentos_kernel_from_yaml``, so a kernel built from Python objects and one
built from the equivalent YAML file are the same kernel, validated by the
same code. Python checks types (so a wrong type is a TypeError at the call
site); the loader checks meaning (unknown statement kinds, bad patterns,
limits) and reports PolicyParseError / InvalidArgument with the rendered text
attached as ``error.yaml``.

    >>> SQLPolicy(deny=["DROP", "DELETE"]).to_yaml()   # one-policy document
"""

from __future__ import annotations

import json
import math
import numbers

from .severity import SEVERITIES

SCHEMA_VERSION = 1
MODES = ("enforce", "audit")
ACTION_KINDS = ("sql", "tool_call", "spend", "message", "numeric")


# ---- rendering ---------------------------------------------------------------

def _finite(value):
    """``value`` with every non-finite float as the text "nan"/"inf": they
    have no JSON form, and the loader refuses the text by name like any
    other non-number (fail closed)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is not None and not isinstance(value, (str, bool, numbers.Real)):
        raise TypeError(f"cannot render {type(value).__name__} into a policy file")
    return value


def render_document(policies, mode: str = "enforce") -> str:
    """The loader's input for a list of Policy objects: a JSON document (JSON
    is valid YAML, so the one loader reads it; no YAML emitter of our own)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    entries = []
    for p in policies:
        if not isinstance(p, Policy):
            raise TypeError(f"policy must be a Policy object (SQLPolicy, CostControlPolicy, ToolPolicy, "
                            f"ContentPolicy), not {type(p).__name__}")
        entries.append(_finite(p.to_dict()))
    doc = {"version": SCHEMA_VERSION, "mode": mode, "policies": entries}
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


# ---- argument checking -------------------------------------------------------

def _name(value, what="name") -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


def _str_list(value, what: str, *, upper: bool = False):
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (bytes, bytearray)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{what} must be a list of str, not {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{what} must hold str items, not {type(item).__name__}")
        out.append(item.upper() if upper else item)
    return out


def _bool(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return value


def _number(value, what: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    return value


def _integer(value, what: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return int(value)


def _severity(value, what: str = "severity"):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be one of {SEVERITIES}, not {type(value).__name__}")
    return value


# ---- policies ------------------------------------------------------------------

class Policy:
    """Base class: a named policy entry of the YAML schema."""

    type: str = ""

    def __init__(self, name: str, agents=None):
        self.name = _name(name)
        # Agent ids this policy applies to (None: every agent).
        self.agents = _str_list(agents, "agents")

    def _fields(self) -> dict:
        raise NotImplementedError

    def to_dict(self) -> dict:
        """This policy's entry in the schema (None fields are omitted: the
        loader's documented defaults apply)."""
        entry = {"name": self.name, "type": self.type}
        entry.update({k: v for k, v in self._fields().items() if v is not None})
        if self.agents is not None:
            entry["agents"] = self.agents
        return entry

    def to_yaml(self, mode: str = "enforce") -> str:
        """A complete policy file holding only this policy."""
        return render_document([self], mode)

    def __repr__(self) -> str:
        fields = dict(self._fields(), agents=self.agents)
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items() if v is not None)
        return f"{type(self).__name__}({args}{', ' if args else ''}name={self.name!r})"

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(render_document([self]))


class SQLPolicy(Policy):
    """Which SQL statements an agent may run, decided on the engine's SQL
    tokenizer. ``allow``/``deny`` hold statement kinds (SELECT, INSERT,
    UPDATE, DELETE, DROP, TRUNCATE, ALTER, CREATE, MERGE, ...). Deny overrides
    allow; a non-empty allow list denies every kind not on it. ``SQLPolicy()``
    with no deny list uses the engine's default deny list of destructive kinds.
    ``severities`` maps a statement kind or rule id to a severity."""

    type = "sql"

    def __init__(self, allow=None, deny=None, require_where_on_update: bool = True,
                 require_where_on_delete: bool = True, severities=None, name: str = "sql_policy",
                 max_length=None, agents=None):
        super().__init__(name, agents)
        self.allow = _str_list(allow, "allow", upper=True)
        self.deny = _str_list(deny, "deny", upper=True)
        self.require_where_on_update = _bool(require_where_on_update, "require_where_on_update")
        self.require_where_on_delete = _bool(require_where_on_delete, "require_where_on_delete")
        if severities is not None:
            if not isinstance(severities, dict):
                raise TypeError(f"severities must be a dict, not {type(severities).__name__}")
            severities = {_name(k, "severities key"): _severity(v, f"severities[{k!r}]")
                          for k, v in severities.items()}
        self.severities = severities
        self.max_length = _integer(max_length, "max_length")

    def _fields(self):
        return {"allow": self.allow, "deny": self.deny,
                "require_where_on_update": self.require_where_on_update,
                "require_where_on_delete": self.require_where_on_delete,
                "severities": self.severities, "max_length": self.max_length}


class CostControlPolicy(Policy):
    """Money and tokens: ``max_cost_usd`` and ``max_tokens`` per episode
    (including the action being checked), ``max_cost_per_action_usd`` per
    action. At least one limit must be set."""

    type = "cost"

    def __init__(self, max_cost_usd=None, max_cost_per_action_usd=None, max_tokens=None,
                 name: str = "cost_control", severity=None, agents=None):
        super().__init__(name, agents)
        self.max_cost_usd = _number(max_cost_usd, "max_cost_usd")
        self.max_cost_per_action_usd = _number(max_cost_per_action_usd, "max_cost_per_action_usd")
        self.max_tokens = _integer(max_tokens, "max_tokens")
        self.severity = _severity(severity)

    def _fields(self):
        return {"max_cost_usd": self.max_cost_usd,
                "max_cost_per_action_usd": self.max_cost_per_action_usd,
                "max_tokens": self.max_tokens, "severity": self.severity}


class ToolPolicy(Policy):
    """Which tools an agent may call (glob patterns; deny overrides allow)
    and how many calls per episode."""

    type = "tool"

    def __init__(self, allow=None, deny=None, max_calls=None, name: str = "tool_policy", severity=None,
                 agents=None):
        super().__init__(name, agents)
        self.allow = _str_list(allow, "allow")
        self.deny = _str_list(deny, "deny")
        self.max_calls = _integer(max_calls, "max_calls")
        self.severity = _severity(severity)

    def _fields(self):
        return {"allow": self.allow, "deny": self.deny, "max_calls": self.max_calls,
                "severity": self.severity}


class ContentPolicy(Policy):
    """RE2 patterns an action's payload must not contain; ``kinds`` limits
    the action kinds scanned (sql, tool_call, spend, message; default all)."""

    type = "content"

    def __init__(self, deny, kinds=None, name: str = "content_policy", severity=None, agents=None):
        super().__init__(name, agents)
        self.deny = _str_list(deny, "deny")
        self.kinds = _str_list(kinds, "kinds")
        self.severity = _severity(severity)

    def _fields(self):
        return {"deny": self.deny, "kinds": self.kinds, "severity": self.severity}


__all__ = ["Policy", "SQLPolicy", "CostControlPolicy", "ToolPolicy", "ContentPolicy",
           "render_document"]
