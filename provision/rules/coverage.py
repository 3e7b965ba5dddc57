"""Critical and required zones must meet the tier's coverage target on paper (geometry)."""

from __future__ import annotations

from collections.abc import Iterator

from provision.coverage import polygon_problem, words
from provision.coverage.school import meets, school_coverage
from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory import words as inventory_words
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
        for zone in school.zones():
            if zone.importance == "optional":
                continue
            target = getattr(tier.coverage, zone.importance)
            cov = coverage[zone.id]
            if meets(cov.ratio, target):
                continue
            spots = "; ".join(
                _("{area:.1f} m² at ({x:.1f}, {y:.1f})").format(
                    area=s.area_m2, x=s.centroid[0], y=s.centroid[1]
                )
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
