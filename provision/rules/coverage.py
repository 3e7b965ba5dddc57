"""Critical and required zones must meet the tier's coverage target on paper (geometry)."""

from __future__ import annotations

from collections.abc import Iterator

from provision.coverage import polygon_problem
from provision.coverage.explain import explain_spot
from provision.coverage.school import camera_view, meets, school_coverage
from provision.diagnostics import Problem
from provision.inventory.loader import Inventory


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        tier = inv.city.tiers.get(school.tier)
        if tier is None:
            continue
        if any(polygon_problem(z.polygon) for z in school.zones()):
            continue  # the geometry rule reports bad polygons; coverage would be meaningless
        doc = inv.docs[school.id]
        coverage = school_coverage(school)
        areas = {a.id: a for a in school.areas}
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
                f"{s.area_m2:.1f} m² at ({s.centroid[0]:.1f}, {s.centroid[1]:.1f}): "
                + explain_spot(s.polygon, views, zone.dori, walls, zone.area).hint
                for s in cov.blind_spots[:3]
            )
            msg = (
                f"{zone.importance} zone covered {cov.ratio:.1%} at {zone.dori} level; the "
                f"{school.tier} standard asks for {target:.0%}"
                + (f"; blind spots: {spots}" if spots else "")
            )
            yield doc.problem((*zone.path, "polygon"), msg, "coverage")
