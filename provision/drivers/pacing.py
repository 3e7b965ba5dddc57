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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from provision.errors import DeviceError
from provision.i18n import _

DEFAULT_DEADLINE_S = 120.0


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
    saved = (_state.clock, _state.gate, _state.holding)
    clock = DeviceClock(deadline_s)
    _state.clock, _state.gate, _state.holding = clock, gate, False
    if gate is not None:
        gate.acquire()
        _state.holding = True
    try:
        yield clock
    finally:
        if _state.holding and gate is not None:
            gate.release()
        _state.clock, _state.gate, _state.holding = saved


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
            clock.exchanges += 1
            clock.exchange_s += time.monotonic() - started
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
