"""verify reports: text for people at a terminal, JSON for pipelines, JUnit for CI, Markdown
for an issue or a pull request. (HTML, with floor maps, is in html.py.)"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from provision.verify.model import ERROR, FAIL, ORDER, PASS, WARN, CityReport

SYMBOL = {PASS: "ok", WARN: "WARN", FAIL: "FAIL", ERROR: "ERROR"}


def to_json(report: CityReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=1)


def to_text(report: CityReport) -> str:
    checks = list(report.checks)
    width = max([len(s.school) for s in report.schools] + [6])
    head = f"{'school':<{width}}  {'tier':<12} " + " ".join(f"{c[:12]:<12}" for c in checks)
    lines = [
        f"verify {report.inventory}{' (lab)' if report.lab else ''}: "
        f"{len(report.schools)} school(s) in {report.seconds:.1f}s",
        "",
        head,
        "-" * len(head),
    ]
    for school in sorted(report.schools, key=lambda s: (-ORDER[s.verdict], s.school)):
        cells = []
        for name in checks:
            result = school.check(name)
            cells.append(f"{SYMBOL[result.verdict] if result else '-':<12}")
        lines.append(f"{school.school:<{width}}  {school.tier:<12} " + " ".join(cells))
    failures = [(s, c, f) for s in report.schools for c in s.checks for f in c.failures]
    errors = [
        (s, c) for s in report.schools for c in s.checks if c.verdict == ERROR and not c.failures
    ]
    if failures or errors:
        lines += ["", "Failures:"]
        for school, check, finding in failures:
            lines.append(f"  {school.school} {check.check} {finding.subject}: {finding.message}")
        for school, check in errors:
            lines.append(f"  {school.school} {check.check}: {check.summary}")
    passed = sum(s.verdict in (PASS, WARN) for s in report.schools)
    lines += [
        "",
        f"Result: {passed}/{len(report.schools)} school(s) pass"
        + (f"; verdict {report.verdict.upper()}" if report.verdict not in (PASS, WARN) else ""),
    ]
    return "\n".join(lines)


def to_junit(report: CityReport) -> str:
    """One testcase per school × check; failures and errors carry the findings."""
    cases = [(s, c) for s in report.schools for c in s.checks]
    suites = ET.Element("testsuites", name=f"provision verify {report.city}")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"provision verify {report.city}",
        tests=str(len(cases)),
        failures=str(sum(c.verdict == FAIL for _, c in cases)),
        errors=str(sum(c.verdict == ERROR for _, c in cases)),
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
    passed = sum(s.verdict in (PASS, WARN) for s in report.schools)
    out = [
        f"### provision verify: `{report.inventory}`",
        "",
        f"**{passed}/{len(report.schools)} schools pass** ({report.seconds:.1f}s)",
        "",
        "| school | tier | " + " | ".join(checks) + " |",
        "| --- | --- | " + " | ".join("---" for _ in checks) + " |",
    ]
    for school in sorted(report.schools, key=lambda s: (-ORDER[s.verdict], s.school)):
        cells = [icon[r.verdict] if (r := school.check(c)) else "–" for c in checks]
        out.append(
            f"| `{school.school}` {school.name} | {school.tier} | " + " | ".join(cells) + " |"
        )
    failing = [(s, c) for s in report.schools for c in s.checks if c.verdict in (FAIL, ERROR)]
    if failing:
        out += ["", "#### Failures", ""]
        for school, check in failing:
            out.append(f"- **{school.school}** {check.check}: {check.summary}")
            out += [f"  - `{f.subject}`: {f.message}" for f in check.failures[:10]]
    return "\n".join(out) + "\n"
