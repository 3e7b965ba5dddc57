"""The coverage self-test: is every zone really watched, at its DORI level, right now?

Planned coverage (geometry alone) is what validate checks. Here only cameras that answer and
whose picture is not obstructed count, at the resolution they are really set to, so a camera
that is down, covered or turned down to 720p opens blind spots exactly where it should.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from provision.coverage import words
from provision.coverage.explain import explain_spot
from provision.coverage.footprint import footprints, wall_segments
from provision.coverage.school import camera_view, meets, school_coverage
from provision.i18n import N_, _
from provision.inventory.model import Area, Camera, School
from provision.verify.contract import Check, CheckContext
from provision.verify.gather import DeviceState
from provision.verify.model import FAIL, PASS, CheckResult, Finding

OK, OFFLINE, OBSTRUCTED, MISCONFIGURED = "ok", "offline", "obstructed", "misconfigured"
# How findings and reports name a camera's state (the evidence keeps the code).
CAMERA_STATES = {
    OK: N_("ok"),
    OFFLINE: N_("offline"),
    OBSTRUCTED: N_("obstructed"),
    MISCONFIGURED: N_("misconfigured"),
}


def camera_states(school: School, states: dict[str, DeviceState]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for cam in school.cameras:
        state = states.get(cam.name)
        if state is None or not state.reachable:
            why = (state.error or _("no answer")) if state else _("not checked")
            out[cam.name] = {"state": OFFLINE, "detail": why}
            continue
        snapshot = state.facts.get("snapshot", {})
        if snapshot.get("uniform"):
            out[cam.name] = {
                "state": OBSTRUCTED,
                "detail": _(
                    "picture is uniform (stddev {stddev:.1f}): lens covered or camera blind"
                ).format(stddev=snapshot.get("stddev", 0)),
            }
            continue
        live = state.settings.get("encoder.main.resolution")
        if live and live != cam.video.resolution:
            out[cam.name] = {
                "state": MISCONFIGURED,
                "detail": _("resolution {live}, planned {resolution}").format(
                    live=live, resolution=cam.video.resolution
                ),
            }
            continue
        out[cam.name] = {"state": OK, "detail": ""}
    return out


def _as_live(cam: Camera, state: DeviceState | None) -> Camera:
    """The camera at the resolution it really streams, which sets its DORI ranges."""
    live = state.settings.get("encoder.main.resolution") if state else None
    if not live or live == cam.video.resolution:
        return cam
    width, height = (int(v) for v in str(live).split("x"))
    return replace(cam, video=replace(cam.video, width=width, height=height))


class _LostViews:
    """What each camera of an area that is not fully usable would see at a DORI level, past
    the area's walls: worked out once per (area, level) however many of its zones have blind
    spots, each area's walls flattened once and each camera swept once at any level
    (`footprints`' `regions`). Only the cameras of the area count: a blind spot lies in its
    area's ground frame and behind its walls (a camera one floor up does not cover it)."""

    def __init__(self, lost: list[Camera], areas: dict[str, Area]) -> None:
        self.lost, self.areas = lost, areas
        self._segs: dict[str, NDArray[np.float64]] = {}
        self._regions: dict[str, BaseGeometry | None] = {}  # by camera name
        self._seen: dict[tuple[str, str], list[tuple[str, BaseGeometry]]] = {}

    def at(self, area: str, dori: str) -> list[tuple[str, BaseGeometry]]:
        key = (area, dori)
        if key not in self._seen:
            mine = [c for c in self.lost if c.area == area]
            if area not in self._segs:
                self._segs[area] = wall_segments(self.areas[area].walls)
            jobs = [(camera_view(c), dori) for c in mine]
            seen = footprints(jobs, self._segs[area], self._regions) if mine else []
            self._seen[key] = [(c.name, g) for c, g in zip(mine, seen, strict=True)]
        return self._seen[key]


def check(ctx: CheckContext) -> CheckResult:
    school, city, states = ctx.school, ctx.city, ctx.states
    tier = city.tiers[school.tier]
    cams = camera_states(school, states)
    live = [
        _as_live(c, states.get(c.name))
        for c in school.cameras
        if cams[c.name]["state"] in (OK, MISCONFIGURED)
    ]
    planned = school_coverage(school)
    effective = school_coverage(school, live)
    areas = {a.id: a for a in school.areas}
    lost = [c for c in school.cameras if cams[c.name]["state"] != OK]
    lost_views = _LostViews(lost, areas)
    findings: list[Finding] = []
    zones: dict[str, Any] = {}
    for zone in school.zones():
        eff, plan = effective[zone.id], planned[zone.id]
        spots: list[dict[str, Any]] = []
        seen_by_lost = lost_views.at(zone.area, zone.dori) if eff.blind_spots else []
        for spot in eff.blind_spots:
            shape = Polygon(spot.polygon)
            would = [name for name, seen in seen_by_lost if seen.intersects(shape)]
            views = [camera_view(c) for c in live if c.area == zone.area]
            why = explain_spot(spot.polygon, views, zone.dori, areas[zone.area].walls, zone.area)
            spots.append(
                {
                    "area_m2": round(spot.area_m2, 2),
                    "centroid": list(spot.centroid),
                    "polygon": [list(p) for p in spot.polygon],
                    "would_be_covered_by": would,
                    "why": why.as_dict(),
                }
            )
        zones[zone.id] = {
            "area": zone.area,
            "importance": zone.importance,
            "dori": zone.dori,
            "planned_ratio": round(plan.ratio, 4),
            "effective_ratio": round(eff.ratio, 4),
            "blind_spots": spots,
        }
        if zone.importance == "optional":
            continue
        target = getattr(tier.coverage, zone.importance)
        if meets(eff.ratio, target):
            findings.append(
                Finding(
                    zone.id,
                    PASS,
                    _("{importance} zone covered {ratio:.1%} at {dori}").format(
                        importance=words.importance(zone.importance),
                        ratio=eff.ratio,
                        dori=words.dori(zone.dori),
                    ),
                )
            )
            continue
        where = "; ".join(
            _("blind spot {area_m2:.1f} m² at ({x:.1f}, {y:.1f})").format(
                area_m2=s["area_m2"], x=s["centroid"][0], y=s["centroid"][1]
            )
            + (
                _(" that {listed} would cover").format(listed=", ".join(s["would_be_covered_by"]))
                if s["would_be_covered_by"]
                else f": {s['why']['hint']}"
            )
            for s in spots[:3]
        )
        findings.append(
            Finding(
                zone.id,
                FAIL,
                _(
                    "{importance} zone covered {ratio:.1%} at {dori} (planned {ratio2:.1%},"
                    " target {target:.0%}): {where}"
                ).format(
                    importance=words.importance(zone.importance),
                    ratio=eff.ratio,
                    dori=words.dori(zone.dori),
                    ratio2=plan.ratio,
                    target=target,
                    where=where,
                ),
                {"area": zone.area},
            )
        )
    for name, info in cams.items():
        if info["state"] != OK:
            findings.append(
                Finding(
                    name,
                    FAIL if info["state"] != MISCONFIGURED else PASS,
                    _("camera {state}: {detail}").format(
                        state=_(CAMERA_STATES.get(info["state"], info["state"])),
                        detail=info["detail"],
                    ),
                )
            )
    failing = sum(f.verdict == FAIL and f.subject in zones for f in findings)
    summary = (
        _("{failing} zone(s) below target; {n_lost} camera(s) not fully usable").format(
            failing=failing, n_lost=len(lost)
        )
        if failing or lost
        else _("every critical and required zone meets its target")
    )
    evidence = {
        "targets": {"critical": tier.coverage.critical, "required": tier.coverage.required},
        "cameras": cams,
        "zones": zones,
    }
    return CheckResult.of("coverage", findings, summary, evidence)


CHECK = Check("coverage", check, needs_state=True)
