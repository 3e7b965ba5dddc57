"""provision history: the recent runs of apply and rollback the journal holds."""

from __future__ import annotations

import dataclasses
import json
import time

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.param_types import HISTORY_LIMIT
from provision.cli.run_options import journal_option
from provision.engine.journal import Journal
from provision.i18n import N_, _, ljust
from provision.verify import labels

# The run statuses and journal counts that are not device outcomes (labels.STATUSES has those).
RUN_WORDS = {
    "ok": N_("ok"),
    "running": N_("running"),
    "interrupted": N_("interrupted"),
    "in flight": N_("in flight"),
    "finished": N_("finished"),
}


def word(code: str) -> str:
    """A status or count the journal holds as a code, in the language of the run."""
    return _(RUN_WORDS[code]) if code in RUN_WORDS else labels.status(code)


@click.command("history", cls=TranslatedCommand)
@journal_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "-n", "limit", type=HISTORY_LIMIT, default=20, show_default=True, help="How many runs."
)
def command(journal_path: str | None, as_json: bool, limit: int) -> int:
    """List recent runs of apply and rollback, newest first.

    \b
    Example:
      provision history -n 5
    """
    journal = Journal(journal_path)
    try:
        rows = journal.runs(limit)
    finally:
        journal.close()
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))
        return OK
    if not rows:
        click.echo(_("no runs in {where}").format(where=journal.where), err=True)
    for r in rows:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))
        counts = ", ".join(f"{v} {word(k)}" for k, v in sorted(r.summary.items()))
        click.echo(f"{r.run_id}  {started}  {ljust(word(r.status), 8)} {r.command:<30} {counts}")
    return OK
