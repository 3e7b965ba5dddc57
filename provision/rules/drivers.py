"""Every managed device must speak a protocol some installed driver serves for its kind.

A protocol the device names itself is reported on its line. One inherited from defaults is
reported once per school and (kind, protocol), at the first device that inherits it: a city
default naming an uninstalled driver would otherwise be one error per camera of the city.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from provision.diagnostics import Problem
from provision.drivers.registry import UNMANAGED, describe_installed, is_installed
from provision.i18n import _
from provision.inventory import words
from provision.inventory.loader import Inventory
from provision.inventory.model import Device, YamlPath

CODE = "unknown-driver"


def _set_on_device(data: Any, path: YamlPath) -> bool:
    """Whether the school file itself gives this device a protocol."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(data, dict) and "protocol" in data


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        inherited: dict[tuple[str, str], list[Device]] = {}
        for device in school.devices():
            if device.kind in UNMANAGED or is_installed(device.kind, device.protocol):
                continue
            if _set_on_device(doc.data, device.path):
                msg = _("no driver for {kind} {name!r} over {protocol!r}").format(
                    kind=words.kind(device.kind), name=device.name, protocol=device.protocol
                )
                yield doc.problem(
                    (*device.path, "protocol"),
                    _("{problem}; installed: {installed}").format(
                        problem=msg, installed=describe_installed()
                    ),
                    CODE,
                )
            else:
                inherited.setdefault((device.kind, device.protocol), []).append(device)
        for (kind, protocol), devices in inherited.items():
            msg = _(
                "no driver for {kind} over {protocol!r}, inherited from defaults by "
                "{n_devices} {kind} device(s) of this school ({name!r} first); "
                "installed: {describe_installed}"
            ).format(
                kind=kind,
                protocol=protocol,
                n_devices=len(devices),
                name=devices[0].name,
                describe_installed=describe_installed(),
            )
            yield doc.problem(devices[0].path, msg, CODE)
