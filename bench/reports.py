#!/usr/bin/env python3
"""Benchmark: the final reports of a city-wide verify, written from its schools.jsonl, at 45
and at 450 schools: peak memory and time per format.

    .venv/bin/python bench/reports.py                         # 45 and 450, PDF at 45 (~6 min)
    .venv/bin/python bench/reports.py --sizes 12 45 --no-pdf  # quicker
    .venv/bin/python bench/reports.py --seed /tmp/seed.jsonl  # reuse a seed run's results

The school results are genuine: a generated city of SEED_SCHOOLS schools is verified once
on the lab (its panels configured first, as bench/city.py does, the other devices left at
factory settings, so drift and coverage find plenty), and its schools.jsonl is kept as the
seed (`--seed FILE`: made once, then reused). Each benchmarked city (citygen's 45 or 450
schools, the same generator, so school k of the small city is school k of the large one) then
gets a run directory whose schools.jsonl holds, for each of its schools, the seed result of a
school of the same tier, renamed (id, name, district, precinct), in a shuffled order as a
real run appends schools as they finish.

Each size then runs in a fresh child process what `provision verify --resume DIR --out ...`
runs once every school is done: `verify(..., resume=True)` (the inventory validated, the run
read back), then the CLI's own report writers for every --out format and the text report on
stdout (sent to /dev/null). Prints the process's peak RSS (VmHWM) after reading back and after
each format, the seconds per format, and the 450/45 ratios. The PDF's Chromium is its own
processes: its peak is the largest Chromium process's over every part the PDF is printed in,
shown apart (RUSAGE_CHILDREN of a small wrapper that runs only Chromium: a child's ru_maxrss
starts at its forking parent's RSS); joining the parts is in the verify process's peak.
A benchmark: nothing here asserts a time or a size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEED_SCHOOLS = 8  # two of each tier; a multiple of 4, so school k takes seed k % 8's tier
ALARM_THRESHOLD_S = 10.0
MEMORY_AIM = 1.2
FORMATS = ("txt", "md", "json", "xml", "html", "pdf")
CHROMIUM_PEAK = "chromium-peak-mib"


def _hwm_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        line = next(x for x in fh if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# --- in the child process: one size's reports -------------------------------------------------


def write_reports(city: Path, run: Path, out: Path, formats: list[str]) -> dict[str, Any]:
    """What `verify --resume RUN --out out/report.<fmt>...` does once every school is done."""
    import os

    from provision.cli import verify_report
    from provision.inventory.selectors import Selection
    from provision.lab.connector import LabConnector
    from provision.verify import verify

    figures: dict[str, Any] = {"start_mib": _hwm_mib(), "formats": {}}
    started = time.perf_counter()
    report = verify(
        city,
        Selection(),
        LabConnector(),
        threshold=ALARM_THRESHOLD_S,
        run_dir=run,
        resume=True,
    )
    figures["read_back_s"] = time.perf_counter() - started
    figures["read_back_mib"] = _hwm_mib()
    out.mkdir(parents=True, exist_ok=True)
    if "pdf" in formats:
        measure_chromium(out)
    # As the CLI does: the inventory's city.yaml read once for the HTML and PDF reports.
    where = getattr(verify_report, "report_inventory", lambda _inventory: None)(str(city))
    for suffix in formats:
        path = out / f"report.{suffix}"
        clock = time.perf_counter()
        kind = verify_report.format_of(path)
        if where is None:  # before the reports streamed
            verify_report.write_report(report, kind, str(city), path)
        else:
            verify_report.write_report(report, kind, str(city), path, where)
        figures["formats"][suffix] = {
            "seconds": time.perf_counter() - clock,
            "peak_mib": _hwm_mib(),
            "bytes": path.stat().st_size,
        }
    clock = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        if hasattr(verify_report, "print_report"):
            verify_report.print_report(report, "text", str(city), devnull, where)
        else:  # before the reports streamed: the text report as one string
            devnull.write(verify_report.render(report, "text", str(city)))
    figures["formats"]["stdout"] = {
        "seconds": time.perf_counter() - clock,
        "peak_mib": _hwm_mib(),
        "bytes": 0,
    }
    peak = out / CHROMIUM_PEAK
    figures["chromium_mib"] = float(peak.read_text()) if peak.exists() else 0.0
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's RSS when it forked.
    figures["peak_mib"] = _hwm_mib()
    return figures


def measure_chromium(out: Path) -> None:
    """Print with Chromium through `--wrap`, which records its peak RSS in out/CHROMIUM_PEAK."""
    import os

    from provision.reports.pdf import find_chromium

    wrapper = out / "chromium-measured"
    wrapper.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" --wrap '
        f'"{out / CHROMIUM_PEAK}" "{find_chromium()}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    os.environ["PROVISION_CHROMIUM"] = str(wrapper)


def wrap(record: str, program: str, *args: str) -> int:
    """Run Chromium and record the peak RSS (MiB) of its largest process: this wrapper is
    small, so what RUSAGE_CHILDREN reports is Chromium's own, not a forking parent's. The PDF
    is printed in parts, a Chromium each: the record keeps the largest of them all."""
    code = subprocess.call([program, *args])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    path = Path(record)
    earlier = float(path.read_text()) if path.exists() else 0.0
    path.write_text(str(max(peak, earlier)))
    return code


# --- in the benchmark process -------------------------------------------------------------------


def make_seed(seed: Path) -> None:
    """Verify a SEED_SCHOOLS-school generated city on the lab; keep its schools.jsonl."""
    sys.path.insert(0, str(Path(__file__).parent))
    from city import configure_alarms  # bench/city.py: each panel by its own driver

    from provision.citygen import write_city
    from provision.inventory.selectors import Selection
    from provision.lab.connector import LabConnector
    from provision.lab.process import start_lab, stop_lab_processes
    from provision.verify import verify

    with tempfile.TemporaryDirectory() as tmp:
        city, lab, run = Path(tmp) / "city", Path(tmp) / "lab", Path(tmp) / "run"
        write_city(city, SEED_SCHOOLS)
        try:
            start_lab(str(city), lab, Selection(), shards=None)
            configure_alarms(city)
            clock = time.perf_counter()
            verify(
                city,
                Selection(),
                LabConnector(),
                workers=20,
                threshold=ALARM_THRESHOLD_S,
                run_dir=run,
            )
            print(
                f"seed: {SEED_SCHOOLS} schools verified on the lab in "
                f"{time.perf_counter() - clock:.1f}s",
                file=sys.stderr,
            )
        finally:
            stop_lab_processes(lab)
        seed.parent.mkdir(parents=True, exist_ok=True)
        seed.write_bytes((run / "schools.jsonl").read_bytes())


def build_run(seed: Path, city: Path, run: Path, size: int) -> None:
    """A finished run directory for citygen's `size`-school city, from the seed's results."""
    from provision.citygen import generated_schools, write_city
    from provision.inventory.loader import inventory_digest
    from provision.inventory.selectors import Selection
    from provision.validate import load_valid
    from provision.verify import CHECKS
    from provision.verify.stream import SCHOOLS_FILE, RunDir, RunInfo

    write_city(city, size)
    seeds = {raw["school"]: raw for raw in map(json.loads, seed.read_text().splitlines())}
    specs = generated_schools(max(size, SEED_SCHOOLS))
    seed_of = {k: specs[k % SEED_SCHOOLS] for k in range(size)}
    loaded, schools = load_valid(city, Selection())
    info = RunInfo(
        str(city.resolve()),
        loaded.id,
        inventory_digest(city, schools),
        CHECKS,
        Selection(),
        ALARM_THRESHOLD_S,
        True,
        time.time(),
        [{"started": "2026-12-06T00:00:00Z", "seconds": 600.0}],
    )
    RunDir(run).write_info(info)
    lines = []
    for k, (sid, name, _tier, district, precinct, _platform) in enumerate(specs[:size]):
        source = seeds[seed_of[k][0]]
        text = json.dumps(source, ensure_ascii=False, separators=(",", ":"))
        raw = json.loads(text.replace(source["school"], sid).replace(source["name"], name))
        raw.update(district=district, precinct=precinct)
        lines.append(json.dumps(raw, ensure_ascii=False, separators=(",", ":")) + "\n")
    random.Random(size).shuffle(lines)  # the order schools finish in, not the inventory's
    (run / SCHOOLS_FILE).write_text("".join(lines), encoding="utf-8")


def child(city: Path, run: Path, out: Path, formats: list[str]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(city), str(run), str(out)]
    done = subprocess.run(
        [*command, *formats], check=True, capture_output=True, text=True, env=_env()
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PROVISION_LANG": os.environ.get("PROVISION_LANG", "en")}


def print_results(rows: dict[int, dict[str, Any]]) -> None:
    for size, r in rows.items():
        print(
            f"{size} schools: process at start {r['start_mib']:.0f} MiB; verify --resume read "
            f"back in {r['read_back_s']:.1f}s, peak {r['read_back_mib']:.0f} MiB"
        )
        for name, f in r["formats"].items():
            print(
                f"  {name:<7}{f['seconds']:>7.2f}s  peak so far {f['peak_mib']:>6.0f} MiB  "
                f"{f['bytes'] / 1e6:>8.2f} MB"
            )
        chromium = r["chromium_mib"]
        children = f"; Chromium's largest process {chromium:.0f} MiB" if chromium else ""
        print(f"  peak RSS {r['peak_mib']:.0f} MiB{children}")
    if len(rows) >= 2:
        small, large = rows[min(rows)], rows[max(rows)]
        ratio = large["peak_mib"] / small["peak_mib"]
        back = large["read_back_mib"] / small["read_back_mib"]
        verdict = "met" if ratio <= MEMORY_AIM else "NOT met"
        print(
            f"ratio {max(rows)}/{min(rows)} schools: peak RSS with every report {ratio:.2f}x "
            f"(aim <= {MEMORY_AIM}x: {verdict}); after reading back, before the reports "
            f"{back:.2f}x; time of the reports both wrote "
            f"{_report_s(large, small) / _report_s(small, large):.1f}x"
        )
        if small["chromium_mib"] and large["chromium_mib"]:
            print(
                f"Chromium (PDF) largest process {small['chromium_mib']:.0f} -> "
                f"{large['chromium_mib']:.0f} MiB "
                f"({large['chromium_mib'] / small['chromium_mib']:.2f}x)"
            )


def _report_s(row: dict[str, Any], other: dict[str, Any]) -> float:
    return sum(f["seconds"] for name, f in row["formats"].items() if name in other["formats"])


def main() -> None:
    if sys.argv[1:2] == ["--wrap"]:
        sys.exit(wrap(*sys.argv[2:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[45, 450])
    parser.add_argument("--seed", type=Path, help="the seed run's schools.jsonl (made if absent)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF (Chromium)")
    parser.add_argument(
        "--pdf-sizes",
        type=int,
        nargs="*",
        help="print the PDF at these sizes only [default: the smallest]: at 450 schools it "
        "is some 5,000 pages, printed in parts, which takes minutes",
    )
    parser.add_argument("--keep", type=Path, help="write the cities, runs and reports here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        city, run, out, *formats = args.child
        print(json.dumps(write_reports(Path(city), Path(run), Path(out), formats)))
        return
    formats = [f for f in FORMATS if not (args.no_pdf and f == "pdf")]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        seed = args.seed or work / "seed.jsonl"
        if not seed.exists():
            make_seed(seed)
        rows = {}
        for size in sorted(args.sizes):
            where = work / str(size)
            build_run(seed, where / "city", where / "run", size)
            pdf = size in (args.pdf_sizes if args.pdf_sizes is not None else [min(args.sizes)])
            these = [f for f in formats if pdf or f != "pdf"]
            rows[size] = child(where / "city", where / "run", where / "out", these)
            print(f"{size} schools: reports written", file=sys.stderr, flush=True)
    print_results(rows)


if __name__ == "__main__":
    main()
