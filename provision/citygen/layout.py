"""Site plans and camera placements for generated schools.

A school is laid out the way Dalian's model sites are: a teaching building whose every floor
has a corridor with a stairwell at each end, a gate with its passage and the plaza outside it
(the strictly managed zone), a playground or yard, and for larger schools a canteen. Camera
positions follow what an installer does and were checked with the coverage geometry: every
critical and required zone meets the strictest tier target (kindergarten: 100%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Pt = list[float]

WIDE: dict[str, float] = {"hfov_deg": 100}  # 2.8 mm class lens, for corners of small rooms
TELE: dict[str, float] = {
    "focal_mm": 8.0,
    "sensor_width_mm": 5.57,
}  # for the face-capture view of the gate


@dataclass(frozen=True)
class TierLayout:
    floors: int
    corridor_m: float
    playground: tuple[float, float]  # width, depth
    canteen: bool
    students: tuple[int, int]
    # Share of the students who board: a fixed share, not a random draw, so the generator's
    # random stream (and every other figure of a generated city) stays what it was.
    boarding_share: float = 0.0


TIER_LAYOUTS = {
    "high": TierLayout(4, 48, (50, 40), True, (1800, 2600), boarding_share=0.3),
    "middle": TierLayout(3, 48, (50, 40), True, (1000, 1800)),
    "primary": TierLayout(3, 40, (40, 30), False, (600, 1400)),
    "kindergarten": TierLayout(2, 30, (20, 12), False, (150, 400)),
}


def rect(x0: float, y0: float, x1: float, y1: float) -> list[Pt]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def zone(zid: str, kind: str, importance: str, dori: str, poly: list[Pt]) -> dict[str, Any]:
    return {"id": zid, "kind": kind, "importance": importance, "dori": dori, "polygon": poly}


def cam(
    name: str,
    area: str,
    x: float,
    y: float,
    h: float,
    heading: float,
    tilt: float,
    lens: dict[str, float] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "area": area,
        "mount": {"x": x, "y": y, "height": h, "heading": heading, "tilt": tilt},
    }
    if lens:
        out["lens"] = lens
    return out


def teaching_floor(n: int, length: float, bx: float = 10, by: float = 20) -> tuple[dict, list]:
    """One floor: corridor (x along the building) with stairwells at both ends."""
    area = f"teach-{n}f"
    x1 = bx + length
    walls = [
        [[bx, by], [x1, by]],  # outer wall along the corridor
        [[bx, by + 3], [bx + length / 4 - 0.6, by + 3]],  # classroom side, doors between
        [[bx + length / 4 + 0.6, by + 3], [bx + length * 3 / 4 - 0.6, by + 3]],
        [[bx + length * 3 / 4 + 0.6, by + 3], [x1, by + 3]],
        [[x1, by + 3], [x1, by + 6], [x1 + 4, by + 6], [x1 + 4, by], [x1, by]],
        [[bx, by + 3], [bx, by + 6], [bx - 4, by + 6], [bx - 4, by], [bx, by]],
    ]
    spec = {
        "id": area,
        "name": f"教学楼{n}层",
        "building": "teaching",
        "floor": n,
        "outline": rect(bx - 4, by, x1 + 4, by + 11),
        "walls": walls,
        "zones": [
            zone(f"corridor-{n}f", "corridor", "critical", "observe", rect(bx, by, x1, by + 3)),
            zone(
                f"stair-w-{n}f", "stairwell", "critical", "recognise", rect(bx - 4, by, bx, by + 6)
            ),
            zone(
                f"stair-e-{n}f", "stairwell", "critical", "recognise", rect(x1, by, x1 + 4, by + 6)
            ),
        ],
    }
    mid = bx + length / 2
    cams = [
        cam(f"t{n}f-corr-w", area, bx + 0.3, by + 1.5, 3, 0, -15),
        cam(f"t{n}f-corr-e", area, x1 - 0.3, by + 1.5, 3, 180, -15),
        cam(f"t{n}f-corr-mid-e", area, mid, by + 1.5, 3, 0, -15),
        cam(f"t{n}f-corr-mid-w", area, mid, by + 1.5, 3, 180, -15),
        cam(f"t{n}f-stair-w1", area, bx - 0.2, by + 0.2, 3, 135, -30, WIDE),
        cam(f"t{n}f-stair-w2", area, bx - 3.8, by + 5.8, 3, 315, -30, WIDE),
        cam(f"t{n}f-stair-e1", area, x1 + 0.2, by + 0.2, 3, 45, -30, WIDE),
        cam(f"t{n}f-stair-e2", area, x1 + 3.8, by + 5.8, 3, 225, -30, WIDE),
    ]
    return spec, cams


def gate() -> tuple[dict, list]:
    """The gate: face capture in the passage, the plaza outside watched from the wall."""
    spec = {
        "id": "gate",
        "name": "校门",
        "outdoor": True,
        "walls": [[[-10, 0], [24, 0]], [[28, 0], [130, 0]]],
        "zones": [
            zone("gate-passage", "gate", "critical", "identify", rect(24, -2, 28, 1)),
            zone("gate-plaza", "entrance", "critical", "recognise", rect(19, -13, 33, -5)),
        ],
    }
    cams = [
        cam("gate-face", "gate", 26, 9, 3.5, 270, -15, TELE),
        cam("gate-plaza-w", "gate", 17, -0.3, 4.5, 300, -20),
        cam("gate-plaza-e", "gate", 35, -0.3, 4.5, 240, -20),
    ]
    return spec, cams


def playground(width: float, depth: float, kindergarten: bool) -> tuple[dict, list]:
    x0, y0 = 70.0, 10.0
    x1, y1 = x0 + width, y0 + depth
    kind, dori = ("yard", "observe") if kindergarten else ("playground", "detect")
    spec = {
        "id": "playground",
        "name": "户外活动场地" if kindergarten else "操场",
        "outdoor": True,
        "zones": [zone("playground", kind, "required", dori, rect(x0, y0, x1, y1))],
    }
    cams = [
        cam("play-sw", "playground", x0 - 0.2, y0 - 0.2, 6, 45, -15, WIDE),
        cam("play-ne", "playground", x1 + 0.2, y1 + 0.2, 6, 225, -15, WIDE),
    ]
    if kindergarten:  # observe level across the yard needs 4K on a wide lens
        for c in cams:
            c["mount"]["height"] = 3.5
            c["video"] = {"resolution": "3840x2160", "bitrate_kbps": 4096}
    return spec, cams


def canteen() -> tuple[dict, list]:
    x0, y0, x1, y1 = 10.0, 45.0, 30.0, 57.0
    spec = {
        "id": "canteen",
        "name": "食堂",
        "building": "canteen",
        "floor": 1,
        "outline": rect(x0, y0, x1, y1),
        "walls": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
        "zones": [zone("canteen-hall", "canteen", "required", "observe", rect(x0, y0, x1, y1))],
    }
    cams = [
        cam("canteen-sw", "canteen", x0 + 0.2, y0 + 0.2, 3.5, 45, -20, WIDE),
        cam("canteen-ne", "canteen", x1 - 0.2, y1 - 0.2, 3.5, 225, -20, WIDE),
    ]
    for c in cams:  # each must see into the other's blind corner, 23 m away, at observe level
        c["video"] = {"resolution": "3840x2160", "bitrate_kbps": 4096}
    return spec, cams


def site(tier: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The site plan and the cameras of a school of this tier."""
    layout = TIER_LAYOUTS[tier]
    parts = [gate()]
    parts += [teaching_floor(n, layout.corridor_m) for n in range(1, layout.floors + 1)]
    parts.append(playground(*layout.playground, kindergarten=tier == "kindergarten"))
    if layout.canteen:
        parts.append(canteen())
    areas = [p[0] for p in parts]
    cameras = [c for p in parts for c in p[1]]
    spec = {
        "perimeter": {
            "boundary": rect(-10, 0, 130, 80),
            "strict_m": 50,
            "control_m": 200,
            "strict_managed_by": ["护校队", "专职巡防队"],
            "control_managed_by": ["社区民警", "巡逻民警"],
        },
        "areas": areas,
    }
    return spec, cameras


def _moved(points: list[Pt], dx: float, dy: float) -> list[Pt]:
    return [[round(x + dx, 3), round(y + dy, 3)] for x, y in points]


def moved_site(spec: dict[str, Any], cameras: list[dict[str, Any]], dx: float, dy: float) -> None:
    """Move a site plan and its cameras by (dx, dy) metres, in place.

    Each school of a real city has its own plan; a generated one repeats its tier's, so the
    coverage cache would serve most of a generated city from a few entries. Moved by a
    distinct offset, every school's areas have their own digests and their geometry is
    computed in full, as on a city's first run, while every figure stays what the tier's
    plan was checked for.
    """
    perimeter = spec["perimeter"]
    perimeter["boundary"] = _moved(perimeter["boundary"], dx, dy)
    for area in spec["areas"]:
        if "outline" in area:
            area["outline"] = _moved(area["outline"], dx, dy)
        if "walls" in area:
            area["walls"] = [_moved(wall, dx, dy) for wall in area["walls"]]
        for z in area["zones"]:
            z["polygon"] = _moved(z["polygon"], dx, dy)
    for c in cameras:
        c["mount"]["x"] = round(c["mount"]["x"] + dx, 3)
        c["mount"]["y"] = round(c["mount"]["y"] + dy, 3)
