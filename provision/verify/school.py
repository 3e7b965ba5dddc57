"""One school's audit: gather its devices, then run its checks. The unit of work that local
threads and Dask workers both run, so a school is verified the same way wherever it runs.

A check that breaks becomes that check's "error" verdict for that school only. Nothing here
changes a setting: the only things verify makes happen are a 601 test alarm per panel and a
short RTSP play of each forwarded feed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from provision.drivers.connect import Connector
from provision.errors import ProvisionError
from provision.inventory.model import City, School
from provision.verify.checks import budgets, coverage, drift, policy, reachability
from provision.verify.gather import DeviceState, gather
from provision.verify.model import CHECKS, ERROR, CheckResult, SchoolReport
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
    """Run the chosen checks on a school whose device states are already gathered."""
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


def audit_school(
    city: City,
    school: School,
    connector: Connector,
    checks: tuple[str, ...],
    threshold: float,
    device_workers: int,
) -> SchoolReport:
    """Gather one school's devices (`device_workers` at once), then check it. Its device
    states live only as long as this call, so memory is bounded by the schools in flight."""
    states = (
        gather(city, [school], connector, device_workers).get(school.id, {})
        if NEEDS_STATE & set(checks)
        else {}
    )
    return verify_school(city, school, connector, checks, states, threshold)
