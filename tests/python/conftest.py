"""pytest setup for the agent_os tests.

Two ways to run them:
  * the installed package (what CI does): ``bash .ci/venv``, then from any
    directory outside the checkout
        AGENTOS_TEST_INSTALLED=1 .venv/bin/python -m pytest <repo>/tests/python -q
    agent_os must then come from site-packages (with its own libagentos.so),
    never from bindings/python: a test run that silently used the source
    tree would prove nothing about the install.
  * the source tree: ``python -m pytest tests/python -q`` uses the package in
    bindings/python and the libagentos.so the CMake build copies beside it
    (or $AGENTOS_LIBRARY). If the library is not built, every test module is
    skipped and test_library.py says how to build it.

Tests marked `nonumpy` must also pass without numpy: test_no_numpy.py runs
them in a subprocess whose sitecustomize blocks `import numpy`.
"""

import importlib.util
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "bindings" / "python"
INSTALLED = os.environ.get("AGENTOS_TEST_INSTALLED") == "1"
if not INSTALLED and str(SOURCE_DIR) not in sys.path:
    sys.path.insert(0, str(SOURCE_DIR))
_spec = importlib.util.find_spec("agent_os")
if _spec is None or _spec.origin is None:
    raise pytest.UsageError("agent_os is not importable" + (" (AGENTOS_TEST_INSTALLED=1: install it with "
                                                            "`bash .ci/venv`)" if INSTALLED else ""))
# The directory that holds the agent_os package under test; subprocesses get it as PYTHONPATH.
PYTHON_DIR = pathlib.Path(_spec.origin).resolve().parent.parent
if INSTALLED and (PYTHON_DIR == SOURCE_DIR or os.environ.get("AGENTOS_LIBRARY")):
    raise pytest.UsageError(f"AGENTOS_TEST_INSTALLED=1 but agent_os comes from {PYTHON_DIR} (or AGENTOS_LIBRARY "
                            "is set): run pytest from outside the checkout, with the venv's python")

LIBRARY_ERROR = None
try:
    import agent_os  # noqa: F401
except ImportError as e:  # AgentOSLibraryError is an ImportError
    LIBRARY_ERROR = str(e)

if LIBRARY_ERROR is not None:
    # Only test_library.py (it skips with the loader's message) and the tests
    # that need no library are collected.
    collect_ignore_glob = [p.name for p in pathlib.Path(__file__).parent.glob("test_*.py")
                           if p.name not in ("test_library.py", "test_docs_words.py")]

NUMPY_BLOCKED = os.environ.get("AGENTOS_TEST_BLOCK_NUMPY") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "nonumpy: must also pass with numpy hidden (test_no_numpy.py)")


def pytest_report_header(config):
    if LIBRARY_ERROR is not None:
        return f"agent_os: libagentos.so NOT available, tests skipped: {LIBRARY_ERROR}"
    import agent_os
    from agent_os import _lib
    return (f"agent_os {agent_os.__version__} from {PYTHON_DIR}, library {agent_os.library_version()} at {_lib.path}"
            + (" (numpy blocked)" if NUMPY_BLOCKED else ""))


@pytest.fixture
def sql_kernel():
    from agent_os import KernelSpace
    from agent_os.policies import SQLPolicy
    return KernelSpace(policy=SQLPolicy(allow=["SELECT", "INSERT", "UPDATE"],
                                        deny=["DROP", "DELETE", "TRUNCATE"],
                                        require_where_on_update=True))


@pytest.fixture
def full_kernel():
    from agent_os import KernelSpace
    from agent_os.policies import ContentPolicy, CostControlPolicy, SQLPolicy, ToolPolicy
    return KernelSpace(policy=[
        SQLPolicy(deny=["DROP", "DELETE", "TRUNCATE"]),
        CostControlPolicy(max_cost_usd=10.0, max_tokens=10_000),
        ToolPolicy(allow=["search", "calc*"], deny=["shell"], max_calls=3),
        ContentPolicy(deny=[r"(?i)password\s*="], kinds=["message", "tool_call"], severity="critical"),
    ])
