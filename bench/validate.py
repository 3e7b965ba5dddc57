#!/usr/bin/env python3
"""Benchmark: validate a generated 1,000-school city, against the naive way, in one run.

    .venv/bin/python bench/validate.py                 # 1,000 schools
    .venv/bin/python bench/validate.py --schools 200   # quicker
    .venv/bin/python bench/validate.py --distinct-layouts   # a city's true first run

provision's way: C YAML parser with lazy positions, schemas compiled (and $refs inlined)
once, every semantic rule including the coverage geometry of every zone. Its coverage cache
(provision/coverage/cache.py) starts empty in a directory of this run: the first provision
row fills it ("cold"), the second reads it ("warm"), as a pipeline's next run would. A
generated city repeats each tier's site plan, so even the cold row reads most areas from
entries its own earlier schools wrote; `--distinct-layouts` moves every school's plan by an
offset of its own (citygen's `distinct_layouts`), so the cold row computes every area's
geometry, as a real city's first run does; `--no-cache` measures the geometry in full.
The naive way: per file, yaml.safe_load and jsonschema.validate, which re-checks and
re-compiles the schema on every call; it does no semantic rule and no geometry at all.

Each way runs in its own process so peak memory is its own. Prints schools/s, wall and CPU
seconds, peak RSS, and the ratio. A benchmark, not a test: nothing here asserts a time.
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


def _measure(func) -> dict[str, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    count = func()
    return {
        "schools": count,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_provision(city: Path, workers: int | None) -> int:
    from provision.validate import validate

    result = validate(city, workers=workers)
    if result.errors:
        raise SystemExit(f"generated city has {len(result.errors)} errors")
    return len(result.inventory.schools)


def run_naive(city: Path, limit: int) -> int:
    import jsonschema
    import yaml

    from provision.schemas import registry, schema

    school_schema = schema("school.schema.json")
    files = sorted((city / "schools").glob("*.yaml"))[:limit]
    for path in files:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        jsonschema.validate(doc, school_schema, registry=registry())
    return len(files)


def child(args: argparse.Namespace) -> None:
    import os

    if args.cache_dir:
        os.environ["PROVISION_CACHE_DIR"] = str(args.cache_dir)
    else:
        os.environ["PROVISION_CACHE"] = "off"
    if args.mode == "naive":
        stats = _measure(lambda: run_naive(args.city, args.naive_limit))
    else:
        workers = 1 if args.mode == "provision-1" else None
        stats = _measure(lambda: run_provision(args.city, workers))
    # CPU of worker processes, if any, is counted too.
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats["cpu_s"] += kids.ru_utime + kids.ru_stime
    print(json.dumps(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument(
        "--naive-limit",
        type=int,
        default=None,
        help="validate only this many files the naive way (default: all)",
    )
    parser.add_argument("--mode", choices=["provision", "provision-1", "naive"])
    parser.add_argument("--city", type=Path)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-cache", action="store_true", help="validate without the coverage cache"
    )
    parser.add_argument(
        "--distinct-layouts",
        action="store_true",
        help="give every school a site plan of its own (no two share a cache entry)",
    )
    args = parser.parse_args()
    if args.mode:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        from provision.citygen import write_city

        write_city(city, args.schools, distinct_layouts=args.distinct_layouts)
        limit = args.naive_limit or args.schools
        rows = {}
        for mode in ("provision", "provision-1", "naive"):
            cache = [] if args.no_cache else ["--cache-dir", str(Path(tmp) / "cache")]
            cmd = [
                sys.executable,
                __file__,
                "--mode",
                mode,
                "--city",
                str(city),
                "--naive-limit",
                str(limit),
                *cache,
            ]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            rows[mode] = json.loads(out.strip().splitlines()[-1])
    layouts = "every school its own site plan" if args.distinct_layouts else "tier site plans"
    print(
        f"validate a generated {args.schools}-school city "
        f"({args.schools} files + city.yaml; {layouts})"
    )
    print(
        f"{'way':<30}{'schools':>8}{'schools/s':>11}{'wall s':>9}{'CPU s':>8}{'CPU ms/school':>15}"
        f"{'peak MiB':>10}"
    )
    for mode, label in (
        ("provision", "provision (all cores)" + ("" if args.no_cache else ", cold")),
        ("provision-1", "provision (1 process)" + ("" if args.no_cache else ", warm")),
        ("naive", "naive (schema only)"),
    ):
        r = rows[mode]
        print(
            f"{label:<30}{r['schools']:>8.0f}{r['schools'] / r['wall_s']:>11.1f}"
            f"{r['wall_s']:>9.2f}{r['cpu_s']:>8.2f}{r['cpu_s'] / r['schools'] * 1000:>15.1f}"
            f"{r['peak_rss_mib']:>10.1f}"
        )
    fast, one, naive = rows["provision"], rows["provision-1"], rows["naive"]
    rate = lambda r: r["schools"] / r["wall_s"]  # noqa: E731
    print(f"ratio (schools/s, provision all cores / naive): {rate(fast) / rate(naive):.1f}x")
    print(f"ratio (schools/s, provision 1 process / naive): {rate(one) / rate(naive):.1f}x")
    cpu = lambda r: r["cpu_s"] / r["schools"]  # noqa: E731
    # On a busy machine wall time measures the neighbours too; CPU per school does not.
    print(f"ratio (CPU per school, naive / provision 1 process): {cpu(naive) / cpu(one):.1f}x")
    print("provision includes every semantic rule and the coverage geometry; naive does not.")
    if not args.no_cache:
        shared = "" if args.distinct_layouts else " (generated schools share site plans)"
        print(f"cold: cache empty at the start{shared}; warm: filled")


if __name__ == "__main__":
    main()
