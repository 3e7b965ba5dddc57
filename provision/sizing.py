"""Storage and bandwidth sizing, shared by validate (planned), verify (configured and
recorded) and the lab's recorders.

Recorder disks, in one place and in decimal units on both sides. A disk's TB is the maker's
decimal TB (10^12 bytes) and a bitrate's Mbit/s is 10^6 bit/s, so a day of one Mbit/s is
86,400 s × 10^6 bit / 8 = 10.8 × 10^9 bytes: GB/day = Mbit/s × 10.8, no binary factor
anywhere. (The old "10 % lost to formatting" was the TB/TiB confusion, 1 - 2^40/10^12 ≈ 9 %:
an NVR showing a 4 TB disk as "3726 GB" counts in GiB; nothing is lost.) What is really lost
is explicit in the inventory, per recorder or through `defaults.recorder`:

- `hot_spares` (default 0): the last disks of `disks_tb` stand by and hold no video (Hikvision
  NVR user manual, "Configure a Hot Spare Disk": spares only rebuild degraded arrays).
- `raid_level` (default "none"): Hikvision NVRs ship with the disks used one by one; an array
  is created in Storage > RAID Setup (user manual, "RAID"). An array is counted at its
  smallest member: raid5 loses one disk's worth to parity (at least 3 disks), raid6 two (at
  least 4), raid1 and raid10 half (an even number, raid10 at least 4). The minimum disk
  counts are the same manual's table "RAID Level / The Required Number of HDDs". An array
  survives `tolerates` failed members (one for raid1, raid5 and raid10, two for raid6) in
  the state the manual calls "Degraded", keeping all it holds until it is rebuilt; one
  failure more and the array is lost. Disks used one by one lose what the failed disk held.
- `fs_reserve_fraction` (default 0, our choice): a Hikvision NVR lays its disks out in its own
  pre-allocated format with no documented reserve; a Linux NVR on ext4 keeps back mke2fs's
  default 5 % (mke2fs(8), -m) unless tuned, so such a recorder says 0.05.

A recorder records over its oldest video when full, so days kept = usable GB / GB per day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from provision.inventory.model import Camera, Recorder, School

UPLINK_HEADROOM = 1.2  # forwarded streams burst above their target bitrate
GB_PER_DAY_PER_MBPS = 86400 / 8 / 1000  # = 10.8: decimal GB per day at 1 Mbit/s (10^6 bit/s)


@dataclass(frozen=True, slots=True)
class RaidLevel:
    min_disks: int
    even: bool  # mirrored levels pair their disks
    data_disks: Callable[[int], float]  # members → disks' worth that hold video
    tolerates: int = 0  # failed members the array survives, degraded, with nothing lost


RAID_LEVELS: dict[str, RaidLevel] = {
    "none": RaidLevel(1, False, lambda n: n),
    "raid1": RaidLevel(2, True, lambda n: n / 2, 1),
    "raid5": RaidLevel(3, False, lambda n: n - 1, 1),
    "raid6": RaidLevel(4, False, lambda n: n - 2, 2),
    "raid10": RaidLevel(4, True, lambda n: n / 2, 1),  # one for sure; a second in another pair
}


def gb_per_day(bitrate_kbps: float) -> float:
    return bitrate_kbps / 1000 * GB_PER_DAY_PER_MBPS


def tb_for_days(bitrate_kbps: float, days: float) -> float:
    """Usable decimal TB that `days` of continuous recording at `bitrate_kbps` fill."""
    return gb_per_day(bitrate_kbps) * days / 1000


def forwarded_mbps(cameras: Iterable[Camera]) -> float:
    """Bandwidth the forwarded feeds need on the uplink, headroom included."""
    return sum(c.video.bitrate_kbps for c in cameras if c.forward) / 1000 * UPLINK_HEADROOM


def layout_problem(recorder: Recorder) -> str | None:
    """Why the recorder's disks cannot form its `raid_level`, or None when they can."""
    level = RAID_LEVELS[recorder.raid_level]
    members = len(recorder.disks_tb) - recorder.hot_spares
    spares = f" besides {recorder.hot_spares} hot spare(s)" if recorder.hot_spares else ""
    if members < level.min_disks:
        return (
            f"{recorder.raid_level} needs at least {level.min_disks} disk(s){spares}; "
            f"{members} are left"
        )
    if level.even and members % 2:
        return f"{recorder.raid_level} needs an even number of disks{spares}; {members} are left"
    return None


def usable_tb(recorder: Recorder) -> float:
    """Decimal TB the recorder really records on: hot spares out, RAID parity or mirrors
    out, the file-system reserve out. 0 when the disks cannot form the array."""
    if layout_problem(recorder) is not None:
        return 0.0
    members = recorder.disks_tb[: len(recorder.disks_tb) - recorder.hot_spares]
    level = RAID_LEVELS[recorder.raid_level]
    raw = sum(members) if recorder.raid_level == "none" else min(members) * len(members)
    data = raw * level.data_disks(len(members)) / len(members)
    return data * (1 - recorder.fs_reserve_fraction)


def recorded_by(school: School, recorder: Recorder) -> list[Camera]:
    """The cameras `recorder` keeps, in inventory order (its channels 1, 2, ...): those that
    name it, and those naming no recorder when it is the school's first."""
    first = bool(school.recorders) and school.recorders[0].name == recorder.name
    return [
        c for c in school.cameras if c.recorder == recorder.name or (c.recorder is None and first)
    ]


def retention_days(usable: float, bitrate_kbps: float) -> float:
    """Days of continuous recording that `usable` decimal TB hold at `bitrate_kbps` in total."""
    per_day = gb_per_day(bitrate_kbps)
    if per_day <= 0:
        return float("inf")
    return usable * 1000 / per_day


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
