"""Fixtures of the command-line tests: a runner, and a crash log kept in the test's own
temporary directory (not the machine's), so a test reads the log its own bug wrote."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from crash_support import CrashLogs

from provision.cli.errors import crash_log_dir


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def crash_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CrashLogs:
    private = tmp_path / "tmpdir"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    assert crash_log_dir() == private
    return CrashLogs(private)
