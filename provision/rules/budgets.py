"""The uplink must carry every forwarded feed; the recorders must keep the tier's days."""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory import words
from provision.inventory.loader import Inventory
from provision.inventory.model import Recorder
from provision.sizing import (
    UPLINK_HEADROOM,
    forwarded_mbps,
    layout_problem,
    retention_days,
    usable_tb,
)


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        uplink = school.network.uplink
        need = forwarded_mbps(school.cameras)
        if need > uplink.bandwidth_mbps:
            count = sum(c.forward for c in school.cameras)
            msg = _(
                "{count} forwarded feed(s) need {need:.1f} Mbit/s with {headroom:.0%} "
                "headroom, above the uplink's {bandwidth_mbps:g} Mbit/s"
            ).format(
                count=count,
                need=need,
                headroom=UPLINK_HEADROOM - 1,
                bandwidth_mbps=uplink.bandwidth_mbps,
            )
            yield doc.problem(("network", "uplink", "bandwidth_mbps"), msg, "uplink-bandwidth")
        for nvr in school.recorders:
            if (why := layout_problem(nvr)) is not None:
                msg = f"recorder {nvr.name!r}: {why} (disks_tb has {len(nvr.disks_tb)})"
                yield doc.problem((*nvr.path, "disks_tb"), msg, "recorder-disks")
        tier = inv.city.tiers.get(school.tier)
        if tier is None or not school.cameras:
            continue
        if not school.recorders:
            msg = _("{n_cameras} camera(s) but no recorder to keep their video").format(
                n_cameras=len(school.cameras)
            )
            yield doc.problem(("cameras",), msg, "no-recorder")
            continue
        # Cameras naming a recorder are checked against it; the rest share all recorders.
        groups: dict[str | None, int] = {}
        for cam in school.cameras:
            groups[cam.recorder] = groups.get(cam.recorder, 0) + cam.video.bitrate_kbps
        checks: list[tuple[Recorder | None, float, int]] = [
            (None, sum(usable_tb(r) for r in school.recorders), sum(groups.values()))
        ]
        checks += [(r, usable_tb(r), groups[r.name]) for r in school.recorders if r.name in groups]
        for recorder, capacity, kbps in checks:
            days = retention_days(capacity, kbps)
            if days >= tier.retention_days:
                continue
            if recorder is None and len(school.recorders) == 1:
                recorder = school.recorders[0]
            which = (
                _("recorder {name!r} holds").format(name=recorder.name)
                if recorder
                else _("the recorders hold")
            )
            msg = _(
                "{which} {days:.1f} days at {mbps:.1f} Mbit/s ({capacity:.3g} TB usable); the "
                "{tier} standard asks for {retention_days}"
            ).format(
                which=which,
                days=days,
                mbps=kbps / 1000,
                capacity=capacity,
                tier=words.tier(school.tier),
                retention_days=tier.retention_days,
            )
            path = (*recorder.path, "disks_tb") if recorder else ("recorders",)
            yield doc.problem(path, msg, "retention")
