"""provision lab down: stop every process of the running lab."""

from __future__ import annotations

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.lab.shards import lab_processes, state_dir_option
from provision.i18n import _
from provision.lab.process import stop_lab_processes
from provision.lab.state import lab_dir, read_state


@click.command("down", cls=TranslatedCommand)
@state_dir_option
def command(state_dir: str | None) -> int:
    """Stop the running lab (every shard of it) and wait until its processes have exited.

    \b
    Example:
      provision lab down
    """
    directory = lab_dir(state_dir)
    state = read_state(directory)
    gone = [s for s in lab_processes(state) if not s["alive"]] if state else []
    pids = stop_lab_processes(directory)
    if not pids:
        click.echo(_("no lab is running"))
    elif len(pids) == 1 and not gone:
        click.echo(_("lab stopped (pid {pid})").format(pid=pids[0]))
    else:
        click.echo(
            _("lab stopped: {n} process(es), pids {pids}").format(
                n=len(pids), pids=", ".join(map(str, pids))
            )
        )
    for shard in gone:
        click.echo(
            _("shard {shard} (pid {pid}) had already exited").format(
                shard=shard["shard"], pid=shard["pid"]
            )
        )
    return OK
