"""verify reports: text for people at a terminal, JSON for pipelines, JUnit for CI, Markdown
for an issue or a pull request. (HTML, with floor maps, is in html.py.)

Every one but JSON speaks the chosen language (provision.i18n); JSON keeps its English keys
and codes, with the findings' messages as the checks wrote them. JUnit test names stay the
check codes, so a CI's history of a test survives a change of language."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from provision.i18n import _, display_width, ljust, ngettext
from provision.verify import labels
from provision.verify.model import ERROR, FAIL, ORDER, PASS, WARN, CityReport

CELL = 12


def _symbol(verdict: str) -> str:
    # the terminal table's marks: short, and FAIL stands out in English
    return {PASS: _("ok"), WARN: _("WARN"), FAIL: _("FAIL"), ERROR: _("ERROR")}[verdict]


def to_json(report: CityReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=1)


def _headline(report: CityReport) -> str:
    n = len(report.schools)
    text = ngettext(
        "verify {inventory}: {n} school in {seconds:.1f}s",
        "verify {inventory}: {n} schools in {seconds:.1f}s",
        n,
    )
    where = report.inventory + (_(" (lab)") if report.lab else "")
    return text.format(inventory=where, n=n, seconds=report.seconds)


def to_text(report: CityReport) -> str:
    checks = list(report.checks)
    width = max([len(s.school) for s in report.schools] + [6])
    columns = [ljust(labels.check(c)[:CELL], CELL) for c in checks]
    head = ljust(_("school"), width) + "  " + ljust(_("tier"), CELL) + " " + " ".join(columns)
    lines = [_headline(report), "", head, "-" * display_width(head)]
    for school in sorted(report.schools, key=lambda s: (-ORDER[s.verdict], s.school)):
        cells = []
        for name in checks:
            result = school.check(name)
            cells.append(ljust(_symbol(result.verdict) if result else "-", CELL))
        lines.append(
            f"{school.school:<{width}}  {ljust(labels.tier(school.tier), CELL)} " + " ".join(cells)
        )
    failures = [(s, c, f) for s in report.schools for c in s.checks for f in c.failures]
    errors = [
        (s, c) for s in report.schools for c in s.checks if c.verdict == ERROR and not c.failures
    ]
    if failures or errors:
        lines += ["", _("Failures:")]
        for school, check, finding in failures:
            lines.append(
                f"  {school.school} {labels.check(check.check)} "
                f"{finding.subject}: {finding.message}"
            )
        for school, check in errors:
            lines.append(f"  {school.school} {labels.check(check.check)}: {check.summary}")
    lines += ["", _result_line(report)]
    return "\n".join(lines)


def _result_line(report: CityReport) -> str:
    passed, total = sum(s.verdict in (PASS, WARN) for s in report.schools), len(report.schools)
    line = ngettext(
        "Result: {passed}/{total} school pass", "Result: {passed}/{total} schools pass", total
    ).format(passed=passed, total=total)
    if report.verdict not in (PASS, WARN):
        line += _("; verdict {verdict}").format(verdict=_symbol(report.verdict))
    return line


def to_junit(report: CityReport) -> str:
    """One testcase per school × check; failures and errors carry the findings."""
    cases = [(s, c) for s in report.schools for c in s.checks]
    suites = ET.Element("testsuites", name=f"provision verify {report.city}")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"provision verify {report.city}",
        tests=str(len(cases)),
        failures=str(sum(c.verdict == FAIL for _school, c in cases)),
        errors=str(sum(c.verdict == ERROR for _school, c in cases)),
        skipped="0",
        time=f"{report.seconds:.3f}",
    )
    for school, check in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report.city}.{school.school}",
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
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def to_markdown(report: CityReport) -> str:
    checks = list(report.checks)
    icon = {PASS: "✅", WARN: "⚠️", FAIL: "❌", ERROR: "💥"}
    passed, total = sum(s.verdict in (PASS, WARN) for s in report.schools), len(report.schools)
    heading = _("provision verify: `{inventory}`").format(inventory=report.inventory)
    pass_line = ngettext(
        "**{passed}/{total} school passes** ({seconds:.1f}s)",
        "**{passed}/{total} schools pass** ({seconds:.1f}s)",
        total,
    ).format(passed=passed, total=total, seconds=report.seconds)
    out = [
        f"### {heading}",
        "",
        pass_line,
        "",
        "| " + " | ".join([_("school"), _("tier"), *map(labels.check, checks)]) + " |",
        "| --- | --- | " + " | ".join("---" for _check in checks) + " |",
    ]
    for school in sorted(report.schools, key=lambda s: (-ORDER[s.verdict], s.school)):
        cells = [icon[r.verdict] if (r := school.check(c)) else "–" for c in checks]
        out.append(
            f"| `{school.school}` {school.name} | {labels.tier(school.tier)} | "
            + " | ".join(cells)
            + " |"
        )
    failing = [(s, c) for s in report.schools for c in s.checks if c.verdict in (FAIL, ERROR)]
    if failing:
        out += ["", "#### " + _("Failures"), ""]
        for school, check in failing:
            out.append(f"- **{school.school}** {labels.check(check.check)}: {check.summary}")
            out += [f"  - `{f.subject}`: {f.message}" for f in check.failures[:10]]
    return "\n".join(out) + "\n"
