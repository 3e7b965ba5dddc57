"""provision lab status: every simulated device, and any lab process that is gone."""

from __future__ import annotations

import json
from typing import Any

import click

from provision.cli.errors import FAILED, OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.lab.shards import down_reason, lab_processes, state_dir_option
from provision.errors import ProvisionError
from provision.i18n import _
from provision.lab.process import call_control
from provision.lab.state import lab_dir, require_state


@click.command("status", cls=TranslatedCommand)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@state_dir_option
def command(as_json: bool, state_dir: str | None) -> int:
    """List every simulated device: id, kind, lab address, ports per protocol, faults.

    For a sharded lab, every shard's devices (with the shard number); a shard whose process
    is gone is reported and the exit status is 1.

    \b
    Examples:
      provision lab status
      provision lab status --json | jq '.[] | select(.faults != {})'
    """
    directory = lab_dir(state_dir)
    state = require_state(directory)
    processes = lab_processes(state)
    devices: list[dict[str, Any]] = []
    down: list[str] = []
    for shard in processes:
        if not shard["alive"]:
            down.append(down_reason(shard, directory))
            continue
        try:
            listed = call_control(shard["control"], "GET", "/api/devices")
        except ProvisionError as exc:  # alive but not answering: as good as down
            label = _("lab") if shard["shard"] is None else _("shard {n}").format(n=shard["shard"])
            down.append(f"{label} (pid {shard['pid']}): {exc}")
            continue
        devices += [d if shard["shard"] is None else {**d, "shard": shard["shard"]} for d in listed]
    if as_json:
        click.echo(json.dumps(devices, ensure_ascii=False, indent=1))
    elif len(processes) == 1:
        click.echo(
            _("lab pid {pid}, {n} devices, control {control}").format(
                pid=state["pid"], n=len(devices), control=state["control"]
            )
        )
    else:
        click.echo(
            _("lab of {shards} shards, {n} devices").format(shards=len(processes), n=len(devices))
        )
        for shard in processes:
            if shard["alive"]:
                click.echo(
                    _("shard {shard} pid {pid}, control {control}: precincts {precincts}").format(
                        shard=shard["shard"],
                        pid=shard["pid"],
                        control=shard["control"],
                        precincts=", ".join(shard["precincts"]),
                    )
                )
    if not as_json:
        for d in devices:
            ports = " ".join(f"{k}:{v}" for k, v in d["ports"].items())
            faults = ",".join(f"{k}={v}" for k, v in d["faults"].items()) or "-"
            click.echo(f"{d['id']:<40} {d['kind']:<15} {d['host']:<16} {ports:<30} {faults}")
    for reason in down:
        click.secho(reason, fg="red", err=True)
    return FAILED if down else OK
