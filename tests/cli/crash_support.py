"""The crash logs a command-line test's bugs wrote, in the test's own temporary directory."""

from __future__ import annotations

from pathlib import Path

from provision.cli.errors import CRASH_LOG_PREFIX


class CrashLogs:
    """The crash logs this test's bugs wrote, in its own temporary directory."""

    def __init__(self, where: Path) -> None:
        self.dir = where

    def written(self) -> list[Path]:
        return sorted(self.dir.glob(f"{CRASH_LOG_PREFIX}*.log"))

    def only(self) -> Path:
        logs = self.written()
        assert len(logs) == 1, logs
        return logs[0]
