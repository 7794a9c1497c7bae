"""examples/julia/quickstart.jl cannot run here (no Julia); it must stay a
line-for-line translation of tests/c_api/kernel_api.c, which CI runs."""

import re

import pytest

from conftest import ROOT

pytestmark = pytest.mark.nonumpy
C_FILE = ROOT / "tests" / "c_api" / "kernel_api.c"
JL_FILE = ROOT / "examples" / "julia" / "quickstart.jl"


def expectations(path, marker):
    text = path.read_text()
    lines = [line for line in text.splitlines() if marker in line and "#define" not in line
             and "macro" not in line]
    literals = [lit for line in lines for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', line)]
    return lines, literals


@pytest.mark.skipif(not C_FILE.exists(), reason="tests/c_api/kernel_api.c not present")
def test_julia_quickstart_mirrors_the_c_program():
    c_lines, c_lits = expectations(C_FILE, "EXPECT(")
    jl_lines, jl_lits = expectations(JL_FILE, "@EXPECT ")
    assert len(c_lines) == len(jl_lines)
    assert c_lits == jl_lits
