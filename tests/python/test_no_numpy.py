"""The tests marked `nonumpy` pass with numpy hidden (agent_os needs only the standard library)."""

import os
import pathlib
import subprocess
import sys

import pytest

from conftest import NUMPY_BLOCKED, PYTHON_DIR, ROOT

HERE = pathlib.Path(__file__).resolve().parent


@pytest.mark.nonumpy
def test_numpy_is_really_hidden_in_the_no_numpy_run():
    if not NUMPY_BLOCKED:
        pytest.skip("only meaningful inside the no-numpy run")
    with pytest.raises(ImportError):
        import numpy  # noqa: F401
    from agent_os import kernel, vector_env
    assert kernel._np is None and vector_env._np is None


def test_the_nonumpy_subset_passes_without_numpy():
    if NUMPY_BLOCKED:
        pytest.skip("already inside the no-numpy run")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE / "_block_numpy"), str(PYTHON_DIR)]),
               AGENTOS_TEST_BLOCK_NUMPY="1")
    # Only modules that declare nonumpy tests: others in this folder may import numpy at the top.
    modules = sorted(str(p) for p in HERE.glob("test_*.py") if "mark.nonumpy" in p.read_text())
    r = subprocess.run([sys.executable, "-m", "pytest", *modules, "-q", "-rs", "-m", "nonumpy", "-p", "no:cacheprovider"],
                       env=env, cwd=ROOT, capture_output=True, text=True, timeout=110)
    tail = r.stdout[-4000:] + r.stderr[-2000:]
    assert r.returncode == 0, tail
    assert " passed" in r.stdout and "only meaningful inside" not in r.stdout, tail  # numpy really was hidden
    passed = int(r.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    assert passed >= 100, tail
