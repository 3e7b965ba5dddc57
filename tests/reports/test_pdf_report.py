"""The PDF audit report: the example city's audit printed by headless Chromium, read back with
poppler's pdftotext and rendered with pdftoppm.

One PDF is built per module (printing takes a few seconds): every school passes its
reachability check and runs the real policy check; dl-zs-h024 has lost its guards, so its
policy check fails with the GB/T 29315 figure it falls short of (the failure and its fix).
"""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pikepdf
import pytest
from click.testing import CliRunner
from PIL import Image
from tooling import require_program

from provision import __version__
from provision.cli.main import cli
from provision.cli.verify_report import format_of, write_report
from provision.drivers.connect import Connector
from provision.errors import ProvisionError
from provision.inventory.loader import inventory_digest, load_inventory
from provision.inventory.model import City, School
from provision.reports import pdf as pdf_module
from provision.reports.html import html_chunks
from provision.reports.pdf import write_pdf
from provision.reports.pdf_parts import report_parts
from provision.reports.print_page import PageStamp, print_ready
from provision.verify.checks import policy
from provision.verify.contract import CheckContext
from provision.verify.model import PASS, CheckResult, CityReport, Finding, SchoolReport

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
PART_BYTES = 90_000
UNGUARDED = "dl-zs-h024"


def _school_report(school: School, city: City) -> SchoolReport:
    if school.id == UNGUARDED:
        security = dataclasses.replace(school.security, guards={})
        school = dataclasses.replace(school, security=security)
    ctx = CheckContext(city, school, cast(Connector, None), {}, 10.0, policy.CHECK.after)
    checks = [
        CheckResult.of("reachability", [Finding("all", PASS, "every device answers")], "ok"),
        policy.check(ctx),
    ]
    return SchoolReport(
        school.id, school.name, school.tier, school.district, school.precinct, checks
    )


@pytest.fixture(scope="module")
def city() -> City:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    return city


@pytest.fixture(scope="module")
def report(city: City) -> CityReport:
    return CityReport(
        city=city.id,
        inventory=str(EXAMPLE),
        checks=("reachability", "policy"),
        started=datetime(2026, 11, 30, 8, 15, tzinfo=UTC).timestamp(),
        seconds=2.5,
        schools=[_school_report(s, city) for s in city.schools],
    )


@pytest.fixture(scope="module")
def pdf(report: CityReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_program("chromium", "chromium")
    out = tmp_path_factory.mktemp("pdf") / "audit" / "report.pdf"
    with pytest.MonkeyPatch.context() as patch:
        # Two schools a part (their sections are 30-50 kB, the summary 7): the parts are
        # printed apart and joined, as a city's hundreds of schools are.
        patch.setattr(pdf_module, "PART_BYTES", PART_BYTES)
        write_report(report, format_of(out), str(EXAMPLE), out)
    return out


@pytest.fixture(scope="module")
def pages(pdf: Path) -> list[str]:
    pdftotext = require_program("pdftotext", "poppler-utils")
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def test_a4_pages_of_the_whole_audit(pdf: Path, pages: list[str], city: City) -> None:
    info = subprocess.run(
        [require_program("pdfinfo", "poppler-utils"), str(pdf)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "(A4)" in info
    # the city summary first, then a page (or more) per school, whose Chinese names survive
    assert "School security audit" in pages[0] and "Schools, worst first" in pages[0]
    starts = {}
    for school in city.schools:
        found = [n for n, page in enumerate(pages) if f"{school.name} {school.id}" in page]
        assert found and found[0] > 0, school.id
        starts[school.id] = found[0]
    assert len(set(starts.values())) == len(city.schools)  # each school on a page of its own
    # Chromium prints no text for characters no font has (measured: with fontconfig limited
    # to DejaVu, the name vanishes from pdftotext's output), so this says the CJK glyphs drew
    assert "大连市第二十四中学" in " ".join(pages)


def test_the_failure_and_its_fix(pages: list[str], city: City) -> None:
    school = city.school(UNGUARDED)
    first = next(n for n, page in enumerate(pages) if f"{school.name} {school.id}" in page)
    section = " ".join(pages[first : first + 3])
    assert "short of: guards" in section
    assert f"0 guard(s) for {school.non_boarding_students} non-boarding students" in section
    assert "GB/T 29315-2022 asks for" in section
    # the floor maps are printed open, not folded away behind their summary
    assert all(f"({area.id})" in " ".join(pages[first:]) for area in school.areas)


def test_date_digest_and_version_on_every_page(pages: list[str], city: City) -> None:
    digest = inventory_digest(EXAMPLE, city.schools)
    for n, page in enumerate(pages, 1):
        assert "audited 2026-11-30 08:15 UTC" in page, n
        assert f"inventory {digest} · provision {__version__}" in page, n
        assert f"page {n} / {len(pages)}" in page, n
        assert f"({city.id})" in page, n


def test_the_parts_are_one_document_whose_links_lead_to_their_schools(
    pdf: Path, pages: list[str], city: City, report: CityReport
) -> None:
    # printed in two parts: the summary and two schools, then two schools
    parts = report_parts(html_chunks(report, city), PART_BYTES)
    assert [part.html.count('<section class="school"') for part in parts] == [2, 2]
    with pikepdf.open(pdf) as joined:
        assert joined.check_pdf_syntax() == []  # the joined file as qpdf reads it
        page_of = {page.obj.objgen: n for n, page in enumerate(joined.pages)}
        dests = {str(name)[1:]: page_of[dest[0].objgen] for name, dest in joined.Root.Dests.items()}
        links = [
            (n, str(annot.Dest)[1:])
            for n, page in enumerate(joined.pages)
            for annot in page.obj.get("/Annots", [])
        ]
    assert {anchor for _n, anchor in links} <= set(dests)  # every link leads somewhere
    for school in city.schools:
        first = next(n for n, page in enumerate(pages) if f"{school.name} {school.id}" in page)
        assert dests[f"school-{school.id}"] == first  # from the summary, in another part
        assert dests[f"school-{school.id}.policy"] == first
        assert (0, f"school-{school.id}") in links
    assert dests["top"] == 0 and sum(anchor == "top" for _n, anchor in links) == 4


def test_a_page_renders_with_its_colours(pdf: Path, tmp_path: Path) -> None:
    pdftoppm = require_program("pdftoppm", "poppler-utils")
    prefix = tmp_path / "page"
    subprocess.run(
        [pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    colours: list[tuple[int, Any]] = image.getcolors(maxcolors=1 << 20) or []
    inked = sum(n for n, (r, g, b) in colours if min(r, g, b) < 200)
    assert inked > image.width * image.height // 100, "the first page is (nearly) blank"
    # the verdict badges keep their backgrounds in print: the FAIL school's pink is there
    assert sum(n for n, (r, g, b) in colours if r > 230 and 190 < g < 215 and 190 < b < 215)


def test_names_cannot_break_out_of_the_page_margins() -> None:
    stamp = PageStamp('x"};@page{margin:0}\\', "2026-11-30 08:15 UTC", "d" * 20, "0.1.0")
    page = print_ready("<html><head><title>t</title></head><body></body></html>", stamp)
    assert "{margin:0}" not in page and 'x"' not in page
    assert page.index("Content-Security-Policy") < page.index("<title>")


def test_no_chromium_is_a_clear_error_before_the_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser there
    monkeypatch.delenv("PROVISION_CHROMIUM", raising=False)
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(cli, ["verify", "-i", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "needs Chromium" in result.output and "apt-get install chromium" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_browser_that_fails_is_a_clear_error(tmp_path: Path) -> None:
    false = require_program("false", "coreutils")
    stamp = PageStamp("t", "2026-11-30 08:15 UTC", "d" * 20, "0.1.0")
    out = tmp_path / "report.pdf"
    with pytest.raises(ProvisionError, match=r"could not print the report \(exit 1\)"):
        write_pdf("<html><head></head><body></body></html>", stamp, out, chromium=false)
    assert not out.exists()
