"""The HTML audit report: one self-contained page an auditor opens, from a `CityReport`.

Inline CSS and SVG only: no script, no font, no image, no URL is fetched, so the file works
offline and can be mailed or archived as it is. All text comes through Jinja's autoescaping
(school and zone names are the inventory's, messages are the checks'). The page reads top
down: the city's verdict, pass rates by district and tier, every school worst first with a
verdict per check, then one section per school with its failures, alarm latencies, streams
and a floor map per site area (drawn by :mod:`provision.reports.html_svg`).
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from provision.inventory.model import TIERS, City, School
from provision.reports.html_svg import Coverage, area_map, as_dict, as_float, legend
from provision.reports.html_timeline import Timeline, recording_timelines
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

VERDICTS = (ERROR, FAIL, WARN, PASS)


def _rank(verdict: str) -> int:
    """Severity of a verdict; one this report does not know counts as an error."""
    return ORDER.get(verdict, ORDER[ERROR])


def _worst(verdicts: list[str]) -> str:
    return max(verdicts, key=_rank, default=PASS)


def _known(verdict: str) -> str:
    return verdict if verdict in ORDER else ERROR


def _css(verdict: str) -> str:
    return f"v-{_known(verdict)}"


@dataclass(slots=True)
class PanelRow:
    name: str
    account: str
    latency: str
    status: str  # ok / warn / failed / unknown: the css class
    text: str
    periodic: str
    periodic_status: str


@dataclass(slots=True)
class StreamRow:
    name: str
    camera: str
    status: str
    text: str
    packets: str
    first_packet: str
    url: str


@dataclass(slots=True)
class GroupRow:
    label: str
    counts: dict[str, int]
    total: int
    passing: int

    @property
    def rate(self) -> float:
        return self.passing / self.total if self.total else 0.0


@dataclass(slots=True)
class SchoolView:
    report: SchoolReport
    verdict: str
    anchor: str
    school: School | None
    district: str
    checks: list[tuple[str, CheckResult | None]]
    failures: list[tuple[str, Finding]]
    alarm: CheckResult | None = None
    threshold: float | None = None
    panels: list[PanelRow] = field(default_factory=list)
    streams_check: CheckResult | None = None
    streams: list[StreamRow] = field(default_factory=list)
    coverage_check: CheckResult | None = None
    coverage: Coverage | None = None
    maps: list[tuple[str, Markup]] = field(default_factory=list)
    recording_check: CheckResult | None = None
    timelines: list[Timeline] = field(default_factory=list)

    def anchor_of(self, check: str) -> str:
        return f"{self.anchor}.{re.sub(r'[^A-Za-z0-9_-]', '_', check)}"


def _text(value: Any, default: str = "") -> str:
    return default if value is None or value == "" else str(value)


def _age_hours(stamp: Any, now: float) -> float | None:
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (now - when.timestamp()) / 3600.0


def _panels(
    result: CheckResult, threshold: float | None, now: float, school: School | None
) -> list[PanelRow]:
    rows: list[PanelRow] = []
    for name, raw in as_dict(result.evidence.get("panels")).items():
        info = as_dict(raw)
        latency, error = as_float(info.get("latency_s")), _text(info.get("error"))
        received = info.get("received")
        if received is True and not error:
            late = threshold is not None and latency is not None and latency > threshold
            status = "warn" if late else "ok"
            text = f"late: above the {threshold:g} s limit" if late else "received"
        elif received is False or error:
            status = "failed"
            text = ("received, but " if received is True else "not received") + (
                f": {error}" if error else ""
            )
        else:
            status, text = "unknown", "no result"
        periodic = as_dict(info.get("periodic"))
        interval, last = as_float(periodic.get("interval_h")), periodic.get("last_602")
        every = f"every {interval:g} h" if interval is not None else "interval unknown"
        age = _age_hours(last, now) if last else None
        if not last:
            ptext, pstatus = f"{every}; no periodic test (602) received", "warn"
        elif age is None:
            ptext, pstatus = f"{every}; last 602: {last}", "unknown"
        else:
            overdue = interval is not None and age > interval
            when = f"{age:.1f} h before" if age >= 0 else f"{-age:.1f} h after"
            ptext = f"{every}; last 602 {last}, {when} the audit started"
            pstatus = "warn" if overdue else "ok"
            ptext += " (overdue)" if overdue else ""
        rows.append(
            PanelRow(
                str(name),
                _text(info.get("account"), "—"),
                "—" if latency is None else f"{latency:.2f} s",
                status,
                text,
                ptext,
                pstatus,
            )
        )
    seen = {r.name for r in rows}
    for panel in school.alarms if school and rows else ():
        if panel.name not in seen:
            rows.append(
                PanelRow(
                    panel.name,
                    panel.account,
                    "—",
                    "warn",
                    "no result in the evidence",
                    "—",
                    "unknown",
                )
            )
    return rows


def _streams(result: CheckResult, school: School | None) -> list[StreamRow]:
    rows: list[StreamRow] = []
    for name, raw in as_dict(result.evidence.get("streams")).items():
        info = as_dict(raw)
        online, error = info.get("online"), _text(info.get("error"))
        status = "ok" if online is True else "failed" if online is False else "unknown"
        text = {"ok": "online", "failed": "offline"}.get(status, "no result")
        packets, first = as_float(info.get("packets")), as_float(info.get("first_packet_ms"))
        rows.append(
            StreamRow(
                str(name),
                _text(info.get("camera"), "—"),
                status,
                text + (f": {error}" if error else ""),
                "—" if packets is None else f"{packets:g}",
                "—" if first is None else f"{first:.1f} ms",
                _text(info.get("url"), "—"),
            )
        )
    seen = {r.camera for r in rows}
    for cam in school.cameras if school and rows else ():
        if cam.forward and cam.name not in seen:
            rows.append(
                StreamRow(
                    "—",
                    cam.name,
                    "warn",
                    "forwarded camera with no stream in the evidence",
                    "—",
                    "—",
                    "—",
                )
            )
    return rows


def _school_view(
    s: SchoolReport, anchor: str, city: City, columns: list[str], started: float
) -> SchoolView:
    try:
        inv: School | None = city.school(s.school)
    except KeyError:
        inv = None
    view = SchoolView(
        report=s,
        verdict=_worst([c.verdict for c in s.checks]),
        anchor=anchor,
        school=inv,
        district=city.districts.get(s.district, s.district),
        checks=[(name, s.check(name)) for name in columns],
        failures=[(c.check, f) for c in s.checks for f in c.failures],
    )
    if (alarm := s.check("alarm")) is not None:
        view.alarm, view.threshold = alarm, as_float(alarm.evidence.get("threshold_s"))
        view.panels = _panels(alarm, view.threshold, started, inv)
    if (streams := s.check("streams")) is not None:
        view.streams_check, view.streams = streams, _streams(streams, inv)
    if (recording := s.check("recording")) is not None:
        view.recording_check, view.timelines = recording, recording_timelines(recording)
    if (coverage := s.check("coverage")) is not None:
        view.coverage_check = coverage
        if coverage.evidence:
            view.coverage = Coverage.from_evidence(coverage.evidence, inv)
    if inv is not None:
        for area in inv.areas:
            svg = area_map(area, inv.cameras, view.coverage)
            if svg:
                where = " · ".join(
                    x
                    for x in (
                        area.building,
                        f"floor {area.floor}" if area.floor else None,
                        "outdoor" if area.outdoor else None,
                    )
                    if x
                )
                view.maps.append(
                    (f"{area.name} ({area.id})" + (f" — {where}" if where else ""), svg)
                )
    return view


def _groups(
    schools: list[SchoolView], key: str, order: list[str], label: dict[str, str]
) -> list[GroupRow]:
    rows: dict[str, GroupRow] = {}
    for view in schools:
        k = getattr(view.report, key)
        row = rows.setdefault(k, GroupRow(label.get(k, k), {v: 0 for v in VERDICTS}, 0, 0))
        row.counts[_known(view.verdict)] += 1
        row.total += 1
        row.passing += view.verdict == PASS
    rank = {k: i for i, k in enumerate(order)}
    return [rows[k] for k in sorted(rows, key=lambda k: (rank.get(k, len(rank)), k))]


def _by_check(views: list[SchoolView], columns: list[str]) -> list[tuple[str, dict[str, int]]]:
    """Per check, how many schools got each verdict (schools that did not run it: none)."""
    rows = []
    for name in columns:
        counts = dict.fromkeys(VERDICTS, 0)
        for view in views:
            if (result := view.report.check(name)) is not None:
                counts[_known(result.verdict)] += 1
        rows.append((name, counts))
    return rows


def render_html(report: CityReport, city: City) -> str:
    """The whole report as one HTML document (a str; write it with encoding utf-8)."""
    columns = list(report.checks)
    columns += sorted({c.check for s in report.schools for c in s.checks} - set(columns))
    anchors: dict[str, int] = {}
    views: list[SchoolView] = []
    for s in report.schools:
        base = "school-" + re.sub(r"[^A-Za-z0-9_-]", "_", s.school)
        anchors[base] = anchors.get(base, 0) + 1
        anchor = base if anchors[base] == 1 else f"{base}~{anchors[base]}"
        views.append(_school_view(s, anchor, city, columns, report.started))
    views.sort(
        key=lambda v: (
            -_rank(v.verdict),
            -sum(_rank(c.verdict) for c in v.report.checks),
            v.report.school,
        )
    )
    verdict = _worst([v.verdict for v in views])
    counts = {v: sum(_known(s.verdict) == v for s in views) for v in VERDICTS}
    districts = {k: f"{v} ({k})" for k, v in city.districts.items()}
    return _template().render(
        report=report,
        city=city,
        verdict=verdict,
        counts=counts,
        views=views,
        columns=columns,
        check_rows=_by_check(views, columns),
        legend=legend(),
        css=_css,
        started=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(report.started)),
        by_district=_groups(views, "district", list(city.districts), districts),
        by_tier=_groups(views, "tier", list(TIERS), {}),
    )


@functools.cache
def _template() -> Template:
    env = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(_PAGE)


_STYLE = """
body{font:14px/1.45 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
"WenQuanYi Micro Hei",sans-serif;color:#1d1d1d;margin:0;background:#f4f5f7}
main{max-width:1320px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0}h2{font-size:19px;margin:0 0 4px}
h3{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #ddd;padding-bottom:2px}
section,.card{background:#fff;border:1px solid #d8dadf;border-radius:6px;padding:14px 18px;
margin:16px 0}
table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid #d6d6d6;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#eef0f3;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#555;margin:2px 0 8px}.muted{color:#777}
.badge{display:inline-block;padding:1px 9px;border-radius:4px;font-weight:700;
text-transform:uppercase;font-size:12px;letter-spacing:.04em}
.big{font-size:18px;padding:3px 14px}
.v-pass{background:#dcf1dd;color:#1b5e20}.v-warn{background:#fff0bd;color:#6d5000}
.v-fail{background:#f7cccc;color:#8a0000}.v-error{background:#4a2458;color:#fff}
.v-none{background:#eee;color:#888}
td.v-pass,td.v-warn,td.v-fail,td.v-error,td.v-none{text-align:center;font-weight:600}
td a{color:inherit}.s-ok{color:#1b5e20}.s-warn{color:#8a5a00;font-weight:600}
.s-failed{color:#b00000;font-weight:700}.s-unknown{color:#777}
.flex{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}.grow{flex:1 1 480px}
.bar{display:inline-block;height:8px;background:#2e7d32;vertical-align:middle}
.barbg{display:inline-block;width:80px;height:8px;background:#f2c4c4;margin-right:6px}
figure{margin:4px 0 8px}figcaption{font-weight:600;margin-bottom:4px}
svg.floor-map{max-width:100%;height:auto;background:#fff;border:1px solid #ccc}
svg text{font-family:inherit;paint-order:stroke;stroke:#fff;stroke-width:3px}
.key{display:inline-flex;align-items:center;gap:4px;margin-right:16px;font-size:12px}
summary{cursor:pointer;font-weight:600;margin:10px 0}code{font-size:12px;word-break:break-all}
@media print{body{background:#fff}section{break-inside:avoid-page}}
"""

_PAGE = (
    """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Audit {{ city.name }} ({{ report.city }}): {{ verdict }}</title>
<style>"""
    + _STYLE
    + """</style></head>
<body><main id="top">
{% macro cell(v, href) %}<td class="{{ css(v.verdict) if v else 'v-none' }}">
{% if v %}<a href="#{{ href }}">{{ v.verdict }}</a>{% else %}—{% endif %}</td>{% endmacro %}
{% macro groups(title, rows) %}<div><h3>{{ title }}</h3><table class="groups">
<tr><th>{{ title.split()[-1] }}</th><th>schools</th>{% for v in counts %}<th>{{ v }}</th>
{% endfor %}<th title="schools passing / total">pass rate</th></tr>
{% for r in rows %}<tr><td>{{ r.label }}</td><td class="n">{{ r.total }}</td>
{% for v in counts %}<td class="n">{{ r.counts[v] }}</td>{% endfor %}
<td class="rate"><span class="barbg"><span class="bar" style="width:{{ (r.rate * 80)|round|int
}}px"></span></span>{{ r.passing }} / {{ r.total }} ({{ "%.0f"|format(r.rate * 100) }}%)</td>
</tr>{% endfor %}</table></div>{% endmacro %}
<div class="card" id="summary">
<h1>School security audit — {{ city.name }} <span class="muted">({{ report.city }})</span></h1>
<p class="meta">Inventory <code>{{ report.inventory }}</code>{% if report.lab %} (lab){% endif %}
 · started {{ started }} · took {{ "%.1f"|format(report.seconds) }} s
 · checks: {{ columns|join(", ") if columns else "none" }}</p>
<p>Overall verdict: <span class="badge big {{ css(verdict) }}" id="city-verdict">{{ verdict
}}</span> &nbsp; {{ views|length }} school(s):{% for v, n in counts.items() if n %}
 <span class="badge {{ css(v) }}">{{ n }} {{ v }}</span>{% endfor %}</p>
<div class="flex">
{{ groups("By district", by_district) }}
{{ groups("By tier", by_tier) }}
</div><p class="muted">A school's verdict is the worst of its checks (error &gt; fail &gt; warn &gt;
 pass); pass rate = schools passing / schools audited.</p></div>
<div class="card" id="schools"><h3>Schools, worst first</h3>
{% if not views %}<p>No school was audited.</p>{% else %}
<table class="school-list"><tr><th>school</th><th>name</th><th>district</th><th>tier</th>
<th>verdict</th>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for s in views %}<tr data-school="{{ s.report.school }}">
<td><a href="#{{ s.anchor }}">{{ s.report.school }}</a></td><td>{{ s.report.name }}</td>
<td>{{ s.district }}</td><td>{{ s.report.tier }}</td>
<td class="{{ css(s.verdict) }}"><a href="#{{ s.anchor }}">{{ s.verdict }}</a></td>
{% for name, r in s.checks %}{{ cell(r, s.anchor_of(name)) }}{% endfor %}</tr>
{% endfor %}<tr class="totals"><th colspan="4">passing / audited</th>
<td class="n">{{ counts["pass"] }} / {{ views|length }}</td>{% for name, c in check_rows %}
<td class="n" title="{% for v, n in c.items() if n %}{{ n }} {{ v }}{{ ', ' if not loop.last }}
{% endfor %}">{{ c["pass"] }} / {{ c.values()|sum }}</td>{% endfor %}</tr></table>{% endif %}</div>
{% for s in views %}
<section class="school" id="{{ s.anchor }}" data-school="{{ s.report.school }}">
<h2><span class="badge {{ css(s.verdict) }}">{{ s.verdict }}</span> {{ s.report.name }}
 <span class="muted">{{ s.report.school }}</span></h2>
<p class="meta">{{ s.report.tier }} · {{ s.district }} · precinct {{ s.report.precinct }}
{% if not s.school %} · <b>not in the inventory: no floor plan</b>{% endif %}
 · <a href="#top">back to top</a></p>
<div class="flex"><div><h3>Checks</h3><table class="checks"><tr><th>check</th><th>verdict</th>
<th>summary</th><th>time</th></tr>{% for name, r in s.checks %}
<tr id="{{ s.anchor_of(name) }}"><td>{{ name }}</td>
{% if r %}<td class="{{ css(r.verdict) }}">{{ r.verdict }}</td><td>{{ r.summary }}</td>
<td class="n">{{ "%.2f"|format(r.seconds) }} s</td>{% else %}<td class="v-none">not run</td>
<td class="muted">not selected</td><td></td>{% endif %}</tr>{% endfor %}</table></div>
<div class="grow"><h3>Failures</h3>{% if s.failures %}<table class="failures"><tr><th>check</th>
<th>subject</th><th>verdict</th><th>what is wrong</th></tr>{% for check, f in s.failures %}<tr>
<td>{{ check }}</td><td>{{ f.subject }}</td><td class="{{ css(f.verdict) }}">{{ f.verdict }}</td>
<td>{{ f.message }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">No finding failed.</p>{% endif %}</div></div>
<h3>One-button alarms</h3>{% if not s.alarm %}<p class="muted">alarm check not run.</p>
{% elif not s.panels %}<p class="muted">No panel results ({{ s.alarm.verdict }}: {{
s.alarm.summary }}).</p>{% else %}<p class="meta">Test alarm to the precinct's alarm centre;
limit {{ "%g s"|format(s.threshold) if s.threshold is not none else "unknown" }}.</p>
<table class="alarms"><tr><th>panel</th><th>account</th><th>latency</th><th>test alarm</th>
<th>periodic test</th></tr>{% for p in s.panels %}<tr class="panel-{{ p.status }}"
 data-panel="{{ p.name }}"><td>{{ p.name }}</td><td>{{ p.account }}</td>
<td class="n s-{{ p.status }}">{{ p.latency }}</td><td class="s-{{ p.status }}">{{ p.text }}</td>
<td class="s-{{ p.periodic_status }}">{{ p.periodic }}</td></tr>{% endfor %}</table>{% endif %}
<h3>Streams forwarded to the precinct</h3>
{% if not s.streams_check %}<p class="muted">streams check not run.</p>
{% elif not s.streams %}<p class="muted">No stream results ({{ s.streams_check.verdict }}: {{
s.streams_check.summary }}).</p>{% else %}<table class="streams"><tr><th>stream</th>
<th>camera</th><th>status</th><th>packets</th><th>first packet</th><th>url</th></tr>
{% for r in s.streams %}<tr class="stream-{{ r.status }}" data-camera="{{ r.camera }}">
<td>{{ r.name }}</td><td>{{ r.camera }}</td><td class="s-{{ r.status }}">{{ r.text }}</td>
<td class="n">{{ r.packets }}</td><td class="n">{{ r.first_packet }}</td><td><code>{{ r.url
}}</code></td></tr>{% endfor %}</table>{% endif %}
<h3>Recordings</h3>
{% if not s.recording_check %}<p class="muted">recording check not run.</p>
{% elif not s.timelines %}<p class="muted">No recording timelines ({{ s.recording_check.verdict
}}: {{ s.recording_check.summary }}).</p>{% else %}<p class="meta">The last days of each
 channel as the recorder's own index holds them: video green, gaps over the audit's threshold
 red, a tick at each midnight (UTC).</p><table class="recordings"><tr><th>channel</th>
<th>verdict</th><th>timeline</th><th>finding</th></tr>{% for t in s.timelines %}
<tr data-channel="{{ t.channel }}"><td>{{ t.channel }}</td><td class="{{ css(t.verdict) }}">{{
t.verdict }}</td><td>{{ t.svg }}</td><td>{{ t.message }}</td></tr>{% endfor %}</table>{% endif %}
<h3>Coverage</h3>
{% set cov = s.coverage %}{% if not s.coverage_check %}<p class="muted">coverage check not
 run: the maps show the planned footprints only.</p>{% elif not cov %}<p class="muted">No
 coverage evidence ({{ s.coverage_check.verdict }}: {{ s.coverage_check.summary }}).</p>
{% else %}<p class="meta">Targets: {% for k, t in cov.targets.items() %}{{ k }} {{
"%.0f"|format(t * 100) }}%{{ ", " if not loop.last }}{% endfor %}.</p>
{% set bad = cov.cameras.values()|selectattr("failed")|list %}{% if bad %}
<table class="cameras"><tr><th>camera</th><th>state</th><th>detail</th></tr>{% for c in bad %}
<tr data-camera="{{ c.name }}"><td>{{ c.name }}</td><td class="s-failed">{{ c.state }}</td>
<td>{{ c.detail }}</td></tr>{% endfor %}</table>{% endif %}
<p>{{ cov.cameras|length - bad|length }} of {{ cov.cameras|length }} camera(s) ok.
{% set low = cov.zones.values()|rejectattr("shade", "in", ["ok", "untargeted"])|list %}
{% set targeted = cov.zones.values()|rejectattr("shade", "eq", "untargeted")|list %}
{{ targeted|length - low|length }} of {{ targeted|length }} zone(s) with a target meet it{%
if cov.zones|length > targeted|length %} ({{ cov.zones|length - targeted|length }} optional
zone(s) have none){% endif %}.</p>
{% if low %}<table class="zones"><tr><th>zone</th><th>area</th><th>importance</th><th>DORI</th>
<th>now</th><th>planned</th><th>target</th><th>blind spots</th></tr>{% for z in low %}
<tr data-zone="{{ z.zone }}"><td>{{ z.name }}</td><td>{{ z.area or "—" }}</td>
<td>{{ z.importance }}</td><td>{{ z.dori }}</td>
<td class="n s-{{ 'failed' if z.shade == 'very-low' else 'warn' }}">{{ "%.1f%%"|format(
z.effective * 100) if z.effective is not none else "n/a" }}</td><td class="n">{{
"%.1f%%"|format(z.planned * 100) if z.planned is not none else "n/a" }}</td><td class="n">{{
"%.0f%%"|format(z.target * 100) if z.target is not none else "—" }}</td><td>
{% for b in z.blind_spots %}{{ "%.1f m²"|format(b.area_m2) if b.area_m2 is not none
else "?" }}{% if b.centroid %} at ({{ "%.1f, %.1f"|format(*b.centroid) }}){% endif %}
{% if b.would_be_covered_by %} — {{ b.would_be_covered_by|join(", ") }} would cover it
{% endif %}{{ "; " if not loop.last }}{% endfor %}</td></tr>{% endfor %}</table>{% endif %}
{% endif %}
{% if s.maps %}<details class="maps"{% if s.verdict != "pass" or (s.coverage_check and
s.coverage_check.verdict != "pass") %} open{% endif %}>
<summary>Floor maps ({{ s.maps|length }} area(s))</summary><p>{{ legend }}</p><div class="flex">
{% for title, svg in s.maps %}<figure><figcaption>{{ title }}</figcaption>{{ svg }}</figure>
{% endfor %}</div></details>{% endif %}
</section>
{% endfor %}
<p class="muted">Generated by provision verify. Self-contained page: no script, nothing fetched.
</p></main></body></html>
"""
)
