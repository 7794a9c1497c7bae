"""A keyword/regex SQL checker of the kind agentos replaces.

Used ONLY as a baseline: bench/bench_python.py times it against
KernelSpace.check, and tests/python/test_regex_baseline.py shows the inputs
it gets wrong (written for this project; it mimics the approach of the
SQL checks of the agent-os-kernel Python package on PyPI, not its code).

How it decides, like those checks: upper-case the text, look for
destructive keyword sequences with regexes (DROP TABLE, DELETE FROM,
TRUNCATE TABLE, ALTER TABLE ... DROP, GRANT/REVOKE), and flag an UPDATE with
no WHERE anywhere after it. No tokenizer: comments, strings, quoting and
statement boundaries are invisible to it.
"""

import re

_FLAGS = re.IGNORECASE | re.DOTALL

DENY_PATTERNS = {
    "drop": re.compile(r"\bDROP\s+(TABLE|DATABASE|SCHEMA|INDEX|VIEW)\b", _FLAGS),
    "delete": re.compile(r"\bDELETE\s+FROM\b", _FLAGS),
    "truncate": re.compile(r"\bTRUNCATE\s+TABLE\b", _FLAGS),
    "alter_drop": re.compile(r"\bALTER\s+TABLE\s+\w+\s+DROP\b", _FLAGS),
    "grant": re.compile(r"\b(GRANT|REVOKE)\s+", _FLAGS),
}
_UPDATE = re.compile(r"\bUPDATE\s+\w+\s+SET\b", _FLAGS)
_WHERE = re.compile(r"\bWHERE\b", _FLAGS)


def check(sql: str):
    """(allowed, reason). The baseline's whole decision procedure."""
    for name, pattern in DENY_PATTERNS.items():
        if pattern.search(sql):
            return False, f"matched {name}"
    m = _UPDATE.search(sql)
    if m and not _WHERE.search(sql, m.end()):
        return False, "UPDATE without WHERE"
    return True, ""


# Inputs this checker lets through although they destroy data, each with why.
BYPASSES = {
    "DROP/**/TABLE users": "a comment is whitespace to SQL, not to \\s+",
    "DROP\tTABLE users": None,  # caught: \s matches tab (kept to show the regex is not trivially weak)
    "TRUNCATE users": "TABLE is optional in TRUNCATE",
    "DELETE users": "FROM is optional in some dialects' DELETE",
    "DELETE/**/FROM users": "comment between keywords",
    "UPDATE users SET admin = 1 -- WHERE id = 1": "the WHERE is inside a comment",
    "UPDATE users SET note = 'WHERE' ": "the WHERE is inside a string",
    "UPDATE users SET admin = 1; SELECT * FROM t WHERE id = 1": "the WHERE belongs to the next statement",
    "WITH gone AS (DELETE/**/FROM users RETURNING *) SELECT * FROM gone": "data-modifying CTE plus a comment",
    'DROP TABLE"users"': None,  # caught
    "EXECUTE 'DR' || 'OP TABLE users'": "dynamic SQL assembles the statement from strings",
}
# Safe inputs it refuses.
FALSE_POSITIVES = [
    "SELECT * FROM notes WHERE body = 'please drop table tennis practice'",
    "SELECT 1 -- DELETE FROM users is what we must never run",
    "INSERT INTO logs (msg) VALUES ('DROP TABLE attempt blocked')",
]
