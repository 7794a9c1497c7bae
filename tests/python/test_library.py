"""Loading libagentos.so: where it is looked for and what happens if it is not there."""

import os
import subprocess
import sys

import pytest

from conftest import LIBRARY_ERROR, PYTHON_DIR

pytestmark = pytest.mark.nonumpy


def test_library_loads():
    if LIBRARY_ERROR is not None:
        pytest.skip(f"libagentos.so is not built: {LIBRARY_ERROR}")
    import agent_os
    assert agent_os.library_version() == agent_os.__version__


def _import_with(env_value):
    env = dict(os.environ, AGENTOS_LIBRARY=env_value, PYTHONPATH=str(PYTHON_DIR))
    return subprocess.run([sys.executable, "-c", "import agent_os"], env=env, capture_output=True,
                          text=True, timeout=60)


def test_missing_library_is_an_import_error_that_says_how_to_build():
    r = _import_with("/nonexistent/libagentos.so")
    assert r.returncode != 0
    assert "AgentOSLibraryError" in r.stderr
    # From a checkout the message gives the CMake commands; from an install, the pip one.
    assert ("cmake --build" in r.stderr and "--target agentos" in r.stderr) or "pip install ." in r.stderr


def test_a_file_that_is_not_a_library_is_refused(tmp_path):
    bogus = tmp_path / "libagentos.so"
    bogus.write_bytes(b"not an ELF file")
    r = _import_with(str(bogus))
    assert r.returncode != 0
    assert "AgentOSLibraryError" in r.stderr and "cannot load" in r.stderr


def test_library_error_is_an_import_error():
    if LIBRARY_ERROR is not None:
        pytest.skip("libagentos.so is not built")
    from agent_os import AgentOSLibraryError
    assert issubclass(AgentOSLibraryError, ImportError)
