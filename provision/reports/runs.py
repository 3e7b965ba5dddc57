"""Plan, apply and rollback reports: text for people, JSON for pipelines, Markdown for PRs."""

from __future__ import annotations

import json

from provision.engine.outcome import Status
from provision.engine.planfile import report_to_dict
from provision.engine.runs import RunReport

MARK = {
    Status.PLANNED: "~",
    Status.CHANGED: "~",
    Status.UNCHANGED: "=",
    Status.FAILED: "!",
    Status.UNREACHABLE: "!",
    Status.STALE: "!",
    Status.NOT_STARTED: "-",
}


def summary_line(report: RunReport) -> str:
    counts = report.counts()
    verb = "to change" if report.command == "plan" else "changed"
    parts = [
        f"{counts.get(Status.PLANNED, 0) + counts.get(Status.CHANGED, 0)} {verb}",
        f"{counts.get(Status.UNCHANGED, 0)} unchanged",
    ]
    for status in (Status.FAILED, Status.UNREACHABLE, Status.STALE, Status.NOT_STARTED):
        if counts.get(status):
            parts.append(f"{counts[status]} {status}")
    return ", ".join(parts)


def to_text(report: RunReport, verbose: bool = False) -> str:
    where = " (lab)" if report.lab else ""
    lines = [
        f"{report.command}: {report.inventory}{where}"
        + (f", run {report.run_id}" if report.run_id else "")
    ]
    for o in report.outcomes:
        if o.status == Status.UNCHANGED and not verbose:
            continue
        head = f"{MARK.get(o.status, '?')} {o.device} ({o.kind}): {o.status}"
        lines.append(head + (f": {o.error}" if o.error else ""))
        lines.extend(f"    {c.describe()}" for c in o.changes)
        if o.rolled_back:
            lines.append("    rolled back:")
            lines.extend(f"      {c.describe()}" for c in o.rolled_back)
    lines.append(f"Summary: {summary_line(report)}")
    return "\n".join(lines)


def to_json(report: RunReport) -> str:
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=1)


def to_markdown(report: RunReport) -> str:
    """Shaped for a pull-request comment: a summary table, then details folded per device."""
    counts = report.counts()
    out = [
        f"### provision {report.command}: `{report.inventory}`",
        "",
        f"**{summary_line(report)}**",
        "",
        "| status | devices |",
        "| --- | ---: |",
    ]
    out += [f"| {status} | {n} |" for status, n in sorted(counts.items())]
    problems = report.failed
    if problems:
        out += ["", "#### Problems", ""]
        out += [f"- `{o.device}` ({o.kind}) **{o.status}**: {o.error}" for o in problems]
    changed = report.changed
    if changed:
        out += ["", "#### Changes", ""]
        for o in changed:
            out += [
                f"<details><summary><code>{o.device}</code> ({o.kind}): "
                f"{len(o.changes)} setting(s)</summary>",
                "",
                "```diff",
            ]
            for c in o.changes:
                out.append(f"- {c.setting}: {json.dumps(c.before, ensure_ascii=False)}")
                out.append(f"+ {c.setting}: {json.dumps(c.after, ensure_ascii=False)}")
            out += ["```", "", "</details>"]
    return "\n".join(out) + "\n"
