"""Critical and required zones must meet the tier's coverage target on paper (geometry)."""

from __future__ import annotations

from collections.abc import Iterator

from provision.coverage import polygon_problem, words
from provision.coverage.cache import default_cache
from provision.coverage.explain import explain_spot
from provision.coverage.school import camera_view, meets, school_coverage
from provision.coverage.zones import ZoneCoverage
from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory import words as inventory_words
from provision.inventory.loader import Inventory
from provision.inventory.model import School


def _cameras_seeing_nothing(
    inv: Inventory, school: School, coverage: dict[str, ZoneCoverage]
) -> Iterator[Problem]:
    """A camera that watches none of its area's zones is mounted in the wrong area, placed
    outside it, or aimed away: say so at the camera, not only as a zone's missing coverage."""
    seen = {name for cov in coverage.values() for name in cov.covered_by}
    for cam in school.cameras:
        area = next((a for a in school.areas if a.id == cam.area), None)
        if area is None or not area.zones or cam.name in seen:
            continue
        zones = ", ".join(z.id for z in area.zones)
        msg = _(
            "camera {camera} sees none of area {area}'s zones ({zones}) at their DORI "
            "levels: is it in another area, mounted outside this one, or aimed away?"
        ).format(camera=cam.name, area=area.id, zones=zones)
        yield inv.docs[school.id].problem(
            (*cam.path, "mount"), msg, "camera-sees-nothing", warning=True
        )


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    cache = default_cache()
    for school in inv.city.schools:
        tier = inv.city.tiers.get(school.tier)
        if tier is None:
            continue
        if any(polygon_problem(z.polygon) for z in school.zones()):
            continue  # the geometry rule reports bad polygons; coverage would be meaningless
        doc = inv.docs[school.id]
        coverage = school_coverage(school, cache=cache)
        areas = {a.id: a for a in school.areas}
        yield from _cameras_seeing_nothing(inv, school, coverage)
        for zone in school.zones():
            if zone.importance == "optional":
                continue
            target = getattr(tier.coverage, zone.importance)
            cov = coverage[zone.id]
            if meets(cov.ratio, target):
                continue
            views = [camera_view(c) for c in school.cameras if c.area == zone.area]
            walls = areas[zone.area].walls
            spots = "; ".join(
                _("{area:.1f} m² at ({x:.1f}, {y:.1f})").format(
                    area=s.area_m2, x=s.centroid[0], y=s.centroid[1]
                )
                + ": "
                + explain_spot(s.polygon, views, zone.dori, walls, zone.area).hint
                for s in cov.blind_spots[:3]
            )
            msg = _(
                "{importance} zone covered {ratio:.1%} at {dori} level; the {tier} "
                "standard asks for {target:.0%}"
            ).format(
                importance=words.importance(zone.importance),
                ratio=cov.ratio,
                dori=words.dori(zone.dori),
                tier=inventory_words.tier(school.tier),
                target=target,
            ) + (_("; blind spots: {spots}").format(spots=spots) if spots else "")
            yield doc.problem((*zone.path, "polygon"), msg, "coverage")
