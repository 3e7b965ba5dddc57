"""provision lab fault: switch faults of one lab device on or off while the lab runs."""

from __future__ import annotations

import difflib
from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.lab.shards import down_reason, lab_processes, state_dir_option
from provision.errors import ProvisionError
from provision.i18n import _
from provision.lab.faults import Faults
from provision.lab.process import call_control
from provision.lab.state import lab_dir, require_state

_MAX_NUMBER = 3_600_000  # an hour in milliseconds: the largest delay a lab fault needs


def _owner(state: dict[str, Any], device: str, directory: Path) -> dict[str, Any]:
    """The lab process holding `device`: the one process, or the shard whose devices list it."""
    processes = lab_processes(state)
    if len(processes) == 1:
        return processes[0]  # its control API names an unknown device itself
    for shard in processes:
        if device in shard["devices"]:
            return shard
    school, _sep, rest = device.partition("/")
    for shard in processes:
        precinct = rest.partition("/")[0] if school == "precinct" else None
        if not shard["alive"] and (school in shard["schools"] or precinct in shard["precincts"]):
            raise ProvisionError(f"{device}: {down_reason(shard, directory)}")
    close = difflib.get_close_matches(device, list(state["devices"]), n=3)
    if close:
        raise ProvisionError(
            _("no lab device {device!r}; did you mean {close}?").format(
                device=device, close=", ".join(close)
            )
        )
    raise ProvisionError(_("no lab device {device!r}").format(device=device))


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _fault_settings(settings: tuple[str, ...]) -> dict[str, Any]:
    """NAME=VALUE words as the control API takes them, typed by the fault's own field in
    `Faults`: a list (soap_fault) comma-separated, a number a whole number >= 0, a flag one of
    true/false/yes/no/on/off/1/0. Anything else is refused here, before the lab is asked:
    `latency_ms=-5` must not quietly switch nothing on."""
    kinds = {f.name: f for f in fields(Faults)}
    changes: dict[str, Any] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(
                _("{item!r}: expected NAME=VALUE").format(item=item), param_hint="SETTINGS"
            )
        if name not in kinds:
            close = difflib.get_close_matches(name, list(kinds), n=1)
            hint = _("did you mean {name}? ").format(name=close[0]) if close else ""
            raise click.BadParameter(
                _("unknown fault {name!r}; {hint}faults: {faults}").format(
                    name=name, hint=hint, faults=", ".join(kinds)
                ),
                param_hint="SETTINGS",
            )
        default = getattr(Faults(), name)
        if isinstance(default, list):
            changes[name] = [v for v in value.split(",") if v]
        elif isinstance(default, bool):
            if value.lower() not in (*_TRUE, *_FALSE):
                raise click.BadParameter(
                    _("{name}={value!r}: expected true or false").format(name=name, value=value),
                    param_hint="SETTINGS",
                )
            changes[name] = value.lower() in _TRUE
        elif not value.isdigit() or int(value) > _MAX_NUMBER:
            raise click.BadParameter(
                _("{name}={value!r}: expected a whole number from 0 to {max}").format(
                    name=name, value=value, max=_MAX_NUMBER
                ),
                param_hint="SETTINGS",
            )
        else:
            changes[name] = int(value)
    return changes


@click.command("fault", cls=TranslatedCommand)
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
    changes = {} if clear else _fault_settings(settings)  # a typo is refused before any lab call
    directory = lab_dir(state_dir)
    control = _owner(require_state(directory), device, directory)["control"]
    path = f"/api/devices/{device}/faults"
    if clear:
        result = call_control(control, "DELETE", path)
    else:
        result = call_control(control, "PUT", path, changes)
    faults = result["faults"] or _("none")
    click.echo(_("{device}: faults {faults}").format(device=result["id"], faults=faults))
    return OK
