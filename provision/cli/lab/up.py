"""provision lab up: start the simulated devices of the selected schools and their precincts."""

from __future__ import annotations

import os
import sys
from collections import Counter

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.lab.shards import lab_processes, state_dir_option
from provision.cli.options import inventory_option, selection, selector_options
from provision.i18n import _
from provision.lab.process import MAX_LISTENERS, daemon_args, start_lab
from provision.lab.state import lab_dir, shard_dir


@click.command("up", cls=TranslatedCommand)
@inventory_option
@selector_options
@click.option(
    "--faults",
    type=click.Path(dir_okay=False, exists=True),
    help="YAML file of faults per device id, e.g. {dl-zs-h024/gate-face: {obstructed: true}}.",
)
@click.option(
    "--shards",
    type=click.IntRange(1, 64),
    default=None,
    help=f"Lab processes to split the schools over, by district or else by precinct [default: "
    f"as few as keep each within {MAX_LISTENERS:,} listening sockets].",
)
@click.option("--foreground", is_flag=True, help="Run in this terminal (one process) until Ctrl-C.")
@state_dir_option
def command(
    inventory: str,
    faults: str | None,
    shards: int | None,
    foreground: bool,
    state_dir: str | None,
    **selectors: tuple[str, ...],
) -> int:
    """Start the lab for the selected schools (the whole city by default) and their precincts.

    Devices start with factory settings, so `provision apply --lab` has work to do. Lab
    devices accept the passwords the inventory refers to when those variables are set, else
    lab-only defaults (`lab-` + the variable name in lower case). A city too big for one
    process runs in several (shards); every command finds each device wherever it runs.

    \b
    Examples:
      provision lab up -i examples/dalian
      provision lab up -i examples/dalian --tier kindergarten --faults faults.yaml
      provision lab up -i big-city --shards 4
    """
    directory = lab_dir(state_dir)
    sel = selection(selectors)
    if foreground:
        if shards not in (None, 1):
            raise click.BadParameter(_("--foreground runs one lab process"), param_hint="--shards")
        args = daemon_args(inventory, directory, sel, faults)
        os.execv(sys.executable, args)
    state = start_lab(inventory, directory, sel, faults, shards)
    kinds = Counter(d["kind"] for d in state["devices"].values())
    schools = {d["school"] for d in state["devices"].values() if d["school"]}
    processes = lab_processes(state)
    where = (
        _("pid {pid}").format(pid=state["pid"])
        if len(processes) == 1
        else _("{n} shards, pids {pids}").format(
            n=len(processes), pids=", ".join(str(s["pid"]) for s in processes)
        )
    )
    click.echo(
        _("lab up ({where}): {devices} devices for {schools} school(s) in {seconds:.1f}s: ").format(
            where=where,
            devices=sum(kinds.values()),
            schools=len(schools),
            seconds=state["start_seconds"],
        )
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    )
    if len(processes) == 1:
        log = directory / "lab.log"
        click.echo(
            _("control API {control}; log {log}; `provision lab status` lists them").format(
                control=state["control"], log=log
            )
        )
        return OK
    for shard in processes:
        click.echo(
            _(
                "shard {shard} (pid {pid}): {schools} school(s), precincts {precincts}, "
                "{listeners:,} listening sockets; log {log}"
            ).format(
                shard=shard["shard"],
                pid=shard["pid"],
                schools=len(shard["schools"]),
                precincts=", ".join(shard["precincts"]),
                listeners=shard["listeners"],
                log=shard_dir(directory, shard["shard"]) / "lab.log",
            )
        )
    click.echo(_("`provision lab status` lists every shard's devices"))
    return OK
