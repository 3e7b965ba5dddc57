"""Uplink bandwidth and recorder retention from the bitrates cameras are really set to."""

from __future__ import annotations

from dataclasses import replace

from provision.inventory.model import Camera
from provision.sizing import forwarded_mbps, retention_days, usable_tb
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
            f"forwarded feeds need {need:.1f} Mbit/s with headroom; the uplink has "
            f"{uplink.bandwidth_mbps:g}",
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
            f"{capacity:.3g} TB usable keep {days:.1f} days at {kbps / 1000:.1f} Mbit/s; the "
            f"standard asks for {target}",
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
        f"uplink {need:.1f}/{uplink.bandwidth_mbps:g} Mbit/s, retention {days:.0f}/{target} days",
        evidence,
    )


CHECK = Check("budgets", check, needs_state=True)
