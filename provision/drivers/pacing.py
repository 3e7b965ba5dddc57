"""A device's time in a run: its overall deadline, and a gate that lets many devices wait on
the network while only a few run Python at once.

Why (issue 16, point 4; measured on the lab, `bench/city.py --latency-ms`): a device's verify
is about 9 exchanges (an ISAPI camera; 129 for an NVR), its apply about 20; at 50 ms a
round trip that is half a second to a second of waiting per camera against a few tens of ms
of CPU. Waiting must overlap across many devices, but device code is CPU work under one GIL
on 2 cores: past ~20 runnable threads they lose more to contention than they gain.

The design kept each device's code synchronous in a thread of its own (so its calls stay in
order, and the drivers, zeep, netmiko and requests stay as they are) and separates two numbers
that one thread pool had tied together:
  * devices in flight: many threads, most of them blocked in a socket wait, which costs no CPU;
  * devices running Python at once: `CpuGate`, a semaphore of a few slots. A runner thread
    holds a slot while its device's code runs; a transport gives the slot back for the
    duration of its blocking wait (`exchange()`, the one hook transports call) and takes one
    again when the answer is there.
So waiting overlaps without more threads competing for the GIL. asyncio sockets (the other
option weighed) would have meant rewriting every transport and the libraries under them
(netmiko, zeep's requests, paramiko) for the same overlap. A transport without the hook still
works: its thread keeps its slot while it waits, which is exactly today's behaviour.

Lanes (`in_parallel`): a target whose work is independent requests, each to a device of its
own or each an item the far side handles on its own, may run them at once under its clock and
gate. The stream pass is one: it asks several cameras for their stream URL, and a precinct
platform answers each proxy add only after pulling that camera (a few RTSP round trips on the
school's link); one after another they added up to the longest wait of a school's apply on a
slow link (bench/school_apply.py --profile). A device's own dependent calls never use lanes.

The deadline (issue 18, finding 8): each exchange's timeout bounds one exchange, so a device
answering each just inside it held a run for (exchanges x timeout). `device_run(deadline_s=)`
gives each device an overall deadline; `exchange()` caps every exchange's timeout at what is
left of it, and once it has passed, the exchange (and every later one) fails with
`DeadlinePassed`, which says how slow the link was per exchange, not that the device or its
clock is broken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from provision.errors import DeviceError
from provision.i18n import _

DEFAULT_DEADLINE_S = 120.0
R = TypeVar("R")


class DeadlinePassed(DeviceError):
    """A device gave no complete answer within its overall deadline for the run."""


class CpuGate:
    """`slots` threads may run device code at once; others wait for a slot (FIFO)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = threading.Semaphore(slots)

    def acquire(self) -> None:
        self._free.acquire()

    def release(self) -> None:
        self._free.release()


_gates: dict[int, CpuGate] = {}
_gates_lock = threading.Lock()


def shared_gate(slots: int) -> CpuGate:
    """The process's gate of `slots` slots: every run of this process with the same number of
    workers shares one, so a city's schools in flight share one CPU budget."""
    with _gates_lock:
        gate = _gates.get(slots)
        if gate is None:
            gate = _gates[slots] = CpuGate(slots)
        return gate


@dataclass(slots=True)
class DeviceClock:
    """One device's time in a run: its deadline and what its exchanges took."""

    deadline_s: float | None
    started: float = field(default_factory=time.monotonic)
    exchanges: int = 0
    exchange_s: float = 0.0
    # Lanes of one device (`in_parallel`) count into the same clock.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, seconds: float) -> None:
        with self._lock:
            self.exchanges += 1
            self.exchange_s += seconds

    def left(self) -> float | None:
        if self.deadline_s is None:
            return None
        return self.deadline_s - (time.monotonic() - self.started)

    def passed(self) -> DeadlinePassed:
        elapsed = time.monotonic() - self.started
        per = self.exchange_s / self.exchanges if self.exchanges else elapsed
        return DeadlinePassed(
            _(
                "no complete answer within {deadline:g} s; the link is slow: {per:.2g} s per "
                "exchange ({exchanges} exchange(s) answered)"
            ).format(deadline=self.deadline_s, per=per, exchanges=self.exchanges)
        )


class _ThreadState(threading.local):
    clock: DeviceClock | None = None
    gate: CpuGate | None = None
    holding = False  # this thread holds a slot of `gate`


_state = _ThreadState()


@contextmanager
def device_run(gate: CpuGate | None, deadline_s: float | None) -> Iterator[DeviceClock]:
    """Run one device's code in this thread: holding a slot of `gate` (None: no gate) and
    under an overall deadline (None: none)."""
    clock = DeviceClock(deadline_s)
    with _running(clock, gate):
        yield clock


def current_clock() -> DeviceClock | None:
    return _state.clock


def capped(timeout: float) -> float:
    """`timeout`, capped at what is left of this thread's device deadline; `DeadlinePassed`
    once it has passed (for a transport that takes a timeout per call inside `exchange`)."""
    clock = _state.clock
    left = clock.left() if clock is not None else None
    if clock is None or left is None:
        return timeout
    if left <= 0:
        raise clock.passed()
    return min(timeout, left)


@contextmanager
def exchange(timeout: float) -> Iterator[float]:
    """Around one blocking exchange with a device (connect, send, wait for the answer): yields
    the timeout to use (`timeout`, capped at what is left of the device's deadline); gives
    the thread's CPU slot back while inside. Past the deadline it raises `DeadlinePassed`,
    also in place of the transport's own error when the exchange failed for lack of time."""
    clock = _state.clock
    timeout = capped(timeout)
    gate = _state.gate if _state.holding else None
    if gate is not None:
        _state.holding = False
        gate.release()
    started = time.monotonic()
    try:
        yield timeout
    except DeadlinePassed:
        raise
    except Exception as exc:
        if clock is not None and (left := clock.left()) is not None and left <= 0:
            raise clock.passed() from exc
        raise
    else:
        if clock is not None:
            clock.count(time.monotonic() - started)
    finally:
        if gate is not None:
            gate.acquire()
            _state.holding = True


@contextmanager
def waiting() -> Iterator[None]:
    """Around a wait that is no exchange with the device (a sleep, another thread's work):
    gives the thread's CPU slot back meanwhile."""
    gate = _state.gate if _state.holding else None
    if gate is not None:
        _state.holding = False
        gate.release()
    try:
        yield
    finally:
        if gate is not None:
            gate.acquire()
            _state.holding = True


def in_parallel(calls: Sequence[Callable[[], R]], lanes: int) -> list[R | Exception]:
    """Run independent calls of this device's task at once, in up to `lanes` threads: what
    each returns, or the exception it raised, in the calls' order.

    For a target whose work is independent requests, each waiting on the network on its own
    (a precinct platform pulling several cameras; several cameras asked for their stream),
    where one after another they would add up their waits. Each lane runs under this
    thread's device clock (its deadline caps their exchanges, which count into it) and holds
    a CPU slot of the same gate while it runs Python; this thread gives its slot back
    meanwhile. Threads started here inherit this thread's signal mask, so the runner's
    device threads' blocked stop signals stay blocked in them too.
    """
    if lanes <= 1 or len(calls) <= 1:
        return [_outcome(call) for call in calls]
    clock, gate = _state.clock, _state.gate

    def lane(call: Callable[[], R]) -> R | Exception:
        with _running(clock, gate):
            return _outcome(call)

    with waiting(), ThreadPoolExecutor(min(lanes, len(calls)), "lane") as pool:
        return list(pool.map(lane, calls))


def _outcome(call: Callable[[], R]) -> R | Exception:
    try:
        return call()
    except Exception as exc:
        return exc


@contextmanager
def _running(clock: DeviceClock | None, gate: CpuGate | None) -> Iterator[None]:
    """This thread runs the code of the device whose clock and gate these are (its own, or
    as one of its lanes), holding a slot of the gate (None: no gate)."""
    saved = (_state.clock, _state.gate, _state.holding)
    _state.clock, _state.gate, _state.holding = clock, gate, False
    if gate is not None:
        gate.acquire()
        _state.holding = True
    try:
        yield
    finally:
        if _state.holding and gate is not None:
            gate.release()
        _state.clock, _state.gate, _state.holding = saved
