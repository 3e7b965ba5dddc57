#!/usr/bin/env python3
"""Profile one `provision apply`: each device's exchanges and time on the run's clock.

    PROVISION_PROFILE_OUT=timeline.json .venv/bin/python bench/apply_profile.py apply -i ...

Runs the provision command line in this process (the arguments are its arguments) with
`DeviceRunner._start` wrapped: for each device, when its task started and ended (seconds from
the first device's start), how many exchanges it had (`pacing.DeviceClock`) and the time they
took. bench/school_apply.py --profile runs the 50 ms apply through this and prints the table,
so where a slow link costs time (a device's serial exchanges, a pass that waits for another)
is measured, not guessed. A benchmark aid: nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from provision.cli.main import cli
from provision.drivers import pacing
from provision.engine import nornir_run

_rows: list[dict[str, Any]] = []
_lock = threading.Lock()
_t0: list[float] = []


def _start(self: nornir_run.DeviceRunner, task: Any, host: Any) -> Any:
    started = time.monotonic()
    with _lock:
        if not _t0:
            _t0.append(started)
    with pacing.device_run(self.gate, self.deadline_s) as clock:
        try:
            return task.start(host)
        finally:
            row = {
                "device": host.name,
                "kind": host.data["kind"],
                "start_s": started - _t0[0],
                "end_s": time.monotonic() - _t0[0],
                "exchanges": clock.exchanges,
                "exchange_s": clock.exchange_s,
            }
            with _lock:
                _rows.append(row)


def main() -> None:
    nornir_run.DeviceRunner._start = _start  # type: ignore[method-assign]
    try:
        code = cli.main(args=sys.argv[1:], prog_name="provision", standalone_mode=False)
    finally:
        out = os.environ.get("PROVISION_PROFILE_OUT")
        if out:
            Path(out).write_text(json.dumps(sorted(_rows, key=lambda r: r["start_s"])))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
