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


# Unicode East_Asian_Width classes drawn in a full 16x16 cell on a GB2312 board: Wide,
# Fullwidth and Ambiguous. UAX #11 (East Asian Width, Unicode 15.1, section 5
# "Recommendations") resolves Ambiguous characters as wide in East Asian legacy encodings, and
# in GB 2312-1980 the ambiguous punctuation (“ ” ‘ ’ … — · ①, Greek, Cyrillic, box drawing)
# sits in the double-byte rows 1-9, drawn with the same 16x16 font as the hanzi.
FULL_CELL_WIDTHS = frozenset({"W", "F", "A"})


def display_width(text: str) -> float:
    """Cells a text takes on a GB2312 LED board (16x16 dots per cell): a wide, fullwidth or
    ambiguous-width character takes a cell, any other (ASCII, halfwidth) half of one (8x16).
    The validator and the lab board both count with this one rule."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in FULL_CELL_WIDTHS else 0.5 for ch in text)
