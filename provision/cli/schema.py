"""provision schema: write the inventory's JSON Schemas for editors and pipelines."""

from __future__ import annotations

from pathlib import Path

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.i18n import _
from provision.schemas import SCHEMA_FILES, schema_text


@click.command("schema", cls=TranslatedCommand)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write common/city/school .schema.json into.",
)
@click.option(
    "--kind",
    type=click.Choice(["city", "school", "common"]),
    default="school",
    show_default=True,
    help="Which schema to print when --out is not given.",
)
def command(out: Path | None, kind: str) -> int:
    """Print or write the JSON Schemas (Draft 2020-12) of city.yaml and school files.

    Point your editor at them; e.g. with the YAML language server, start a school file with
    `# yaml-language-server: $schema=../.schemas/school.schema.json`.

    \b
    Examples:
      provision schema --out .schemas/
      provision schema --kind city | jq .properties
    """
    if out is None:
        click.echo(schema_text(f"{kind}.schema.json"), nl=False)
        return OK
    out.mkdir(parents=True, exist_ok=True)
    for name in SCHEMA_FILES:
        (out / name).write_text(schema_text(name), encoding="utf-8")
        click.echo(_("wrote {path}").format(path=out / name), err=True)
    return OK
