"""`provision verify` as a library call: audit the selected schools, read-only.

Device state is gathered once for all schools (Nornir, threaded), then each school's checks run
in parallel; a check that breaks becomes that check's "error" verdict for that school only.
Verify changes no setting: the only things it makes happen are a 601 test alarm per panel and
a short RTSP play of each forwarded feed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from provision.drivers.connect import Connector
from provision.errors import ProvisionError
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.runs import DEFAULT_WORKERS, load_for_run
from provision.verify.checks import budgets, coverage, drift, policy, reachability
from provision.verify.gather import DeviceState, gather
from provision.verify.model import CHECKS, ERROR, CheckResult, CityReport, SchoolReport
from provision.verify.selftests import alarm, streams

NEEDS_STATE = {"reachability", "drift", "coverage", "budgets", "alarm"}


def parse_checks(text: str | None) -> tuple[str, ...]:
    if not text:
        return CHECKS
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in chosen if c not in CHECKS]
    if unknown:
        raise ProvisionError(f"unknown check(s) {', '.join(unknown)}; valid: {', '.join(CHECKS)}")
    return chosen


def _timed(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    started = time.perf_counter()
    try:
        result = run()
    except Exception as exc:  # the check itself broke: say so, run the others
        result = CheckResult(name, ERROR, f"the check could not run: {exc}")
    result.seconds = time.perf_counter() - started
    return result


def verify_school(
    city: City,
    school: School,
    connector: Connector,
    checks: tuple[str, ...],
    states: dict[str, DeviceState],
    threshold: float,
) -> SchoolReport:
    report = SchoolReport(school.id, school.name, school.tier, school.district, school.precinct)
    results: dict[str, CheckResult] = {}
    plan: dict[str, Callable[[], CheckResult]] = {
        "reachability": lambda: reachability.check(school, states),
        "drift": lambda: drift.check(school, states),
        "streams": lambda: streams.check(school, city, connector),
        "coverage": lambda: coverage.check(school, city, states),
        "alarm": lambda: alarm.check(school, city, connector, states, threshold),
        "budgets": lambda: budgets.check(school, city, states),
        "policy": lambda: policy.check(
            school, city, results.get("coverage"), results.get("budgets")
        ),
    }
    for name in CHECKS:  # policy last: it reads the coverage and budget verdicts
        if name in checks:
            results[name] = _timed(name, plan[name])
    report.checks = [results[name] for name in CHECKS if name in results]
    return report


def verify(
    root: str | Path,
    selection: Selection,
    connector: Connector,
    checks: tuple[str, ...] = CHECKS,
    workers: int = DEFAULT_WORKERS,
    threshold: float = alarm.DEFAULT_THRESHOLD_S,
    on_school: Callable[[SchoolReport], None] | None = None,
) -> CityReport:
    started = time.perf_counter()
    city, schools = load_for_run(root, selection)
    report = CityReport(city.id, str(root), checks, lab=connector.lab)
    states = (
        gather(city, schools, connector, workers)
        if NEEDS_STATE & set(checks)
        else {s.id: {} for s in schools}
    )

    def one(school: School) -> SchoolReport:
        result = verify_school(city, school, connector, checks, states[school.id], threshold)
        if on_school:
            on_school(result)
        return result

    # Schools wait mostly on the network (alarm receipts, stream plays): overlap them.
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(schools)))) as pool:
        report.schools = list(pool.map(one, schools))
    report.seconds = time.perf_counter() - started
    return report
