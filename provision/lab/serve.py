"""Run ONE lab device standalone, in a process of its own, until SIGTERM or SIGINT.

    python -m provision.lab.serve alarm-center --host 127.0.0.1 --dc09-port P --api-port Q --db F
    python -m provision.lab.serve alarm-panel --host 127.0.0.1 --api-port Q
    python -m provision.lab.serve led-board --host 127.0.0.1 --api-port Q

The full lab (`provision lab up`) runs every device in one process, which is right for a city
but wrong for a fault test that must kill -9 one receiver mid-burst and start it again on the
same ports and database while the panels keep running elsewhere. This runs just that device.

Once every listener is bound it prints one JSON line on stdout, `{"kind", "name", "pid",
"endpoints"}` (ports resolved when 0 was asked for): the parent waits for that line rather than
guessing with a sleep. SIGTERM/SIGINT stop the device cleanly; SIGKILL is what the tests use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from provision.lab.alarm_center import AlarmCenter
from provision.lab.alarm_panel import AlarmPanel
from provision.lab.faults import Faults
from provision.lab.led_board import LedBoard

Device = AlarmCenter | AlarmPanel | LedBoard


def _alarm_center(args: argparse.Namespace) -> Device:
    if not args.db:
        raise SystemExit("alarm-center needs --db FILE (the SQLite event store)")
    return AlarmCenter(
        args.name or "alarm-center",
        args.host,
        faults=Faults(),
        db_path=args.db,
        dc09_port=args.dc09_port,
        api_port=args.api_port,
        dedup_window_s=args.dedup_window_s,
    )


def _alarm_panel(args: argparse.Namespace) -> Device:
    return AlarmPanel(
        args.name or "alarm-panel",
        args.host,
        faults=Faults(),
        api_port=args.api_port,
        ack_timeout_s=args.ack_timeout_s,
        backoff_base_s=args.backoff_base_s,
        backoff_cap_s=args.backoff_cap_s,
    )


def _led_board(args: argparse.Namespace) -> Device:
    return LedBoard(args.name or "led-board", args.host, faults=Faults(), api_port=args.api_port)


_PORT_FLAGS = {"dc09": "--dc09-port", "http": "--api-port"}
KINDS: dict[str, Callable[[argparse.Namespace], Device]] = {
    "alarm-center": _alarm_center,
    "alarm-panel": _alarm_panel,
    "led-board": _led_board,
}


async def serve(args: argparse.Namespace) -> None:
    device = KINDS[args.kind](args)
    await device.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    ready: dict[str, Any] = {
        "kind": args.kind,
        "name": device.name,
        "pid": os.getpid(),
        "endpoints": device.endpoints(),
    }
    print(json.dumps(ready), flush=True)
    try:
        await stopping.wait()
    finally:
        await device.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m provision.lab.serve", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--name")
    parser.add_argument("--api-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--dc09-port", type=int, default=0, help="alarm-center; 0: any free port")
    parser.add_argument("--db", help="alarm-center: SQLite file, kept across restarts")
    parser.add_argument("--dedup-window-s", type=float, default=300.0, help="alarm-center")
    parser.add_argument("--ack-timeout-s", type=float, default=5.0, help="alarm-panel")
    parser.add_argument("--backoff-base-s", type=float, default=1.0, help="alarm-panel")
    parser.add_argument("--backoff-cap-s", type=float, default=60.0, help="alarm-panel")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except (OSError, sqlite3.Error) as exc:  # port taken, database unusable: say so, exit 1
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


class Standalone:
    """The parent's handle on one `serve` process: start it, kill -9 it, start it again.

    `start` returns the ready line's endpoints. A restart reuses the ports the first start
    resolved (0 means "any" only the first time), so clients configured with them reconnect
    to the new process as they would to a rebooted receiver.
    """

    def __init__(self, kind: str, *options: str, ready_timeout_s: float = 15.0) -> None:
        self.kind, self.options = kind, list(options)
        self.ready_timeout_s = ready_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoints: dict[str, int] = {}
        self.starts = 0

    def _argv(self) -> list[str]:
        argv = [sys.executable, "-m", "provision.lab.serve", self.kind, *self.options]
        for name, port in self.endpoints.items():  # pin what the first start resolved
            argv += [_PORT_FLAGS[name], str(port)]
        return argv

    def start(self) -> dict[str, int]:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.kind} is already running (pid {self.proc.pid})")
        self.proc = subprocess.Popen(self._argv(), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.ready_timeout_s
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.kill()
                raise TimeoutError(f"{self.kind} not ready within {self.ready_timeout_s} s")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                code = self.proc.wait()
                raise RuntimeError(f"{self.kind} exited with {code} before it was ready")
            line += chunk
        self.endpoints = json.loads(line)["endpoints"]
        self.starts += 1
        return self.endpoints

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def kill(self) -> None:
        """SIGKILL: no handler runs, no socket is closed politely, nothing is flushed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self._reap()

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if the device does not stop within `timeout_s`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait()
            if self.proc.stdout is not None:
                self.proc.stdout.close()


if __name__ == "__main__":
    main()
