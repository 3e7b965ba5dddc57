"""Zone, outline and perimeter polygons must be simple polygons; perimeter radii must nest."""

from __future__ import annotations

from collections.abc import Iterator

from provision.coverage import polygon_problem
from provision.diagnostics import Problem
from provision.inventory.loader import Inventory


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        for area in school.areas:
            if area.outline is not None and (why := polygon_problem(area.outline)):
                yield doc.problem((*area.path, "outline"), f"outline {why}", "bad-polygon")
            for zone in area.zones:
                if len(zone.polygon) < 3:
                    continue  # the schema already says so
                if why := polygon_problem(zone.polygon):
                    yield doc.problem((*zone.path, "polygon"), f"zone polygon {why}", "bad-polygon")
        per = school.perimeter
        if per is None:
            continue
        path = ("site", "perimeter")
        if why := polygon_problem(per.boundary):
            yield doc.problem((*path, "boundary"), f"perimeter boundary {why}", "bad-polygon")
        if per.strict_m >= per.control_m:
            msg = (
                f"the strictly managed zone ({per.strict_m} m) must end before the controlled "
                f"zone ({per.control_m} m)"
            )
            yield doc.problem((*path, "strict_m"), msg, "bad-perimeter")
