"""provision demo: the main job, end to end, on the built-in lab.

Starts the lab for the example city with four faults a real city has on any given day (an
obstructed camera, a dead alarm panel, a feed the precinct cannot pull, a camera whose GB/T
28181 password differs from its platform's, so it cannot register), then validates,
plans, applies and verifies, writes the HTML report, says what failed and why, and stops the
lab. Everything it writes stays under --out.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
import yaml

from provision.cli.errors import FAILED, OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.language import follow_city_locale
from provision.cli.verify_report import render
from provision.diagnostics import problems_to_text
from provision.engine.journal import Journal
from provision.engine.runs import apply, plan
from provision.engine.signals import stop_on_signals
from provision.i18n import _
from provision.inventory.selectors import Selection
from provision.lab.connector import LabConnector
from provision.lab.process import start_lab, stop_lab
from provision.reports.runs import summary_line
from provision.reports.verify import to_text
from provision.validate import validate
from provision.verify import labels, verify
from provision.verify.model import CityReport

DEMO_FAULTS = {
    "dl-zs-h024/gate-face": {"obstructed": True},
    "dl-zs-p007/teach-sos": {"dead": True},
    "dl-xg-k003/gate-plaza-w": {"rtsp_down": True},
    "dl-zs-p007/gate-plaza-w": {"sip_wrong_password": True},
}


def _step(text: str) -> float:
    click.secho(f"== {text}", bold=True)
    return time.perf_counter()


def _done(started: float, text: str) -> None:
    click.echo(f"   {text} ({time.perf_counter() - started:.1f}s)")


@click.command("demo", cls=TranslatedCommand)
@click.option(
    "-i",
    "--inventory",
    default="examples/dalian",
    show_default=True,
    type=click.Path(file_okay=False),
    callback=follow_city_locale,
    help="City inventory to run on.",
)
@click.option(
    "--out",
    default="out/demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write results.",
)
@click.option("--no-faults", is_flag=True, help="Start the lab without the demo's faults.")
def command(inventory: str, out: Path, no_faults: bool) -> int:
    """Run the main job on the built-in lab: lab up (with a few faults), validate, plan,
    apply, verify, HTML report, lab down.

    \b
    Example:
      provision demo -i examples/dalian --out out/demo
    """
    begun = time.perf_counter()
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # The demo keeps its lab, journal and locks to itself, away from the user's own.
    os.environ["PROVISION_LOCK_DIR"] = str(out / "locks")
    faults_file = out / "faults.yaml"
    faults_file.write_text(yaml.safe_dump({} if no_faults else DEMO_FAULTS), encoding="utf-8")

    t = _step(_("validate {inventory}").format(inventory=inventory))
    result = validate(inventory)
    if result.errors:
        click.echo(problems_to_text(result.problems))
        return FAILED
    schools = result.inventory.schools
    devices = sum(1 for s in schools for _device in s.devices())
    _done(
        t,
        _("{schools} schools, {devices} devices, {warnings} warning(s), no errors").format(
            schools=len(schools), devices=devices, warnings=len(result.warnings)
        ),
    )

    t = _step(_("lab up: every device and precinct service, simulated over its real protocol"))
    lab_dir = out / "lab"
    state = start_lab(inventory, lab_dir, Selection(), str(faults_file))
    os.environ["PROVISION_LAB_DIR"] = str(lab_dir)
    try:
        faults = (
            ", ".join(f"{d} {next(iter(f))}" for d, f in DEMO_FAULTS.items())
            if not no_faults
            else _("none")
        )
        _done(
            t,
            _("{devices} lab devices; faults: {faults}").format(
                devices=len(state["devices"]), faults=faults
            ),
        )
        _run(inventory, out)
    finally:
        t = _step(_("lab down"))
        stop_lab(lab_dir)
        _done(t, _("stopped"))
    click.echo(_("demo finished in {seconds:.0f}s").format(seconds=time.perf_counter() - begun))
    return OK


def _run(inventory: str, out: Path) -> None:
    conn = LabConnector(timeout=10.0)
    t = _step(_("plan: read every device, compare with the inventory"))
    planned = plan(inventory, Selection(), conn)
    _done(t, summary_line(planned))

    t = _step(_("apply: converge every device, journaled"))
    journal = Journal(out / "journal.sqlite")
    try:
        with stop_on_signals() as stop:  # Ctrl-C finishes the devices in flight, then stops
            applied = apply(inventory, Selection(), conn, journal, stop=stop)
    finally:
        journal.close()
    _done(t, _("{summary}; run {run}").format(summary=summary_line(applied), run=applied.run_id))
    for o in applied.failed:
        click.echo(f"   ! {o.device}: {o.error}")

    t = _step(
        _("verify: coverage and alarm self-tests, streams, drift, budgets, recordings, policy")
    )
    report = verify(inventory, Selection(), conn)
    html = out / "report.html"
    html.write_text(render(report, "html", inventory), encoding="utf-8")
    (out / "report.json").write_text(render(report, "json", inventory), encoding="utf-8")
    _done(t, _("{n} schools audited").format(n=len(report.schools)))
    click.echo(to_text(report))
    click.secho("\n" + _("Report: {path}").format(path=html), bold=True)
    _explain(report)


def _explain(report: CityReport) -> None:
    """Tie each failure back to the fault the demo set, and say if anything else failed."""
    failures = [
        (s.school, c.check, f) for s in report.schools for c in s.checks for f in c.failures
    ]
    explained: set[int] = set()
    click.secho(_("What the demo broke, and what verify found:"), bold=True)
    for device, faults in DEMO_FAULTS.items():
        school, name = device.split("/", 1)
        hits = [
            (i, check, f)
            for i, (sid, check, f) in enumerate(failures)
            # policy restates the other checks' verdicts for the school
            if sid == school and (name in f.subject or name in f.message or check == "policy")
        ]
        explained |= {hit[0] for hit in hits}
        click.echo(f"  {device} ({', '.join(faults)}):")
        for _index, check, finding in hits:
            click.echo(f"    {labels.check(check)}: {finding.subject}: {finding.message}")
    rest = [(sid, check, f) for i, (sid, check, f) in enumerate(failures) if i not in explained]
    if rest:
        click.secho(_("Other failures:"), bold=True)
        for sid, check, finding in rest:
            click.echo(f"  {sid} {labels.check(check)}: {finding.subject}: {finding.message}")
    else:
        click.echo(_("Everything else passed."))
