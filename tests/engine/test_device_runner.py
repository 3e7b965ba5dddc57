"""The device runner: many devices wait at once, few run Python at once, each in order.

These tasks stand in for drivers (no device is contacted: what is under test is the runner
and the pacing hooks every transport calls); tests/faults/test_slow_links.py shows the same
on lab devices over their real protocols.
"""

from __future__ import annotations

import re
import threading
import time
from functools import partial
from pathlib import Path

from nornir.core.task import Result, Task

from provision.drivers.pacing import CpuGate, current_clock, exchange, in_parallel
from provision.engine.nornir_run import OVERLAP, run_task
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
CITY = load_inventory(EXAMPLE).city
assert CITY is not None
SCHOOL = CITY.school("dl-xg-k003")  # eight managed devices, the stream proxies included
STREAMS = f"{SCHOOL.id}/streams"
GIVE_UP_S = 30.0  # a barrier that never fills fails the test rather than hanging it


def test_devices_wait_together_far_beyond_the_devices_running_at_once() -> None:
    # Six devices (not the stream proxies, which start once the cameras have run), within
    # the default number in flight for one worker (OVERLAP).
    every = run_task(CITY, [SCHOOL], lambda task: Result(task.host))
    hosts = sorted(h for h in every if h != STREAMS)[:6]
    assert len(hosts) == 6 <= OVERLAP
    # Every device must be inside its exchange at the same moment for any to get past the
    # barrier, while one slot lets only one run Python: waiting overlaps, running does not.
    everyone = threading.Barrier(len(hosts), timeout=GIVE_UP_S)
    lock, running, peak = threading.Lock(), [0], [0]

    def counted(step: int) -> None:
        with lock:
            running[0] += step
            peak[0] = max(peak[0], running[0])

    def device(task: Task) -> Result:
        counted(+1)
        counted(-1)  # about to wait: the slot goes back inside `exchange`
        with exchange(5.0):
            everyone.wait()
        counted(+1)
        counted(-1)
        return Result(task.host, result="done")

    results = run_task(CITY, [SCHOOL], device, workers=1, gate=CpuGate(1), devices=set(hosts))
    assert not results.failed, {h: r.exception for h, r in results.items() if r.failed}
    assert {r[0].result for r in results.values()} == {"done"}
    assert peak[0] == 1


def test_each_device_runs_its_own_calls_in_order_in_one_thread() -> None:
    seen: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def device(task: Task) -> Result:
        for step in range(5):
            with exchange(5.0):
                pass
            with lock:
                seen.append((task.host.name, step, threading.get_ident()))
        return Result(task.host)

    results = run_task(CITY, [SCHOOL], device, workers=2)
    for host in results:
        mine = [(step, thread) for name, step, thread in seen if name == host]
        assert [step for step, _ in mine] == list(range(5)), host
        assert len({thread for _, thread in mine}) == 1, host


def test_a_failing_device_never_stops_the_others() -> None:
    def device(task: Task) -> Result:
        if task.host.name.endswith("/core"):
            raise RuntimeError("the uplink switch broke")
        with exchange(5.0):
            pass
        return Result(task.host, result="done")

    results = run_task(CITY, [SCHOOL], device, workers=1)
    assert [h for h, r in results.items() if r.failed] == [f"{SCHOOL.id}/core"]
    assert all(r[0].result == "done" for h, r in results.items() if not r.failed)


def test_past_its_deadline_a_device_fails_naming_the_slow_link_and_the_others_finish() -> None:
    exchanges: dict[str, int] = {}

    def device(task: Task, slow: str) -> Result:
        count = 1 if task.host.name != slow else 1000
        for n in range(count):
            with exchange(10.0) as timeout:
                assert timeout <= 0.5  # each exchange is bounded by what is left
                # A slow link, as a device's answer arriving late (not synchronisation).
                time.sleep(0.05 if task.host.name == slow else 0)
            exchanges[task.host.name] = n + 1
        return Result(task.host, result="done")

    slow = f"{SCHOOL.id}/gate-face"
    results = run_task(CITY, [SCHOOL], device, workers=2, deadline_s=0.5, slow=slow)
    assert [h for h, r in results.items() if r.failed] == [slow]
    message = str(results[slow].exception)
    assert re.search(
        r"no complete answer within 0\.5 s; the link is slow: [\d.]+ s per exchange", message
    ), message
    assert 0 < exchanges[slow] < 1000  # stopped at the deadline, not at the end of its work
    assert all(r[0].result == "done" for h, r in results.items() if h != slow)


def test_without_a_runner_the_hooks_change_nothing() -> None:
    # Drivers used directly (bench, lab tools, tests) have no slot to give back, no deadline.
    with exchange(3.0) as timeout:
        pass
    assert timeout == 3.0


def test_the_stream_pass_starts_once_its_pull_path_ran_not_after_the_slowest() -> None:
    # The NVR holds on until the stream proxies have run: if they waited for every device of
    # the run (the old second pass), it would give up after GIVE_UP_S and say so. The pulls'
    # path (forwarded cameras, the switch) has run before them, a broken camera included.
    streams_ran = threading.Event()
    lock, done, seen_by_streams = threading.Lock(), set(), set()
    forwarded = {f"{SCHOOL.id}/{c.name}" for c in SCHOOL.cameras if c.forward}
    switches = {f"{SCHOOL.id}/{s.name}" for s in SCHOOL.network.switches}
    broken = min(forwarded)

    def device(task: Task) -> Result:
        name, kind = task.host.name, task.host.data["kind"]
        if kind == "recorder":
            return Result(task.host, result=streams_ran.wait(GIVE_UP_S))
        if name == STREAMS:
            with lock:
                seen_by_streams.update(done)
            streams_ran.set()
            return Result(task.host, result=True)
        with exchange(5.0):
            pass
        if kind in ("camera", "switch"):
            with lock:
                done.add(name)
            if name == broken:
                raise RuntimeError("a camera broke: the proxies of the others still go up")
        return Result(task.host, result=True)

    results = run_task(CITY, [SCHOOL], device, workers=2)
    # every camera the platform pulls had run, the broken one included, and the switch
    assert forwarded and switches and forwarded | switches <= seen_by_streams
    assert [h for h, r in results.items() if r.failed] == [broken]
    assert all(r[0].result is True for h, r in results.items() if h != broken)


class GivingUpGate(CpuGate):
    """A gate whose slot, never given back, fails the test rather than hanging it."""

    def acquire(self) -> None:
        assert self._free.acquire(timeout=GIVE_UP_S), "no CPU slot was given back"


def test_lanes_of_one_device_wait_together_under_its_slot_and_deadline() -> None:
    # One slot for the whole run: the device gives it back while its lanes run (else the
    # lanes could never start), and the lanes are inside their exchanges at the same moment
    # (else none gets past the barrier). Each lane's exchanges count into the device's clock,
    # and are capped by its deadline.
    lanes = 3
    everyone = threading.Barrier(lanes, timeout=GIVE_UP_S)
    caps: list[float] = []

    def lane(n: int) -> int:
        with exchange(GIVE_UP_S) as timeout:
            caps.append(timeout)
            everyone.wait()
        if n == 1:
            raise DeviceError("camera 1 could not say")
        return n * 10

    def device(task: Task) -> Result:
        answers = in_parallel([partial(lane, n) for n in range(lanes)], lanes)
        clock = current_clock()
        assert clock is not None
        return Result(task.host, result=(answers, clock.exchanges))

    host = f"{SCHOOL.id}/core"
    results = run_task(
        CITY, [SCHOOL], device, workers=1, gate=GivingUpGate(1), devices={host}, deadline_s=20.0
    )
    assert not results.failed, results[host].exception
    (first, failed, third), exchanges = results[host][0].result
    assert (first, third) == (0, 20)  # in the calls' order, whichever finished first
    assert isinstance(failed, DeviceError) and str(failed) == "camera 1 could not say"
    assert exchanges == lanes
    assert len(caps) == lanes and all(cap <= 20.0 for cap in caps)


def test_one_lane_or_one_call_runs_in_the_calling_thread() -> None:
    me = threading.get_ident()
    assert in_parallel([threading.get_ident, threading.get_ident], 1) == [me, me]
    assert in_parallel([threading.get_ident], 8) == [me]
