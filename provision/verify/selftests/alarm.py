"""The alarm self-test: press "test" on every panel and time the 601 at the precinct.

One-button alarm columns that report over GB/T 28181 (protocol gb28181) are tested in the
same section, beside the panels, through the precinct's video platform instead of the alarm
centre (selftests/alarm_column.py); what follows is the DC-09 panels' test.

Before a panel's test the account is put on test at the centre (a test window), so the 601 is
recorded as a test and no dispatcher is sent; the window is closed afterwards whatever
happened, and windows an interrupted earlier run left open (Ctrl-C, SIGTERM, a crash) are
closed at the start of the next one, which says so. A centre that will not open a window gets
no test alarm: it would reach a dispatcher as a real one.

Each panel is told to send a DC-09 Contact ID 601 (manual test; the centre records it as a
test, not an alarm). The centre's event API must show it for that account within the
threshold; the latency is the centre's receive time minus the moment we asked (the two clocks
are NTP-synchronised in the field and the same clock in the lab). The periodic 602 is
checked against the panel's interval where the centre's history has one.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from provision.drivers.connect import Connector
from provision.i18n import _
from provision.inventory.model import AlarmPanel, City, School
from provision.standards import ALARM_LATENCY_PROFILES, PANIC_ZONE_CLAUSE
from provision.verify.contract import Check, CheckContext
from provision.verify.gather import DeviceState
from provision.verify.model import FAIL, PASS, CheckResult, Finding
from provision.verify.selftests import alarm_column as columns
from provision.verify.selftests import periodic
from provision.verify.selftests.panel_links import PanelLink, link_for, reason

DEFAULT_THRESHOLD_S = 10.0
POLL_S = 0.1
WINDOW_MINUTES = 5  # ample for one test; a window a crash leaves open ends by itself
OPENED_BY = "provision verify"


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class _Centre:
    def __init__(self, city: City, school: School, connector: Connector) -> None:
        api = city.precincts[school.precinct].alarm_center.api
        if not api:
            raise ValueError(
                _("precinct {precinct} has no alarm centre API in city.yaml").format(
                    precinct=school.precinct
                )
            )
        url = urlsplit(api)
        host, port = connector.address(url.hostname or "", url.port or 80)
        self.base = f"{url.scheme}://{host}:{port}"
        self.timeout = connector.timeout
        # One keep-alive session per school to its precinct's centre: polling for each
        # panel's 601 would otherwise open a connection every POLL_S (about 100 per panel
        # when the centre is down). Like the drivers' clients, no proxy from the environment.
        self.session = _session(connector)

    def close(self) -> None:
        self.session.close()

    def _window_url(self, account: str) -> str:
        return f"{self.base}/api/accounts/{account}/test-window"

    def open_window(self, account: str) -> None:
        """Put the account on test, or RuntimeError saying why the centre would not."""
        body: dict[str, Any] = {"minutes": WINDOW_MINUTES, "opened_by": OPENED_BY}
        try:
            reply = self.session.put(self._window_url(account), json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RuntimeError(
                _("could not put account {account} on test: {reason}").format(
                    account=account, reason=reason(exc)
                )
            ) from exc
        if not reply.ok:
            raise RuntimeError(
                _(
                    "the centre would not put account {account} on test (HTTP "
                    "{status_code}: {error_text}); no test alarm was sent, it would reach a"
                    " dispatcher"
                ).format(
                    account=account, status_code=reply.status_code, error_text=_error_text(reply)
                )
            )

    def close_window(self, account: str) -> str | None:
        """Take the account off test; None, or why that failed (the window then runs out)."""
        try:
            reply = self.session.delete(self._window_url(account), timeout=self.timeout)
        except requests.RequestException as exc:
            return _("could not take account {account} off test: {reason}").format(
                account=account, reason=reason(exc)
            )
        return (
            None
            if reply.ok
            else _("taking {account} off test: HTTP {status_code}").format(
                account=account, status_code=reply.status_code
            )
        )

    def close_left_open(self, accounts: set[str]) -> list[str]:
        """Close the windows an interrupted earlier run left open on these accounts."""
        try:
            reply = self.session.get(f"{self.base}/api/test-windows", timeout=self.timeout)
            windows = reply.json() if reply.ok else []
        except (requests.RequestException, ValueError):
            return []  # the tests below say what is wrong with the centre
        ours = [
            w
            for w in (windows if isinstance(windows, list) else [])
            if w.get("account") in accounts and w.get("opened_by") == OPENED_BY
        ]
        return [
            _("{account} (on test since {opened_at})").format(
                account=w["account"], opened_at=w["opened_at"]
            )
            for w in ours
            if self.close_window(w["account"]) is None
        ]

    def events(self, account: str, code: str, since: float | None = None) -> list[dict[str, Any]]:
        params = {"account": account}
        if code:
            params["code"] = code
        if since is not None:
            params["since"] = _iso(since)
        reply = self.session.get(f"{self.base}/api/events", params=params, timeout=self.timeout)
        reply.raise_for_status()
        data = reply.json()
        return data if isinstance(data, list) else data.get("events", [])


def _error_text(reply: requests.Response) -> str:
    try:
        return str(reply.json().get("error", reply.reason))
    except (ValueError, AttributeError):
        return reply.reason or "no reason given"


def _session(connector: Connector) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # device traffic never goes through a proxy from the environment
    session.verify = connector.verify
    return session


def _both_ends(link: PanelLink, event_id: Any, info: dict[str, Any]) -> str | None:
    """Delivery from the panel's side: what its log says, kept beside the centre's record;
    a panel that says ACKed where the centre has nothing is a finding (another receiver
    answered for the precinct)."""
    entry = link.log_entry(event_id)
    info["panel_log"] = {k: entry.get(k) for k in ("sent_at", "acked_at", "acked_by")}
    if info["received"] or not entry.get("acked_at"):
        return None
    return _(
        "the panel says its {code} was ACKed at {acked_at} by {acked_by}, but the "
        "centre has no such event: another receiver answered for the precinct"
    ).format(code=link.test_code, acked_at=entry["acked_at"], acked_by=entry.get("acked_by"))


def _panel_says(link: PanelLink) -> str:
    """What the panel reports about its link, to say why a test alarm did not arrive."""
    status = link.status()
    parts = []
    if status.get("queue_length"):
        parts.append(
            _("{queue_length} event(s) queued at the panel").format(
                queue_length=status["queue_length"]
            )
        )
    if status.get("last_error"):
        parts.append(_("last error: {last_error}").format(last_error=status["last_error"]))
    return "; ".join(parts)


def _acked(link: PanelLink, event_id: Any, deadline: float) -> bool:
    """Did the panel get the centre's ACK for its test? A centre that stores events but never
    ACKs leaves the event at the head of the panel's queue, and every later one (a real panic
    too) waits behind it: receipt alone is not enough."""
    while True:
        status = link.status()
        queued = status.get("queued_event_ids")
        if not status or queued is None or event_id is None or event_id not in queued:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)  # polling the panel's own record, bounded by the threshold


def _periodic(
    panel: AlarmPanel, centre: _Centre, state: DeviceState | None, info: dict[str, Any]
) -> tuple[str, str]:
    """Late-to-test over the centre's history (see `periodic`), and "no signal since"."""
    interval_h = (
        state.settings.get("test_interval_h") if state and state.reachable else None
    ) or panel.test_interval_h
    interval_s, now = interval_h * 3600.0, time.time()
    info["periodic"]["interval_h"] = interval_h
    heard = [_epoch(e["received_at"]) for e in centre.events(panel.account, "")]
    since = now - (periodic.INTERVALS_JUDGED + 1) * interval_s
    tests = [_epoch(e["received_at"]) for e in centre.events(panel.account, "602", since=since)]
    if tests:
        info["periodic"]["last_602"] = _iso(max(tests))
    if heard:
        info["periodic"]["no_signal_since"] = _iso(max(heard))
    gaps = periodic.late_gaps(tests, min(heard, default=None), interval_s, now)
    info["periodic"]["late"] = [
        {"from": _iso(g.start), "to": None if g.open else _iso(g.end)} for g in gaps
    ]
    if not gaps:
        return PASS, (
            _("periodic tests on time (every {interval_h} h)").format(interval_h=interval_h)
            if tests
            else _("no periodic test due yet (every {interval_h} h)").format(interval_h=interval_h)
        )
    worst = max(gaps, key=lambda g: g.end - g.start)
    late_by_h = (worst.end - worst.start - interval_s) / 3600
    return FAIL, (
        _(
            "periodic test late: {hours:.1f} h without a 602 from {iso} "
            "({late_by_h:.1f} h over the {interval_h} h interval{still_none}); {n_gaps}"
            " late in the last {intervals} intervals"
        ).format(
            hours=(worst.end - worst.start) / 3600,
            iso=_iso(worst.start),
            late_by_h=late_by_h,
            interval_h=interval_h,
            still_none=_(", still none") if worst.open else "",
            n_gaps=len(gaps),
            intervals=periodic.INTERVALS_JUDGED,
        )
    )


def _panic_zone_problem(state: DeviceState | None) -> str | None:
    """What is wrong with the button's zone as the panel reports it (None: fine or unknown)."""
    settings = state.settings if state and state.reachable else {}
    faults = []
    if settings.get("panic_zone_disarmable") is True or settings.get("panic_zone_type") not in (
        None,
        "24h",
    ):
        faults.append(_("can be disarmed"))
    if settings.get("panic_zone_latching") is False:
        faults.append(_("does not latch"))
    if not faults:
        return None
    return _(
        "the panic zone {listed}: {clause} requires an emergency "
        "alarm device to be non-disarmable (24 h) and latching"
    ).format(listed=_(" and ").join(faults), clause=PANIC_ZONE_CLAUSE)


def _one(
    panel: AlarmPanel,
    centre: _Centre | None,
    link: PanelLink,
    threshold: float,
    state: DeviceState | None,
) -> tuple[Finding, dict[str, Any]]:
    info: dict[str, Any] = {
        "account": panel.account,
        "received": False,
        "latency_s": None,
        "error": None,
        "periodic": {"interval_h": panel.test_interval_h, "last_602": None},
    }
    try:
        if centre is None:
            raise RuntimeError("no alarm centre API to confirm receipt")
        centre.open_window(panel.account)
        try:
            return _tested(panel, centre, link, threshold, state, info)
        finally:
            link.finish()  # whatever the test left on the panel, before the window closes
            if (trouble := centre.close_window(panel.account)) is not None:
                info["window_error"] = trouble
    except Exception as exc:  # one panel's failure is its finding, never the run's
        info["error"] = str(exc) or type(exc).__name__
        return Finding(panel.name, FAIL, info["error"], info), info


def _event_ids(centre: _Centre, account: str, code: str, since: float) -> set[Any]:
    try:
        return {e.get("id") for e in centre.events(account, code, since=since)}
    except requests.RequestException:
        return set()  # the wait below says what is wrong with the centre


def _tested(
    panel: AlarmPanel,
    centre: _Centre,
    link: PanelLink,
    threshold: float,
    state: DeviceState | None,
    info: dict[str, Any],
) -> tuple[Finding, dict[str, Any]]:
    """Press test inside the open window and judge what reached the centre: within the panel's
    latency profile's limit when it has one, else within `threshold`."""
    profile = ALARM_LATENCY_PROFILES.get(panel.latency_profile or "")
    limit = profile.limit_s if profile else threshold
    threshold = max(threshold, limit)  # how long to wait for it, late or not
    info["limit_s"], info["profile"] = limit, profile.name if profile else None
    # The centre's clock and ours may differ by a second, so the query reaches back one; the
    # 601s already there (an earlier run's test a moment ago) are not this test's receipt.
    code = link.test_code
    earlier = _event_ids(centre, panel.account, code, time.time() - 1)
    asked = time.time()  # after that query: the latency is the panel's and the path's, not ours
    event_id = link.press_test()
    deadline = time.monotonic() + threshold
    got: list[dict[str, Any]] = []
    while not got and time.monotonic() < deadline:
        try:
            found = centre.events(panel.account, code, since=asked - 1)
            got = [e for e in found if e.get("id") not in earlier]
        except requests.RequestException as exc:
            info["error"] = _("alarm centre API: {exc}").format(exc=exc)
        if not got:
            time.sleep(POLL_S)  # polling the centre's record, bounded by the threshold
    if not got:
        if (mismatch := _both_ends(link, event_id, info)) is not None:
            info["error"] = mismatch
            return Finding(panel.name, FAIL, mismatch, info), info
        why = info["error"] or _("the centre recorded no {code} from this account").format(
            code=code
        )
        hint = _panel_says(link)
        info["error"] = _("no receipt within {threshold:g} s: {why}").format(
            threshold=threshold, why=why
        ) + (f" ({hint})" if hint else "")
        return Finding(panel.name, FAIL, info["error"], info), info
    info["received"], info["error"] = True, None
    info["on_test"] = bool(got[0].get("on_test"))  # recorded inside the window, not dispatched
    info["centre_received_at"] = got[0]["received_at"]
    info["latency_s"] = round(max(0.0, _epoch(got[0]["received_at"]) - asked), 3)
    if not _acked(link, event_id, deadline):
        hint = _panel_says(link)
        info["error"] = _(
            "the centre recorded the {code} but the panel got no ACK within "
            "{threshold:g} s ({why}): later events, a real panic too, wait behind"
            " it"
        ).format(code=code, threshold=threshold, why=hint or _("the test is still queued"))
        return Finding(panel.name, FAIL, info["error"], info), info
    _both_ends(link, event_id, info)  # both ends, kept as evidence
    if info["latency_s"] > limit:
        source = (
            _("profile {name}: {source}").format(name=profile.name, source=profile.source)
            if profile
            else "--alarm-threshold"
        )
        info["error"] = _(
            "{code} received in {latency_s} s, above the {limit:g} s limit ({source})"
        ).format(code=code, latency_s=info["latency_s"], limit=limit, source=source)
        return Finding(panel.name, FAIL, info["error"], info), info
    if (zone := _panic_zone_problem(state)) is not None:
        info["error"] = zone
        return Finding(panel.name, FAIL, zone, info), info
    verdict, note = _periodic(panel, centre, state, info)
    return Finding(
        panel.name,
        verdict,
        _("{code} received in {latency_s} s; {note}").format(
            code=code, latency_s=info["latency_s"], note=note
        ),
        info,
    ), info


def _linked(
    panel: AlarmPanel,
    centre: _Centre | None,
    connector: Connector,
    session: requests.Session,
    threshold: float,
    state: DeviceState | None,
) -> tuple[Finding, dict[str, Any]]:
    """One panel's test through the link its protocol needs (panel_links)."""
    link = link_for(panel, connector, session, panel.name)
    try:
        return _one(panel, centre, link, threshold, state)
    finally:
        link.close()


def check(ctx: CheckContext) -> CheckResult:
    school, city, connector, states = ctx.school, ctx.city, ctx.connector, ctx.states
    threshold = ctx.threshold
    if not school.alarms:
        return CheckResult.of(
            "alarm",
            [Finding("alarms", FAIL, _("the school has no alarm panel"))],
            _("no one-button alarm"),
            {"threshold_s": threshold, "panels": {}},
        )
    dc09 = [p for p in school.alarms if not p.reports_over_gb28181]
    try:
        centre: _Centre | None = _Centre(city, school, connector) if dc09 else None
    except ValueError:
        centre = None
    left_open = centre.close_left_open({p.account for p in dc09}) if centre else []
    # One session for the school's panels (a keep-alive connection per panel, reused by the
    # test, the ACK polling and the status hint) and one, in `centre`, to the precinct.
    panels_session = _session(connector)
    try:
        with ThreadPoolExecutor(max_workers=len(school.alarms)) as pool:
            by_platform = pool.submit(columns.test_all, ctx)  # the columns, beside the panels
            tested = pool.map(
                lambda p: _linked(
                    p, centre, connector, panels_session, threshold, states.get(p.name)
                ),
                dc09,
            )
            done = dict(zip((p.name for p in dc09), tested, strict=True))
            done.update(by_platform.result())
    finally:
        panels_session.close()
        if centre is not None:
            centre.close()
    findings = [done[p.name][0] for p in school.alarms]
    panels = {p.name: done[p.name][1] for p in school.alarms}
    latencies = [i["latency_s"] for i in panels.values() if i["latency_s"] is not None]
    received = sum(i["received"] is True for i in panels.values())
    walk = sum(i.get("pressed") is False for i in panels.values())
    summary = _("{received}/{total} test alarms reached the precinct").format(
        received=received, total=len(panels) - walk
    )
    if latencies:
        summary += _(", slowest {seconds:.2f} s").format(seconds=max(latencies))
    if walk:
        summary += _("; {n} alarm column(s) need a walk test").format(n=walk)
    if left_open:
        summary += _("; closed test windows an earlier run left open: {listed}").format(
            listed=", ".join(left_open)
        )
    evidence = {"threshold_s": threshold, "panels": panels, "closed_left_open": left_open}
    return CheckResult.of("alarm", findings, summary, evidence)


# The state it reads is the panel's test interval, to judge the periodic 602.
CHECK = Check("alarm", check, needs_state=True)
