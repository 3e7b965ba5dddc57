"""Fixtures of the command-line tests: a runner, and a crash log kept in the test's own
temporary directory (not the machine's), so a test reads the log its own bug wrote."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from provision.cli.errors import crash_log


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def crash_log_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's crash log goes; absent until a bug writes it."""
    private = tmp_path / "tmpdir"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    path = crash_log()
    assert path.parent == private and not path.exists()
    return path
