"""Stopping a run early: the first SIGINT/SIGTERM asks the run to wind down, a second quits.

While devices may be in flight, the first signal sets a stop event: devices being written to
finish (or are put back) and are journaled; devices not yet written to are "not started"; the
run is journaled as interrupted. A second signal exits at once, as a crash would: the
journal's pending rows then say which devices were in flight.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from provision.i18n import _


@dataclass(slots=True)
class Stop:
    """A request to stop a run early, set by the handler `stop_on_signals` installs."""

    event: threading.Event = field(default_factory=threading.Event)
    signum: int = 0
    # True while devices may be in flight: a signal then sets `event` and the run winds down.
    # Outside (validating, waiting for a lock) nothing is in flight: it interrupts at once.
    armed: bool = False
    run_id: str | None = None  # for the words said on a second signal
    # When the handler took the stop (time.time(), the clock of the journal's rows): after it,
    # only a device already writing its intent journals one (engine/journal.py `intend`).
    at: float | None = None

    @contextlib.contextmanager
    def arming(self) -> Iterator[None]:
        self.armed = True
        try:
            yield
        finally:
            self.armed = False


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[Stop]:
    """Handle SIGINT/SIGTERM for one run (call from the main thread, as a CLI does)."""
    stop = Stop()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.event.is_set():
            os.write(2, b"\nquitting now" + _in_flight_hint(stop.run_id).encode() + b"\n")
            os._exit(128 + signum)
        stop.signum = signum
        if not stop.armed:
            raise KeyboardInterrupt
        stop.at = time.time()
        stop.event.set()
        os.write(
            2,
            b"\nstopping: devices being worked on are finished, no new device starts"
            b" (signal again to quit at once)\n",
        )

    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals are delivered to the main thread only: nothing to install
        return
    # A signal ignored by whoever started us (nohup, a shell's background job) stays ignored.
    wanted = [s for s in signums if signal.getsignal(s) is not signal.SIG_IGN]
    previous: dict[int, Any] = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _in_flight_hint(run_id: str | None) -> str:
    if run_id is None:
        return ""  # no journaled run (plan, or not yet started): nothing was being written
    return _(
        ": devices in flight stay pending in the journal; `provision rollback "
        "{run_id}` re-reads them and puts back what they had"
    ).format(run_id=run_id)
