"""Plan, apply and rollback reports: text for people, JSON for pipelines, Markdown for PRs."""

from __future__ import annotations

import json

from provision.engine.outcome import Status
from provision.engine.planfile import report_to_dict
from provision.engine.runs import RunReport
from provision.i18n import _
from provision.verify import labels

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
    changing = counts.get(Status.PLANNED, 0) + counts.get(Status.CHANGED, 0)
    first = _("{n} to change") if report.command == "plan" else _("{n} changed")
    parts = [
        first.format(n=changing),
        _("{n} unchanged").format(n=counts.get(Status.UNCHANGED, 0)),
    ]
    for status in (Status.FAILED, Status.UNREACHABLE, Status.STALE, Status.NOT_STARTED):
        if counts.get(status):
            parts.append(_("{n} {status}").format(n=counts[status], status=labels.status(status)))
    return _(", ").join(parts)


def to_text(report: RunReport, verbose: bool = False) -> str:
    where = _(" (lab)") if report.lab else ""
    lines = [
        f"{report.command}: {report.inventory}{where}"
        + (_(", run {run}").format(run=report.run_id) if report.run_id else "")
    ]
    for o in report.outcomes:
        if o.status == Status.UNCHANGED and not verbose:
            continue
        head = f"{MARK.get(o.status, '?')} {o.device} ({o.kind}): {labels.status(o.status)}"
        lines.append(head + (f": {o.error}" if o.error else ""))
        lines.extend(f"    {c.describe()}" for c in o.changes)
        if o.rolled_back:
            lines.append("    " + _("rolled back:"))
            lines.extend(f"      {c.describe()}" for c in o.rolled_back)
    lines.append(_("Summary: {summary}").format(summary=summary_line(report)))
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
        "| " + _("status") + " | " + _("devices") + " |",
        "| --- | ---: |",
    ]
    out += [f"| {labels.status(status)} | {n} |" for status, n in sorted(counts.items())]
    problems = report.failed
    if problems:
        out += ["", "#### " + _("Problems"), ""]
        out += [
            f"- `{o.device}` ({o.kind}) **{labels.status(o.status)}**: {o.error}" for o in problems
        ]
    changed = report.changed
    if changed:
        out += ["", "#### " + _("Changes"), ""]
        for o in changed:
            out += [
                _(
                    "<details><summary><code>{device}</code> ({kind}): {n_changes} "
                    "setting(s)</summary>"
                ).format(device=o.device, kind=o.kind, n_changes=len(o.changes)),
                "",
                "```diff",
            ]
            for c in o.changes:
                out.append(f"- {c.setting}: {json.dumps(c.before, ensure_ascii=False)}")
                out.append(f"+ {c.setting}: {json.dumps(c.after, ensure_ascii=False)}")
            out += ["```", "", "</details>"]
    return "\n".join(out) + "\n"
