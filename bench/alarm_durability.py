#!/usr/bin/env python3
"""Benchmark: a burst of alarm events while the receiving centre is killed with SIGKILL.

    PROVISION_LAB_PORT_OFFSET=5000 .venv/bin/python bench/alarm_durability.py
    .venv/bin/python bench/alarm_durability.py --panels 100 --presses 50 --kills 5

Lab alarm panels (in this process's event loop) queue PRESSES events each, panics and manual
tests mixed, all at once; the centre runs alone (`python -m provision.lab.serve alarm-center`)
and is killed with SIGKILL each time another 1/(KILLS+1) of the events has been ACKed, then
started again on the same ports and database as soon as the panels have noticed. The same
burst without kills runs first, as the baseline.

Figures, from the database file and the panels: events, kills, time to drain (first press to
last ACK), duplicates and lost (must be 0), events/s, and the centre's p50/p99 store→ACK
latency (frame read → committed with fsync → ACK ready), pooled over every centre process.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from provision.lab import netmap
from provision.lab.alarm_panel import MANUAL_TEST, PANIC, AlarmPanel
from provision.lab.faults import Faults
from provision.lab.serve import Standalone

HOST = "127.0.0.1"
# Not the test's ports: the bench and the test may run side by side.
DC09_PORT, API_PORT = netmap.lab_port(12902), netmap.lab_port(12903)


def health(samples: bool) -> dict[str, Any]:
    url = f"http://{HOST}:{API_PORT}/api/health" + ("?samples=1" if samples else "")
    with urllib.request.urlopen(url, timeout=5) as resp:
        data: dict[str, Any] = json.load(resp)
    return data


async def until(predicate: Any, timeout_s: float, what: str) -> None:
    """Poll `predicate` on the loop (a panel's state lives here) with a deadline."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


async def burst(panels: int, presses: int, kills: int, directory: Path) -> dict[str, Any]:
    db_path = directory / "events.db"
    centre = Standalone(
        "alarm-center",
        f"--host={HOST}",
        f"--dc09-port={DC09_PORT}",
        f"--api-port={API_PORT}",
        f"--db={db_path}",
    )
    await asyncio.to_thread(centre.start)
    group = [
        AlarmPanel(
            f"panel-{i}",
            HOST,
            faults=Faults(),
            api_port=0,
            ack_timeout_s=1.0,
            backoff_base_s=0.02,
            backoff_cap_s=0.25,
        )
        for i in range(panels)
    ]
    latencies: list[float] = []
    downtimes: list[float] = []
    try:
        for index, panel in enumerate(group):
            await panel.start()
            panel.config.update(
                receiver_host=HOST, receiver_port=DC09_PORT, account=f"B{index:03X}"
            )
        total = panels * presses

        def acked() -> int:
            return sum(p.counters["events_delivered"] for p in group)

        def refused() -> int:
            return sum(p.counters["connect_failures"] for p in group)

        started = time.perf_counter()
        for press in range(presses):
            for index, panel in enumerate(group):
                panic = (index + press) % 5 == 0
                panel.queue_event(PANIC if panic else MANUAL_TEST, zone=1 if panic else 0)
        for kill in range(1, kills + 1):
            await until(lambda k=kill: acked() >= total * k // (kills + 1), 60, "ACKs")
            latencies += (await asyncio.to_thread(health, True))["ack_latency_ms"]["samples"]
            centre.kill()  # from the loop: no panel advances until the centre is dead
            down = time.perf_counter()
            floor = refused() + panels
            await until(lambda n=floor: refused() >= n, 30, "panels to notice")
            await asyncio.to_thread(centre.start)
            downtimes.append(time.perf_counter() - down)
        await until(lambda: acked() == total, 120, "every event ACKed")
        drain_s = time.perf_counter() - started
        last = await asyncio.to_thread(health, True)
        latencies += last["ack_latency_ms"]["samples"]
        retries = sum(p.counters["retries"] for p in group)
    finally:
        for panel in group:
            await panel.stop()
        await asyncio.to_thread(centre.stop)
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT account, seq FROM events").fetchall()
    per_event = Counter(rows)
    expected = {(f"B{i:03X}", seq) for i in range(panels) for seq in range(1, presses + 1)}
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "events": total,
        "kills": kills,
        "drain_s": round(drain_s, 3),
        "stored": len(rows),
        "duplicates": len(rows) - len(per_event),
        "lost": len(expected - set(per_event)),
        "events_per_s": round(total / drain_s),
        "retries": retries,
        "downtime_ms_median": round(statistics.median(downtimes) * 1000) if downtimes else 0,
        "ack_latency_ms_p50": round(quantiles[49], 2),
        "ack_latency_ms_p99": round(quantiles[98], 2),
        "latency_samples": len(latencies),
        "commits_last_centre": last["commits"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--panels", type=int, default=50)
    parser.add_argument("--presses", type=int, default=20, help="events queued per panel")
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    for kills in (0, args.kills):
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(burst(args.panels, args.presses, kills, Path(tmp)))
        label = "baseline, no kill" if kills == 0 else f"{kills} SIGKILLs mid-burst"
        print(f"{label}:")
        for name, value in figures.items():
            print(f"  {name:22} {value}")


if __name__ == "__main__":
    main()
