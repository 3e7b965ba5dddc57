"""Uplink bandwidth and recorder retention from the bitrates cameras are really set to."""

from __future__ import annotations

from dataclasses import replace

from provision.i18n import _
from provision.inventory.model import Camera
from provision.sizing import forwarded_mbps, retention_days
from provision.verify.contract import Check, CheckContext
from provision.verify.gather import DeviceState
from provision.verify.model import FAIL, PASS, CheckResult, Finding


def _live(cam: Camera, state: DeviceState | None) -> Camera:
    kbps = state.settings.get("encoder.main.bitrate_kbps") if state and state.reachable else None
    return replace(cam, video=replace(cam.video, bitrate_kbps=int(kbps))) if kbps else cam


def check(ctx: CheckContext) -> CheckResult:
    school, city, states = ctx.school, ctx.city, ctx.states
    cams = [_live(c, states.get(c.name)) for c in school.cameras]
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
    capacity = sum(r.capacity_tb for r in school.recorders)
    days = retention_days(capacity, kbps) if school.recorders else 0.0
    findings.append(
        Finding(
            "recorders",
            PASS if days >= target else FAIL,
            _(
                "{capacity:g} TB keep {days:.1f} days at {mbps:.1f} Mbit/s; the "
                "standard asks for {target}"
            ).format(capacity=capacity, days=days, mbps=kbps / 1000, target=target),
            {
                "days": round(days, 1),
                "target_days": target,
                "capacity_tb": capacity,
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
