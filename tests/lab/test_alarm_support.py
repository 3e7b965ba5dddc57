"""Shared helpers for the alarm and LED board tests (no tests here): a lab event loop in a
background thread, a bitwise CRC written from the standard's text, a raw DC-09 TCP client and
polling with a deadline."""

from __future__ import annotations

import socket
from typing import TypeVar

from labsupport import LabLoop, wait_until

T = TypeVar("T")

__all__ = ["LabLoop", "wait_until"]


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
