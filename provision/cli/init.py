"""provision init: write a starter city a newcomer edits instead of starting from nothing.

The starter is the same inventory README.md's "Your first city" shows (a test holds them
together and runs validate, lab, apply, plan and verify on it), so what a newcomer copies from
the docs and what `init` writes cannot drift apart.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.i18n import _
from provision.schemas import SCHEMA_FILES, schema_text

#: The starter's files, relative to the directory `init` writes.
STARTER_FILES = ("city.yaml", "schools/my-school.yaml")


def starter_text(name: str) -> str:
    """One starter file as shipped in the package."""
    return resources.files("provision.cli").joinpath("starter", name).read_text(encoding="utf-8")


def write_starter(directory: Path) -> list[Path]:
    """Write the starter city and its schemas into `directory`; refuse to overwrite anything."""
    if directory.exists() and not directory.is_dir():
        raise click.ClickException(
            _("{directory} is a file, not a directory; nothing was written").format(
                directory=directory
            )
        )
    taken = [directory / n for n in (*STARTER_FILES, "schools") if (directory / n).exists()]
    if taken:
        raise click.ClickException(
            _(
                "{directory} already holds an inventory ({path} exists); choose a new or empty "
                "directory, nothing was written"
            ).format(directory=directory, path=taken[0])
        )
    written = []
    for name in STARTER_FILES:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(starter_text(name), encoding="utf-8")
        written.append(path)
    # The files' `$schema` lines point here, so an editor checks them from the first keystroke.
    (directory / "schemas").mkdir(exist_ok=True)
    for name in SCHEMA_FILES:
        (directory / "schemas" / name).write_text(schema_text(name), encoding="utf-8")
        written.append(directory / "schemas" / name)
    return written


@click.command("init", cls=TranslatedCommand)
@click.argument("directory", type=click.Path(path_type=Path), default="mycity")
def command(directory: Path) -> int:
    """Write a starter city into DIRECTORY (default ./mycity): city.yaml with one district,
    one precinct and one tier's standard, schools/my-school.yaml with one area, wall, zone,
    camera, alarm, switch, recorder and LED board, and the JSON Schemas editors check them
    with. It validates clean and passes verify on the lab; every field carries a comment.

    Refuses a directory that already holds an inventory, and writes nothing then.

    \b
    Examples:
      provision init anshan
      provision validate -i anshan
      provision lab up -i anshan && provision apply -i anshan --lab --yes
      provision verify -i anshan --lab
    """
    for path in write_starter(directory):
        click.echo(_("wrote {path}").format(path=path), err=True)
    click.echo(
        _(
            "next: edit {directory}/city.yaml and {directory}/schools/, then `provision "
            'validate -i {directory}`; README.md "Your first city" explains every field'
        ).format(directory=directory),
        err=True,
    )
    return OK
