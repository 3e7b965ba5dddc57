"""The HTML report cut into the documents a city's PDF is printed from (no browser here: the
printed and joined PDF is tests/reports/test_pdf_report.py's): every byte of the page in
exactly one part, in order, wherever the renderer's pieces happen to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.reports.html import html_chunks, render_html
from provision.reports.pdf_parts import BODY, CLOSE, SECTION, Part, report_parts
from provision.verify.model import FAIL, PASS, CheckResult, CityReport, Finding, SchoolReport

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture(scope="module")
def city() -> City:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    return city


def audit(city: City, schools: int) -> CityReport:
    reports = []
    for n, school in enumerate(city.schools[:schools]):
        verdict = FAIL if n % 2 else PASS
        check = CheckResult.of("policy", [Finding("guards", verdict, f"guards at {n}")], "s")
        reports.append(
            SchoolReport(
                school.id, school.name, school.tier, school.district, school.precinct, [check]
            )
        )
    return CityReport(city.id, str(EXAMPLE), ("policy",), started=0.0, schools=reports)


@pytest.fixture(scope="module")
def whole(city: City) -> str:
    return render_html(audit(city, 4), city)


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="school".*?</section>\s*', html, flags=re.S)


def schools_of(part: Part) -> list[str]:
    return re.findall(r'<section class="school" id="school-([^"]*)"', part.html)


@pytest.mark.parametrize("piece", [1 << 30, 7])
def test_each_school_once_in_order_and_the_summary_first(whole: str, piece: int) -> None:
    # pieces that end anywhere, mid-tag included
    chunks = [whole[i : i + piece] for i in range(0, len(whole), piece)]
    parts = list(report_parts(chunks, 1))  # one school a part
    summary = whole[: whole.index(SECTION)]
    assert parts[0].html.startswith(summary) and SECTION not in parts[0].html
    assert {"top", "summary", "schools"} <= parts[0].anchors
    order = re.findall(r'<section class="school" id="school-([^"]*)"', whole)
    assert [schools_of(p) for p in parts[1:]] == [[s] for s in order] and len(order) == 4
    assert [s for p in parts[1:] for s in sections(p.html)] == sections(whole)
    tail = whole[whole.rindex("</section>") + len("</section>") :].lstrip()
    assert parts[-1].html.endswith(tail) and all(p.html.endswith(CLOSE) for p in parts)
    assert all(BODY not in p.html and "<main>" in p.html for p in parts[1:])  # "top" is one


def test_schools_share_a_part_up_to_its_size(whole: str) -> None:
    sizes = [len(s) for s in sections(whole)]
    summary = whole.index(SECTION) - whole.index(BODY) - len(BODY)
    parts = list(report_parts([whole], summary + sizes[0] + sizes[1]))
    assert [len(schools_of(p)) for p in parts] == [2, 2]  # the summary and two, then two
    assert parts[0].html.count(SECTION) == 2 and "Schools, worst first" in parts[0].html
    # a school larger than a part is a part of its own, never cut
    assert [len(schools_of(p)) for p in report_parts([whole], 10)] == [
        0,
        1,
        1,
        1,
        1,
    ]


def test_links_across_parts_have_a_destination_in_each(whole: str) -> None:
    parts = list(report_parts([whole], 1))
    linked = set(re.findall(r'href="#([^"]*)"', parts[0].html))
    stand_ins = set(re.findall(r'<span id="([^"]*)"></span>', parts[0].html))
    assert stand_ins == linked - parts[0].anchors and stand_ins  # the summary's links print
    for part in parts:  # and each part prints a destination for every anchor it holds
        assert part.anchors <= set(re.findall(r'<a href="#([^"]*)" hidden></a>', part.html))
    held = [a for p in parts for a in p.anchors]
    assert len(held) == len(set(held)) and linked <= set(held)


def test_a_city_without_schools_is_one_part(city: City) -> None:
    report = audit(city, 0)
    parts = list(report_parts(html_chunks(report, city), 1))  # as the renderer cuts it
    assert [p.html for p in parts] == [render_html(report, city)]
