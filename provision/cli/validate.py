"""provision validate: every schema and semantic problem of a city, with file:line:column."""

from __future__ import annotations

import click

from provision.cli.errors import FAILED, OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.options import inventory_option
from provision.diagnostics import problems_to_json, problems_to_text
from provision.i18n import _, ngettext
from provision.inventory.loader import school_files
from provision.validate import validate


@click.command("validate", cls=TranslatedCommand)
@inventory_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def command(inventory: str, fmt: str, strict: bool) -> int:
    """Check a city inventory against its schemas and rules; touches no device.

    Reports every problem in one run, each with file:line:column and its YAML path: schema
    errors, duplicate names and addresses, unknown references, bad polygons, unset secrets
    (warnings), uplink and storage budgets, LED text that does not fit, and zones whose
    planned coverage is below the tier's standard.

    Exit status: 0 valid, 1 invalid (with --strict, warnings count too).

    \b
    Examples:
      provision validate -i examples/dalian
      provision validate -i inventory --format json --strict > problems.json
    """
    result = validate(inventory)
    schools = len(result.inventory.schools)
    if fmt == "json":
        click.echo(problems_to_json(result.problems, schools=schools, strict=strict))
    else:
        if result.problems:
            click.echo(problems_to_text(result.problems))
        verdict = _("valid") if result.ok(strict) else _("INVALID")
        # Schools whose city.yaml or own file is broken are not built, but they were checked.
        files = max(schools, len(school_files(result.inventory.root)))
        line = ngettext(
            "{inventory}: {n} school checked: {verdict}",
            "{inventory}: {n} schools checked: {verdict}",
            files,
        )
        click.echo(line.format(inventory=inventory, n=files, verdict=verdict), err=True)
    return OK if result.ok(strict) else FAILED
