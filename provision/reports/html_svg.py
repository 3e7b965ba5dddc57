"""Floor maps for the HTML audit report: one inline SVG per site area of a school.

Plan coordinates are metres with x east and y north; SVG's y grows downwards, so every point
goes through :class:`Frame`, which flips y and scales the area to a fixed drawing width.
Zones are shaded by the coverage the audit measured (not what was planned), camera footprints
are drawn at the loosest DORI level the area's zones need, and blind spots come verbatim from
the coverage check's evidence. Every string from the inventory or the evidence is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from markupsafe import Markup, escape
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from provision.coverage import DORI_PPM, footprint
from provision.coverage.school import camera_view, meets
from provision.i18n import N_, _
from provision.inventory.model import Area, Camera, School, Zone

Point = tuple[float, float]

#: Drawing size in px: areas are scaled to this width unless that makes them too tall.
MAP_WIDTH, MAP_MAX_HEIGHT, MAX_PX_PER_M = 880.0, 440.0, 60.0
PAD, FOOT = 14.0, 34.0  # px around the plan; px below it for the scale bar
#: A zone below this share of its target is shaded "very low" (red), not just "low" (amber).
VERY_LOW = 0.8
#: Blind spots: a pure red that nothing else on the page uses, so a screenshot can find it.
BLIND_RED = "#ff0000"
FAILED_RED = "#c00000"
SHADES = {
    "ok": ("#9ed99a", N_("meets target")),
    "low": ("#f7c463", N_("below target")),
    "very-low": ("#e8837d", N_("below {share:.0%} of target")),
    "untargeted": ("#c9ddf2", N_("no target (optional)")),
    "unknown": ("#dddddd", N_("not measured")),
}


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _points(value: Any) -> tuple[Point, ...]:
    """[[x, y], ...] from evidence, dropping anything that is not a pair of numbers."""
    out: list[Point] = []
    for item in value if isinstance(value, list | tuple) else ():
        if isinstance(item, list | tuple) and len(item) == 2:
            x, y = as_float(item[0]), as_float(item[1])
            if x is not None and y is not None:
                out.append((x, y))
    return tuple(out)


def _point(value: Any) -> Point | None:
    found = _points([value])
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class BlindSpot:
    zone: str
    area_m2: float | None
    centroid: Point | None
    polygon: tuple[Point, ...]
    would_be_covered_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ZoneState:
    zone: str
    name: str
    area: str | None
    importance: str
    dori: str
    planned: float | None
    effective: float | None
    target: float | None
    blind_spots: tuple[BlindSpot, ...]

    @property
    def shade(self) -> str:
        if self.effective is None:
            return "unknown"
        if self.target is None or self.target <= 0:
            return "untargeted"
        if meets(self.effective, self.target):
            return "ok"
        return "low" if self.effective >= VERY_LOW * self.target else "very-low"


@dataclass(frozen=True, slots=True)
class CameraState:
    name: str
    state: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.state != "ok"


@dataclass(frozen=True, slots=True)
class Coverage:
    """The coverage check's evidence, read defensively and joined with the inventory."""

    targets: dict[str, float]
    cameras: dict[str, CameraState]
    zones: dict[str, ZoneState]

    @classmethod
    def from_evidence(cls, evidence: Mapping[str, Any], school: School | None) -> Coverage:
        targets = {
            str(k): t
            for k, v in as_dict(evidence.get("targets")).items()
            if (t := as_float(v)) is not None
        }
        cameras = {
            str(name): CameraState(
                str(name),
                str(as_dict(info).get("state") or "unknown"),
                str(as_dict(info).get("detail") or ""),
            )
            for name, info in as_dict(evidence.get("cameras")).items()
        }
        planned = {z.id: z for z in school.zones()} if school else {}
        zones: dict[str, ZoneState] = {}
        for zone_id, raw in as_dict(evidence.get("zones")).items():
            info, inv = as_dict(raw), planned.get(str(zone_id))
            importance = str(info.get("importance") or (inv.importance if inv else ""))
            area = info.get("area") or (inv.area if inv else None)
            spots = tuple(
                BlindSpot(
                    str(zone_id),
                    as_float(as_dict(s).get("area_m2")),
                    _point(as_dict(s).get("centroid")),
                    _points(as_dict(s).get("polygon")),
                    tuple(str(c) for c in as_list(as_dict(s).get("would_be_covered_by"))),
                )
                for s in as_list(info.get("blind_spots"))
                if isinstance(s, dict)
            )
            zones[str(zone_id)] = ZoneState(
                zone=str(zone_id),
                name=inv.name if inv else str(zone_id),
                area=str(area) if area is not None else None,
                importance=importance,
                dori=str(info.get("dori") or (inv.dori if inv else "")),
                planned=as_float(info.get("planned_ratio")),
                effective=as_float(info.get("effective_ratio")),
                target=targets.get(importance),
                blind_spots=spots,
            )
        return cls(targets, cameras, zones)


class Frame:
    """Plan metres → SVG pixels for one area: y flipped, uniform scale, a margin around."""

    def __init__(self, points: Sequence[Point]) -> None:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        extent = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
        margin = max(1.0, 0.04 * extent)
        self.minx, self.maxy = min(xs) - margin, max(ys) + margin
        width_m, height_m = max(xs) + margin - self.minx, self.maxy - (min(ys) - margin)
        self.scale = min(MAP_WIDTH / width_m, MAP_MAX_HEIGHT / height_m, MAX_PX_PER_M)
        self.width = width_m * self.scale + 2 * PAD
        self.height = height_m * self.scale + 2 * PAD + FOOT

    def pt(self, x: float, y: float) -> Point:
        return (PAD + (x - self.minx) * self.scale, PAD + (self.maxy - y) * self.scale)

    def ring(self, points: Iterable[Sequence[float]], close: bool = True) -> str:
        coords = [self.pt(p[0], p[1]) for p in points]
        if not coords:
            return ""
        head, *rest = coords
        body = "".join(f"L{x:.1f} {y:.1f}" for x, y in rest)
        return f"M{head[0]:.1f} {head[1]:.1f}{body}{'Z' if close else ''}"


def geometry_path(geom: BaseGeometry, frame: Frame) -> str:
    """SVG path data for a shapely (multi)polygon, holes included (use fill-rule evenodd)."""
    out: list[str] = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        for ring in (part.exterior, *part.interiors):
            out.append(frame.ring(shapely.get_coordinates(ring)[:-1]))
    return "".join(out)


def loosest_dori(area: Area) -> str:
    """The DORI level with the lowest pixel density any zone of the area needs."""
    levels = [z.dori for z in area.zones if z.dori in DORI_PPM]
    return min(levels, key=DORI_PPM.__getitem__) if levels else "detect"


def _attr(text: object) -> Markup:
    return escape(str(text))


def _scale_bar(frame: Frame) -> str:
    longest = max(100.0, 0.25 * (frame.width - 2 * PAD))
    metres = next((m for m in (500, 200, 100, 50, 20, 10, 5, 2) if m * frame.scale <= longest), 1)
    px, x0, y0 = metres * frame.scale, PAD, frame.height - FOOT / 2
    return (
        f'<g class="scale-bar"><path d="M{x0:.1f} {y0 - 5:.1f}V{y0:.1f}H{x0 + px:.1f}'
        f'V{y0 - 5:.1f}" fill="none" stroke="#222" stroke-width="1.5"/>'
        f'<text x="{x0 + px + 6:.1f}" y="{y0 + 1:.1f}" font-size="11">{metres} m</text></g>'
        f'<g class="north" transform="translate({frame.width - PAD - 20:.1f},{y0 - 6:.1f})">'
        '<path d="M0 -6L5 8L0 5L-5 8Z" fill="#222"/>'
        '<text x="9" y="6" font-size="11">N</text></g>'
    )


def _camera(cam: Camera, state: CameraState | None, frame: Frame) -> str:
    x, y = frame.pt(cam.mount.x, cam.mount.y)
    rad = math.radians(cam.mount.heading)
    hx, hy = x + 14 * math.cos(rad), y - 14 * math.sin(rad)
    status = state.state if state else "not checked"
    tip = f"{cam.name}: {status}" + (f" ({state.detail})" if state and state.detail else "")
    tip += f"; heading {cam.mount.heading:g}°, field of view {cam.hfov_deg:.0f}°"
    failed = state is not None and state.failed
    mark = (
        f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{hx:.1f}" y2="{hy:.1f}" stroke="#1b3f8b" '
        f'stroke-width="2"/><circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1b3f8b" '
        'stroke="#fff" stroke-width="1"/>'
    )
    if failed:
        d = 6.0
        mark += (
            f'<path class="failed-x" d="M{x - d:.1f} {y - d:.1f}L{x + d:.1f} {y + d:.1f}'
            f'M{x - d:.1f} {y + d:.1f}L{x + d:.1f} {y - d:.1f}" stroke="{FAILED_RED}" '
            'stroke-width="3" stroke-linecap="round"/>'
            f'<text class="label failed" x="{x + 9:.1f}" y="{y - 7:.1f}" font-size="11" '
            f'fill="{FAILED_RED}" font-weight="bold">{_attr(cam.name)} ({_attr(status)})</text>'
        )
    cls = "camera failed" if failed else "camera"
    return (
        f'<g class="{cls}" data-camera="{_attr(cam.name)}" data-state="{_attr(status)}">'
        f"<title>{_attr(tip)}</title>{mark}</g>"
    )


def _zone_label(zone: Zone, ratio: float | None, frame: Frame) -> str:
    try:  # a point inside the zone, even an L-shaped one
        inside = shapely.Polygon(zone.polygon).representative_point()
        x, y = frame.pt(inside.x, inside.y)
    except (ValueError, GEOSException):  # validate refuses such zones; never crash a report
        n = max(len(zone.polygon), 1)
        x, y = frame.pt(sum(p[0] for p in zone.polygon) / n, sum(p[1] for p in zone.polygon) / n)
    pct = "n/a" if ratio is None else f"{ratio:.0%}"
    return (
        f'<text class="label" x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="middle">'
        f'<tspan x="{x:.1f}">{_attr(zone.name)}</tspan>'
        f'<tspan x="{x:.1f}" dy="13" font-weight="bold">{pct}</tspan></text>'
    )


def _zone(zone: Zone, state: ZoneState | None, frame: Frame) -> tuple[str, str]:
    """The zone's shaded polygon and its label (drawn later, above footprints and walls)."""
    shade = state.shade if state else "unknown"
    tip = f"{zone.name} ({zone.importance}, {zone.dori})"
    if state:
        tip += f": {_pct(state.effective)} covered now, {_pct(state.planned)} planned"
        tip += f", target {_pct(state.target)}" if state.target is not None else ""
    path = (
        f'<path class="zone zone-{shade}" data-zone="{_attr(zone.id)}" '
        f'd="{frame.ring(zone.polygon)}" fill="{SHADES[shade][0]}" fill-opacity="0.75" '
        f'stroke="#555" stroke-width="1"><title>{_attr(tip)}</title></path>'
    )
    ratio = state.effective if state else None
    return path, _zone_label(zone, ratio, frame)


def _footprint(cam: Camera, dori: str, area: Area, state: CameraState | None, frame: Frame) -> str:
    """The camera's footprint: translucent if it works, a dashed outline of the plan if not."""
    try:
        geom = footprint(camera_view(cam), dori, area.walls)
    except (ValueError, GEOSException):  # a camera the geometry refuses still gets its mark
        return ""
    style = (
        f'fill="none" stroke="{FAILED_RED}" stroke-width="1.2" stroke-dasharray="5 4"'
        if state and state.failed
        else 'fill="#2f6fd0" fill-opacity="0.16" stroke="#2f6fd0" stroke-opacity="0.5"'
    )
    return (
        f'<path class="footprint" data-camera="{_attr(cam.name)}" fill-rule="evenodd" '
        f'd="{geometry_path(geom, frame)}" {style}/>'
    )


def _blind_spot(spot: BlindSpot, frame: Frame) -> str:
    tip = _("blind spot in {zone}").format(zone=spot.zone)
    tip += f": {spot.area_m2:.1f} m²" if spot.area_m2 is not None else ""
    if spot.would_be_covered_by:
        tip += _("; {cameras} would cover it").format(cameras=", ".join(spot.would_be_covered_by))
    return (
        f'<path class="blind-spot" data-zone="{_attr(spot.zone)}" '
        f'd="{frame.ring(spot.polygon)}" fill="{BLIND_RED}" fill-opacity="0.9" '
        f'stroke="#a00000" stroke-width="1"><title>{_attr(tip)}</title></path>'
    )


def area_map(area: Area, cameras: Sequence[Camera], coverage: Coverage | None) -> Markup:
    """One area's floor map as inline SVG (empty markup when the area has no geometry).

    Drawn bottom to top: outline, zones, footprints, blind spots, walls, labels, cameras.
    """
    states = coverage.cameras if coverage else {}
    zones = {z: s for z, s in (coverage.zones.items() if coverage else ()) if s.area == area.id}
    # An optional zone has no target: its unwatched part is not a blind spot to fix, and red
    # on a passing school's map would say otherwise.
    spots = [
        s
        for z in zones.values()
        if z.shade != "untargeted"
        for s in z.blind_spots
        if len(s.polygon) >= 3
    ]
    here = [c for c in cameras if c.area == area.id]
    points: list[Point] = [*(area.outline or ()), *(p for z in area.zones for p in z.polygon)]
    points += [(c.mount.x, c.mount.y) for c in here] + [p for s in spots for p in s.polygon]
    if not points:
        return Markup("")
    frame = Frame(points)
    svg: list[str] = []
    if area.outline:
        svg.append(
            f'<path class="outline" d="{frame.ring(area.outline)}" fill="#fafafa" '
            'stroke="#999" stroke-width="1"/>'
        )
    drawn = [_zone(zone, zones.get(zone.id), frame) for zone in area.zones]
    svg += [path for path, _ in drawn]
    dori = loosest_dori(area)
    svg += [_footprint(c, dori, area, states.get(c.name), frame) for c in here]
    svg += [_blind_spot(spot, frame) for spot in spots]
    walls = "".join(frame.ring(w, close=False) for w in area.walls if len(w) >= 2)
    if walls:
        svg.append(
            f'<path class="walls" d="{walls}" fill="none" stroke="#333" '
            'stroke-width="3" stroke-linecap="square"/>'
        )
    svg += [label for _, label in drawn]
    svg += [_camera(c, states.get(c.name), frame) for c in here]
    svg.append(_scale_bar(frame))
    return Markup(
        f'<svg class="floor-map" data-area="{_attr(area.id)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{frame.width:.0f}" height="{frame.height:.0f}" '
        f'data-px-per-m="{frame.scale:.4f}" '
        f'viewBox="0 0 {frame.width:.1f} {frame.height:.1f}" role="img" '
        f'aria-label="{_attr(_("floor map of {area}").format(area=area.name))}">'
        f"{''.join(svg)}</svg>"
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def legend() -> Markup:
    """The key to the floor maps, as HTML with small inline SVG swatches."""

    # Markup, not str: `str + escape(...)` is Markup's __radd__, which escapes the str, and
    # the key printed its swatches as SVG source.
    def swatch(fill: str, extra: str = "") -> Markup:
        return Markup(
            f'<svg width="18" height="12" aria-hidden="true"><rect width="18" height="12" '
            f'fill="{fill}" {extra}/></svg>'
        )

    items = [
        swatch(color, 'stroke="#555"') + escape(_(text).format(share=VERY_LOW))
        for color, text in SHADES.values()
    ]
    items += [
        swatch("#2f6fd0", 'fill-opacity="0.25" stroke="#2f6fd0"') + escape(_("camera footprint")),
        swatch(BLIND_RED) + escape(_("blind spot (measured)")),
        Markup(
            '<svg width="18" height="12" aria-hidden="true"><path d="M5 6L16 6" '
            'stroke="#1b3f8b" stroke-width="2"/><circle cx="5" cy="6" r="3.5" fill="#1b3f8b"/>'
            "</svg>"
        )
        + escape(_("camera and its heading")),
        Markup(
            f'<svg width="18" height="12" aria-hidden="true"><path d="M4 1L14 11M4 11L14 1" '
            f'stroke="{FAILED_RED}" stroke-width="2.5"/></svg>'
        )
        + escape(_("camera not ok (dashed: its planned footprint)")),
    ]
    return Markup("".join(f'<span class="key">{item}</span>' for item in items))
