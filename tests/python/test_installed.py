"""The pip-installed package (CI: AGENTOS_TEST_INSTALLED=1, see conftest.py):
self-contained, typed, with the CLI on the environment's PATH."""

import os
import pathlib
import subprocess
import sys
import sysconfig

import pytest

from conftest import INSTALLED, SOURCE_DIR

pytestmark = pytest.mark.skipif(not INSTALLED, reason="tests the pip-installed package (AGENTOS_TEST_INSTALLED=1)")


def test_the_package_and_its_library_come_from_site_packages():
    import agent_os
    from agent_os import _lib
    package = pathlib.Path(agent_os.__file__).parent
    assert not package.is_relative_to(SOURCE_DIR.parent)
    assert pathlib.Path(_lib.path) == package / "libagentos.so"
    assert (package / "py.typed").is_file()
    assert (package / "data" / "default_policy.yaml").is_file()
    assert (package / "data" / "shop" / "tasks.jsonl").is_file()


def test_import_works_from_any_directory_without_an_environment_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AGENTOS_LIBRARY", "PYTHONPATH")}
    r = subprocess.run([sys.executable, "-c", "import agent_os; print(agent_os.library_version())"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0.1.0"


def test_the_cli_is_installed_beside_the_interpreter(tmp_path):
    cli = pathlib.Path(sysconfig.get_path("scripts")) / "agentos"
    assert cli.is_file() and os.access(cli, os.X_OK)
    r = subprocess.run([str(cli), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "agentos 0.1.0"
