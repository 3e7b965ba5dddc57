"""provision state: where run state lives; `migrate` moves a SQLite journal into PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedGroup
from provision.engine.journal import Journal
from provision.engine.state_url import DEFAULT_PATH, is_postgres
from provision.errors import ProvisionError
from provision.i18n import _


@click.group("state", cls=TranslatedGroup)
def command() -> None:
    """Run state: the journal, run history and school locks.

    A SQLite file on this machine by default; `--state postgresql://…` (or PROVISION_STATE)
    on apply, rollback and history shares it between every machine of a team and its pipeline.

    \b
    Example:
      provision state migrate --to postgresql://provision@db.example/provision
    """


@command.command("migrate")
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite journal to copy [default: $PROVISION_JOURNAL or .provision/journal.sqlite].",
)
@click.option(
    "--to",
    "dest",
    metavar="URL",
    help="The PostgreSQL state to copy into [default: $PROVISION_STATE].",
)
def migrate(source: Path | None, dest: str | None) -> int:
    """Copy every run of a SQLite journal (and each change it made) into PostgreSQL.

    Runs already there are left as they are, so running it again copies only what is new;
    the SQLite file is only read.

    \b
    Example:
      provision state migrate --to postgresql://provision@db.example/provision
    """
    source = source or Path(os.environ.get("PROVISION_JOURNAL") or DEFAULT_PATH)
    dest = dest or os.environ.get("PROVISION_STATE")
    if not dest or not is_postgres(dest):
        raise ProvisionError(_("migrate copies into PostgreSQL: pass --to postgresql://…"))
    if not source.is_file():
        raise ProvisionError(
            _("{source}: no SQLite journal here to migrate; pass --from FILE").format(source=source)
        )
    reader, writer = Journal(source), Journal(dest)
    try:
        runs, changes = reader.copy_to(writer)
    finally:
        reader.close()
        writer.close()
    click.echo(
        _("copied {runs} runs and {changes} changes from {source} to {where}").format(
            runs=runs, changes=changes, source=source, where=writer.where
        )
    )
    return OK
