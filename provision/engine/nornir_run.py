"""The one place a task runs over a city's devices with Nornir: plan, apply, rollback and
verify's gathering all come through here.

Each selected device becomes a Nornir host (`inventory.nornir_plugin`); devices with nothing
to manage are dropped; the task runs on the threaded runner (device I/O waits on the network,
so threads overlap it; beyond ~20 workers the 2-core machines this runs on lose more to
contention than they gain). What comes back is Nornir's own `AggregatedResult`.

School-level targets that depend on the devices (`AFTER_DEVICES`: the stream forwarding, whose
platform pulls each camera with the view-only account the camera driver creates) run in a
second pass, once every device has run: a camera refuses a pull with an account it does not
have yet, as a real one answers 401.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, Task
from nornir.plugins.runners import ThreadedRunner

from provision.drivers.registry import is_managed
from provision.inventory.model import City, School
from provision.inventory.nornir_plugin import city_to_nornir

DEFAULT_WORKERS = 20
AFTER_DEVICES = frozenset({"streams"})
# Signals a run stops on (engine/signals.py); the device threads never take them.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
# How long the main thread waits at a time for devices: at most this late it runs the handler
# of a signal that was delivered to another thread.
SIGNAL_CHECK_S = 0.2


def _leave_signals_to_the_main_thread() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


class DeviceRunner(ThreadedRunner):
    """Nornir's threaded runner, waiting so that a Ctrl-C or SIGTERM is seen within a moment.

    The kernel delivers a process-directed signal to any thread that does not block it, and
    Python runs the handler in the main thread only, when that thread next runs. Nornir's
    runner waits in the pool's shutdown, which wakes only when the signal lands on the main
    thread: landed on another (an OpenBLAS thread numpy starts, a library's), the handler ran
    once every device had run, so a Ctrl-C "stopped" a run that had started everything. So
    device threads block the signals, and the main thread waits in short slices.
    """

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        result = AggregatedResult(task.name)
        with ThreadPoolExecutor(
            self.num_workers, initializer=_leave_signals_to_the_main_thread
        ) as pool:
            futures = [pool.submit(task.copy().start, host) for host in hosts]
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=SIGNAL_CHECK_S)
        for future in futures:
            worker_result = future.result()
            result[worker_result.host.name] = worker_result
        return result


def run_task(
    city: City,
    schools: list[School],
    task: Callable[..., Any],
    /,
    *,
    workers: int = DEFAULT_WORKERS,
    devices: set[str] | None = None,
    on_start: Callable[[int], None] | None = None,
    **params: Any,
) -> AggregatedResult:
    """Run `task(task, **params)` on every managed device of `schools` (only the hosts named
    in `devices`, "<school>/<device>", when given). `on_start` hears how many will run."""
    inventory = city_to_nornir(city, schools)
    for name in list(inventory.hosts):
        host = inventory.hosts[name]
        unmanaged = not is_managed(host.data["kind"], host.data["protocol"])
        if unmanaged or (devices is not None and name not in devices):
            del inventory.hosts[name]
    if on_start is not None:
        on_start(len(inventory.hosts))
    nr = Nornir(inventory=inventory, runner=DeviceRunner(num_workers=workers))
    later = {n for n, h in inventory.hosts.items() if h.data["kind"] in AFTER_DEVICES}
    if not later or len(later) == len(inventory.hosts):
        return nr.run(task=task, **params)
    results = nr.filter(filter_func=lambda h: h.name not in later).run(task=task, **params)
    results.update(nr.filter(filter_func=lambda h: h.name in later).run(task=task, **params))
    return results


def task_results(results: AggregatedResult) -> list[Any]:
    """The value each host's task returned (its first Result), in host order."""
    return [results[name][0].result for name in sorted(results)]
