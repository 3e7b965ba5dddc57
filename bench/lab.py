#!/usr/bin/env python3
"""Benchmark: one lab process holding a city's devices: start time, memory, idle CPU.

    .venv/bin/python bench/lab.py                # 64 generated schools, about 2,300 devices
    .venv/bin/python bench/lab.py --schools 45   # the seed's rollout

Baseline in the same run: the floor of one bare asyncio listener per listening socket the lab
opens (no protocol behind it), so the ratio shows what the simulators add on top of sockets.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def idle_cpu(seconds: float) -> float:
    """CPU seconds this process used while doing nothing but serving, over `seconds`."""
    before = time.process_time()
    await asyncio.sleep(seconds)
    return (time.process_time() - before) / seconds


async def run_lab(city_dir: Path, idle_s: float) -> dict[str, float]:
    from provision.inventory.loader import load_inventory
    from provision.inventory.selectors import Selection
    from provision.lab.runtime import Lab

    inv = load_inventory(city_dir)
    assert inv.city is not None
    base = rss_mib()
    lab = Lab(inv.city, Selection().apply(inv.city), Path(tempfile.mkdtemp()) / "data")
    lab.build()
    started = time.perf_counter()
    await lab.start()
    start_s = time.perf_counter() - started
    sockets = sum(len(d.sim.endpoints()) for d in lab.devices.values())
    stats = {
        "devices": len(lab.devices),
        "sockets": sockets,
        "start_s": start_s,
        "rss_mib": rss_mib() - base,
        "idle_cpu": await idle_cpu(idle_s),
    }
    await lab.stop()
    return stats


async def run_floor(sockets: int, idle_s: float) -> dict[str, float]:
    from provision.lab.runtime import _raise_fd_limit

    _raise_fd_limit(sockets + 256)
    base = rss_mib()

    async def nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    started = time.perf_counter()
    servers = []
    for i in range(sockets):
        host = f"127.9.{i // 250}.{i % 250 + 1}"
        servers.append(await asyncio.start_server(nothing, host, 8000))
    start_s = time.perf_counter() - started
    stats = {
        "devices": 0,
        "sockets": sockets,
        "start_s": start_s,
        "rss_mib": rss_mib() - base,
        "idle_cpu": await idle_cpu(idle_s),
    }
    for server in servers:
        server.close()
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--schools", type=int, default=64)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle measurement")
    parser.add_argument("--mode", choices=["lab", "floor"])
    parser.add_argument("--city", type=Path)
    parser.add_argument("--sockets", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "lab":
        print(json.dumps(asyncio.run(run_lab(args.city, args.idle))))
        return
    if args.mode == "floor":
        print(json.dumps(asyncio.run(run_floor(args.sockets, args.idle))))
        return
    from provision.citygen import write_city

    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        write_city(city, args.schools)
        lab = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--mode",
                    "lab",
                    "--city",
                    str(city),
                    "--idle",
                    str(args.idle),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    floor = json.loads(
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--mode",
                "floor",
                "--sockets",
                str(lab["sockets"]),
                "--idle",
                str(args.idle),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"lab of a generated {args.schools}-school city: {lab['devices']:.0f} devices, "
        f"{lab['sockets']:.0f} listening sockets, one process"
    )
    print(f"{'':<26}{'start s':>9}{'RSS MiB':>10}{'KiB/device':>12}{'idle CPU %':>12}")
    print(
        f"{'lab (real protocols)':<26}{lab['start_s']:>9.2f}{lab['rss_mib']:>10.1f}"
        f"{lab['rss_mib'] * 1024 / lab['devices']:>12.1f}{lab['idle_cpu'] * 100:>12.2f}"
    )
    print(
        f"{'floor (bare listeners)':<26}{floor['start_s']:>9.2f}{floor['rss_mib']:>10.1f}"
        f"{'':>12}{floor['idle_cpu'] * 100:>12.2f}"
    )
    print(
        f"ratio lab/floor: start {lab['start_s'] / floor['start_s']:.1f}x, "
        f"memory {lab['rss_mib'] / max(floor['rss_mib'], 0.1):.1f}x; "
        f"peak RSS of any child {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
