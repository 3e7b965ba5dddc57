#!/usr/bin/env python3
"""Benchmark: apply one ~40-camera school from factory state, instant and over a slow link.

    .venv/bin/python bench/school_apply.py                  # 0 ms against 50 ms, 3 runs each
    .venv/bin/python bench/school_apply.py --latency-ms 200 --workers 4

The school is the generated city's (provision.citygen) with the most cameras. For each
latency a fresh lab of that school alone is started (`start_lab`, as `provision lab up
--school` does), the lab's `latency_ms` fault is set on every device of it (each exchange that
much slower, half each way), and `provision apply --lab --yes` converges it from factory
settings, as an integrator runs it, in its own process. Prints the apply's wall time, devices
per second and the ratio against 0 ms (issue 16 aims at >= 0.8x): the devices' waits overlap
instead of adding up. A benchmark: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from city import set_latency  # the same fault on every lab device

LATENCY_AIM = 0.8
CITY_SCHOOLS = 3  # enough for one high school of ~40 cameras


def biggest_school(city_dir: Path) -> tuple[str, int]:
    from provision.inventory.loader import load_inventory

    city = load_inventory(city_dir).city
    assert city is not None
    school = max(city.schools, key=lambda s: len(s.cameras))
    return school.id, len(school.cameras)


def apply_once(
    city_dir: Path, school: str, latency_ms: int, workers: int, profile: bool = False
) -> dict[str, Any]:
    from provision.inventory.selectors import Selection
    from provision.lab.process import start_lab, stop_lab_processes

    with tempfile.TemporaryDirectory() as tmp:
        lab = Path(tmp) / "lab"
        state = start_lab(str(city_dir), lab, Selection(schools=(school,)), shards=None)
        try:
            if latency_ms:
                set_latency(state, latency_ms)
            env = {
                **os.environ,
                "PROVISION_LAB_DIR": str(lab),
                "PROVISION_JOURNAL": str(Path(tmp) / "journal.sqlite"),
                "PROVISION_LOCK_DIR": str(Path(tmp) / "locks"),
            }
            timeline = Path(tmp) / "timeline.json"
            if profile:  # the same command, each device's exchanges and times recorded
                env["PROVISION_PROFILE_OUT"] = str(timeline)
                command = [sys.executable, str(Path(__file__).parent / "apply_profile.py")]
            else:
                command = [sys.executable, "-m", "provision"]
            command += ["apply", "-i", str(city_dir)]
            command += ["--school", school, "--lab", "--yes", "--format", "json"]
            command += ["--workers", str(workers)]
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp)
            wall = time.perf_counter() - started
            rows = json.loads(timeline.read_text()) if profile and timeline.exists() else []
        finally:
            stop_lab_processes(lab)
    report = json.loads(done.stdout or "{}")
    devices = report.get("devices", [])
    failed = [f"{d['device']}: {d['error']}" for d in devices if d["status"] not in ("changed",)]
    return {
        "wall_s": wall,
        "devices": len(devices),
        "exit": done.returncode,
        "failed": failed,
        "timeline": rows,
    }


def print_profile(ms: int, rows: list[dict[str, Any]]) -> None:
    """Per kind: devices, exchanges (max), when they started and ended (max), on the run's
    clock; then the five devices that ended last: the critical path."""
    print(f"profile at {ms} ms (seconds from the first device's start):")
    print(f"{'kind':>12}{'devices':>9}{'exch max':>10}{'start max':>11}{'end max':>9}")
    kinds = sorted({r["kind"] for r in rows})
    for kind in kinds:
        mine = [r for r in rows if r["kind"] == kind]
        print(
            f"{kind:>12}{len(mine):>9}{max(r['exchanges'] for r in mine):>10}"
            f"{max(r['start_s'] for r in mine):>11.2f}{max(r['end_s'] for r in mine):>9.2f}"
        )
    for r in sorted(rows, key=lambda r: r["end_s"])[-5:]:
        print(
            f"  {r['device']}: {r['start_s']:.2f}-{r['end_s']:.2f} s, {r['exchanges']} "
            f"exchanges taking {r['exchange_s']:.2f} s"
        )
    if ms:
        # A device's own calls stay in order: its exchanges times the latency is a floor no
        # overlap across devices can lower (lanes count several exchanges at once, so the
        # stream pass is left out; the switch counts one per session operation, each of
        # several round trips, so its figure understates it).
        longest = max((r for r in rows if r["kind"] != "streams"), key=lambda r: r["exchanges"])
        print(
            f"  the longest chain in order: {longest['device']}, {longest['exchanges']} "
            f"exchanges x {ms} ms = {longest['exchanges'] * ms / 1000:.2f} s of waiting at least"
        )


def print_ceiling(ms: int, fast: dict[str, Any], slow_rows: list[dict[str, Any]]) -> None:
    """The best ratio the longest in-order chain allows: the instant run with its device phase
    stretched to that chain's waiting, if the chain is longer (all else overlapping perfectly).
    On a faster machine the instant run is shorter and the same chain weighs more."""
    longest = max((r for r in slow_rows if r["kind"] != "streams"), key=lambda r: r["exchanges"])
    chain_s = longest["exchanges"] * ms / 1000
    phase_s = max(r["end_s"] for r in fast["timeline"])
    best_s = fast["wall_s"] + max(0.0, chain_s - phase_s)
    print(
        f"ceiling: {longest['device']}'s {longest['exchanges']} exchanges in order take "
        f"{chain_s:.2f} s at {ms} ms against an instant device phase of {phase_s:.2f} s, so "
        f"this apply takes at least {best_s:.1f} s at {ms} ms: at best "
        f"{fast['wall_s'] / best_s:.2f}x on this machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="applies per latency, the two latencies taking turns; the median is compared "
        "(one apply's wall time varies by ~0.5 s on 2 cores)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="each device's exchanges and times, per latency"
    )
    args = parser.parse_args()
    from provision.citygen import write_city

    latencies = (0, args.latency_ms)
    runs: dict[int, list[dict[str, Any]]] = {ms: [] for ms in latencies}
    with tempfile.TemporaryDirectory() as tmp:
        city_dir = Path(tmp) / "city"
        write_city(city_dir, CITY_SCHOOLS)
        school, cameras = biggest_school(city_dir)
        for n in range(max(1, args.runs)):
            for ms in latencies if n % 2 == 0 else latencies[::-1]:
                runs[ms].append(apply_once(city_dir, school, ms, args.workers, args.profile))
    print(
        f"apply of {school} ({cameras} cameras) from factory settings, {args.workers} workers, "
        f"{len(runs[0])} run(s) per latency"
    )
    print(f"{'latency':>8}{'devices':>9}{'exit':>6}{'wall s min/median/max':>24}{'devices/s':>11}")
    median: dict[int, dict[str, Any]] = {}
    for ms, done in runs.items():
        walls = sorted(r["wall_s"] for r in done)
        median[ms] = r = sorted(done, key=lambda r: r["wall_s"])[len(done) // 2]
        spread = f"{walls[0]:.1f} / {r['wall_s']:.1f} / {walls[-1]:.1f}"
        print(
            f"{ms:>6}ms{r['devices']:>9}{max(d['exit'] for d in done):>6}{spread:>24}"
            f"{r['devices'] / r['wall_s']:>11.1f}"
        )
        for why in sorted({why for d in done for why in d["failed"]})[:5]:
            print(f"  at {ms} ms a device did not converge: {why[:200]}")
    for ms, r in median.items():
        if r["timeline"]:
            print_profile(ms, r["timeline"])
    fast, slow = median[0], median[args.latency_ms]
    ratio = (slow["devices"] / slow["wall_s"]) / (fast["devices"] / fast["wall_s"])
    if fast["timeline"] and slow["timeline"]:
        print_ceiling(args.latency_ms, fast, slow["timeline"])
    print(
        f"{args.latency_ms} ms per exchange: devices/s {ratio:.2f}x of the instant lab's, "
        f"medians (aim >= {LATENCY_AIM}x: {'met' if ratio >= LATENCY_AIM else 'NOT met'}); the "
        "wall time includes the command's start (imports, inventory), the same in both"
    )


if __name__ == "__main__":
    main()
