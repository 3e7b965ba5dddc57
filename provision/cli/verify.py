"""provision verify: audit the selected schools, read-only, with reports people read."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from provision.cli.connect import connector
from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.options import (
    inventory_option,
    selection,
    selector_options,
    transport_options,
)
from provision.cli.param_types import ALARM_THRESHOLD, DEVICE_TIMEOUT
from provision.cli.verify_report import (
    FORMATS,
    check_writable,
    format_of,
    print_report,
    report_inventory,
    write_report,
)
from provision.engine.nornir_run import DEFAULT_WORKERS
from provision.errors import ProvisionError
from provision.i18n import _
from provision.verify import CHECKS, parse_checks, verify
from provision.verify.model import ERROR, FAIL, CityReport, SchoolReport
from provision.verify.selftests.alarm import DEFAULT_THRESHOLD_S
from provision.verify.stream import SCHOOLS_FILE, RunDir, outlines

CHECK_FAILED = 2  # the run worked and found a problem: not the same as the run failing


@click.command("verify", cls=TranslatedCommand)
@inventory_option
@selector_options
@transport_options
@click.option("--lab", is_flag=True, help="Audit the running lab instead of the field.")
@click.option(
    "--checks",
    "checks_text",
    metavar="LIST",
    help="Comma-separated checks to run.",
    show_default=",".join(CHECKS),
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--out",
    "outs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a report file; its format follows the suffix (.html, .xml = JUnit, .json, "
    ".md, .txt, .pdf = the HTML report on A4, printed by headless Chromium). Repeatable: "
    "one run, several reports.",
)
@click.option(
    "--secrets",
    type=click.Path(dir_okay=False, exists=True),
    help="File of NAME=VALUE secrets (mode 600), read before the environment.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Device operations running at once (per process with --dask). Device I/O waits on "
    "the network, so up to twice as many schools and ten times as many devices are in flight, "
    "most of them waiting; parsing SOAP answers is CPU work under one GIL: on 2 cores more "
    "than ~20 at once contend more than they overlap; use --dask to use more cores or "
    "machines. 1: one school at a time, in inventory order.",
)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each school's report to DIR/schools.jsonl as it finishes (and DIR/run.json); "
    "the reports are built from it at the end. An interrupted run keeps what finished.",
)
@click.option(
    "--resume",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    metavar="DIR",
    help="Continue the run in DIR: skip the schools it holds, verify the rest. Inventory, "
    "checks, selectors and threshold default to the run's own.",
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    help="Dispatch schools to the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' "
    "for a LocalCluster of this machine's cores. Workers read secrets from their own "
    "environment.",
)
@click.option(
    "--worker-inventory",
    metavar="PATH",
    help="With --dask: the inventory's path on the workers [default: its absolute path here].",
)
@click.option(
    "--timeout",
    type=DEVICE_TIMEOUT,
    default=10.0,
    show_default=True,
    help="Seconds per device operation.",
)
@click.option(
    "--alarm-threshold",
    type=ALARM_THRESHOLD,
    default=DEFAULT_THRESHOLD_S,
    show_default=True,
    help="Seconds within which a test alarm must reach the precinct.",
)
def command(
    inventory: str,
    lab: bool,
    checks_text: str | None,
    fmt: str,
    outs: tuple[Path, ...],
    secrets: str | None,
    workers: int,
    run_dir: Path | None,
    resume: Path | None,
    dask: str | None,
    worker_inventory: str | None,
    timeout: float,
    alarm_threshold: float,
    **selectors: tuple[str, ...],
) -> int:
    """Audit every selected school: devices answer, settings match, feeds reach the precinct,
    every zone is really watched, the one-button alarm really reaches the police and how fast,
    budgets hold and the tier's standard is met. Changes no device setting: the alarm test is a
    Contact ID 601 the centre records as a test.

    Exit status: 0 every check passed (warnings allowed), 2 a check failed, 1 the run failed.

    \b
    Examples:
      provision verify -i examples/dalian --lab
      provision verify -i inventory --checks coverage,alarm --out report.html
      provision verify -i inventory --out verify.xml --out report.html   # CI: JUnit + HTML
      provision verify -i inventory --out report.pdf   # A4, for the file (needs Chromium)
      provision verify -i inventory --run-dir runs/2025-06 --out report.html
      provision verify --resume runs/2025-06 --out report.html   # after an interruption
      provision verify -i /srv/inventory --dask tcp://scheduler:8786 --run-dir runs/city
    """
    if resume is not None:
        if run_dir is not None and run_dir.resolve() != resume.resolve():
            raise click.UsageError(_("--run-dir and --resume name different directories"))
        run_dir = resume
        inventory, checks_text, alarm_threshold, lab = _from_run(
            resume, inventory, checks_text, alarm_threshold, lab, selectors
        )
    _refuse_contradicting_dask_options(dask, secrets, worker_inventory)
    checks = parse_checks(checks_text)
    targets = [(path, format_of(path)) for path in outs]
    check_writable([kind for _, kind in targets])
    conn = connector(lab, secrets, timeout)
    total = [0]

    def progress(school: SchoolReport) -> None:
        total[0] += 1
        if fmt == "text" and not outs and sys.stderr.isatty():
            sys.stderr.write("\r" + _("{n} school(s) verified ").format(n=total[0]))
            sys.stderr.flush()

    report = verify(
        inventory,
        selection(selectors),
        conn,
        checks,
        workers,
        alarm_threshold,
        on_school=progress,
        run_dir=run_dir,
        resume=resume is not None,
        dask=dask,
        worker_inventory=worker_inventory,
    )
    if total[0] and sys.stderr.isatty() and fmt == "text" and not outs:
        sys.stderr.write("\n")
    if run_dir is not None:
        text = _("{n} school(s) verified in this session; {total} in {file}")
        click.echo(
            text.format(n=total[0], total=len(report.schools), file=run_dir / SCHOOLS_FILE),
            err=True,
        )
    _print_and_write_reports(report, fmt, targets, inventory)
    failed = any(c.verdict in (FAIL, ERROR) for s in outlines(report.schools) for c in s.checks)
    if not report.schools:
        raise ProvisionError(_("no school selected"))
    return CHECK_FAILED if failed else OK


def _refuse_contradicting_dask_options(
    dask: str | None, secrets: str | None, worker_inventory: str | None
) -> None:
    if dask is not None and secrets is not None:
        raise click.UsageError(
            "--secrets is not sent to Dask workers: export the secrets in each worker's "
            "environment instead"
        )
    if worker_inventory is not None and dask is None:
        raise click.UsageError(_("--worker-inventory needs --dask"))


def _print_and_write_reports(
    report: CityReport, fmt: str, targets: list[tuple[Path, str]], inventory: str
) -> None:
    """Every --out file first, then the report on stdout, then where the files went. Each is
    written as it is rendered, from `report.schools` one school at a time (a run's
    schools.jsonl is read back as the reports go through it, never held whole)."""
    kinds = {fmt} | {kind for _, kind in targets}
    where = report_inventory(inventory) if kinds & {"html", "pdf"} else None
    for path, kind in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_report(report, kind, inventory, path, where)
    print_report(report, fmt, inventory, where=where)
    for path, kind in targets:
        click.echo(_("{kind} report written to {path}").format(kind=kind, path=path), err=True)


def _from_run(
    run_dir: Path,
    inventory: str,
    checks_text: str | None,
    threshold: float,
    lab: bool,
    selectors: dict[str, tuple[str, ...]],
) -> tuple[str, str | None, float, bool]:
    """Options a resumed run takes from its run.json unless given; given ones must agree
    (verify compares them and refuses a different run)."""
    info = RunDir(run_dir).read_info()
    given = click.get_current_context().get_parameter_source
    if given("inventory") == ParameterSource.DEFAULT:
        inventory = info.inventory
    if given("checks_text") == ParameterSource.DEFAULT:
        checks_text = ",".join(info.checks)
    if given("alarm_threshold") == ParameterSource.DEFAULT:
        threshold = info.threshold
    if not any(selectors.values()):
        for name in selectors:
            selectors[name] = getattr(info.selection, name)
    done = len(RunDir(run_dir).done())
    text = _("resuming {run_dir}: {done} school(s) already verified")
    click.echo(text.format(run_dir=run_dir, done=done), err=True)
    return inventory, checks_text, threshold, lab or info.lab
