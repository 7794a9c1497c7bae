"""FlightRecorder() without a path writes under a documented data directory,
never into the working directory."""

import os

import pytest

from agent_os import FlightRecorder
from agent_os.errors import InvalidArgument
from agent_os.recorder import default_data_dir


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("AGENTOS_DATA_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def test_agentos_data_dir_comes_first(clean_env, monkeypatch):
    monkeypatch.setenv("AGENTOS_DATA_DIR", str(clean_env / "data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_env / "xdg"))
    assert default_data_dir() == str(clean_env / "data")


def test_then_xdg_data_home_then_home(clean_env, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_env / "xdg"))
    assert default_data_dir() == str(clean_env / "xdg" / "agentos")
    monkeypatch.setenv("XDG_DATA_HOME", "relative/xdg")  # not absolute: ignored, as the XDG spec says
    assert default_data_dir() == str(clean_env / "home" / ".local" / "share" / "agentos")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == str(clean_env / "home" / ".local" / "share" / "agentos")


def test_default_recorder_leaves_the_working_directory_alone(clean_env, monkeypatch):
    monkeypatch.setenv("AGENTOS_DATA_DIR", str(clean_env / "data"))
    rec = FlightRecorder()
    try:
        assert rec.path == str(clean_env / "data" / "flight_recorder.db")
    finally:
        rec.close()
    assert os.listdir(clean_env / "work") == []
    assert sorted(os.listdir(clean_env / "data")) == ["flight_recorder.db", "flight_recorder.db.checkpoint"]


def test_no_home_and_no_setting_is_refused(clean_env, monkeypatch):
    monkeypatch.delenv("HOME")
    monkeypatch.setattr(os.path, "expanduser", lambda p: p)
    with pytest.raises(InvalidArgument, match="AGENTOS_DATA_DIR"):
        FlightRecorder()
    assert os.listdir(clean_env / "work") == []
