"""Run a lab in this process until told to stop: `provision lab up` runs this.

Started in the background by `lab up` (a new session, output to lab.log) or in the
foreground with `--foreground`. It writes the state file only once every device listens,
so `lab up` returns when the lab is really up, and removes it on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from provision.errors import ProvisionError
from provision.inventory.loader import load_inventory, require_valid
from provision.inventory.selectors import Selection
from provision.lab.control import ControlApi
from provision.lab.runtime import Lab
from provision.lab.state import state_path, write_state


def read_faults_file(path: Path, lab: Lab) -> dict[str, dict[str, Any]]:
    """{device id: {fault: value}}; an unknown device is an error naming close matches."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ProvisionError(f"{path}: expected a mapping of device id to faults")
    for dev_id, faults in data.items():
        if dev_id not in lab.devices:
            close = difflib.get_close_matches(str(dev_id), list(lab.devices), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ProvisionError(f"{path}: no lab device {dev_id!r}{hint}")
        if not isinstance(faults, dict):
            raise ProvisionError(f"{path}: faults of {dev_id} must be a mapping")
    return data


async def serve(args: argparse.Namespace) -> None:
    inv = require_valid(load_inventory(args.inventory, only=set(args.school) or None))
    assert inv.city is not None
    selection = Selection(
        tuple(args.school), tuple(args.district), tuple(args.tier), tuple(args.precinct)
    )
    # A lab starts from factory state, alarm history included: a centre database left by an
    # earlier lab would take the new panels' first events (sequence 1 again) for retries.
    data = Path(args.state_dir) / "data"
    shutil.rmtree(data, ignore_errors=True)
    lab = Lab(inv.city, selection.apply(inv.city), data)
    lab.build()
    faults = read_faults_file(Path(args.faults), lab) if args.faults else {}
    started = time.perf_counter()
    await lab.start()
    for dev_id, changes in faults.items():
        await lab.set_faults(dev_id, changes)
    control = ControlApi(lab)
    await control.server.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, control.stopping.set)
    write_state(
        Path(args.state_dir),
        {
            "pid": os.getpid(),
            "control": f"http://127.0.0.1:{control.server.port}",
            "inventory": str(Path(args.inventory).resolve()),
            "started_at": time.time(),
            "start_seconds": round(time.perf_counter() - started, 3),
            "devices": {d.id: d.status() for d in lab.devices.values()},
        },
    )
    print(f"lab up: {len(lab.devices)} devices in {time.perf_counter() - started:.1f}s", flush=True)
    try:
        await control.stopping.wait()
    finally:
        state_path(Path(args.state_dir)).unlink(missing_ok=True)
        await control.server.stop()
        await lab.stop()
        print("lab down", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="provision-lab")
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--faults")
    for opt in ("school", "district", "tier", "precinct"):
        parser.add_argument(f"--{opt}", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args))
    except ProvisionError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
