"""The recording audit's timelines for the HTML report: one strip per channel over the last
days, video in green, gaps over the audit's threshold in red, a tick at each UTC midnight.

Drawn from the recording check's evidence alone (`evidence["recording"][channel]`:
"timeline" {start, end, spans} and "gaps" [[start, end, hours]]), so a report re-rendered from
saved JSON draws the same; a channel without a timeline (a recorder's disks) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from provision.reports.html_svg import as_dict, as_float
from provision.verify.model import CheckResult

WIDTH, HEIGHT = 600, 22
DAY_S = 86400


@dataclass(slots=True)
class Timeline:
    channel: str
    verdict: str
    message: str
    svg: Markup


def _epoch(value: object) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _strip(start: float, end: float, spans: list[object], gaps: list[object]) -> Markup:
    scale = WIDTH / (end - start)

    def rect(a: float, b: float, fill: str, y: int, h: int, title: str) -> str:
        x0, x1 = (max(a, start) - start) * scale, (min(b, end) - start) * scale
        if x1 <= x0:
            return ""
        return (
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0.5):.1f}" height="{h}" '
            f'fill="{fill}"><title>{escape(title)}</title></rect>'
        )

    parts = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#eee"/>']
    for span in spans:
        if isinstance(span, list | tuple) and len(span) == 2:
            a, b = _epoch(span[0]), _epoch(span[1])
            if a is not None and b is not None:
                parts.append(rect(a, b, "#4caf50", 3, HEIGHT - 6, "video"))
    for gap in gaps:
        if isinstance(gap, list | tuple) and len(gap) >= 2:
            a, b = _epoch(gap[0]), _epoch(gap[1])
            if a is not None and b is not None:
                parts.append(rect(a, b, "#d9534f", 0, HEIGHT, f"no video {gap[0]} - {gap[1]}"))
    midnight = start - start % DAY_S + DAY_S
    while midnight < end:
        x = (midnight - start) * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{HEIGHT}" stroke="#555"/>')
        midnight += DAY_S
    return Markup(
        f'<svg class="timeline" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img">{"".join(parts)}</svg>'
    )


def recording_timelines(result: CheckResult) -> list[Timeline]:
    """One Timeline per channel of the recording check's findings, in their order."""
    evidence = as_dict(result.evidence.get("recording"))
    out = []
    for finding in result.findings:
        data = as_dict(evidence.get(finding.subject)) or finding.data
        timeline = as_dict(data.get("timeline"))
        start, end = as_float(timeline.get("start")), as_float(timeline.get("end"))
        if start is None or end is None or end <= start:
            continue
        spans = timeline.get("spans")
        gaps = data.get("gaps")
        svg = _strip(
            start,
            end,
            spans if isinstance(spans, list) else [],
            gaps if isinstance(gaps, list) else [],
        )
        out.append(Timeline(finding.subject, finding.verdict, finding.message, svg))
    return out
