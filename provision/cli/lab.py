"""provision lab up|status|down|fault: the simulated devices of a city on this machine."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections import Counter
from typing import Any

import click

from provision.cli.options import inventory_option, selection, selector_options
from provision.errors import ProvisionError
from provision.lab.process import daemon_args, start_lab, stop_lab
from provision.lab.state import lab_dir, require_state

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the lab keeps its state [default: $PROVISION_LAB_DIR or .provision/lab].",
)


def _control(state: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        state["control"] + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise ProvisionError(json.loads(exc.read() or b"{}").get("error", str(exc))) from exc


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
@click.option("--foreground", is_flag=True, help="Run in this terminal until Ctrl-C.")
@state_dir_option
def up(
    inventory: str,
    faults: str | None,
    foreground: bool,
    state_dir: str | None,
    **selectors: tuple[str, ...],
) -> None:
    """Start the lab for the selected schools (the whole city by default) and their precincts.

    Devices start with factory settings, so `provision apply --lab` has work to do. Lab
    devices accept the passwords the inventory refers to when those variables are set, else
    lab-only defaults (`lab-` + the variable name in lower case).

    \b
    Examples:
      provision lab up -i examples/dalian
      provision lab up -i examples/dalian --tier kindergarten --faults faults.yaml
    """
    directory = lab_dir(state_dir)
    sel = selection(selectors)
    if foreground:
        args = daemon_args(inventory, directory, sel, faults)
        os.execv(sys.executable, args)
    state = start_lab(inventory, directory, sel, faults)
    kinds = Counter(d["kind"] for d in state["devices"].values())
    schools = {d["school"] for d in state["devices"].values() if d["school"]}
    click.echo(
        f"lab up (pid {state['pid']}): {sum(kinds.values())} devices for {len(schools)} "
        f"school(s) in {state['start_seconds']:.1f}s: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    )
    log = directory / "lab.log"
    click.echo(f"control API {state['control']}; log {log}; `provision lab status` lists them")


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@state_dir_option
def status(as_json: bool, state_dir: str | None) -> None:
    """List every simulated device: id, kind, lab address, ports per protocol, faults.

    \b
    Examples:
      provision lab status
      provision lab status --json | jq '.[] | select(.faults != {})'
    """
    state = require_state(lab_dir(state_dir))
    devices = _control(state, "GET", "/api/devices")
    if as_json:
        click.echo(json.dumps(devices, ensure_ascii=False, indent=1))
        return
    click.echo(f"lab pid {state['pid']}, {len(devices)} devices, control {state['control']}")
    for d in devices:
        ports = " ".join(f"{k}:{v}" for k, v in d["ports"].items())
        faults = ",".join(f"{k}={v}" for k, v in d["faults"].items()) or "-"
        click.echo(f"{d['id']:<40} {d['kind']:<15} {d['host']:<16} {ports:<30} {faults}")


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
    state = require_state(lab_dir(state_dir))
    path = f"/api/devices/{device}/faults"
    if clear:
        result = _control(state, "DELETE", path)
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
        result = _control(state, "PUT", path, changes)
    click.echo(f"{result['id']}: faults {result['faults'] or 'none'}")


@command.command("down")
@state_dir_option
def down(state_dir: str | None) -> None:
    """Stop the running lab and wait until its process has exited.

    \b
    Example:
      provision lab down
    """
    pid = stop_lab(lab_dir(state_dir))
    click.echo("no lab is running" if pid is None else f"lab stopped (pid {pid})")
