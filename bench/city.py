#!/usr/bin/env python3
"""Benchmark: verify generated 45- and 450-school cities on sharded labs, locally and on Dask.

    .venv/bin/python bench/city.py                   # 45 and 450 schools, local + Dask (~10 min)
    .venv/bin/python bench/city.py --sizes 12 45     # quicker
    .venv/bin/python bench/city.py --no-dask         # the local runner only
    .venv/bin/python bench/city.py --no-dask --reports   # and the final reports written
    .venv/bin/python bench/city.py --sizes 45 --no-dask --latency-ms 50
                                                     # also at 50 ms per exchange, same lab

Each city gets one lab started as `provision lab up` starts it (`start_lab(shards=None)`: as
many processes as keep each within 15,000 listening sockets, split by district). Its alarm
panels are configured first, so the alarm self-test times real DC-09 deliveries; the other
devices stay at factory settings, so drift and coverage find plenty: the cost measured is
verify's own, whatever the verdicts. Each verify runs in a child process so its CPU and peak
memory are its own, not the labs'. The Dask run verifies the largest city on a LocalCluster of
two worker processes started before the clock; its CPU is the client's plus the workers'.

Prints devices/s, CPU per device and peak memory per process (the verify process, each Dask
worker, each lab shard), then the ratios between sizes and runners against the aims: CPU per
device within 1.2x from the smallest to the largest city, the verify process's peak memory
flat in the number of schools, the Dask run within 1.3x of the local run's throughput.
With `--latency-ms N` each city is also verified, in the same run and on the same lab, with
the lab's `latency_ms` fault on every device (each exchange N ms slower, half each way, as a
precinct WAN or a busy camera answers): the devices/s at N ms against 0 ms is the figure
issue 16 aims at (>= 0.8x).
A benchmark: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

DASK_WORKERS = 2
VERIFY_WORKERS = 20
ALARM_THRESHOLD_S = 10.0  # generous: the labs share two cores with verify
CPU_AIM, MEMORY_AIM, DASK_AIM = 1.2, 1.25, 1.3
LATENCY_AIM = 0.8  # devices/s at the latency against 0 ms
REPORTS = {"text": ".txt", "json": ".json", "junit": ".xml", "markdown": ".md", "html": ".html"}


# --- in the verify child process ----------------------------------------------------------------


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        line = next(x for x in fh if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _usage() -> dict[str, float]:
    """This process's CPU seconds and peak RSS (MiB); also what each Dask worker reports.
    The peak is VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's RSS when it
    forked (the benchmark process, which has loaded the whole city to configure its panels)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/status", encoding="ascii") as fh:
        line = next(x for x in fh if x.startswith("VmHWM:"))
    return {"cpu_s": own.ru_utime + own.ru_stime, "peak_mib": int(line.split()[1]) / 1024}


def write_final_reports(report: Any, inventory: Path, out: Path) -> float:
    """The reports `verify --out` writes (every format but the PDF), as the CLI writes them;
    their seconds."""
    from provision.cli.verify_report import report_inventory, write_report

    started, where = time.perf_counter(), report_inventory(str(inventory))
    for kind, suffix in REPORTS.items():
        write_report(report, kind, str(inventory), out / f"report{suffix}", where)
    return time.perf_counter() - started


def _summarise(report: Any) -> dict[str, Any]:
    devices = [
        device
        for school in report.schools
        for check in school.checks
        if check.check == "reachability"
        for device in check.evidence.get("devices", {}).values()
    ]
    down = [f"{d['kind']}: {d['error']}" for d in devices if not d["reachable"]]
    return {"schools": len(report.schools), "devices": len(devices), "unreachable": down}


def run_verify(city_dir: Path, runner: str, workers: int, reports: bool) -> dict[str, Any]:
    from provision.inventory.selectors import Selection
    from provision.lab.connector import LabConnector
    from provision.verify import verify

    in_run = [0.0]  # the process's RSS as schools finish: what streaming keeps bounded

    def sample(_school: Any) -> None:
        in_run[0] = max(in_run[0], _rss_mib())

    def audit(dask: str | None) -> dict[str, Any]:
        # As a city-wide audit runs: each school streamed to a run directory as it finishes.
        # The report reads its schools back from there as it goes: summarised before it goes.
        kwargs: dict[str, Any] = {"dask": dask} if dask else {}
        with tempfile.TemporaryDirectory() as run_dir:
            report = verify(
                city_dir,
                Selection(),
                LabConnector(),
                workers=workers,
                threshold=ALARM_THRESHOLD_S,
                on_school=sample,
                run_dir=Path(run_dir) / "run",
                **kwargs,
            )
            summary = _summarise(report)
            if reports:  # after the clock: verify's own time stays comparable
                summary["reports_s"] = write_final_reports(report, city_dir, Path(run_dir))
            return summary

    if runner == "local":
        before, wall = _usage(), time.perf_counter()
        summary = audit(None)
        wall, after = time.perf_counter() - wall - summary.get("reports_s", 0.0), _usage()
        return {
            **summary,
            "wall_s": wall,
            "cpu_s": after["cpu_s"] - before["cpu_s"],
            "peaks": {"verify": after["peak_mib"], "verify in run": in_run[0]},
        }
    from distributed import Client, LocalCluster

    try:
        from provision.verify.dask_runner import SCHOOLS_PER_LOCAL_WORKER as threads
    except ImportError:
        threads = 10
    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=DASK_WORKERS,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        cluster_s = time.perf_counter() - started
        workers_before = client.run(_usage)
        before, wall = _usage(), time.perf_counter()
        summary = audit(cluster.scheduler_address)
        wall, after = time.perf_counter() - wall, _usage()
        workers_after = client.run(_usage)
    worker_cpu = sum(workers_after[w]["cpu_s"] - workers_before[w]["cpu_s"] for w in workers_after)
    peaks = {"dask client": after["peak_mib"], "dask client in run": in_run[0]}
    peaks |= {f"dask worker {n}": w["peak_mib"] for n, w in enumerate(workers_after.values())}
    return {
        **summary,
        "wall_s": wall,
        "cpu_s": after["cpu_s"] - before["cpu_s"] + worker_cpu,
        "cluster_start_s": cluster_s,
        "peaks": peaks,
    }


# --- in the benchmark process -------------------------------------------------------------------


def configure_alarms(city_dir: Path) -> int:
    """Point every panel at its precinct's receiver, so the alarm self-test has real work."""
    from provision.drivers.base import Target
    from provision.drivers.registry import driver_class
    from provision.inventory.loader import load_inventory
    from provision.lab.connector import LabConnector

    city = load_inventory(city_dir).city
    assert city is not None
    targets = [Target(city, s, panel, LabConnector()) for s in city.schools for panel in s.alarms]

    def configure(target: Target) -> None:
        # Each panel by its own protocol's driver (generic panels and AX PRO hubs alike).
        assert target.device is not None
        driver = driver_class("alarm", target.device.protocol)(target)
        try:
            driver.apply(driver.diff(driver.read(), driver.desired()))
        finally:
            driver.close()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(configure, targets))
    return len(targets)


def lab_peaks(state: dict[str, Any]) -> dict[str, float]:
    """Peak RSS (VmHWM, MiB) of each lab process so far."""
    shards = state.get("shards") or [{"shard": 0, "pid": state["pid"]}]
    peaks = {}
    for shard in shards:
        status = Path(f"/proc/{shard['pid']}/status").read_text(encoding="ascii")
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        peaks[f"lab shard {shard['shard']}"] = int(line.split()[1]) / 1024
    return peaks


def set_latency(state: dict[str, Any], ms: int) -> int:
    """The `latency_ms` fault on every device of every lab process; how many devices."""
    from provision.lab.process import call_control

    processes = state.get("shards") or [state]

    def one(item: tuple[str, str]) -> None:
        control, device = item
        call_control(control, "PUT", f"/api/devices/{device}/faults", {"latency_ms": ms})

    items = [(p["control"], device) for p in processes for device in p["devices"]]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, items))
    return len(items)


def child(city: Path, runner: str, workers: int, reports: bool = False) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--run",
            str(city),
            "--runner",
            runner,
            "--workers",
            str(workers),
            *(["--reports"] if reports else []),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(
    size: int, runners: list[str], workers: int, latency_ms: int = 0, reports: bool = False
) -> dict[str, dict[str, Any]]:
    from provision.citygen import write_city
    from provision.inventory.selectors import Selection
    from provision.lab.process import start_lab, stop_lab_processes

    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        city, lab = Path(tmp) / "city", Path(tmp) / "lab"
        write_city(city, size)
        started = time.perf_counter()
        try:
            state = start_lab(str(city), lab, Selection(), shards=None)
            lab_s = time.perf_counter() - started
            panels = configure_alarms(city)
            print(
                f"{size} schools: lab of {len(state.get('shards') or [state])} process(es), "
                f"{len(state['devices'])} devices up in {lab_s:.1f}s; {panels} panels set",
                file=sys.stderr,
                flush=True,
            )
            for runner in runners:
                rows[runner] = child(city, runner, workers, reports and runner == "local")
                print(f"  {runner}: {rows[runner]['wall_s']:.1f}s", file=sys.stderr, flush=True)
            if latency_ms:
                slow = f"local@{latency_ms}ms"
                set_latency(state, latency_ms)
                rows[slow] = child(city, "local", workers)
                print(f"  {slow}: {rows[slow]['wall_s']:.1f}s", file=sys.stderr, flush=True)
            shards = lab_peaks(state)
        finally:
            stop_lab_processes(lab)
    for row in rows.values():
        row["shards"] = len(shards)
        row["peaks"] |= shards
    return rows


def print_results(rows: dict[tuple[int, str], dict[str, Any]]) -> None:
    print(
        f"{'run':<16}{'schools':>8}{'devices':>9}{'down':>6}{'labs':>6}{'wall s':>9}"
        f"{'devices/s':>11}{'CPU ms/dev':>12}"
    )
    for (size, runner), r in rows.items():
        print(
            f"{runner + ' ' + str(size):<16}{r['schools']:>8}{r['devices']:>9}"
            f"{len(r['unreachable']):>6}{r['shards']:>6}{r['wall_s']:>9.1f}"
            f"{r['devices'] / r['wall_s']:>11.1f}{r['cpu_s'] / r['devices'] * 1000:>12.2f}"
        )
    print("peak memory per process (MiB):")
    for (size, runner), r in rows.items():
        peaks = ", ".join(f"{name} {mib:.0f}" for name, mib in r["peaks"].items())
        print(f"  {runner} {size}: {peaks}")
    for (size, runner), r in rows.items():
        for why in r["unreachable"][:5]:
            print(f"  {runner} {size}: a device did not answer: {why[:200]}")
    local = {size: r for (size, runner), r in rows.items() if runner == "local"}
    if len(local) >= 2:
        small, large = local[min(local)], local[max(local)]
        cpu = (large["cpu_s"] / large["devices"]) / (small["cpu_s"] / small["devices"])
        mem = large["peaks"]["verify in run"] / small["peaks"]["verify in run"]
        end = large["peaks"]["verify"] / small["peaks"]["verify"]
        print(
            f"ratio {max(local)}/{min(local)} schools ({max(local) / min(local):.0f}x): CPU per "
            f"device {cpu:.2f}x (aim <= {CPU_AIM}x: {'met' if cpu <= CPU_AIM else 'NOT met'}); "
            f"verify memory while verifying {mem:.2f}x (aim flat, <= {MEMORY_AIM}x: "
            f"{'met' if mem <= MEMORY_AIM else 'NOT met'}); its whole peak "
            + ("with the final reports written " if "reports_s" in large else "")
            + f"{end:.2f}x (aim <= 1.2x: {'met' if end <= 1.2 else 'NOT met'})"
        )
    for (size, runner), r in rows.items():
        if runner.startswith("local@") and size in local:
            ratio = (r["devices"] / r["wall_s"]) / (local[size]["devices"] / local[size]["wall_s"])
            cpu = (r["cpu_s"] / r["devices"]) / (local[size]["cpu_s"] / local[size]["devices"])
            print(
                f"{runner.removeprefix('local@')} per exchange at {size} schools: devices/s "
                f"{ratio:.2f}x of the instant lab's (aim >= {LATENCY_AIM}x: "
                f"{'met' if ratio >= LATENCY_AIM else 'NOT met'}); CPU per device "
                f"{cpu:.2f}x"
            )
        if runner == "dask" and size in local:
            slower = (local[size]["devices"] / local[size]["wall_s"]) / (r["devices"] / r["wall_s"])
            cpu = (r["cpu_s"] / r["devices"]) / (local[size]["cpu_s"] / local[size]["devices"])
            print(
                f"dask/local at {size} schools: local throughput {slower:.2f}x Dask's (aim <= "
                f"{DASK_AIM}x: {'met' if slower <= DASK_AIM else 'NOT met'}); CPU per device "
                f"{cpu:.2f}x; cluster of {DASK_WORKERS} workers started in "
                f"{r['cluster_start_s']:.1f}s (not in the wall time)"
            )


def dask_available() -> str | None:
    """Why verify cannot run on Dask here, or None when it can."""
    import inspect

    from provision.verify import verify

    if "dask" not in inspect.signature(verify).parameters:
        return "provision.verify.verify has no `dask` parameter yet (verify --dask)"
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "the `distributed` package is not installed"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[45, 450])
    parser.add_argument("--workers", type=int, default=VERIFY_WORKERS)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask run")
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="also verify with this latency on every device"
    )
    parser.add_argument(
        "--reports",
        action="store_true",
        help="the local verify also writes its final reports (every format but the PDF), "
        "after its clock stops: its peak memory then includes them",
    )
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runner", choices=["local", "dask"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_verify(args.run, args.runner, args.workers, args.reports)))
        return
    if not args.no_dask and (why := dask_available()):
        sys.exit(f"bench/city.py: cannot run the Dask part: {why}; use --no-dask")
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for size in sorted(args.sizes):
        runners = ["local"] + (["dask"] if size == max(args.sizes) and not args.no_dask else [])
        rows_of_size = measure(size, runners, args.workers, args.latency_ms, args.reports)
        for runner, row in rows_of_size.items():
            rows[size, runner] = row
    print_results(rows)


if __name__ == "__main__":
    main()
