"""The HTML audit report: one self-contained page an auditor opens, from a `CityReport`.

Inline CSS and SVG only: no script, no font, no image, no URL is fetched, so the file works
offline and can be mailed or archived as it is. All text comes through Jinja's autoescaping
(school and zone names are the inventory's, messages are the checks'). The page reads top
down: the city's verdict, pass rates by district and tier, every school worst first with a
verdict per check, then one section per school with its failures, alarm latencies, streams
and a floor map per site area (drawn by :mod:`provision.reports.html_svg`).

The page is written as it is rendered (`html_chunks`): the summary tables need only each
school's verdicts (`SchoolRow`, from one pass), and each school's section is built from that
school alone when the page reaches it, so a city of hundreds of schools, read back from a
run's schools.jsonl, holds one school's findings, evidence and maps at a time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from provision import i18n
from provision.i18n import _
from provision.inventory.model import TIERS, City, School
from provision.reports.html_svg import Coverage, area_map, as_dict, as_float, legend
from provision.reports.html_timeline import Timeline, recording_timelines
from provision.verify import labels
from provision.verify.checks.coverage import CAMERA_STATES
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
from provision.verify.stream import outlines

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


def _anchor_of(anchor: str, check: str) -> str:
    return f"{anchor}.{re.sub(r'[^A-Za-z0-9_-]', '_', check)}"


@dataclass(slots=True)
class SchoolRow:
    """A school's line in the city-wide tables: its verdicts, none of its findings or evidence,
    so every school's row fits in memory while its section is drawn from the school itself."""

    index: int  # its place in report.schools
    school: str
    name: str
    tier: str
    district_id: str
    district: str
    verdict: str
    anchor: str
    verdicts: dict[str, str]  # check -> verdict
    rank: int  # the sum of its checks' severities: the worse of two equal verdicts first
    checks: list[tuple[str, str | None]] = field(default_factory=list)  # per column

    def anchor_of(self, check: str) -> str:
        return _anchor_of(self.anchor, check)


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
        return _anchor_of(self.anchor, check)


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
            text = (
                _("late: above the {limit:g} s limit").format(limit=threshold)
                if late
                else _("received")
            )
        elif received is False or error:
            status = "failed"
            text = (_("received, but") if received is True else _("not received")) + (
                f": {error}" if error else ""
            )
        else:
            status, text = "unknown", _("no result")
        ptext, pstatus = _periodic(as_dict(info.get("periodic")), now)
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
                    _("no result in the evidence"),
                    "—",
                    "unknown",
                )
            )
    return rows


def _periodic(periodic: dict[str, Any], now: float) -> tuple[str, str]:
    """The panel's periodic test (602) as text and a css status."""
    interval, last = as_float(periodic.get("interval_h")), periodic.get("last_602")
    every = (
        _("every {hours:g} h").format(hours=interval)
        if interval is not None
        else _("interval unknown")
    )
    age = _age_hours(last, now) if last else None
    if not last:
        return _("{every}; no periodic test (602) received").format(every=every), "warn"
    if age is None:
        return _("{every}; last 602: {last}").format(every=every, last=last), "unknown"
    overdue = interval is not None and age > interval
    if age >= 0:
        text = _("{every}; last 602 {last}, {hours:.1f} h before the audit started")
    else:
        text = _("{every}; last 602 {last}, {hours:.1f} h after the audit started")
    text = text.format(every=every, last=last, hours=abs(age))
    return text + (_(" (overdue)") if overdue else ""), "warn" if overdue else "ok"


def _streams(result: CheckResult, school: School | None) -> list[StreamRow]:
    rows: list[StreamRow] = []
    for name, raw in as_dict(result.evidence.get("streams")).items():
        info = as_dict(raw)
        online, error = info.get("online"), _text(info.get("error"))
        status = "ok" if online is True else "failed" if online is False else "unknown"
        text = {"ok": _("online"), "failed": _("offline")}.get(status) or _("no result")
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
                    _("forwarded camera with no stream in the evidence"),
                    "—",
                    "—",
                    "—",
                )
            )
    return rows


def _school_view(
    s: SchoolReport,
    anchor: str,
    city: City,
    columns: list[str],
    started: float,
    inv: School | None,
) -> SchoolView:
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
                        _("floor {floor}").format(floor=area.floor) if area.floor else None,
                        _("outdoor") if area.outdoor else None,
                    )
                    if x
                )
                view.maps.append(
                    (f"{area.name} ({area.id})" + (f" — {where}" if where else ""), svg)
                )
    return view


def _groups(
    rows: list[SchoolRow], key: str, order: list[str], label: dict[str, str]
) -> list[GroupRow]:
    groups: dict[str, GroupRow] = {}
    for row in rows:
        k = getattr(row, key)
        group = groups.setdefault(k, GroupRow(label.get(k, k), {v: 0 for v in VERDICTS}, 0, 0))
        group.counts[_known(row.verdict)] += 1
        group.total += 1
        group.passing += row.verdict == PASS
    rank = {k: i for i, k in enumerate(order)}
    return [groups[k] for k in sorted(groups, key=lambda k: (rank.get(k, len(rank)), k))]


def _by_check(rows: list[SchoolRow], columns: list[str]) -> list[tuple[str, dict[str, int]]]:
    """Per check, how many schools got each verdict (schools that did not run it: none)."""
    out = []
    for name in columns:
        counts = dict.fromkeys(VERDICTS, 0)
        for row in rows:
            if (verdict := row.verdicts.get(name)) is not None:
                counts[_known(verdict)] += 1
        out.append((name, counts))
    return out


def _rows(schools: Sequence[SchoolReport], city: City, checks: list[str]) -> list[SchoolRow]:
    """Each school's row, worst first, from its outline (no findings: a StoredSchools has
    them without reading the file), anchors numbered in report order; `checks` gains, sorted,
    the checks a school ran that the run did not name."""
    anchors: dict[str, int] = {}
    rows: list[SchoolRow] = []
    extra: set[str] = set()
    for index, s in enumerate(outlines(schools)):
        base = "school-" + re.sub(r"[^A-Za-z0-9_-]", "_", s.school)
        anchors[base] = anchors.get(base, 0) + 1
        anchor = base if anchors[base] == 1 else f"{base}~{anchors[base]}"
        verdicts = {c.check: c.verdict for c in reversed(s.checks)}  # the first of a name wins
        extra.update(verdicts)
        rows.append(
            SchoolRow(
                index,
                s.school,
                s.name,
                s.tier,
                s.district,
                city.districts.get(s.district, s.district),
                _worst([c.verdict for c in s.checks]),
                anchor,
                verdicts,
                sum(_rank(c.verdict) for c in s.checks),
            )
        )
    checks += sorted(extra - set(checks))
    for row in rows:
        row.checks = [(name, row.verdicts.get(name)) for name in checks]
    rows.sort(key=lambda r: (-_rank(r.verdict), -r.rank, r.school, r.index))
    return rows


SchoolOf = Callable[[str], School | None]  # a school of the inventory by id (None: not in it)


def in_city(city: City) -> SchoolOf:
    """The schools of `city` by id."""

    def school_of(school_id: str) -> School | None:
        try:
            return city.school(school_id)
        except KeyError:
            return None

    return school_of


def render_html(report: CityReport, city: City) -> str:
    """The whole report as one HTML document (a str; write it with encoding utf-8)."""
    return "".join(html_chunks(report, city))


def html_chunks(report: CityReport, city: City, school_of: SchoolOf | None = None) -> Iterator[str]:
    """The report as `render_html` writes it, a piece at a time: the city's tables from one
    pass of small rows, then each school's section (floor maps, timelines) drawn from that
    school alone as the page reaches it, so one school's findings and maps are in memory.
    `school_of` finds a school's plan (default: in `city`; it may load each one from its
    file instead, so the city need not hold every school)."""
    find = school_of or in_city(city)
    columns = list(report.checks)
    rows = _rows(report.schools, city, columns)
    verdict = _worst([r.verdict for r in rows])
    counts = {v: sum(_known(r.verdict) == v for r in rows) for v in VERDICTS}
    districts = {k: f"{v} ({k})" for k, v in city.districts.items()}
    tiers = {t: labels.tier(t) for t in TIERS}

    def sections() -> Iterator[SchoolView]:
        for row in rows:
            school = report.schools[row.index]
            yield _school_view(
                school, row.anchor, city, columns, report.started, find(school.school)
            )

    pieces = _template().generate(
        html_lang=i18n.HTML_LANG[i18n.current()],
        style=Markup(_STYLE),
        sep=_(", "),
        checks_text=_(", ").join(map(labels.check, columns)),
        check_label=labels.check,
        tier_label=labels.tier,
        verdict_label=labels.verdict,
        camera_state_label=_camera_state,
        report=report,
        city=city,
        verdict=verdict,
        counts=counts,
        views=rows,
        sections=sections(),
        columns=columns,
        check_rows=_by_check(rows, columns),
        legend=legend(),
        css=_css,
        started=_started(report.started),
        by_district=_groups(rows, "district_id", list(city.districts), districts),
        by_tier=_groups(rows, "tier", list(TIERS), tiers),
    )
    # Plain str: a piece may be a Markup, and `text + Markup(...)` would escape `text`.
    return (str.__str__(piece) for piece in pieces)


def _started(stamp: float) -> str:
    """When the audit started, as readers of the language write a date: 2026年12月6日."""
    when = datetime.fromtimestamp(stamp, UTC)
    if i18n.current() == i18n.ENGLISH:
        return when.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{i18n.format_date(when)} {when:%H:%M:%S} UTC"


def _camera_state(state: str) -> str:
    return i18n.word(CAMERA_STATES, state)


@functools.cache
def _template() -> Template:
    env = Environment(
        loader=PackageLoader("provision.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # _ and ngettext look the language up when called, so one cached template serves both.
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env.get_template("report.html.j2")


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
td.v-pass,td.v-warn,td.v-fail,td.v-error,td.v-none{text-align:center;font-weight:600;
white-space:nowrap}
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
html:lang(zh-CN) body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
"WenQuanYi Micro Hei",sans-serif}
"""
