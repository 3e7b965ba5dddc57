"""Every managed device must speak a protocol some installed driver serves for its kind."""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.drivers.registry import UNMANAGED, describe_installed, is_installed
from provision.inventory.loader import Inventory


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        for device in school.devices():
            if device.kind in UNMANAGED or is_installed(device.kind, device.protocol):
                continue
            msg = (
                f"no driver for {device.kind} {device.name!r} over {device.protocol!r} (set on "
                f"the device or inherited from defaults); installed: {describe_installed()}"
            )
            # A protocol inherited from defaults has no line here: the device's is given.
            yield doc.problem((*device.path, "protocol"), msg, "unknown-driver")
