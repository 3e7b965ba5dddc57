"""provision lab fault: switch faults of one lab device on or off while the lab runs."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click

from provision.cli.errors import OK
from provision.cli.lab.shards import down_reason, lab_processes, state_dir_option
from provision.errors import ProvisionError
from provision.lab.process import call_control
from provision.lab.state import lab_dir, require_state


def _owner(state: dict[str, Any], device: str, directory: Path) -> dict[str, Any]:
    """The lab process holding `device`: the one process, or the shard whose devices list it."""
    processes = lab_processes(state)
    if len(processes) == 1:
        return processes[0]  # its control API names an unknown device itself
    for shard in processes:
        if device in shard["devices"]:
            return shard
    school, _, rest = device.partition("/")
    for shard in processes:
        precinct = rest.partition("/")[0] if school == "precinct" else None
        if not shard["alive"] and (school in shard["schools"] or precinct in shard["precincts"]):
            raise ProvisionError(f"{device}: {down_reason(shard, directory)}")
    close = difflib.get_close_matches(device, list(state["devices"]), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ProvisionError(f"no lab device {device!r}{hint}")


def _fault_settings(settings: tuple[str, ...]) -> dict[str, Any]:
    """NAME=VALUE words as the control API takes them: soap_fault a list of operations, a
    number an int, anything else a flag (1, true, yes, on)."""
    changes: dict[str, Any] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="SETTINGS")
        if name == "soap_fault":
            changes[name] = value.split(",")
        elif value.isdigit():
            changes[name] = int(value)
        else:
            changes[name] = value.lower() in ("1", "true", "yes", "on")
    return changes


@click.command("fault")
@click.argument("device")
@click.argument("settings", nargs=-1)
@click.option("--clear", is_flag=True, help="Clear every fault of the device.")
@state_dir_option
def command(device: str, settings: tuple[str, ...], clear: bool, state_dir: str | None) -> int:
    """Switch faults of one lab device at run time: NAME=VALUE ...

    Faults: latency_ms, timeout, refuse, auth_failure, soap_fault (operation names),
    ssh_drop, obstructed, rtsp_down, drop_acks, receiver_down, dead, platform_restart
    (once: the platform loses its proxies), zlm_legacy_auth (secret-only ZLM API).

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
        result = call_control(control, "PUT", path, _fault_settings(settings))
    click.echo(f"{result['id']}: faults {result['faults'] or 'none'}")
    return OK
