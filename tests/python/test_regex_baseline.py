"""The regex checker we replace (bench/regex_baseline_checker.py) lets destructive SQL
through and blocks safe SQL; the kernel gets every one of these right."""

import importlib.util

import pytest

from agent_os import KernelSpace
from agent_os.policies import SQLPolicy
from conftest import ROOT

pytestmark = pytest.mark.nonumpy

_spec = importlib.util.spec_from_file_location("regex_baseline_checker", ROOT / "bench" / "regex_baseline_checker.py")
baseline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baseline)

KERNEL = KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT", "UPDATE"], deny=["DROP", "DELETE", "TRUNCATE"],
                                      require_where_on_update=True))


@pytest.mark.parametrize("sql, why", [(s, w) for s, w in baseline.BYPASSES.items() if w])
def test_regex_bypasses_are_denied_by_the_kernel(sql, why):
    assert baseline.check(sql)[0] is True, f"the baseline should miss this ({why})"
    d = KERNEL.check(sql)
    assert not d.allowed, f"kernel allowed {sql!r}"
    assert d.violations[0].reason


@pytest.mark.parametrize("sql", [s for s, w in baseline.BYPASSES.items() if w is None])
def test_the_baseline_is_not_a_strawman(sql):
    assert baseline.check(sql)[0] is False and not KERNEL.check(sql).allowed


@pytest.mark.parametrize("sql", baseline.FALSE_POSITIVES)
def test_regex_false_positives_are_allowed_by_the_kernel(sql):
    assert baseline.check(sql)[0] is False
    assert KERNEL.check(sql).allowed
