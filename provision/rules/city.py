"""Rules that need the whole city at once: they run after every school is loaded.

Addresses must be unique across the city (schools share the precinct network), and every
precinct must belong to a district.
"""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory
from provision.inventory.model import Device
from provision.rules.references import unknown


def unique_addresses(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    owners: dict[str, tuple[str, Device]] = {}
    for school in inv.city.schools:
        for device in school.devices():
            if device.host not in owners:
                owners[device.host] = (school.id, device)
                continue
            other_school, other = owners[device.host]
            where = inv.docs[other_school].where((*other.path, "host"))
            msg = f"address {device.host} is also used by {other_school}/{other.name} ({where})"
            yield inv.docs[school.id].problem((*device.path, "host"), msg, "duplicate-address")


def precinct_districts(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for i, precinct in enumerate(inv.city_doc.data.get("precincts", [])):
        if precinct["district"] not in inv.city.districts:
            yield inv.city_doc.problem(
                ("precincts", i, "district"),
                unknown("district", precinct["district"], inv.city.districts),
                "unknown-reference",
            )
