"""Zone, outline and perimeter polygons must be simple polygons; perimeter radii must nest."""

from __future__ import annotations

from collections.abc import Iterator

from shapely.geometry import Point, Polygon

from provision.coverage import polygon_problem
from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.inventory.model import School

#: A camera on an outline's wall is inside its area: plans are drawn to about this (metres).
MOUNT_TOLERANCE_M = 0.5


def _cameras_outside_their_area(inv: Inventory, school: School) -> Iterator[Problem]:
    outlines = {
        a.id: Polygon(a.outline)
        for a in school.areas
        if a.outline is not None and polygon_problem(a.outline) is None
    }
    for cam in school.cameras:
        outline = outlines.get(cam.area)
        if outline is None:
            continue
        away = outline.exterior.distance(Point(cam.mount.x, cam.mount.y))
        if not outline.contains(Point(cam.mount.x, cam.mount.y)) and away > MOUNT_TOLERANCE_M:
            msg = _(
                "camera {camera} is mounted at ({x:g}, {y:g}), {away:.1f} m outside the outline "
                "of its area {area}; a camera covers only its own area's zones: fix the position "
                "or the area"
            ).format(camera=cam.name, x=cam.mount.x, y=cam.mount.y, away=away, area=cam.area)
            yield inv.docs[school.id].problem((*cam.path, "mount"), msg, "camera-outside-area")


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
        yield from _cameras_outside_their_area(inv, school)
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
