"""The recording audit: how many days of video each recorder really keeps, from its own index.

Per camera a recorder keeps (its channel): the oldest and newest recording, the days kept (now -
oldest), gaps longer than `GAP_THRESHOLD_H` in the last `RECENT_DAYS` days (the time after the
newest recording counts: a channel that stopped is a gap up to now), the schedule (continuous
24x7 or not) and the bitrate the NVR's files really hold. Per recorder: the health of every
disk, and of the RAID array they form (a failed disk in an array that survives it is a warning:
degraded, nothing lost). A channel fails when it keeps fewer days than the tier's standard, has
a long gap, is not recorded continuously, or is offline at the NVR (its camera does not answer
or refuses the channel's account: channels/status); the message says what to fix, in the
recorder's own numbers ("at the recorder's 45.8 Mbit/s, 30 days need 14.8 TB usable; its disks
give 8.9").

Findings carry their evidence (JSON, JUnit, Markdown show it) and a timeline of the recent
days, the spans with video, which the HTML report draws. Recorders over a protocol provision
does not audit (sized only, see the budgets check) are named in the summary.

An ONVIF Profile G recorder (drivers/recorder_onvif.py) tells less: the oldest and newest video
of each recording, the recent spans from its recording history events, its job's state, and no
disks. So for it a job not Active is "not recorded continuously", a job in Error (a failed
disk, a lost camera) fails the channel, the disks are named in the summary as not reported over
ONVIF rather than passed or failed, and what more days would take is reckoned at the cameras'
configured bitrates, the recorder reporting none of its own. A recorder that refuses FindEvents
gives only the span's edges: a recording that stopped still shows as the gap up to now, and the
message says gaps inside it are not read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from provision.drivers.recorder_isapi import CONTINUOUS
from provision.drivers.recorder_recordings import RECENT_DAYS
from provision.drivers.registry import is_managed
from provision.i18n import _
from provision.inventory.model import Recorder
from provision.sizing import tb_for_days, usable_tb
from provision.verify import labels
from provision.verify.contract import Check, CheckContext
from provision.verify.gather import DeviceState
from provision.verify.model import FAIL, PASS, WARN, CheckResult, Finding

# chanDetectResult spellings of a refused login (recorder_recordings.channel_links)
BAD_LOGIN = ("errorusernameorpasswd", "userorpassworderror")
GAP_THRESHOLD_H = 1.0  # our choice: a camera reboot is minutes; an hour without video is a gap
DAY_S = 86400


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gaps(spans: list[list[float]], start: float, end: float) -> list[tuple[float, float]]:
    """Stretches of [start, end] without video longer than the threshold, oldest first."""
    out, cursor = [], start
    for s, e in sorted(spans):
        if s - cursor > GAP_THRESHOLD_H * 3600:
            out.append((cursor, s))
        cursor = max(cursor, e)
    if end - cursor > GAP_THRESHOLD_H * 3600:
        out.append((cursor, end))
    return out


def _channel(
    ctx: CheckContext, name: str, facts: dict[str, Any], schedule: Any, fix: str, now: float
) -> Finding:
    target = ctx.city.tiers[ctx.school.tier].retention_days
    oldest, newest = facts.get("oldest"), facts.get("newest")
    days = (now - oldest) / DAY_S if oldest is not None else 0.0
    window = (max(now - RECENT_DAYS * DAY_S, oldest or now), now)
    holes = gaps(facts.get("recent_spans") or [], *window)
    kbps = facts.get("recorded_kbps")
    problems = []
    if oldest is None:
        problems.append(_("has no recordings at all"))
    elif days < target:
        kept = _("keeps {days:.1f} days").format(days=days)
        if kbps:
            kept = _("keeps {days:.1f} days at {mbps:.1f} Mbit/s").format(
                days=days, mbps=kbps / 1000
            )
        problems.append(
            _("{kept}; the {tier} standard asks for {target}; {fix}").format(
                kept=kept, tier=labels.tier(ctx.school.tier), target=target, fix=fix
            )
        )
    if holes:
        longest = max(e - s for s, e in holes) / 3600
        stopped = holes[-1][1] >= now - 1
        problems.append(
            _("has recorded nothing for the last {hours:.1f} h").format(hours=longest)
            if stopped and len(holes) == 1
            else _(
                "has {count} gap(s) over {threshold:g} h in the last {days} days, the longest "
                "{hours:.1f} h"
            ).format(count=len(holes), threshold=GAP_THRESHOLD_H, days=RECENT_DAYS, hours=longest)
        )
    if schedule != CONTINUOUS:
        problems.append(
            _("is recorded on schedule {schedule!r}, not {continuous}").format(
                schedule=schedule, continuous=CONTINUOUS
            )
        )
    link = facts.get("link")
    if link and not link.get("online"):
        problems.append(_offline(str(link.get("detect") or "offline")))
    job = facts.get("job") or {}
    if job.get("state") not in (None, "Active"):
        problems.append(
            _("has its recording job in state {state}: {error}").format(
                state=job.get("state"), error=job.get("error") or _("(no reason given)")
            )
        )
    unread = facts.get("gaps_read") is False
    data = {
        "oldest": _iso(oldest),
        "newest": _iso(newest),
        "days_kept": round(days, 1),
        "target_days": target,
        "recorded_kbps": kbps,
        "schedule": schedule,
        "link": link,
        "job": job or None,
        "gaps_read": not unread,
        "gaps": [[_iso(s), _iso(e), round((e - s) / 3600, 1)] for s, e in holes],
        "timeline": {"start": window[0], "end": now, "spans": facts.get("recent_spans") or []},
    }
    if problems:
        message = _("channel {name} {problems}").format(name=name, problems="; ".join(problems))
        if unread:
            message += _(" (gaps inside the recording are not read over ONVIF)")
        return Finding(name, FAIL, message, data)
    ok = _(
        "channel {name} keeps {days:.1f} days, recorded continuously, no gap over {threshold:g} h "
        "in the last {recent} days"
    ).format(name=name, days=days, threshold=GAP_THRESHOLD_H, recent=RECENT_DAYS)
    if unread:
        ok = _(
            "channel {name} keeps {days:.1f} days, recorded continuously up to now (gaps inside "
            "the recording are not read over ONVIF)"
        ).format(name=name, days=days)
    return Finding(name, PASS, ok, data)


def _offline(detect: str) -> str:
    """Why the NVR has a channel offline, and what to do, from its chanDetectResult."""
    if detect.lower() in BAD_LOGIN:
        return _(
            "is offline at the NVR ({detect}): the camera refuses the channel's account; "
            "apply puts the camera's password on the channel"
        ).format(detect=detect)
    return _(
        "is offline at the NVR ({detect}): the camera does not answer the NVR; it records "
        "nothing until it does"
    ).format(detect=detect)


def _fix(ctx: CheckContext, recorder: Recorder, channels: dict[str, Any]) -> str:
    """What `target` days would take at the rate the recorder really records."""
    target = ctx.city.tiers[ctx.school.tier].retention_days
    total = sum(c.get("recorded_kbps") or 0 for c in channels.values())
    if not total:  # a recorder that does not say what it stores (ONVIF): the cameras' caps
        cameras = {c.name: c for c in ctx.school.cameras}
        total = sum(cameras[n].video.bitrate_kbps for n in channels if n in cameras)
        need, have = tb_for_days(total, target), usable_tb(recorder)
        return _(
            "at the cameras' configured {mbps:.1f} Mbit/s (the recorder does not report what it "
            "stores), {target} days need {need:.1f} TB usable; its disks give {have:.1f} (lower "
            "the bitrate or add disks)"
        ).format(mbps=total / 1000, target=target, need=need, have=have)
    need, have = tb_for_days(total, target), usable_tb(recorder)
    return _(
        "at the recorder's {mbps:.1f} Mbit/s, {target} days need {need:.1f} TB usable; its disks "
        "give {have:.1f} (lower the bitrate or add disks)"
    ).format(mbps=total / 1000, target=target, need=need, have=have)


def _recorder(ctx: CheckContext, recorder: Recorder, state: DeviceState | None) -> list[Finding]:
    if state is None or not state.reachable:
        why = state.error if state is not None else _("not gathered")
        message = _("recorder {name} not audited: {why}").format(name=recorder.name, why=why)
        return [Finding(recorder.name, FAIL, message)]
    facts = state.facts
    channels, now = facts.get("channels") or {}, float(facts.get("now") or 0)
    fix = _fix(ctx, recorder, channels)
    findings = [
        _channel(ctx, name, data, state.settings.get(f"schedule.{name}"), fix, now)
        for name, data in channels.items()
    ]
    if facts.get("disks_reported") is not False:
        findings.append(_disks(recorder, facts.get("disks") or [], facts.get("arrays") or []))
    return findings


def _disks(recorder: Recorder, disks: list[Any], arrays: list[Any]) -> Finding:
    """Every disk healthy passes; a failed disk in an array that survives it (degraded) is a
    warning: nothing is lost yet, one more failure loses it all; otherwise a failure."""
    bad = [d for d in disks if d.get("status") != "ok"]
    data = {"disks": disks, "arrays": arrays}
    subject = f"{recorder.name}/disks"
    if not bad:
        return Finding(subject, PASS, _("{count} disk(s) healthy").format(count=len(disks)), data)
    degraded = [a for a in arrays if str(a.get("status")).lower() == "degraded"]
    if degraded and not [a for a in arrays if str(a.get("status")).lower() == "offline"]:
        message = _(
            "disk(s) {disks} failed; array {array} ({level}) is degraded: nothing is lost and "
            "its capacity is unchanged, but one more failure loses it; replace the disk(s) now"
        ).format(
            disks=", ".join(str(d.get("id")) for d in bad),
            array=degraded[0].get("id"),
            level=degraded[0].get("level"),
        )
        return Finding(subject, WARN, message, data)
    message = "; ".join(
        _("disk {disk} reports {status}: replace it (what it held is lost)").format(
            disk=d.get("id"), status=d.get("status")
        )
        for d in bad
    )
    return Finding(subject, FAIL, message, data)


def check(ctx: CheckContext) -> CheckResult:
    audited = [r for r in ctx.school.recorders if is_managed(r.kind, r.protocol)]
    skipped = [f"{r.name} ({r.protocol})" for r in ctx.school.recorders if r not in audited]
    findings = [f for r in audited for f in _recorder(ctx, r, ctx.states.get(r.name))]
    channels = [f for f in findings if "timeline" in f.data]
    good = sum(f.verdict == PASS for f in channels)
    summary = _("{good}/{total} channel(s) keep the standard's days, continuously").format(
        good=good, total=len(channels)
    )
    if not audited:
        summary = _("no recorder provision audits")
    if skipped:
        summary += _("; sized only, not audited: {recorders}").format(recorders=", ".join(skipped))
    silent = [
        r.name
        for r in audited
        if (state := ctx.states.get(r.name)) is not None
        and state.reachable
        and state.facts.get("disks_reported") is False
    ]
    if silent:
        summary += _("; disk health not reported over ONVIF: {recorders}").format(
            recorders=", ".join(silent)
        )
    evidence = {"recording": {f.subject: f.data for f in findings}}
    return CheckResult.of("recording", findings, summary, evidence)


CHECK = Check("recording", check, needs_state=True)
