"""provision demo: the main job on the example city, showing what each step did."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from provision.diagnostics import problems_to_text
from provision.inventory.selectors import Selection
from provision.render import render_selection, write_rendered
from provision.validate import validate


@click.command("demo")
@click.option(
    "-i",
    "--inventory",
    default="examples/dalian",
    show_default=True,
    type=click.Path(file_okay=False),
    help="City inventory to run on.",
)
@click.option(
    "--out",
    default="out/demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write results.",
)
def command(inventory: str, out: Path) -> None:
    """Run the main job on the example city: validate it, then render every school's configs.

    \b
    Example:
      provision demo -i examples/dalian --out out/demo
    """
    started = time.perf_counter()
    click.echo(f"== validate {inventory}")
    result = validate(inventory)
    if result.problems:
        click.echo(problems_to_text(result.problems))
    schools = result.inventory.schools
    devices = sum(1 for s in schools for _ in s.devices())
    click.echo(
        f"   {len(schools)} schools, {devices} devices: {'valid' if result.ok() else 'INVALID'}"
    )
    if not result.ok():
        sys.exit(1)
    click.echo(f"== render every school into {out}/")
    written = write_rendered(render_selection(inventory, Selection()), out)
    for school in schools:
        tiers = f"{school.tier:<12} {school.district:<10} {school.precinct:<12}"
        counts = (
            f"{len(school.cameras):>3} cameras {len(school.alarms)} alarms "
            f"{len(school.led_boards)} LED"
        )
        click.echo(f"   {school.id:<14} {tiers} {counts}")
    click.echo(f"   {written} files written in {time.perf_counter() - started:.1f}s")
    click.echo(f"== done: look at {out}/<school>/switch/*.cfg for the uplink configs")
