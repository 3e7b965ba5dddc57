"""verify reports: text for people at a terminal, JSON for pipelines, JUnit for CI, Markdown
for an issue or a pull request. (HTML, with floor maps, is in html.py.)

Every one but JSON speaks the chosen language (provision.i18n); JSON keeps its English keys
and codes, with the findings' messages as the checks wrote them. JUnit test names stay the
check codes, so a CI's history of a test survives a change of language.

Each format is written as it is read (`*_chunks`: an iterator of str), one school at a time:
`report.schools` may be a run's schools.jsonl (`verify.stream.StoredSchools`), read back
school by school; what a report needs of the whole city (counts, the widest id, the
worst-first order) comes from the schools' outlines (`verify.model.SchoolOutline`: verdicts
and summaries, no findings), which a StoredSchools read with the offsets; a school is read
whole only where its findings are written. `to_*` join the chunks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from provision.i18n import _, display_width, ljust, ngettext
from provision.verify import labels
from provision.verify.model import (
    ERROR,
    FAIL,
    ORDER,
    PASS,
    WARN,
    CheckOutline,
    CheckResult,
    CityReport,
    SchoolOutline,
    SchoolReport,
    worst,
)
from provision.verify.stream import outlines

CELL = 12


def _symbol(verdict: str) -> str:
    # the terminal table's marks: short, and FAIL stands out in English
    return {PASS: _("ok"), WARN: _("WARN"), FAIL: _("FAIL"), ERROR: _("ERROR")}[verdict]


def to_json(report: CityReport) -> str:
    return "".join(json_chunks(report))


def json_chunks(report: CityReport) -> Iterator[str]:
    """`json.dumps(report.to_dict(), ensure_ascii=False, indent=1)`, byte for byte, one
    school at a time: the city's fields first (their counts from the schools' outlines), then
    each school's object as it is read."""
    head = report.summary_dict([o.verdict for o in outlines(report.schools)])
    yield "{"
    for key, value in head.items():
        yield f"\n {_dumps(key)}: {_indented(value, 1)},"
    yield f"\n {_dumps('schools')}: ["
    first = True
    for school in report.schools:
        yield ("\n  " if first else ",\n  ") + _indented(school.to_dict(), 2)
        first = False
    yield "]\n}" if first else "\n ]\n}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _indented(value: Any, depth: int) -> str:
    """`value` as json.dumps(indent=1) writes it `depth` levels down (a JSON string holds no
    raw newline, so every newline is a line break of the layout)."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * depth)


def _headline(report: CityReport, n: int) -> str:
    text = ngettext(
        "verify {inventory}: {n} school in {seconds:.1f}s",
        "verify {inventory}: {n} schools in {seconds:.1f}s",
        n,
    )
    where = report.inventory + (_(" (lab)") if report.lab else "")
    return text.format(inventory=where, n=n, seconds=report.seconds)


@dataclass(slots=True)
class _City:
    """What the city-wide parts of a report need: every school's outline (no findings), and
    the counts and order drawn from them."""

    outlines: list[SchoolOutline]

    @property
    def passed(self) -> int:
        return sum(o.verdict in (PASS, WARN) for o in self.outlines)

    @property
    def verdict(self) -> str:
        return worst([o.verdict for o in self.outlines])

    def worst_first(self) -> list[SchoolOutline]:
        """By verdict, worst first, then by id (a stable sort: ties keep the report order)."""
        return sorted(self.outlines, key=lambda o: (-ORDER[o.verdict], o.school))


def _joined(lines: Iterable[str]) -> Iterator[str]:
    """ "\n".join(lines), a line at a time."""
    for n, line in enumerate(lines):
        yield line if n == 0 else "\n" + line


def to_text(report: CityReport) -> str:
    return "".join(text_chunks(report))


def text_chunks(report: CityReport) -> Iterator[str]:
    return _joined(_text_lines(report))


def _text_lines(report: CityReport) -> Iterator[str]:
    checks, city = list(report.checks), _City(outlines(report.schools))
    width = max([len(o.school) for o in city.outlines] + [6])
    columns = [ljust(labels.check(c)[:CELL], CELL) for c in checks]
    head = ljust(_("school"), width) + "  " + ljust(_("tier"), CELL) + " " + " ".join(columns)
    yield from (_headline(report, len(city.outlines)), "", head, "-" * display_width(head))
    for school in city.worst_first():
        cells = []
        for name in checks:
            result = school.check(name)
            cells.append(ljust(_symbol(result.verdict) if result else "-", CELL))
        tier = ljust(labels.tier(school.tier), CELL)
        yield f"{school.school:<{width}}  {tier} " + " ".join(cells)
    errors = [
        f"  {o.school} {labels.check(c.check)}: {c.summary}"
        for o in city.outlines
        for c in o.checks
        if c.verdict == ERROR and not c.failures
    ]
    failing = [n for n, o in enumerate(city.outlines) if any(c.failures for c in o.checks)]
    if failing or errors:
        yield from ("", _("Failures:"))
        for index in failing:  # only the schools with failed findings are read whole
            whole = report.schools[index]
            for check in whole.checks:
                for finding in check.failures:
                    yield (
                        f"  {whole.school} {labels.check(check.check)} "
                        f"{finding.subject}: {finding.message}"
                    )
        yield from errors
    yield from ("", _result_line(city))


def _result_line(city: _City) -> str:
    passed, total = city.passed, len(city.outlines)
    line = ngettext(
        "Result: {passed}/{total} school pass", "Result: {passed}/{total} schools pass", total
    ).format(passed=passed, total=total)
    if city.verdict not in (PASS, WARN):
        line += _("; verdict {verdict}").format(verdict=_symbol(city.verdict))
    return line


def to_junit(report: CityReport) -> str:
    return "".join(junit_chunks(report))


def junit_chunks(report: CityReport) -> Iterator[str]:
    """One testcase per school × check; failures and errors carry the findings. What
    ElementTree writes of the whole tree, indented, one testcase at a time: the suite's
    counts come from the schools' outlines."""
    verdicts = [c.verdict for o in outlines(report.schools) for c in o.checks]
    name = f"provision verify {report.city}"
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(verdicts)),
        failures=str(verdicts.count(FAIL)),
        errors=str(verdicts.count(ERROR)),
        skipped="0",
        time=f"{report.seconds:.3f}",
    )
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield _start_tag(ET.Element("testsuites", name=name))
    if not verdicts:
        yield "\n  " + ET.tostring(suite, encoding="unicode") + "\n</testsuites>"
        return
    yield "\n  " + _start_tag(suite)
    for school in report.schools:
        for check in school.checks:
            yield "\n    " + _testcase(report.city, school, check)
    yield "\n  </testsuite>\n</testsuites>"


def _start_tag(element: ET.Element) -> str:
    """The start tag of a childless element (ElementTree writes it as `<x ... />`)."""
    return ET.tostring(element, encoding="unicode").removesuffix(" />") + ">"


def _testcase(city: str, school: SchoolReport, check: CheckResult) -> str:
    case = ET.Element(
        "testcase",
        classname=f"{city}.{school.school}",
        name=check.check,
        time=f"{check.seconds:.3f}",
    )
    detail = "\n".join(f"{f.subject}: {f.message}" for f in check.findings if f.verdict != PASS)
    if check.verdict in (FAIL, ERROR):
        tag = "failure" if check.verdict == FAIL else "error"
        node = ET.SubElement(case, tag, message=check.summary, type=check.verdict)
        node.text = detail or check.summary
    elif detail:
        ET.SubElement(case, "system-out").text = detail
    ET.indent(case, level=2)  # where it sits: testsuites > testsuite > testcase
    return ET.tostring(case, encoding="unicode")


def to_markdown(report: CityReport) -> str:
    return "".join(markdown_chunks(report))


def markdown_chunks(report: CityReport) -> Iterator[str]:
    return (line + "\n" for line in _markdown_lines(report))


def _markdown_lines(report: CityReport) -> Iterator[str]:
    checks, city = list(report.checks), _City(outlines(report.schools))
    icon = {PASS: "✅", WARN: "⚠️", FAIL: "❌", ERROR: "💥"}
    total = len(city.outlines)
    heading = _("provision verify: `{inventory}`").format(inventory=report.inventory)
    pass_line = ngettext(
        "**{passed}/{total} school passes** ({seconds:.1f}s)",
        "**{passed}/{total} schools pass** ({seconds:.1f}s)",
        total,
    ).format(passed=city.passed, total=total, seconds=report.seconds)
    yield from (f"### {heading}", "", pass_line, "")
    yield "| " + " | ".join([_("school"), _("tier"), *map(labels.check, checks)]) + " |"
    yield "| --- | --- | " + " | ".join("---" for _check in checks) + " |"
    for school in city.worst_first():
        cells = [icon[r.verdict] if (r := school.check(c)) else "–" for c in checks]
        yield (
            f"| `{school.school}` {school.name} | {labels.tier(school.tier)} | "
            + " | ".join(cells)
            + " |"
        )
    failing = [(n, o) for n, o in enumerate(city.outlines) if any(_failed(c) for c in o.checks)]
    if failing:
        yield from ("", "#### " + _("Failures"), "")
    for index, outline in failing:
        # Read whole only when a failed check has findings to list.
        whole = (
            report.schools[index]
            if any(_failed(c) and c.failures for c in outline.checks)
            else None
        )
        for n, check in enumerate(outline.checks):
            if _failed(check):
                yield f"- **{outline.school}** {labels.check(check.check)}: {check.summary}"
                if whole is not None:
                    found = whole.checks[n].failures[:10]
                    yield from (f"  - `{f.subject}`: {f.message}" for f in found)


def _failed(check: CheckOutline) -> bool:
    return check.verdict in (FAIL, ERROR)
