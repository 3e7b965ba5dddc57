"""The progress bar of plan and apply: devices done of the total, and failures, on stderr."""

from __future__ import annotations

import sys
import threading

from provision.engine.outcome import DeviceOutcome
from provision.i18n import _

BAR_WIDTH = 30


class ProgressBar:
    """devices done / total and failures, redrawn in place on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.done = self.failed = 0
        self.total = 0
        self._lock = threading.Lock()  # devices finish on the run's worker threads

    def start(self, total: int) -> None:
        self.total = total

    def __call__(self, outcome: DeviceOutcome) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.done += 1
            self.failed += outcome.status.failed
            filled = int(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
            bar = f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            counts = _("{done}/{total} devices, {failed} failed ").format(
                done=self.done, total=self.total or "?", failed=self.failed
            )
            sys.stderr.write(bar + counts)
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\n")
