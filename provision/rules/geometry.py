"""Zone, outline and perimeter polygons must be simple polygons; perimeter radii must nest."""

from __future__ import annotations

from collections.abc import Iterator

from provision.coverage import polygon_problem
from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory.loader import Inventory


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        for area in school.areas:
            if area.outline is not None and (why := polygon_problem(area.outline)):
                yield doc.problem(
                    (*area.path, "outline"), _("outline {why}").format(why=why), "bad-polygon"
                )
            for zone in area.zones:
                if len(zone.polygon) < 3:
                    continue  # the schema already says so
                if why := polygon_problem(zone.polygon):
                    yield doc.problem(
                        (*zone.path, "polygon"),
                        _("zone polygon {why}").format(why=why),
                        "bad-polygon",
                    )
        per = school.perimeter
        if per is None:
            continue
        path = ("site", "perimeter")
        if why := polygon_problem(per.boundary):
            yield doc.problem(
                (*path, "boundary"), _("perimeter boundary {why}").format(why=why), "bad-polygon"
            )
        if per.strict_m >= per.control_m:
            msg = _(
                "the strictly managed zone ({strict_m} m) must end before the "
                "controlled zone ({control_m} m)"
            ).format(strict_m=per.strict_m, control_m=per.control_m)
            yield doc.problem((*path, "strict_m"), msg, "bad-perimeter")
