"""`provision verify` as a library call: audit the selected schools, read-only.

Each school is one unit of work (`school.audit_school`: gather its devices, run its checks),
run on threads here (`runner`) or on Dask workers (`dask_runner`); what the schools of a run
share is one `AuditJob`. The checks meet one contract (`contract.Check`) and are listed once,
in `registry`.

With a run directory (`stream`) each finished school is on disk at once and nothing keeps the
finished reports in memory, nor after the run: the CityReport's schools are a view of the
directory's schools.jsonl (`stream.StoredSchools`) that the reports read one school at a time;
an interrupted run is resumed where it stopped. Without one, reports are kept in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from provision.drivers.connect import Connector
from provision.engine.nornir_run import DEFAULT_WORKERS
from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.loader import files_digest, inventory_digest, school_files
from provision.inventory.model import School
from provision.inventory.selectors import Selection
from provision.validate import load_valid
from provision.verify.contract import Check, CheckContext, CheckRegistry
from provision.verify.model import CityReport, SchoolReport, format_started
from provision.verify.registry import CHECKS, NEEDS_STATE, REGISTRY, parse_checks
from provision.verify.runner import run_local
from provision.verify.school import AuditJob, audit_school, verify_school
from provision.verify.selftests import alarm
from provision.verify.stream import RunDir, RunInfo

__all__ = [
    "CHECKS",
    "NEEDS_STATE",
    "REGISTRY",
    "AuditJob",
    "Check",
    "CheckContext",
    "CheckRegistry",
    "SchoolsNotVerified",
    "audit_school",
    "parse_checks",
    "verify",
    "verify_school",
]


class SchoolsNotVerified(ProvisionError):
    """Schools that could not be verified at all (not a failed check: a broken run)."""

    def __init__(self, failures: dict[str, str], run_dir: Path | None) -> None:
        lines = [f"  {school}: {why}" for school, why in sorted(failures.items())]
        hint = (
            _(
                "\nwhat finished is kept in {run_dir}; `--resume {run_dir}` verifies the rest"
            ).format(run_dir=run_dir)
            if run_dir
            else ""
        )
        super().__init__(
            _("{n_failures} school(s) not verified:\n").format(n_failures=len(failures))
            + "\n".join(lines)
            + hint
        )
        self.failures = failures


def verify(
    root: str | Path,
    selection: Selection,
    connector: Connector,
    checks: tuple[str, ...] = CHECKS,
    workers: int = DEFAULT_WORKERS,
    threshold: float = alarm.DEFAULT_THRESHOLD_S,
    on_school: Callable[[SchoolReport], None] | None = None,
    *,
    run_dir: str | Path | None = None,
    resume: bool = False,
    dask: str | None = None,
    worker_inventory: str | None = None,
) -> CityReport:
    """Verify the selected schools. `run_dir`: stream each school's report to
    DIR/schools.jsonl (`resume`: continue the run there, skipping the schools it holds).
    `dask`: a scheduler address, or "local" for a LocalCluster; `worker_inventory` is the
    inventory's path on the workers when it is not `root`'s absolute path.
    `on_school` is called in the calling thread as each newly verified school finishes."""
    session_started, clock = time.time(), time.perf_counter()
    checks = REGISTRY.known(checks)  # a misspelt check is an error, never silently skipped
    if resume and run_dir is not None:
        wanted = RunInfo(
            str(Path(root).resolve()), "", "", checks, selection, threshold, connector.lab
        )
        finished = _finished_run(RunDir(run_dir), Path(root), wanted, session_started, clock)
        if finished is not None:
            return finished
    city, schools = load_valid(root, selection)
    if not schools:
        raise ProvisionError("no school selected")
    if resume and run_dir is None:
        raise ProvisionError("resume needs a run directory")
    order = [s.id for s in schools]
    report = CityReport(city.id, str(root), checks, lab=connector.lab)
    job = AuditJob(city, connector, checks, threshold, workers)

    def dispatch(todo: list[School], on_done: Callable[[SchoolReport], None]) -> dict[str, str]:
        def finished(school: SchoolReport) -> None:
            on_done(school)
            if on_school:
                on_school(school)

        if dask is None:
            return run_local(job, todo, finished)
        from provision.verify.dask_runner import WorkerJob, run_dask

        inventory = worker_inventory or str(Path(root).resolve())
        return run_dask(dask, WorkerJob.of(inventory, job), Path(root), todo, finished)

    if run_dir is None:
        kept: list[SchoolReport] = []
        failures = dispatch(schools, kept.append)
        position = {school_id: n for n, school_id in enumerate(order)}
        report.schools = sorted(kept, key=lambda s: position[s.school])
        report.started, report.seconds = session_started, time.perf_counter() - clock
    else:
        run = RunDir(run_dir)
        wanted = RunInfo(
            str(Path(root).resolve()),
            city.id,
            inventory_digest(Path(root), schools),
            checks,
            selection,
            threshold,
            connector.lab,
            session_started,
        )
        with run.writing():
            info = _open_run(run, wanted, resume)
            done = run.done()
            try:
                # run.append: each school is on disk before anyone else hears of it
                failures = dispatch([s for s in schools if s.id not in done], run.append)
            finally:  # an interrupted session still counts the time it spent
                info.sessions.append(
                    {
                        "started": format_started(session_started),
                        "seconds": round(time.perf_counter() - clock, 3),
                    }
                )
                run.write_info(info)
            report.schools = run.reports(order)
        report.started, report.seconds = info.started, info.seconds
    if failures:
        raise SchoolsNotVerified(failures, Path(run_dir) if run_dir is not None else None)
    return report


def _finished_run(
    run: RunDir, root: Path, wanted: RunInfo, session_started: float, clock: float
) -> CityReport | None:
    """The report of a run that holds every selected school, from its schools.jsonl, without
    loading the inventory; None when the run is not that (the full path then validates,
    verifies what is left or says why the run is another).

    When the files of the schools done hash to the run's digest (city.yaml and exactly the
    selected schools' files: `files_digest`), the inventory is byte for byte the one that
    was validated when the run started and every selected school is done: no device will be
    contacted, so nothing needs validating again, and the report needs only the schools'
    ids in inventory order. Validating would hold every school of the city at once (the
    city rules compare them all), the one part of writing the final reports that grew with
    the city's size."""
    if not run.exists():
        return None
    with run.writing():
        info = run.read_info()
        done = run.done()
        try:
            digest = files_digest(root, done)
        except OSError:
            return None
        if info.differences(replace(wanted, city=info.city, digest=digest)):
            return None
        files = school_files(root)
        if any(
            _may_be_selected(path.stem, wanted.selection) for path in files if path.stem not in done
        ):
            return None  # a school file the run has not seen (added since): only validating knows
        info.sessions.append(
            {
                "started": format_started(session_started),
                "seconds": round(time.perf_counter() - clock, 3),
            }
        )
        run.write_info(info)
        order = [path.stem for path in files if path.stem in done]
        report = CityReport(info.city, str(root), wanted.checks, lab=wanted.lab)
        report.schools = run.reports(order)
    report.started, report.seconds = info.started, info.seconds
    return report


def _may_be_selected(school_id: str, selection: Selection) -> bool:
    """Whether a school not yet read could be in `selection`: only a list of schools rules one
    out by its id alone; districts, tiers and precincts are in the file."""
    return not selection.schools or school_id in selection.schools


def _open_run(run: RunDir, wanted: RunInfo, resume: bool) -> RunInfo:
    """The run to continue (resume: it must be the same run) or a new one in an unused DIR."""
    if resume:
        info = run.read_info()
        differences = info.differences(wanted)
        if differences:
            raise ProvisionError(
                _("{path} is a different run; start a new one in another directory:\n  ").format(
                    path=run.path
                )
                + "\n  ".join(differences)
            )
        return info
    if run.exists() or run.done():
        raise ProvisionError(
            _(
                "{path} already holds a verify run: `--resume {path}` continues it, or "
                "give another directory"
            ).format(path=run.path)
        )
    run.write_info(wanted)
    return wanted
