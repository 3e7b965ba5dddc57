"""provision lab up|status|down|fault: the simulated devices of a city on this machine."""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from provision.cli.options import inventory_option, selection, selector_options
from provision.errors import ProvisionError
from provision.lab.process import (
    MAX_LISTENERS,
    call_control,
    daemon_args,
    start_lab,
    stop_lab_processes,
)
from provision.lab.state import lab_dir, read_state, require_state, shard_dir

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the lab keeps its state [default: $PROVISION_LAB_DIR or .provision/lab].",
)


def _shards(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every process of the lab: the shards of a sharded lab, else the one process."""
    return state.get("shards") or [{**state, "shard": None, "alive": True}]


@click.group("lab")
def command() -> None:
    """Simulated school devices and precinct services over their real protocols.

    Cameras speak ONVIF (SOAP) and RTSP, switches SSH, alarm panels DC-09, LED boards and
    precinct platforms HTTP. Each device listens on the loopback address derived from its
    inventory address (10.b.c.d becomes 127.b.c.d), so the same inventory drives the lab.

    \b
    Examples:
      provision lab up -i examples/dalian
      provision lab status
      provision lab fault dl-zs-h024/gate-face obstructed=true
      provision lab down
    """


@command.command("up")
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
def up(
    inventory: str,
    faults: str | None,
    shards: int | None,
    foreground: bool,
    state_dir: str | None,
    **selectors: tuple[str, ...],
) -> None:
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
            raise click.BadParameter("--foreground runs one lab process", param_hint="--shards")
        args = daemon_args(inventory, directory, sel, faults)
        os.execv(sys.executable, args)
    state = start_lab(inventory, directory, sel, faults, shards)
    kinds = Counter(d["kind"] for d in state["devices"].values())
    schools = {d["school"] for d in state["devices"].values() if d["school"]}
    processes = _shards(state)
    where = (
        f"pid {state['pid']}"
        if len(processes) == 1
        else f"{len(processes)} shards, pids {', '.join(str(s['pid']) for s in processes)}"
    )
    click.echo(
        f"lab up ({where}): {sum(kinds.values())} devices for {len(schools)} "
        f"school(s) in {state['start_seconds']:.1f}s: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    )
    if len(processes) == 1:
        log = directory / "lab.log"
        click.echo(f"control API {state['control']}; log {log}; `provision lab status` lists them")
        return
    for shard in processes:
        click.echo(
            f"shard {shard['shard']} (pid {shard['pid']}): {len(shard['schools'])} school(s), "
            f"precincts {', '.join(shard['precincts'])}, {shard['listeners']:,} listening "
            f"sockets; log {shard_dir(directory, shard['shard']) / 'lab.log'}"
        )
    click.echo("`provision lab status` lists every shard's devices")


def _down_reason(shard: dict[str, Any], directory: Path) -> str:
    schools = shard["schools"]
    named = ", ".join(schools[:5]) + (", ..." if len(schools) > 5 else "")
    log = shard_dir(directory, shard["shard"]) / "lab.log"
    return (
        f"shard {shard['shard']} (pid {shard['pid']}) is down: its {len(schools)} school(s) "
        f"({named}) and precincts {', '.join(shard['precincts'])} do not answer; see {log}"
    )


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@state_dir_option
def status(as_json: bool, state_dir: str | None) -> None:
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
    processes = _shards(state)
    devices: list[dict[str, Any]] = []
    down: list[str] = []
    for shard in processes:
        if not shard["alive"]:
            down.append(_down_reason(shard, directory))
            continue
        try:
            listed = call_control(shard["control"], "GET", "/api/devices")
        except ProvisionError as exc:  # alive but not answering: as good as down
            label = "lab" if shard["shard"] is None else f"shard {shard['shard']}"
            down.append(f"{label} (pid {shard['pid']}): {exc}")
            continue
        devices += [d if shard["shard"] is None else {**d, "shard": shard["shard"]} for d in listed]
    if as_json:
        click.echo(json.dumps(devices, ensure_ascii=False, indent=1))
    elif len(processes) == 1:
        click.echo(f"lab pid {state['pid']}, {len(devices)} devices, control {state['control']}")
    else:
        click.echo(f"lab of {len(processes)} shards, {len(devices)} devices")
        for shard in processes:
            if shard["alive"]:
                click.echo(
                    f"shard {shard['shard']} pid {shard['pid']}, control {shard['control']}: "
                    f"precincts {', '.join(shard['precincts'])}"
                )
    if not as_json:
        for d in devices:
            ports = " ".join(f"{k}:{v}" for k, v in d["ports"].items())
            faults = ",".join(f"{k}={v}" for k, v in d["faults"].items()) or "-"
            click.echo(f"{d['id']:<40} {d['kind']:<15} {d['host']:<16} {ports:<30} {faults}")
    for reason in down:
        click.secho(reason, fg="red", err=True)
    if down:
        sys.exit(1)


def _owner(state: dict[str, Any], device: str, directory: Path) -> dict[str, Any]:
    """The lab process holding `device`: the one process, or the shard whose devices list it."""
    processes = _shards(state)
    if len(processes) == 1:
        return processes[0]  # its control API names an unknown device itself
    for shard in processes:
        if device in shard["devices"]:
            return shard
    school, _, rest = device.partition("/")
    for shard in processes:
        precinct = rest.partition("/")[0] if school == "precinct" else None
        if not shard["alive"] and (school in shard["schools"] or precinct in shard["precincts"]):
            raise ProvisionError(f"{device}: {_down_reason(shard, directory)}")
    close = difflib.get_close_matches(device, list(state["devices"]), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ProvisionError(f"no lab device {device!r}{hint}")


@command.command("fault")
@click.argument("device")
@click.argument("settings", nargs=-1)
@click.option("--clear", is_flag=True, help="Clear every fault of the device.")
@state_dir_option
def fault(device: str, settings: tuple[str, ...], clear: bool, state_dir: str | None) -> None:
    """Switch faults of one lab device at run time: NAME=VALUE ...

    Faults: latency_ms, timeout, refuse, auth_failure, soap_fault (operation names),
    ssh_drop, obstructed, rtsp_down, drop_acks, receiver_down, dead.

    \b
    Examples:
      provision lab fault dl-zs-h024/gate-face obstructed=true
      provision lab fault precinct/nanshajie/alarm_center receiver_down=true
      provision lab fault dl-zs-h024/gate-face --clear
    """
    directory = lab_dir(state_dir)
    control = _owner(require_state(directory), device, directory)["control"]
    path = f"/api/devices/{device}/faults"
    if clear:
        result = call_control(control, "DELETE", path)
    else:
        changes: dict[str, Any] = {}
        for item in settings:
            name, sep, value = item.partition("=")
            if not sep:
                raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="SETTINGS")
            changes[name] = (
                value.split(",")
                if name == "soap_fault"
                else value.lower() in ("1", "true", "yes", "on")
                if not value.isdigit()
                else int(value)
            )
        result = call_control(control, "PUT", path, changes)
    click.echo(f"{result['id']}: faults {result['faults'] or 'none'}")


@command.command("down")
@state_dir_option
def down(state_dir: str | None) -> None:
    """Stop the running lab (every shard of it) and wait until its processes have exited.

    \b
    Example:
      provision lab down
    """
    directory = lab_dir(state_dir)
    state = read_state(directory)
    gone = [s for s in _shards(state) if not s["alive"]] if state else []
    pids = stop_lab_processes(directory)
    if not pids:
        click.echo("no lab is running")
    elif len(pids) == 1 and not gone:
        click.echo(f"lab stopped (pid {pids[0]})")
    else:
        click.echo(f"lab stopped: {len(pids)} process(es), pids {', '.join(map(str, pids))}")
    for shard in gone:
        click.echo(f"shard {shard['shard']} (pid {shard['pid']}) had already exited")
