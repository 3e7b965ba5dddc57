"""Every name a school uses must exist: district, precinct, area, zone, switch, recorder."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.templates import led_template_names


def unknown(kind: str, name: str, valid: Iterable[str]) -> str:
    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=1)
    hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
    listing = ", ".join(valid[:20]) + (" ..." if len(valid) > 20 else "")
    return _("unknown {kind} {name!r}{hint}; defined: {defined}").format(
        kind=kind, name=name, hint=hint, defined=listing or _("none")
    )


def check(inv: Inventory) -> Iterator[Problem]:
    city = inv.city
    if city is None:
        return
    templates = led_template_names(city)
    for school in city.schools:
        doc = inv.docs[school.id]
        if school.district not in city.districts:
            msg = unknown("district", school.district, city.districts)
            yield doc.problem(("district",), msg, "unknown-reference")
        if school.tier not in city.tiers:
            msg = _(
                "tier {tier!r} has no standard in city.yaml's tiers (defined: {defined}); add "
                "tiers.{tier} there"
            ).format(tier=school.tier, defined=", ".join(sorted(city.tiers)) or _("none"))
            yield doc.problem(("tier",), msg, "unknown-reference")
        if school.precinct not in city.precincts:
            msg = unknown("precinct", school.precinct, city.precincts)
            yield doc.problem(("precinct",), msg, "unknown-reference")
        areas = {a.id for a in school.areas}
        zones = {z.id for z in school.zones()}
        for seen, items, what in (
            (set(), [(a.id, a.path) for a in school.areas], "area"),
            (set(), [(z.id, z.path) for z in school.zones()], "zone"),
        ):
            for ident, path in items:
                if ident in seen:
                    msg = _("{what} id {ident!r} is used twice in this school").format(
                        what=what, ident=ident
                    )
                    yield doc.problem((*path, "id"), msg, f"duplicate-{what}")
                seen.add(ident)
        for cam in school.cameras:
            if cam.area not in areas:
                yield doc.problem(
                    (*cam.path, "area"), unknown("area", cam.area, areas), "unknown-reference"
                )
            if cam.recorder and cam.recorder not in {r.name for r in school.recorders}:
                msg = unknown("recorder", cam.recorder, [r.name for r in school.recorders])
                yield doc.problem((*cam.path, "recorder"), msg, "unknown-reference")
        for alarm in school.alarms:
            if alarm.zone not in zones:
                msg = unknown("zone", alarm.zone, zones)
                yield doc.problem((*alarm.path, "zone"), msg, "unknown-reference")
        for board in school.led_boards:
            if board.zone and board.zone not in zones:
                msg = unknown("zone", board.zone, zones)
                yield doc.problem((*board.path, "zone"), msg, "unknown-reference")
            for j, message in enumerate(board.messages):
                if message.template and message.template not in templates:
                    msg = unknown("LED template", message.template, templates)
                    path = (*board.path, "messages", j, "template")
                    yield doc.problem(path, msg, "unknown-reference")
        switches = {s.name for s in school.network.switches}
        if school.network.uplink.switch not in switches:
            msg = unknown("switch", school.network.uplink.switch, switches)
            yield doc.problem(("network", "uplink", "switch"), msg, "unknown-reference")
