"""The one place a task runs over a city's devices with Nornir: plan, apply, rollback and
verify's gathering all come through here.

Each selected device becomes a Nornir host (`inventory.nornir_plugin`); devices with nothing
to manage are dropped; the task runs on `DeviceRunner`, Nornir's threaded runner with latency
hidden: `workers` devices run Python at once (the CPU slots of `drivers.pacing`; beyond ~20
the 2-core machines this runs on lose more to contention than they gain), while up to
`workers x OVERLAP` devices are in flight, most of them waiting on the network with their slot
given back (a transport's `pacing.exchange`). Each device's task runs in one thread from start
to end, so its own calls stay in order. Each device also runs under an overall deadline
(`deadline_s`): past it, its next or current exchange fails with a message that names the slow
link, and its sessions are closed by its task; the other devices go on. What comes back is
Nornir's own `AggregatedResult`.

School-level targets that depend on devices (`AFTER_DEVICES`: the stream forwarding, whose
platform pulls each forwarded camera with the view-only account the camera driver creates,
through the school's switch) start once the devices they depend on, of their own school, have
run (a camera refuses a pull with an account it does not have yet, as a real one answers 401;
a switch not yet set may not carry the pull at all), whatever their outcome, as the other
devices' runs never depend on one another's. They used to wait in a second pass for every
device of the run; on a slow link that put the stream pass after the slowest device of all
(the NVR: bench/school_apply.py --profile), for nothing it needs from it.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task
from nornir.plugins.runners import ThreadedRunner

from provision.drivers.pacing import CpuGate, device_run, shared_gate
from provision.drivers.registry import is_managed
from provision.inventory.model import City, School
from provision.inventory.nornir_plugin import city_to_nornir

DEFAULT_WORKERS = 20
# Devices in flight per CPU slot: at 50 ms per exchange a device waits ~10x longer than it
# computes (bench/city.py --latency-ms 50), so ten waiting per running keep the slots busy.
OVERLAP = 10
MAX_IN_FLIGHT = 1000  # threads of one run, whatever the workers: file descriptors, memory
# (a target with lanes, `pacing.in_parallel`, adds a few of its own while they run: the stream
# pass, up to `platforms.PROXY_LANES`)


def _on_the_pull_path(host: Host) -> bool:
    """What the precinct's pulls need: each camera it pulls (`forward: true`), with the view-only
    account its apply creates, and the school's switches, whose uplink and video VLAN carry
    the pulls (on a first apply the platform cannot reach a camera before the switch is set)."""
    kind = host.data["kind"]
    forwarded = kind == "camera" and bool(getattr(host.data["device"], "forward", False))
    return forwarded or kind == "switch"


# kind → which hosts of its own school it starts after
AFTER_DEVICES: dict[str, Callable[[Host], bool]] = {"streams": _on_the_pull_path}
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

    def __init__(
        self,
        num_workers: int = DEFAULT_WORKERS,
        *,
        in_flight: int | None = None,
        gate: CpuGate | None = None,
        deadline_s: float | None = None,
    ) -> None:
        super().__init__(num_workers)
        self.in_flight = in_flight or min(num_workers * OVERLAP, MAX_IN_FLIGHT)
        self.gate = gate if gate is not None else shared_gate(num_workers)
        self.deadline_s = deadline_s

    def _start(self, task: Task, host: Host) -> MultiResult:
        with device_run(self.gate, self.deadline_s):
            return task.start(host)

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        """Every host, in order, each as soon as the hosts it waits for have run."""
        result = AggregatedResult(task.name)
        waits_for = _dependencies({h.name: h for h in hosts})  # those in this run only
        waiting = {h.name: (h, waits_for.get(h.name, frozenset())) for h in hosts}
        threads = max(1, min(self.in_flight, len(hosts)))
        futures: dict[Future[MultiResult], str] = {}
        finished: set[str] = set()
        with ThreadPoolExecutor(threads, initializer=_leave_signals_to_the_main_thread) as pool:

            def start_ready() -> None:
                for name, (host, after) in list(waiting.items()):
                    if after <= finished:
                        del waiting[name]
                        futures[pool.submit(self._start, task.copy(), host)] = name

            start_ready()
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=SIGNAL_CHECK_S, return_when=FIRST_COMPLETED)
                if done:
                    finished.update(futures[f] for f in done)
                    started = set(futures)
                    start_ready()
                    pending |= set(futures) - started
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
    in_flight: int | None = None,
    gate: CpuGate | None = None,
    deadline_s: float | None = None,
    **params: Any,
) -> AggregatedResult:
    """Run `task(task, **params)` on every managed device of `schools` (only the hosts named
    in `devices`, "<school>/<device>", when given). `on_start` hears how many will run.
    `workers` devices run at once and up to `in_flight` wait (default `workers x OVERLAP`);
    `gate` shares the CPU slots with other runs of the process (default: the process's gate
    of `workers` slots); `deadline_s` is each device's overall deadline (None: none; runs pass their
    connector's `deadline`)."""
    inventory = city_to_nornir(city, schools)
    for name in list(inventory.hosts):
        host = inventory.hosts[name]
        unmanaged = not is_managed(host.data["kind"], host.data["protocol"])
        if unmanaged or (devices is not None and name not in devices):
            del inventory.hosts[name]
    if on_start is not None:
        on_start(len(inventory.hosts))
    runner = DeviceRunner(workers, in_flight=in_flight, gate=gate, deadline_s=deadline_s)
    return Nornir(inventory=inventory, runner=runner).run(task=task, **params)


def _dependencies(hosts: dict[str, Host]) -> dict[str, frozenset[str]]:
    """Each host of an `AFTER_DEVICES` kind → the hosts of its school it starts after."""
    by_school: dict[str, list[tuple[str, Host]]] = {}
    for name, host in hosts.items():
        by_school.setdefault(host.data["school"], []).append((name, host))
    return {
        name: frozenset(n for n, h in by_school[host.data["school"]] if needs(h))
        for name, host in hosts.items()
        if (needs := AFTER_DEVICES.get(host.data["kind"])) is not None
    }


def task_results(results: AggregatedResult) -> list[Any]:
    """The value each host's task returned (its first Result), in host order."""
    return [results[name][0].result for name in sorted(results)]
