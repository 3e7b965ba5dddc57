"""The alarm self-test of a one-button alarm column that reports over GB/T 28181: its button
pressed, its Alarm timed to the precinct's platform record. Shown beside the DC-09 panels in
the alarm check's section (selftests/alarm.py hands each column here).

The column's path is column → platform (a SIP MESSAGE with a MANSCDP Notify, GB/T 28181-2016
§9.4), and the record of it is the platform's: WVP-PRO stores each Alarm notify as a
DeviceAlarm (AlarmNotifyMessageHandler) and lists them at `GET /api/alarm/all?page=&count=
&deviceId=&startTime=&endTime=` (its AlarmController `getAll`, 648540858/wvp-GB28181-pro at
c2835db8d^, gb28181/controller/AlarmController.java). WVP since c2835db8d (its 2.7.4 schema,
April 2026) lists alarms at `/api/alarm/list` without a device filter instead; that shape is
not read here.

1. Registration is the precondition: a column the platform does not list fails with the
   platform's reason (the gb28181 check's `platform_refusal`: wrong password, wrong server
   ID), after waiting up to REGISTER_WAIT_S for one written by an apply a moment ago.
2. When the connector can press the button (the lab's, through its control API), the press
   is timed to the platform's record of a new alarm from the column's ID and judged against
   the city's latency profile (standards.ALARM_LATENCY_PROFILES), as the DC-09 test is. The
   platform's time of receipt is read from the record when it carries one in milliseconds
   (the lab's `receivedAtMs`); WVP's own `alarmTime` and `createTime` are whole seconds, so
   without it the latency is the moment this test saw the record, an upper bound, and the
   evidence says which (`latency_basis`).
3. A field connector cannot press (nobody is at the column): the finding says the column
   needs a walk test and reports the last alarm the platform holds from it within
   WALK_TEST_DAYS as the last walk test, its AlarmTime as the platform has it. No latency
   is judged from AlarmTime: it is whole seconds, and the column's own clock.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from provision.drivers.connect import Connector
from provision.i18n import _
from provision.inventory.model import AlarmPanel, School, SipServer
from provision.standards import ALARM_LATENCY_PROFILES
from provision.templates.gb28181_settings import sip_server
from provision.verify.checks.gb28181 import (
    REGISTER_WAIT_S,
    PlatformError,
    Wvp,
    platform_refusal,
    wire_problem,
)
from provision.verify.contract import CheckContext
from provision.verify.model import FAIL, PASS, WARN, Finding

POLL_S = 0.1
WALK_TEST_DAYS = 30
ALARMS_READ = 50  # the newest alarms of one column read per query: a press adds one
WVP_TIME = "%Y-%m-%d %H:%M:%S"


def _alarms(wvp: Wvp, device_id: str, since: float | None = None) -> list[dict[str, Any]]:
    """The platform's alarms from the device, newest first (WVP's order)."""
    params: dict[str, Any] = {"page": 1, "count": ALARMS_READ, "deviceId": device_id}
    if since is not None:
        params["startTime"] = time.strftime(WVP_TIME, time.localtime(since))
    data = wvp.get("/api/alarm/all", **params)
    found = (data or {}).get("list") or []
    return [a for a in found if isinstance(a, dict)]


def _registered(wvp: Wvp, device_id: str) -> tuple[dict[str, Any] | None, float]:
    """The platform's listing of the column, waiting up to REGISTER_WAIT_S for it (or for a
    refusal, after which waiting changes nothing); and how long that took."""
    started = time.monotonic()
    while True:
        listed = wvp.get(f"/api/device/query/devices/{device_id}")
        waited = round(time.monotonic() - started, 2)
        if listed is not None or waited >= REGISTER_WAIT_S:
            return listed, waited
        try:
            if wvp.get(f"/lab/api/refusals/{device_id}"):
                return None, waited
        except PlatformError:
            pass  # a platform without a refusal log: only the listing tells
        time.sleep(POLL_S)  # polling the platform's record, bounded by REGISTER_WAIT_S


def column_test(
    column: AlarmPanel,
    school: School,
    connector: Connector,
    wvp: Wvp,
    server: SipServer,
    threshold: float,
) -> tuple[Finding, dict[str, Any]]:
    """One column's finding and its evidence (the alarm check's `panels` entry)."""
    device_id = column.gb28181_id or ""
    profile = ALARM_LATENCY_PROFILES.get(column.latency_profile or "")
    limit = profile.limit_s if profile else threshold
    info: dict[str, Any] = {
        "account": None,
        "protocol": column.protocol,
        "device_id": device_id,
        "received": False,
        "latency_s": None,
        "error": None,
        "limit_s": limit,
        "profile": profile.name if profile else None,
        "pressed": None,
    }
    listed, info["register_wait_s"] = _registered(wvp, device_id)
    if listed is None or not listed.get("onLine", True):
        why = platform_refusal(wvp, device_id, server)
        info["error"] = _("not registered, so its alarms reach no one: {why}").format(why=why)
        return Finding(column.name, FAIL, info["error"], info), info
    earlier = {a.get("id") for a in _alarms(wvp, device_id)}
    asked = time.time()
    info["pressed"] = connector.press_alarm_button(f"{school.id}/{column.name}")
    if not info["pressed"]:
        return _walk_test(column, wvp, info)
    deadline = time.monotonic() + max(threshold, limit)
    new: list[dict[str, Any]] = []
    while not new and time.monotonic() < deadline:
        new = [a for a in _alarms(wvp, device_id, asked - 1) if a.get("id") not in earlier]
        if not new:
            time.sleep(POLL_S)  # polling the platform's record, bounded by the limit
    seen = time.time()
    if not new:
        info["error"] = _(
            "button pressed, but the platform recorded no alarm from {device_id} within "
            "{seconds:g} s"
        ).format(device_id=device_id, seconds=max(threshold, limit))
        return Finding(column.name, FAIL, info["error"], info), info
    return _timed(column, new[-1], asked, seen, profile.source if profile else None, info)


def _timed(
    column: AlarmPanel,
    alarm: dict[str, Any],
    asked: float,
    seen: float,
    source: str | None,
    info: dict[str, Any],
) -> tuple[Finding, dict[str, Any]]:
    """Judge the press → record time against the limit."""
    received_ms = alarm.get("receivedAtMs")
    if isinstance(received_ms, (int, float)):
        latency, info["latency_basis"] = received_ms / 1000 - asked, "platform receipt (ms)"
    else:
        latency, info["latency_basis"] = seen - asked, "seen by verify (upper bound)"
    info["received"] = True
    info["latency_s"] = round(max(0.0, latency), 3)
    info["platform_alarm"] = {k: alarm.get(k) for k in ("id", "alarmTime", "alarmPriority")}
    limit = info["limit_s"]
    if info["latency_s"] > limit:
        info["error"] = _(
            "Alarm recorded by the platform in {latency_s} s, above the {limit:g} s limit "
            "({source})"
        ).format(latency_s=info["latency_s"], limit=limit, source=source or "--alarm-threshold")
        return Finding(column.name, FAIL, info["error"], info), info
    said = _("Alarm recorded by the platform in {latency_s} s (limit {limit:g} s)").format(
        latency_s=info["latency_s"], limit=limit
    )
    return Finding(column.name, PASS, said, info), info


def _walk_test(
    column: AlarmPanel, wvp: Wvp, info: dict[str, Any]
) -> tuple[Finding, dict[str, Any]]:
    """A column nobody can press from here: its last alarm at the platform stands for the
    last walk test; no latency is judged from it (AlarmTime is whole seconds)."""
    since = time.time() - WALK_TEST_DAYS * 86400
    found = _alarms(wvp, info["device_id"], since)
    info["received"] = None  # not tested now: neither received nor lost
    info["latency_basis"] = "not measured: AlarmTime is whole seconds, set by the column"
    if not found:
        said = _(
            "needs a walk test: no program can press its button, and the platform holds no "
            "alarm from it in the last {days} days"
        ).format(days=WALK_TEST_DAYS)
        return Finding(column.name, WARN, said, info), info
    last = found[0]
    info["last_walk_test"] = {k: last.get(k) for k in ("id", "alarmTime", "createTime")}
    said = _(
        "needs a walk test: no program can press its button; the platform's last alarm from "
        "it was at {alarm_time} (latency not judged: AlarmTime is whole seconds)"
    ).format(alarm_time=last.get("alarmTime"))
    return Finding(column.name, WARN, said, info), info


def test_all(ctx: CheckContext) -> dict[str, tuple[Finding, dict[str, Any]]]:
    """Every alarm column of the school, one after another through one WVP session (its
    login token never travels with the panels' requests): name → (finding, evidence)."""
    school = ctx.school
    chosen = [a for a in school.alarms if a.reports_over_gb28181]
    if not chosen:
        return {}
    server = sip_server(ctx.city, school)
    out: dict[str, tuple[Finding, dict[str, Any]]] = {}
    with requests.Session() as session:
        session.trust_env = False  # device traffic never goes through an environment proxy
        session.verify = ctx.connector.verify
        try:
            if server is None:
                raise ValueError(
                    _("precinct {precinct} runs no GB/T 28181 platform").format(
                        precinct=school.precinct
                    )
                )
            wvp = Wvp(ctx, session)
            for column in chosen:
                out[column.name] = column_test(
                    column, school, ctx.connector, wvp, server, ctx.threshold
                )
        except (requests.RequestException, PlatformError, ValueError) as exc:
            problem = wire_problem(exc) if isinstance(exc, requests.RequestException) else exc
            why = _("the GB/T 28181 platform cannot be asked: {problem}").format(problem=problem)
            for column in chosen:
                if column.name not in out:
                    info = {"account": None, "received": False, "latency_s": None, "error": why}
                    out[column.name] = (Finding(column.name, FAIL, why, info), info)
    return out
