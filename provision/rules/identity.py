"""Device names are unique within a school (addresses are the network rule's)."""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.inventory.model import Device


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        names: dict[str, Device] = {}
        for device in school.devices():
            if device.name in names:
                first = doc.where(names[device.name].path)
                msg = _("device name {name!r} is used twice (first at line {line})").format(
                    name=device.name, line=first.line
                )
                yield doc.problem((*device.path, "name"), msg, "duplicate-name")
            else:
                names[device.name] = device
