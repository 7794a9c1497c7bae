"""Policy objects render to the one YAML schema, and the C++ loader judges them."""

import json

import pytest

from agent_os import InvalidArgument, KernelSpace, PolicyParseError
from agent_os.policies import ContentPolicy, CostControlPolicy, SQLPolicy, ToolPolicy, render_document

pytestmark = pytest.mark.nonumpy


def test_documented_constructors_build_kernels():
    k = KernelSpace(policy=[SQLPolicy(deny=["DROP", "DELETE"]), CostControlPolicy(max_cost_usd=100)])
    assert k.policy_count == 2
    assert k.policy_names() == ["cost_control", "sql_policy"]  # the kernel sorts by name
    k = KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT", "UPDATE"], deny=["DROP", "DELETE", "TRUNCATE"],
                                     require_where_on_update=True))
    assert k.policy_count == 1 and k.mode == "enforce"
    assert KernelSpace(policy=SQLPolicy()).policy_count == 1


def test_python_objects_and_the_equivalent_file_are_the_same_kernel(tmp_path):
    policies = [SQLPolicy(deny=["DROP"]), ToolPolicy(allow=["search"], max_calls=2),
                CostControlPolicy(max_cost_usd=5, max_tokens=100)]
    from_objects = KernelSpace(policy=policies)
    path = tmp_path / "p.yaml"
    path.write_text(from_objects.yaml)
    from_file = KernelSpace.from_yaml(path)
    for action in ["DROP TABLE t", {"kind": "tool_call", "tool": "shell"},
                   {"kind": "spend", "cost_usd": 6.0}, {"kind": "tool_call", "tool": "search"}]:
        assert from_objects.check(action) == from_file.check(action)


def test_rendering_is_a_json_document_the_loader_reads():
    text = render_document([SQLPolicy(deny=["drop"], severities={"DROP": "critical"}),
                            ContentPolicy(deny=['a"b: c'], kinds=["message"])])
    doc = json.loads(text)
    assert doc["version"] == 1 and doc["mode"] == "enforce"
    assert doc["policies"][0]["deny"] == ["DROP"]         # statement kinds upper-cased
    assert doc["policies"][1]["deny"] == ['a"b: c']       # quotes and colons survive
    assert KernelSpace.from_yaml_text(text).policy_count == 2


def test_audit_mode():
    k = KernelSpace(policy=CostControlPolicy(max_cost_usd=1), mode="audit")
    assert k.mode == "audit"
    d = k.check({"kind": "spend", "cost_usd": 2.0})
    assert d.allowed and d.violations and not d.violations[0].blocked


@pytest.mark.parametrize("bad", [
    lambda: SQLPolicy(deny="DROP", require_where_on_update="yes"),
    lambda: SQLPolicy(deny=[1, 2]),
    lambda: SQLPolicy(allow=b"SELECT"),
    lambda: CostControlPolicy(max_cost_usd="100"),
    lambda: CostControlPolicy(max_tokens=1.5),
    lambda: ToolPolicy(max_calls=True),
    lambda: SQLPolicy(name=None),
    lambda: SQLPolicy(severities=["DROP"]),
])
def test_wrong_types_are_type_errors(bad):
    with pytest.raises(TypeError):
        bad()


@pytest.mark.parametrize("policies, words", [
    (SQLPolicy(deny=["DROPP"]), "DROPP"),
    (SQLPolicy(allow=[]), "ambiguous"),
    (CostControlPolicy(), "cost"),
    (CostControlPolicy(max_cost_usd=-1), "max_cost_usd"),
    (ContentPolicy(deny=["(unclosed"]), "deny"),
    (ToolPolicy(name="bad name!", allow=["x"]), "name"),
    ([SQLPolicy(), SQLPolicy()], "duplicate"),
    (SQLPolicy(severities={"DROP": "catastrophic"}), "catastrophic"),
])
def test_the_loader_rejects_what_it_cannot_enforce(policies, words):
    with pytest.raises((PolicyParseError, InvalidArgument)) as e:
        KernelSpace(policy=policies)
    assert words.lower() in str(e.value).lower()
    assert e.value.yaml and '"policies"' in e.value.yaml  # the rendered text is attached


def test_no_policy_is_refused_not_allow_all():
    with pytest.raises(InvalidArgument, match="allow_all"):
        KernelSpace()
    with pytest.raises(InvalidArgument):
        KernelSpace(policy=[])
    with pytest.raises(TypeError):
        KernelSpace(policy="version: 1")
    with pytest.raises(TypeError):
        KernelSpace(policy=[{"type": "sql"}])
    with pytest.raises(InvalidArgument):
        KernelSpace(policy=SQLPolicy(), mode="permissive")
    assert KernelSpace.allow_all().check("DROP TABLE t").allowed


@pytest.mark.parametrize("text", [
    "", "version: 1\n", "version: 2\npolicies: []\n", "policies: [", ":\n  - : :",
    "version: 1\npolicies:\n  - name: x\n    type: sql\n    bogus_key: 1\n",
    "version: 1\npolicies:\n  - name: x\n    type: teleport\n",
    "\xff\xfe", "version: 1\npolicies:\n" + "  - name: x\n    type: sql\n" * 3,
    "#" * (2 << 20), "[" * 100_000, "version: 1\npolicies: " + "[" * 5000 + "]" * 5000,
    "version: 1\nallow_all: true\npolicies:\n  - name: x\n    type: sql\n",
])
def test_bad_yaml_is_a_python_exception(text):
    with pytest.raises((PolicyParseError, InvalidArgument)):
        KernelSpace.from_yaml_text(text)


def test_bad_yaml_bytes_and_paths():
    with pytest.raises((PolicyParseError, InvalidArgument)):
        KernelSpace.from_yaml_text(b"\xff\xfe\x00garbage")
    with pytest.raises(OSError):
        KernelSpace.from_yaml("/nonexistent/policy.yaml")
    with pytest.raises(InvalidArgument):
        KernelSpace.from_yaml("bad\0path")
    with pytest.raises(TypeError):
        KernelSpace.from_yaml_text(None)


def test_parse_errors_name_line_and_column():
    with pytest.raises(PolicyParseError) as e:
        KernelSpace.from_yaml_text("version: 1\npolicies:\n  - name: x\n    type: sql\n    deny: [DROPP]\n",
                                   source_name="mine.yaml")
    assert "mine.yaml:5:" in str(e.value)
