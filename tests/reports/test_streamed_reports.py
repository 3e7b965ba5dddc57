"""The final reports written from a run's schools.jsonl, one school at a time: the same bytes as
the reports of the same schools held in memory, every school once, worst first as before.

A city-wide run's schools.jsonl is read back as a `StoredSchools` (byte offsets only) and each
report goes through it as it writes; memory is measured in bench/reports.py, not here. The
schools are the example city's four (floor maps drawn from their plans) and 56 more that the
inventory does not hold, in an order no report sorts them in, with verdicts of every kind.
"""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from provision.cli.verify_report import chunks, print_report, report_inventory, write_report
from provision.inventory.loader import load_inventory
from provision.reports.print_page import PageStamp, print_ready, print_ready_chunks
from provision.reports.verify import json_chunks
from provision.verify.model import (
    ERROR,
    FAIL,
    ORDER,
    PASS,
    WARN,
    CheckResult,
    CityReport,
    Finding,
    SchoolReport,
)
from provision.verify.stream import SCHOOLS_FILE, RunDir, StoredSchools

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOLS = 60
VERDICTS = (PASS, WARN, FAIL, ERROR, PASS)


def school_report(n: int, school_id: str, name: str) -> SchoolReport:
    """A school whose checks' verdicts vary with n, with findings a report must list."""
    verdict = VERDICTS[n % len(VERDICTS)]
    findings = [
        Finding("cam-01", PASS, "ok"),
        Finding(f"cam-{n:02d}", verdict, f'<zone {n}> 覆盖不足 & "quoted"', {"n": n}),
    ]
    checks = [
        CheckResult("reachability", PASS, "every device answers", [], {"devices": n}, 0.5),
        CheckResult.of("coverage", findings, f"summary of {n}"),
        CheckResult("policy", verdict if n % 3 else PASS, f"policy {n}", [], {}, 0.25),
    ]
    if n % 7 == 0:
        checks.append(CheckResult("alarm", ERROR, "the check could not run: boom"))
    return SchoolReport(school_id, name, "middle", "zhongshan", "p-zs-1", checks)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A run directory: 60 schools appended in a shuffled order, one written twice (the
    last line wins), a garbled line and a torn tail an interrupted run left."""
    city = load_inventory(EXAMPLE).city
    assert city is not None
    ids = [s.id for s in city.schools] + [f"dl-zz-x{n:03d}" for n in range(SCHOOLS - 4)]
    reports = [school_report(n, sid, f"学校 {sid}") for n, sid in enumerate(ids)]
    lines = [json.dumps(r.to_dict(), ensure_ascii=False, separators=(",", ":")) for r in reports]
    random.Random(16).shuffle(lines)
    stale = school_report(1, ids[5], "stale")  # an earlier line of school 5: not reported
    lines.insert(3, json.dumps(stale.to_dict(), ensure_ascii=False))
    lines.insert(7, '{"school": "dl-zz-broken", "checks": [')
    path = tmp_path_factory.mktemp("run")
    text = "\n".join(lines) + "\n" + '{"school":"dl-zz-torn"'
    (path / SCHOOLS_FILE).write_text(text, encoding="utf-8")
    return path, ids


def both(run: tuple[Path, list[str]]) -> tuple[CityReport, CityReport]:
    path, ids = run
    stored = CityReport(
        "dalian",
        str(EXAMPLE),
        ("reachability", "coverage", "policy"),
        started=1_765_000_000.0,
        seconds=12.5,
        schools=RunDir(path).reports([*ids, "dl-zz-never"]),
    )
    held = CityReport(
        stored.city,
        stored.inventory,
        stored.checks,
        started=stored.started,
        seconds=stored.seconds,
        schools=list(stored.schools),
    )
    return stored, held


@pytest.fixture(scope="module")
def page(run: tuple[Path, list[str]]) -> str:
    """The HTML report of the run, from the file (drawn once per module: floor maps cost)."""
    return "".join(chunks(both(run)[0], "html", str(EXAMPLE)))


def test_the_file_is_read_back_one_school_at_a_time(run: tuple[Path, list[str]]) -> None:
    stored, held = both(run)
    schools = stored.schools
    assert isinstance(schools, StoredSchools)
    assert [s.school for s in schools] == run[1]  # report order; garbled and torn lines skipped
    assert [s.school for s in schools] == [s.school for s in held.schools]  # re-iterable
    assert schools[5].name == f"学校 {run[1][5]}"  # the last line of a school wins
    assert [s.school for s in schools[-2:]] == run[1][-2:]
    schools[0].checks.clear()  # each access is a new object: the file is what counts
    assert schools[0].checks


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
def test_every_report_from_the_file_is_the_report_held_in_memory(
    run: tuple[Path, list[str]], page: str, fmt: str
) -> None:
    stored, held = both(run)
    from_file = page if fmt == "html" else "".join(chunks(stored, fmt, str(EXAMPLE)))
    assert from_file == "".join(chunks(held, fmt, str(EXAMPLE)))


def test_json_is_byte_for_byte_the_whole_report_dumped(run: tuple[Path, list[str]]) -> None:
    stored, held = both(run)
    whole = json.dumps(held.to_dict(), ensure_ascii=False, indent=1)
    assert "".join(json_chunks(stored)) == whole
    empty = CityReport("dalian", "x", ())
    assert "".join(json_chunks(empty)) == json.dumps(empty.to_dict(), ensure_ascii=False, indent=1)


def worst_first(report: CityReport) -> list[str]:
    return [s.school for s in sorted(report.schools, key=lambda s: (-ORDER[s.verdict], s.school))]


def test_text_and_markdown_list_every_school_worst_first(run: tuple[Path, list[str]]) -> None:
    stored, held = both(run)
    order = worst_first(held)
    text = "".join(chunks(stored, "text", str(EXAMPLE)))
    table = text.split("\n\n")[1].splitlines()[2:]
    assert [line.split()[0] for line in table] == order
    failing = [f for s in held.schools for c in s.checks for f in c.failures]
    errors = [c for s in held.schools for c in s.checks if c.verdict == ERROR and not c.failures]
    listed = text.split("Failures:\n")[1].split("\n\n")[0].splitlines()
    assert len(listed) == len(failing) + len(errors)
    passed = sum(s.verdict in (PASS, WARN) for s in held.schools)
    assert text.endswith(f"Result: {passed}/60 schools pass; verdict ERROR")
    markdown = "".join(chunks(stored, "markdown", str(EXAMPLE)))
    rows = re.findall(r"^\| `([^`]+)`", markdown, re.M)
    assert rows == order


def test_junit_has_every_school_and_check(run: tuple[Path, list[str]]) -> None:
    from xml.etree import ElementTree as ET

    stored, held = both(run)
    xml = "".join(chunks(stored, "junit", str(EXAMPLE)))
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    expected = [(f"dalian.{s.school}", c.check) for s in held.schools for c in s.checks]
    assert [(c.get("classname"), c.get("name")) for c in cases] == expected
    assert suite.get("tests") == str(len(expected))
    fails = sum(c.verdict == FAIL for s in held.schools for c in s.checks)
    assert suite.get("failures") == str(fails) == str(len(suite.findall("testcase/failure")))


def test_html_tables_and_sections_worst_first_with_floor_maps(
    run: tuple[Path, list[str]], page: str
) -> None:
    _stored, held = both(run)
    doc: Any = lxml.html.fromstring(page)
    rank = {ERROR: 3, FAIL: 2, WARN: 1, PASS: 0}
    order = [
        s.school
        for s in sorted(
            held.schools,
            key=lambda s: (-rank[s.verdict], -sum(rank[c.verdict] for c in s.checks), s.school),
        )
    ]
    rows = doc.xpath("//table[@class='school-list']/tr[@data-school]/@data-school")
    sections = doc.xpath("//section[@class='school']/@data-school")
    assert rows == order and sections == order
    inventory = set(run[1][:4])
    for section in doc.xpath("//section[@class='school']"):
        maps = section.xpath(".//svg[contains(@class, 'floor-map')]")
        assert bool(maps) == (section.get("data-school") in inventory)
    assert "&lt;zone 7&gt; 覆盖不足" in page


def test_print_ready_in_pieces_is_print_ready_of_the_page(page: str) -> None:
    stamp = PageStamp("Audit — 大连市 (dalian)", "2026-12-06 00:00 UTC", "abc123", "1.0")
    whole = print_ready(page, stamp)
    tags = re.findall(r"<details\b[^>]*>", whole)
    assert len(tags) == page.count("<details") == 4  # the four schools with floor maps
    assert all(re.search(r"\bopen\b", tag) for tag in tags)
    cuts = sorted(random.Random(4).sample(range(1, len(page)), 400))
    cuts += [m.start() + 3 for m in re.finditer("<details", page)]  # cut inside the tag
    cuts = sorted(set(cuts))
    pieces = [page[a:b] for a, b in zip([0, *cuts], [*cuts, len(page)], strict=True)]
    assert "".join(print_ready_chunks(pieces, stamp)) == whole


def test_a_report_that_breaks_halfway_leaves_the_previous_file(
    run: tuple[Path, list[str]], tmp_path: Path
) -> None:
    stored, _held = both(run)
    out = tmp_path / "report.json"
    write_report(stored, "json", str(EXAMPLE), out)
    before = out.read_bytes()
    assert json.loads(before)["schools"][0]["school"] == run[1][0]
    broken = tmp_path / "run"
    broken.mkdir()
    jsonl = run[0] / SCHOOLS_FILE
    (broken / SCHOOLS_FILE).write_bytes(jsonl.read_bytes())
    stored.schools = RunDir(broken).reports(run[1])
    (broken / SCHOOLS_FILE).write_bytes(jsonl.read_bytes()[: jsonl.stat().st_size // 2])
    with pytest.raises(ValueError):
        write_report(stored, "json", str(EXAMPLE), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "run"]


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_the_report_on_stdout_is_the_report_and_one_newline(
    run: tuple[Path, list[str]], page: str, fmt: str
) -> None:
    stored, held = both(run)
    out = io.StringIO()
    print_report(stored, fmt, str(EXAMPLE), out, report_inventory(str(EXAMPLE)))
    whole = page if fmt == "html" else "".join(chunks(held, fmt, str(EXAMPLE)))
    assert out.getvalue() == whole.rstrip("\n") + "\n"
