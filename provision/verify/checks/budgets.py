"""Uplink bandwidth and recorder retention from the bitrates cameras really send.

Each camera the gather reached is measured on the wire: one GOP (1-3 s) of its RTP over TCP
(verify/bitrates.py). The uplink carries what the wire shows; the recorders must hold the
larger of that and what their own files hold (recorder_recordings.py: bytes over seconds of
the last days' files), since the files are what fills the disks and a camera's rate varies
over a day. A camera that could not be measured is counted as it is set, else as the
inventory says, and the `bitrates` finding names it. A camera sending more than
`OVER_CAP` times its configured cap is a warning naming both figures.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from provision.i18n import _
from provision.inventory.model import Camera
from provision.sizing import forwarded_mbps, retention_days, usable_tb
from provision.verify.bitrates import Measured, measure_cameras
from provision.verify.contract import Check, CheckContext
from provision.verify.gather import DeviceState
from provision.verify.model import FAIL, PASS, WARN, CheckResult, Finding

# Our choice: VBR briefly overshoots its cap on a busy scene; more than 10 % over a window of
# seconds is a camera not set as the budget assumes.
OVER_CAP = 1.10


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


def _rate(
    cam: Camera, state: DeviceState | None, measured: Measured | None, recorded: int | None
) -> dict[str, Any]:
    """What one camera is counted at, and from where: on the wire, and on the disks."""
    set_kbps = (
        state.settings.get("encoder.main.bitrate_kbps") if state and state.reachable else None
    )
    if measured is not None and measured.kbps is not None:
        wire, source = measured.kbps, "measured"
    elif set_kbps:
        wire, source = float(set_kbps), "camera setting"
    else:
        wire, source = float(cam.video.bitrate_kbps), "inventory"
    return {
        "configured_kbps": cam.video.bitrate_kbps,
        "measured_kbps": round(measured.kbps) if measured and measured.kbps else None,
        "measured_s": measured.seconds if measured else None,
        "not_measured": measured.error if measured else None,
        "recorded_kbps": recorded,
        "counted_from": source,
        "wire_kbps": round(wire),
        "disk_kbps": round(max(wire, recorded or 0)),
    }


def _rates(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    states = ctx.states
    reached = [c for c in ctx.school.cameras if (s := states.get(c.name)) and s.reachable]
    measured = measure_cameras(ctx.city, ctx.school, reached, ctx.connector)
    recorded = _recorded(ctx)
    return {
        c.name: _rate(c, states.get(c.name), measured.get(c.name), recorded.get(c.name))
        for c in ctx.school.cameras
    }


def _at(cam: Camera, kbps: int) -> Camera:
    return replace(cam, video=replace(cam.video, bitrate_kbps=kbps))


def _bitrate_findings(rates: dict[str, dict[str, Any]]) -> list[Finding]:
    """One warning per camera over its cap, and one line on what was measured."""
    findings = []
    for name, r in rates.items():
        if r["measured_kbps"] and r["measured_kbps"] > r["configured_kbps"] * OVER_CAP:
            message = _(
                "{camera} sends {measured:.1f} Mbit/s measured over {seconds:g} s; configured "
                "cap {cap:g} Mbit/s"
            ).format(
                camera=name,
                measured=r["measured_kbps"] / 1000,
                seconds=r["measured_s"],
                cap=round(r["configured_kbps"] / 1000, 1),
            )
            findings.append(Finding(name, WARN, message, r))
    done = [r for r in rates.values() if r["measured_kbps"]]
    message = _("{measured}/{total} cameras measured from their RTP: {mbps:.1f} Mbit/s").format(
        measured=len(done),
        total=len(rates),
        mbps=sum(r["measured_kbps"] for r in done) / 1000,
    )
    missing = [n for n, r in rates.items() if not r["measured_kbps"]]
    if missing:
        unreached = _("not reached")
        cameras = ", ".join(f"{n} ({rates[n]['not_measured'] or unreached})" for n in missing)
        message += _("; counted as set, not measured: {cameras}").format(cameras=cameras)
    findings.append(Finding("bitrates", PASS, message, {"cameras": rates}))
    return findings


def check(ctx: CheckContext) -> CheckResult:
    school, city = ctx.school, ctx.city
    rates = _rates(ctx)
    wire = [_at(c, rates[c.name]["wire_kbps"]) for c in school.cameras]
    uplink = school.network.uplink
    need = forwarded_mbps(wire)
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
    kbps = sum(rates[c.name]["disk_kbps"] for c in school.cameras)
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
    findings += _bitrate_findings(rates)
    evidence = {f.subject: f.data for f in findings if f.verdict != WARN}
    return CheckResult.of(
        "budgets",
        findings,
        _("uplink {need:.1f}/{bandwidth_mbps:g} Mbit/s, retention {days:.0f}/{target} days").format(
            need=need, bandwidth_mbps=uplink.bandwidth_mbps, days=days, target=target
        ),
        evidence,
    )


CHECK = Check("budgets", check, needs_state=True)
