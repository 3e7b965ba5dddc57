"""Shared helpers for the alarm and LED board tests (no tests here): a lab event loop in a
background thread, a bitwise CRC written from the standard's text, a raw DC-09 TCP client and
polling with a deadline."""

from __future__ import annotations

import asyncio
import socket
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


def bitwise_crc(text: str | bytes) -> str:
    """CRC-16/ARC bit by bit (poly 0x8005 reflected = 0xA001, init 0), independent of the codec's
    table-driven one."""
    crc = 0
    for byte in text.encode("ascii") if isinstance(text, str) else text:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return f"{crc:04X}"


def literal_frame(message: str) -> bytes:
    """<LF> CRC 0LLL message <CR>, computed here rather than by the codec under test."""
    return f"\n{bitwise_crc(message)}{len(message):04X}{message}\r".encode("ascii")


def wait_until(predicate: Callable[[], T], timeout: float = 5.0, what: str = "condition") -> T:
    """Poll observable state until `predicate` is truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


class Dc09Client:
    """A raw TCP client: send bytes exactly as given, read whole responses."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, timeout: float = 5.0) -> bytes:
        """The next LF...CR response; TimeoutError when none comes."""
        self.sock.settimeout(timeout)
        while b"\r" not in self._buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed by the receiver")
            self._buf += chunk
        frame, _, self._buf = self._buf.partition(b"\r")
        return frame + b"\r"

    def silent(self, window: float = 0.3) -> bool:
        """True when nothing arrives within `window` s (asserting an absence needs a window)."""
        try:
            self.response(window)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.sock.close()
