"""Test support shared by every suite that drives lab devices in-process (no tests here).

The lab process runs one asyncio loop; tests start devices on such a loop in a background
thread and call into it, while real clients (onvif-zeep, netmiko, requests) talk to the
devices over sockets from the test thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LabLoop:
    """An asyncio loop in a daemon thread, as the lab process runs it; tests call into it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the loop thread (device state is not thread-safe)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


# A deadline for something that happens, never a measure: it returns as soon as the state
# holds. Lab events take milliseconds on an idle machine, but with both cores of a CI machine
# busy a platform's pull, a registration or a queue draining has taken seconds.
WAIT_S = 30.0


def wait_until(predicate: Callable[[], T], timeout: float = WAIT_S, what: str = "condition") -> T:
    """Poll observable state until `predicate` is truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
