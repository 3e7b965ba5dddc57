"""A Ctrl-C is seen while devices run, whichever thread the kernel hands the signal to."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from nornir.core.task import Result, Task

from provision.engine.nornir_run import run_task, task_results
from provision.engine.signals import stop_on_signals
from provision.inventory.selectors import Selection
from provision.validate import load_valid

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-k003"
DEADLINE_S = 60.0  # for events that happen at once; only a broken build waits this long


def test_a_signal_landing_on_another_thread_still_stops_the_run_before_the_next_device() -> None:
    city, schools = load_valid(EXAMPLE, Selection(schools=(SCHOOL,)))
    hosts = sorted(f"{SCHOOL}/{c.name}" for c in schools[0].cameras)[:5]
    first_running, release, park = threading.Event(), threading.Event(), threading.Event()
    # A thread that does not block SIGINT, as numpy's OpenBLAS threads or a library's are.
    bystander = threading.Thread(target=park.wait, daemon=True)
    bystander.start()

    with stop_on_signals() as stop, stop.arming():

        def device(task: Task) -> Result:
            if stop.event.is_set():
                return Result(task.host, result="not started")
            first_running.set()
            release.wait(DEADLINE_S)
            return Result(task.host, result="done")

        def interrupt() -> None:
            first_running.wait(DEADLINE_S)
            assert bystander.ident is not None
            signal.pthread_kill(bystander.ident, signal.SIGINT)
            stop.event.wait(DEADLINE_S)  # the main thread must take it while a device runs
            release.set()

        interrupter = threading.Thread(target=interrupt)
        interrupter.start()
        try:
            results: list[Any] = task_results(
                run_task(city, schools, device, workers=1, devices=set(hosts))
            )
        finally:
            release.set()
            park.set()
            interrupter.join()
    assert stop.signum == signal.SIGINT
    assert sorted(results) == ["done"] + ["not started"] * 4
