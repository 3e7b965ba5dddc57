"""One school's audit: gather its devices, then run its checks. The unit of work that local
threads and Dask workers both run, so a school is verified the same way wherever it runs.

An `AuditJob` is what every school of a run shares (city, connector, the checks, the alarm
threshold, how many device operations at once); `audit_school(job, school)` is the whole
audit of one school. A check that breaks becomes that check's "error" verdict for that school
only. Nothing here changes a setting: the only things verify makes happen are a 601 test alarm
per panel and a short RTSP play of each forwarded feed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from provision.drivers.connect import Connector
from provision.drivers.pacing import shared_gate
from provision.i18n import _
from provision.inventory.model import City, School
from provision.verify.contract import Check, CheckContext, CheckRegistry
from provision.verify.gather import DeviceState, gather
from provision.verify.model import ERROR, CheckResult, SchoolReport
from provision.verify.registry import REGISTRY
from provision.verify.selftests.alarm import DEFAULT_THRESHOLD_S


@dataclass(frozen=True, slots=True)
class AuditJob:
    """What auditing any school of one run takes, besides the school."""

    city: City
    connector: Connector
    checks: tuple[str, ...]  # names, as chosen (`registry.parse`)
    threshold: float = DEFAULT_THRESHOLD_S  # seconds the alarm self-test waits for a receipt
    workers: int = 1  # device operations at once; a runner splits them among its schools
    registry: CheckRegistry = REGISTRY
    # Devices running Python at once in the whole process (the run's --workers; 0: `workers`):
    # the slots the schools in flight share while up to `workers x OVERLAP` devices of each
    # school wait on the network (engine.nornir_run).
    cpu_slots: int = 0

    @property
    def needs_state(self) -> bool:
        """Does any chosen check read the devices' gathered state?"""
        return bool(self.registry.needs_state & set(self.checks))


def _timed(check: Check, ctx: CheckContext) -> CheckResult:
    started = time.perf_counter()
    try:
        result = check.run(ctx)
    except Exception as exc:  # the check itself broke: say so, run the others
        result = CheckResult(check.name, ERROR, _("the check could not run: {exc}").format(exc=exc))
    result.seconds = time.perf_counter() - started
    return result


def verify_school(job: AuditJob, school: School, states: dict[str, DeviceState]) -> SchoolReport:
    """Run the chosen checks on a school whose device states are already gathered: each after
    the checks it reads, the results in report order."""
    report = SchoolReport(school.id, school.name, school.tier, school.district, school.precinct)
    results: dict[str, CheckResult] = {}
    for check in job.registry.execution_order(job.checks):
        earlier = {name: results[name] for name in check.after if name in results}
        ctx = CheckContext(
            job.city, school, job.connector, states, job.threshold, check.after, earlier
        )
        results[check.name] = _timed(check, ctx)
    report.checks = [results[name] for name in job.registry.report_order(results)]
    return report


def audit_school(job: AuditJob, school: School) -> SchoolReport:
    """Gather one school's devices (`job.workers` at once), then check it. Its device states
    live only as long as this call, so memory is bounded by the schools in flight."""
    states = (
        gather(
            job.city,
            [school],
            job.connector,
            job.workers,
            gate=shared_gate(job.cpu_slots or job.workers),
        ).get(school.id, {})
        if job.needs_state
        else {}
    )
    return verify_school(job, school, states)
