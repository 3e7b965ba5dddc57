"""Rules that need the whole city at once: they run after every school is loaded.

Addresses and school subnets must be unique across the city (schools share the precinct
network: two schools on one subnet route each other's traffic to the wrong switch), and every
precinct must belong to a district.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from provision.diagnostics import Problem
from provision.i18n import _
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
            msg = _("address {host} is also used by {other_school}/{name} ({where})").format(
                host=device.host, other_school=other_school, name=other.name, where=where
            )
            yield inv.docs[school.id].problem((*device.path, "host"), msg, "duplicate-address")


def unique_subnets(inv: Inventory) -> Iterator[Problem]:
    """Sorted by first address, a subnet overlaps an earlier one exactly when it starts before
    the furthest end seen so far: one pass, not every pair (a 1,000-school city has 3,000)."""
    if inv.city is None:
        return
    nets = sorted(
        (net.version, int(net.network_address), -net.num_addresses, net, school.id, role)
        for school in inv.city.schools
        for role, cidr in school.network.subnets.items()
        for net in [ipaddress.ip_network(cidr, strict=False)]
    )
    furthest: tuple[int, int, Any, str, str] | None = None  # version, end, net, school, role
    for version, first, _last, net, school_id, role in nets:
        last = int(net.broadcast_address)
        if furthest and furthest[0] == version and first <= furthest[1]:
            _first, _last2, other, other_school, other_role = furthest
            if other_school != school_id:
                msg = _(
                    "the {role} subnet {net} overlaps {other_school}'s {other_role} subnet "
                    "{other}; every school needs subnets of its own"
                ).format(
                    role=role,
                    net=net,
                    other_school=other_school,
                    other_role=other_role,
                    other=other,
                )
                path = ("network", "subnets", role)
                yield inv.docs[school_id].problem(path, msg, "subnet-shared")
        if not furthest or furthest[0] != version or last > furthest[1]:
            furthest = (version, last, net, school_id, role)


def unique_alarm_accounts(inv: Inventory) -> Iterator[Problem]:
    """A receiver tells panels apart by account number alone (SIA DC-09 `#acct`): two panels
    with one account on one receiver are one panel to the centre, and a real alarm from one
    is dispatched to the other's address."""
    if inv.city is None:
        return
    owners: dict[tuple[str, int, str], tuple[str, Device]] = {}
    for school in inv.city.schools:
        precinct = inv.city.precincts.get(school.precinct)
        if precinct is None:
            continue  # the references rule reports the unknown precinct
        centre = precinct.alarm_center
        for panel in school.alarms:
            if panel.reports_over_gb28181:
                continue  # an alarm column has no DC-09 account: it reports to the platform
            key = (centre.host, centre.port, panel.account)
            if key not in owners:
                owners[key] = (school.id, panel)
                continue
            other_school, other = owners[key]
            where = inv.docs[other_school].where((*other.path, "account"))
            msg = _(
                "account {account} is also {other_school}/{name}'s ({where}) on the "
                "same receiver {host}:{port}; the centre could not tell them apart"
            ).format(
                account=panel.account,
                other_school=other_school,
                name=other.name,
                where=where,
                host=centre.host,
                port=centre.port,
            )
            yield inv.docs[school.id].problem((*panel.path, "account"), msg, "duplicate-account")


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


def alarm_centre_apis(inv: Inventory) -> Iterator[Problem]:
    """A precinct whose alarm centre has no `api` cannot have its schools' alarms self-tested:
    verify opens the centre's test window through it (so a test is never dispatched) and asks
    it whether the test arrived. Said at validate, not found out at the first audit."""
    if inv.city is None:
        return
    used = {
        s.precinct for s in inv.city.schools if any(not a.reports_over_gb28181 for a in s.alarms)
    }
    for i, precinct in enumerate(inv.city_doc.data.get("precincts", [])):
        centre = precinct.get("alarm_center") or {}
        if precinct.get("id") in used and not centre.get("api"):
            msg = _(
                "alarm centre of {precinct} has no api: verify's alarm self-test needs it to "
                "put accounts on test and confirm receipt, and fails without it"
            ).format(precinct=precinct.get("id"))
            yield inv.city_doc.problem(
                ("precincts", i, "alarm_center"), msg, "no-centre-api", warning=True
            )
