#!/usr/bin/env python3
"""Benchmark: verify generated 45- and 450-school cities on the lab; cost per device as the
city grows.

    .venv/bin/python bench/verify.py                  # 45 and 450 schools (several minutes)
    .venv/bin/python bench/verify.py --sizes 12 45    # quicker

Each city gets its own lab, sharded by district over several lab processes (one process
holds at most ~15,000 listening sockets under this machine's 20,000-descriptor limit). The
alarm panels are configured first, so the alarm self-test times real DC-09 deliveries; other
devices stay at factory settings, so drift and coverage find plenty: the cost measured is
verify's own, whatever the verdicts. Verify runs in a child process so its CPU and peak
memory are its own, not the labs'. Prints devices/s, CPU per device, peak memory and the
ratios between sizes. A benchmark: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOCKETS_PER_SHARD = 15000


def configure_alarms(city_dir: Path) -> int:
    from provision.drivers.alarm import AlarmDriver
    from provision.drivers.base import Target
    from provision.inventory.loader import load_inventory
    from provision.lab.connector import LabConnector

    city = load_inventory(city_dir).city
    assert city is not None
    done = 0
    for school in city.schools:
        for panel in school.alarms:
            driver = AlarmDriver(Target(city, school, panel, LabConnector()))
            driver.apply(driver.diff(driver.read(), driver.desired()))
            driver.close()
            done += 1
    return done


def run_verify(city_dir: Path, workers: int) -> None:
    from provision.inventory.selectors import Selection
    from provision.lab.connector import LabConnector
    from provision.verify import verify

    wall, cpu = time.perf_counter(), time.process_time()
    report = verify(city_dir, Selection(), LabConnector(), workers=workers, threshold=10.0)
    devices = sum(
        len(c.evidence.get("devices", {}))
        for s in report.schools
        for c in s.checks
        if c.check == "reachability"
    )
    print(
        json.dumps(
            {
                "schools": len(report.schools),
                "devices": devices,
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - cpu,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "verdicts": {s.school: s.verdict for s in report.schools},
            }
        )
    )


def measure(size: int, workers: int) -> dict[str, float]:
    from provision.citygen import DISTRICTS, write_city
    from provision.inventory.selectors import Selection
    from provision.lab.process import start_lab, stop_lab

    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        write_city(city, size)
        devices_estimate = size * 36 * 2  # listening sockets, roughly
        shards = max(1, -(-devices_estimate // SOCKETS_PER_SHARD))
        districts = list(DISTRICTS)
        groups = [districts[i::shards] for i in range(min(shards, len(districts)))]
        labs = []
        try:
            for i, group in enumerate(groups):
                labs.append(Path(tmp) / f"lab{i}")
                start_lab(str(city), labs[-1], Selection(districts=tuple(group)))
            configure_alarms(city)
            out = subprocess.run(
                [sys.executable, __file__, "--run", str(city), "--workers", str(workers)],
                check=True,
                capture_output=True,
                text=True,
            )
            stats: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            for lab in labs:
                stop_lab(lab)
    stats["shards"] = len(groups)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[45, 450])
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_verify(args.run, args.workers)
        return
    rows = {size: measure(size, args.workers) for size in args.sizes}
    print(
        f"{'schools':>8}{'devices':>9}{'labs':>6}{'wall s':>9}{'devices/s':>11}"
        f"{'CPU ms/dev':>12}{'peak MiB':>10}{'KiB/dev':>9}"
    )
    for size, r in rows.items():
        print(
            f"{size:>8}{r['devices']:>9.0f}{r['shards']:>6.0f}{r['wall_s']:>9.1f}"
            f"{r['devices'] / r['wall_s']:>11.1f}{r['cpu_s'] / r['devices'] * 1000:>12.2f}"
            f"{r['peak_mib']:>10.1f}{r['peak_mib'] * 1024 / r['devices']:>9.1f}"
        )
    if len(rows) >= 2:
        small, large = rows[min(rows)], rows[max(rows)]
        cpu = (large["cpu_s"] / large["devices"]) / (small["cpu_s"] / small["devices"])
        mem = (large["peak_mib"] / large["devices"]) / (small["peak_mib"] / small["devices"])
        print(
            f"ratio {max(rows)}/{min(rows)} schools: CPU per device {cpu:.2f}x, "
            f"memory per device {mem:.2f}x (aim: CPU within 1.2x; memory per device bounded)"
        )


if __name__ == "__main__":
    main()
