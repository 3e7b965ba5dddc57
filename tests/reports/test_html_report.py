"""The HTML audit report, rendered from a hand-built CityReport of the example city.

The report has one school per verdict, given out of order: dl-zs-p007 errors (its alarm
check itself failed), dl-zs-h024 fails (camera gate-face obstructed with a 10 m² blind spot
in gate-passage, alarm panel gate-sos never reached the centre, the gate-face stream is
offline), dl-xg-m016 warns and dl-xg-k003 passes.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from tooling import require_program

from provision.coverage.school import school_coverage
from provision.i18n import speaking
from provision.inventory.loader import load_inventory
from provision.inventory.model import City, School
from provision.reports.html import render_html
from provision.reports.html_svg import legend
from provision.verify.model import (
    ERROR,
    FAIL,
    PASS,
    WARN,
    CheckResult,
    CityReport,
    Finding,
    SchoolReport,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
CHECKS = ("reachability", "streams", "coverage", "alarm", "policy")
BROKEN = "dl-zs-h024"
# The blind spot: 4 m x 2.5 m of the 4 m x 3 m gate passage (x 24..28, y -2..1).
SPOT = [[24.0, -2.0], [28.0, -2.0], [28.0, 0.5], [24.0, 0.5]]
SPOT_M2 = 10.0
ALARM_ERROR = "no ACK from receiver 10.200.1.20:12128 after 3 retries"


@pytest.fixture(scope="module")
def city() -> City:
    return load_inventory(EXAMPLE).city


def coverage_check(school: School, city: City, broken: bool) -> CheckResult:
    planned = school_coverage(school)
    zones: dict[str, Any] = {}
    for zone in school.zones():
        ratio = round(planned[zone.id].ratio, 4)
        zones[zone.id] = {
            "area": zone.area,
            "importance": zone.importance,
            "dori": zone.dori,
            "planned_ratio": ratio,
            "effective_ratio": ratio,
            "blind_spots": [],
        }
    cameras = {c.name: {"state": "ok", "detail": ""} for c in school.cameras}
    findings = [Finding(z, PASS, "covered") for z in zones]
    if broken:
        cameras["gate-face"] = {
            "state": "obstructed",
            "detail": "picture is uniform (stddev 0.4): lens covered",
        }
        zones["gate-passage"].update(
            effective_ratio=round(1 - SPOT_M2 / 12.0, 4),
            blind_spots=[
                {
                    "area_m2": SPOT_M2,
                    "centroid": [26.0, -0.75],
                    "polygon": SPOT,
                    "would_be_covered_by": ["gate-face"],
                }
            ],
        )
        findings = [
            Finding(
                "gate-passage",
                FAIL,
                "critical zone covered 16.7% at identify (planned "
                "100.0%, target 100%): blind spot 10.0 m² at (26.0, -0.8)",
            ),
            Finding("gate-face", FAIL, "camera obstructed: picture is uniform"),
        ]
    tier = city.tiers[school.tier].coverage
    evidence = {
        "targets": {"critical": tier.critical, "required": tier.required},
        "cameras": cameras,
        "zones": zones,
    }
    return CheckResult.of("coverage", findings, "zones below target" if broken else "ok", evidence)


def alarm_check(school: School, broken: bool) -> CheckResult:
    panels: dict[str, Any] = {}
    findings = []
    for panel in school.alarms:
        failed = broken and panel.name == "gate-sos"
        panels[panel.name] = {
            "account": panel.account,
            "received": not failed,
            "latency_s": None if failed else 0.42,
            "error": ALARM_ERROR if failed else None,
            "periodic": {"interval_h": 24, "last_602": "2026-11-29T19:00:00Z"},
        }
        findings.append(
            Finding(
                panel.name,
                FAIL if failed else PASS,
                f"test alarm not received: {ALARM_ERROR}" if failed else "ok",
            )
        )
    return CheckResult.of(
        "alarm",
        findings,
        "1 panel failed" if broken else "ok",
        {"threshold_s": 10.0, "panels": panels},
    )


def streams_check(school: School, broken: bool) -> CheckResult:
    streams: dict[str, Any] = {}
    findings = []
    for cam in school.cameras:
        if not cam.forward:
            continue
        offline = broken and cam.name == "gate-face"
        streams[f"{school.id}-{cam.name}"] = {
            "camera": cam.name,
            "online": not offline,
            "url": f"rtsp://127.200.1.10:8554/school/{school.id}-{cam.name}",
            "packets": 0 if offline else 12,
            "first_packet_ms": None if offline else 3.1,
            "error": "RTSP DESCRIBE: 404 Not Found" if offline else None,
        }
        findings.append(
            Finding(cam.name, FAIL if offline else PASS, "stream offline" if offline else "online")
        )
    return CheckResult.of(
        "streams", findings, "1 stream offline" if broken else "ok", {"streams": streams}
    )


def school_report(school: School, city: City) -> SchoolReport:
    broken = school.id == BROKEN
    checks = [CheckResult.of("reachability", [Finding("all", PASS, "every device answers")], "ok")]
    if school.id != "dl-zs-p007":  # a check may be missing (not selected)
        checks.append(streams_check(school, broken))
    checks.append(coverage_check(school, city, broken))
    if school.id == "dl-zs-p007":  # the check itself failed: verdict error, no evidence
        checks.append(
            CheckResult(
                "alarm",
                ERROR,
                "alarm centre API unreachable",
                [Finding("alarm-center", ERROR, "connection refused")],
            )
        )
    else:
        checks.append(alarm_check(school, broken))
    policy = WARN if school.id == "dl-xg-m016" else PASS
    checks.append(
        CheckResult.of(
            "policy",
            [Finding("patrols", policy, "4 patrols a day")],
            "patrols" if policy == WARN else "meets the standard",
        )
    )
    return SchoolReport(
        school.id, school.name, school.tier, school.district, school.precinct, checks
    )


def city_report(city: City) -> CityReport:
    return CityReport(
        city=city.id,
        inventory="examples/dalian",
        checks=CHECKS,
        started=datetime(2026, 11, 30, tzinfo=UTC).timestamp(),
        seconds=3.2,
        schools=[school_report(s, city) for s in city.schools],
    )


@pytest.fixture(scope="module")
def page(city: City) -> str:
    return render_html(city_report(city), city)


@pytest.fixture(scope="module")
def doc(page: str) -> Any:
    return lxml.html.fromstring(page)


def text(el: Any) -> str:
    return " ".join(el.text_content().split())


def test_one_section_per_school_worst_first(doc: Any, city: City) -> None:
    sections = doc.xpath("//section[@class='school']")
    order = ["dl-zs-p007", BROKEN, "dl-xg-m016", "dl-xg-k003"]
    assert [s.get("data-school") for s in sections] == order
    listed = doc.xpath("//table[@class='school-list']//tr[@data-school]")
    assert [r.get("data-school") for r in listed] == order
    assert doc.xpath("//*[@id='city-verdict']")[0].text_content().strip() == ERROR
    # each verdict cell is colour-coded and links to the check in the school's section
    row = listed[1]
    cells = row.xpath("./td")
    assert [c.get("class") for c in cells[5:]] == ["v-pass", "v-fail", "v-fail", "v-fail", "v-pass"]
    for link in row.xpath(".//a/@href"):
        assert doc.xpath(f"//*[@id='{link[1:]}']"), link
    # a check the school did not run is shown, not dropped
    assert listed[0].xpath("./td")[6].get("class") == "v-none"


def test_self_contained(page: str, doc: Any) -> None:
    assert not doc.xpath("//script | //link | //img | //iframe | //object | //*[@src]")
    assert all(href.startswith("#") for href in doc.xpath("//@href"))
    assert "url(" not in page and "@import" not in page


def test_district_and_tier_pass_rates(doc: Any) -> None:
    tables = doc.xpath("//table[@class='groups']")
    rates = [
        {
            text(r.xpath("./td")[0]): text(r.xpath("./td[@class='rate']")[0])
            for r in t.xpath(".//tr[td]")
        }
        for t in tables
    ]
    assert rates[0] == {"中山区 (zhongshan)": "0 / 2 (0%)", "西岗区 (xigang)": "1 / 2 (50%)"}
    assert rates[1] == {
        "high": "0 / 1 (0%)",
        "middle": "0 / 1 (0%)",
        "primary": "0 / 1 (0%)",
        "kindergarten": "1 / 1 (100%)",
    }


def _area_m2(path: str, px_per_m: float) -> float:
    pts = [tuple(map(float, p)) for p in re.findall(r"([-\d.]+) ([-\d.]+)", path)]
    twice = sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True)
    )
    return abs(twice) / 2 / px_per_m**2


def test_blind_spot_in_red_in_the_gate_map_only(doc: Any) -> None:
    section = doc.xpath(f"//section[@data-school='{BROKEN}']")[0]
    maps = {svg.get("data-area"): svg for svg in section.xpath(".//svg[@class='floor-map']")}
    assert set(maps) == {
        "gate",
        "teach-1f",
        "teach-2f",
        "teach-3f",
        "teach-4f",
        "playground",
        "canteen",
    }
    (spot,) = maps["gate"].xpath(".//path[@class='blind-spot']")
    assert spot.get("fill") == "#ff0000"
    assert spot.get("data-zone") == "gate-passage"
    assert _area_m2(spot.get("d"), float(maps["gate"].get("data-px-per-m"))) == pytest.approx(
        SPOT_M2, rel=0.02
    )
    assert "gate-face would cover it" in text(spot)
    assert all(
        not svg.xpath(".//path[@class='blind-spot']") for a, svg in maps.items() if a != "gate"
    )
    (zone,) = maps["gate"].xpath(".//path[@data-zone='gate-passage'][contains(@class, 'zone')]")
    assert "zone-very-low" in zone.get("class")
    # footprints are drawn as paths for the cameras of this area
    assert {p.get("data-camera") for p in maps["gate"].xpath(".//path[@class='footprint']")} == {
        "gate-face",
        "gate-plaza-w",
        "gate-plaza-e",
    }
    # the schools that pass have no blind spot anywhere
    assert len(doc.xpath("//path[@class='blind-spot']")) == 1


def test_failed_camera_marked(doc: Any) -> None:
    gate = doc.xpath(f"//section[@data-school='{BROKEN}']//svg[@data-area='gate']")[0]
    failed = gate.xpath(".//g[@class='camera failed']")
    assert [g.get("data-camera") for g in failed] == ["gate-face"]
    assert failed[0].xpath(".//path[@class='failed-x']")
    assert "gate-face (obstructed)" in text(failed[0])
    assert "lens covered" in text(failed[0].xpath("./title")[0])
    assert len(doc.xpath("//g[@class='camera failed']")) == 1
    row = doc.xpath(
        f"//section[@data-school='{BROKEN}']//table[@class='cameras']//tr[@data-camera='gate-face']"
    )
    assert row and "obstructed" in text(row[0])


def test_failed_alarm_and_offline_stream_listed(doc: Any) -> None:
    section = doc.xpath(f"//section[@data-school='{BROKEN}']")[0]
    (row,) = section.xpath(".//table[@class='alarms']//tr[@data-panel='gate-sos']")
    assert row.get("class") == "panel-failed"
    assert f"not received: {ALARM_ERROR}" in text(row)
    (ok,) = section.xpath(".//table[@class='alarms']//tr[@data-panel='teach-sos']")
    assert "0.42 s" in text(ok) and ok.get("class") == "panel-ok"
    failures = text(section.xpath(".//table[@class='failures']")[0])
    assert ALARM_ERROR in failures and "camera obstructed" in failures
    (stream,) = section.xpath(".//table[@class='streams']//tr[@class='stream-failed']")
    assert stream.get("data-camera") == "gate-face" and "404 Not Found" in text(stream)
    # the check that errored with no evidence is reported, not a crash
    errored = doc.xpath("//section[@data-school='dl-zs-p007']")[0]
    assert "alarm centre API unreachable" in text(errored)
    assert "streams check not run" in text(errored)


def test_inventory_text_is_escaped(city: City) -> None:
    evil = "<script>alert('x')</script>第十六中学 & co"
    school = city.school("dl-xg-m016")
    areas = list(school.areas)
    areas[0] = dataclasses.replace(areas[0], name="<img src=x onerror=alert(1)>")
    zones = list(areas[1].zones)
    zones[0] = dataclasses.replace(zones[0], name="<b>corridor</b>")
    areas[1] = dataclasses.replace(areas[1], zones=tuple(zones))
    bad = dataclasses.replace(school, name=evil, areas=tuple(areas))
    other = dataclasses.replace(city, schools=[bad])
    report = CityReport(
        city=city.id, inventory="<inv>", checks=CHECKS, schools=[school_report(bad, other)]
    )
    page = render_html(report, other)
    assert "<script" not in page and "<img" not in page and "<b>corridor" not in page
    doc = lxml.html.fromstring(page)
    assert not doc.xpath("//script | //img | //b[text()='corridor']")
    assert evil in text(doc.xpath("//section[@class='school']//h2")[0])
    assert "<img src=x onerror=alert(1)>" in text(doc.xpath("//figcaption")[0])
    assert doc.xpath("//svg[@data-area='teach-1f']//tspan[text()='<b>corridor</b>']")


def test_missing_checks_and_unknown_school(city: City) -> None:
    """Only some checks, a school the inventory lacks, evidence of the wrong shape."""
    odd = CheckResult(
        "coverage",
        FAIL,
        "odd",
        evidence={
            "targets": "no",
            "cameras": {"gate-face": None},
            "zones": {
                "gate-passage": {
                    "area": "gate",
                    "effective_ratio": "x",
                    "blind_spots": [{"polygon": [[1]], "would_be_covered_by": 5}, 3],
                },
                "gate-plaza": {"blind_spots": 7, "area": ["gate"]},
            },
        },
    )
    alarm = CheckResult(
        "alarm", FAIL, "odd", evidence={"threshold_s": "10", "panels": {"p": {"periodic": 5}}}
    )
    streams = CheckResult(
        "streams",
        FAIL,
        "odd",
        evidence={"streams": {"s": 5, "t": {"online": "yes", "packets": "many"}}},
    )
    report = CityReport(
        city=city.id,
        inventory="x",
        checks=("coverage", "alarm"),
        schools=[
            SchoolReport("dl-xg-m016", "m", "middle", "xigang", "p", [odd, alarm, streams]),
            SchoolReport("nowhere", "n", "secret", "nowhere", "p", []),
        ],
    )
    doc = lxml.html.fromstring(render_html(report, city))
    assert len(doc.xpath("//section[@class='school']")) == 2
    assert doc.xpath("//section[@data-school='nowhere']//b[contains(., 'not in the inventory')]")
    # the unreadable zone is shaded "not measured"; the panels the evidence lacks are listed
    gate = doc.xpath("//svg[@data-area='gate']")[0]
    assert gate.xpath(".//path[@data-zone='gate-passage'][contains(@class, 'zone-unknown')]")
    assert not gate.xpath(".//path[@class='blind-spot']")
    panels = doc.xpath("//table[@class='alarms']//tr/@data-panel")
    assert panels == ["p", "gate-sos", "teach-sos"]
    # no school at all still makes a page
    empty = CityReport(city=city.id, inventory="x", checks=CHECKS)
    assert "No school was audited" in render_html(empty, city)


def _chromium(chromium: str, tmp_path: Path, *args: str) -> None:
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_renders_in_a_real_browser(city: City, tmp_path: Path, language: str) -> None:
    """The page in each language, as Chromium draws it: the blind spot is on the screen, and
    the Chinese page's fonts draw Chinese, not tofu (checked against a machine whose
    fontconfig sees no CJK font: the probe fails there)."""
    chromium = require_program("chromium", "chromium")
    from PIL import Image

    with speaking(language):
        page = render_html(city_report(city), city)
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    html.write_text(page, encoding="utf-8")
    # 8000 px tall: every failing school shows its floor maps
    _chromium(chromium, tmp_path, f"--screenshot={png}", "--window-size=1400,8000", html.as_uri())
    assert png.exists()
    image = Image.open(png).convert("RGB")
    assert image.size == (1400, 8000)
    assert len(image.getcolors(maxcolors=1 << 20) or ()) > 50
    red = sum(
        n
        for n, (r, g, b) in image.getcolors(maxcolors=1 << 20) or ()
        if r > 230 and g < 60 and b < 60
    )
    # more than the 18 x 12 px legend swatch: the blind spot itself is on the screen
    assert red > 1000, "the blind spot is not visible"
    if language == "zh_CN":
        _assert_cjk_glyphs(chromium, tmp_path, page)


def _assert_cjk_glyphs(chromium: str, tmp_path: Path, page: str) -> None:
    """The Chinese page's fonts draw Chinese: two characters, in the page's own stylesheet
    and language, drawn large, must look different. Without a CJK font both are the same
    empty box (tofu)."""
    from PIL import Image, ImageChops

    head = page[: page.index("</head>")]
    probe = tmp_path / "probe.html"
    probe.write_text(
        head + "</head><body style='margin:0'>"
        "<div style='position:absolute;left:0;top:0;font-size:100px;line-height:1'>校</div>"
        "<div style='position:absolute;left:200px;top:0;font-size:100px;line-height:1'>园</div>"
        "</body></html>",
        encoding="utf-8",
    )
    png = tmp_path / "probe.png"
    _chromium(chromium, tmp_path, f"--screenshot={png}", "--window-size=400,200", probe.as_uri())
    image = Image.open(png).convert("L")
    first, second = image.crop((0, 0, 120, 130)), image.crop((200, 0, 320, 130))
    assert ImageChops.difference(first, second).getbbox() is not None, "CJK text is tofu"
    # and a glyph is drawn at all: a character fills more than a box's outline would
    assert sum(first.histogram()[:128]) > 800


def test_an_optional_zone_is_not_counted_nor_drawn_red_and_a_failing_school_shows_its_maps(
    city: City,
) -> None:
    school = next(s for s in city.schools if s.id == "dl-xg-k003")
    areas = tuple(
        dataclasses.replace(
            a, zones=tuple(dataclasses.replace(z, importance="optional") for z in a.zones)
        )
        if a.id == "playground"
        else a
        for a in school.areas
    )
    school = dataclasses.replace(school, areas=areas)
    here = dataclasses.replace(city, schools=[school])
    coverage = coverage_check(school, here, broken=False)
    coverage.evidence["zones"]["playground"].update(
        effective_ratio=0.0,
        blind_spots=[
            {
                "area_m2": 240.0,
                "centroid": [80, 16],
                "polygon": [[70, 10], [90, 10], [90, 22], [70, 22]],
            }
        ],
    )
    report = CityReport(
        city=city.id,
        inventory="x",
        checks=("coverage", "alarm"),
        schools=[
            SchoolReport(
                school.id,
                school.name,
                school.tier,
                school.district,
                school.precinct,
                [coverage, alarm_check(school, broken=True)],
            )
        ],
    )
    doc = lxml.html.fromstring(render_html(report, here))
    section = doc.xpath("//section[@class='school']")[0]
    targeted = len(list(school.zones())) - 1
    assert f"{targeted} of {targeted} zone(s) with a target meet it (1 optional" in text(section)
    assert not doc.xpath("//svg[@data-area='playground']//path[@class='blind-spot']")
    # the school fails (its alarm), so its floor maps are open though coverage passed
    assert section.xpath(".//details[@class='maps'][@open]")


def test_the_map_key_draws_its_swatches() -> None:
    key = lxml.html.fragment_fromstring(str(legend()), create_parent="p")
    assert len(key.findall(".//svg")) == len(key.findall("span")) > 5
    assert "<svg" not in key.text_content()  # not printed as SVG source
