"""Every verify report format in Chinese, from one small CityReport; JUnit and JSON keep the
codes a CI or a pipeline matches on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import lxml.html
import pytest

from provision.i18n import display_width, speaking
from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.reports.html import render_html
from provision.reports.verify import to_json, to_junit, to_markdown, to_text
from provision.verify.model import FAIL, PASS, CheckResult, CityReport, Finding, SchoolReport

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture(scope="module")
def city() -> City:
    return load_inventory(EXAMPLE).city


@pytest.fixture(scope="module")
def report() -> CityReport:
    failing = CheckResult.of(
        "coverage", [Finding("gate-passage", FAIL, "盲区 12.0 m²")], "1 个区域未达标"
    )
    fine = CheckResult.of("reachability", [Finding("gate-face", PASS, "ok")], "1/1")
    return CityReport(
        city="dalian",
        inventory="examples/dalian",
        checks=("reachability", "coverage"),
        started=datetime(2026, 12, 6, 4, 30, tzinfo=UTC).timestamp(),
        seconds=2.5,
        schools=[
            SchoolReport(
                "dl-zs-h024", "大连市第二十四中学", "high", "zhongshan", "p", [fine, failing]
            ),
            SchoolReport("dl-xg-k003", "西岗区第三幼儿园", "kindergarten", "xigang", "p", [fine]),
        ],
    )


def test_text(report: CityReport) -> None:
    with speaking("zh"):
        text = to_text(report)
    assert "核查 examples/dalian：2 所学校，用时 2.5 秒" in text
    assert "结果：1/2 所学校通过；结论：不通过" in text
    head, rule = text.splitlines()[2:4]
    assert "学校" in head and "在线状态" in head and "覆盖率" in head
    # the columns line up on a terminal, where a Chinese character takes two columns
    assert display_width(head.rstrip()) <= len(rule)
    rows = text.splitlines()[4:6]
    assert "高中" in rows[0] and "不通过" in rows[0] and "幼儿园" in rows[1]


def test_markdown(report: CityReport) -> None:
    with speaking("zh"):
        md = to_markdown(report)
    assert "**1/2 所学校通过**" in md
    assert "| 学校 | 学段 | 在线状态 | 覆盖率 |" in md
    assert "#### 不通过项" in md and "- **dl-zs-h024** 覆盖率: 1 个区域未达标" in md


def test_junit_keeps_check_codes_as_test_names(report: CityReport) -> None:
    with speaking("zh"):
        root = ET.fromstring(to_junit(report).split("\n", 1)[1])
    names = {case.get("name") for case in root.iter("testcase")}
    assert names == {"reachability", "coverage"}
    failure = next(root.iter("failure"))
    assert failure.get("message") == "1 个区域未达标" and failure.get("type") == "fail"


def test_json_is_the_same_in_both_languages(report: CityReport) -> None:
    english = to_json(report)
    with speaking("zh"):
        assert to_json(report) == english
    assert json.loads(english)["schools"][0]["checks"][1]["verdict"] == "fail"


def test_html_lang_headings_and_date(report: CityReport, city: City) -> None:
    with speaking("zh"):
        doc = lxml.html.fromstring(render_html(report, city))
    assert doc.get("lang") == "zh-CN"
    assert doc.xpath("string(//h1)").startswith("校园安防核查报告 — 大连市")
    meta = " ".join(doc.xpath("string(//p[@class='meta'])").split())
    assert "开始于 2026年12月6日 04:30:00 UTC" in meta
    assert [h.text_content() for h in doc.xpath("//div[@class='flex']//h3")][:2] == [
        "按区县",
        "按学段",
    ]
    legend = doc.xpath("string(//details[@class='maps']//p)")
    assert "盲区（实测）" in legend and "低于目标的 80%" in legend
    english = lxml.html.fromstring(render_html(report, city))
    assert english.get("lang") == "en"
    assert "started 2026-12-06 04:30:00 UTC" in english.xpath("string(//p[@class='meta'])")
