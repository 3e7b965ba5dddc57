"""Uplink bandwidth and recorder retention from the bitrates cameras really send: as their
recorder's files hold them when an audited recorder keeps the camera (recorder_recordings.py:
bytes over seconds of the last days' files), else as the camera is set."""

from __future__ import annotations

from dataclasses import replace

from provision.i18n import _
from provision.inventory.model import Camera
from provision.sizing import forwarded_mbps, retention_days, usable_tb
from provision.verify.contract import Check, CheckContext
from provision.verify.gather import DeviceState
from provision.verify.model import FAIL, PASS, CheckResult, Finding


def _live(cam: Camera, state: DeviceState | None, recorded: dict[str, int]) -> Camera:
    """The camera at the bitrate its recorder's files hold when a recorder was audited (what
    it really sends), else at the bitrate it is set to, else as the inventory says."""
    kbps = recorded.get(cam.name)
    if not kbps and state and state.reachable:
        kbps = state.settings.get("encoder.main.bitrate_kbps")
    return replace(cam, video=replace(cam.video, bitrate_kbps=int(kbps))) if kbps else cam


def _recorded(ctx: CheckContext) -> dict[str, int]:
    """camera → kbps, from the recorders' own files (their `inspect` facts)."""
    out: dict[str, int] = {}
    for recorder in ctx.school.recorders:
        state = ctx.states.get(recorder.name)
        channels = state.facts.get("channels") if state and state.reachable else None
        for name, facts in (channels or {}).items():
            if isinstance(facts, dict) and facts.get("recorded_kbps"):
                out[name] = int(facts["recorded_kbps"])
    return out


def check(ctx: CheckContext) -> CheckResult:
    school, city, states = ctx.school, ctx.city, ctx.states
    recorded = _recorded(ctx)
    cams = [_live(c, states.get(c.name), recorded) for c in school.cameras]
    uplink = school.network.uplink
    need = forwarded_mbps(cams)
    findings = [
        Finding(
            "uplink",
            PASS if need <= uplink.bandwidth_mbps else FAIL,
            _(
                "forwarded feeds need {need:.1f} Mbit/s with headroom; the uplink has "
                "{bandwidth_mbps:g}"
            ).format(need=need, bandwidth_mbps=uplink.bandwidth_mbps),
            {"need_mbps": round(need, 2), "bandwidth_mbps": uplink.bandwidth_mbps},
        )
    ]
    target = city.tiers[school.tier].retention_days
    kbps = sum(c.video.bitrate_kbps for c in cams)
    capacity = sum(usable_tb(r) for r in school.recorders)
    days = retention_days(capacity, kbps) if school.recorders else 0.0
    findings.append(
        Finding(
            "recorders",
            PASS if days >= target else FAIL,
            _(
                "{capacity:.3g} TB usable keep {days:.1f} days at {mbps:.1f} Mbit/s; the "
                "standard asks for {target}"
            ).format(capacity=capacity, days=days, mbps=kbps / 1000, target=target),
            {
                "days": round(days, 1),
                "target_days": target,
                "capacity_tb": round(capacity, 3),
                "total_mbps": round(kbps / 1000, 2),
            },
        )
    )
    evidence = {f.subject: f.data for f in findings}
    return CheckResult.of(
        "budgets",
        findings,
        _("uplink {need:.1f}/{bandwidth_mbps:g} Mbit/s, retention {days:.0f}/{target} days").format(
            need=need, bandwidth_mbps=uplink.bandwidth_mbps, days=days, target=target
        ),
        evidence,
    )


CHECK = Check("budgets", check, needs_state=True)
