"""Storage and bandwidth sizing, shared by validate (planned) and verify (configured)."""

from __future__ import annotations

from collections.abc import Iterable

from provision.inventory.model import Camera

UPLINK_HEADROOM = 1.2  # forwarded streams burst above their target bitrate
USABLE_DISK_FRACTION = 0.9  # ~10% of a disk's decimal TB is lost to formatting
GB_PER_DAY_PER_MBPS = 86400 / 8 / 1000  # = 10.8


def gb_per_day(bitrate_kbps: float) -> float:
    return bitrate_kbps / 1000 * GB_PER_DAY_PER_MBPS


def forwarded_mbps(cameras: Iterable[Camera]) -> float:
    """Bandwidth the forwarded feeds need on the uplink, headroom included."""
    return sum(c.video.bitrate_kbps for c in cameras if c.forward) / 1000 * UPLINK_HEADROOM


def retention_days(disks_tb: float, bitrate_kbps: float) -> float:
    """Days of continuous recording that `disks_tb` holds at `bitrate_kbps` in total."""
    per_day = gb_per_day(bitrate_kbps)
    if per_day <= 0:
        return float("inf")
    return disks_tb * 1000 * USABLE_DISK_FRACTION / per_day


def display_width(text: str) -> float:
    """Cells a text takes on an LED board: a CJK wide/full-width character takes one cell
    (16x16 dots), any other character half a cell (8x16 dots)."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)
