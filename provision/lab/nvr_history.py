"""What a lab NVR has on its disks: a recording index simulated over time, no video stored.

A lab NVR starts with `history_days` (default 40) of recordings behind it for each channel,
at that channel's camera's bitrate, with the short outages the lab's history gives each
camera (a reboot or a power blip: 5-40 minutes about every ten days, drawn from a seed so a
lab is the same every run). Time goes on with the wall clock: the newest recording is now.
The disks are a ring: when the history outgrows the usable capacity the oldest video is gone,
so the oldest recording is `now - usable bytes / bytes per second` (counted as if no channel
ever paused: an NVR overwrites by the pool's fill, not per channel).

The faults bend this history the way the field does:
- `recording_gap` ["CHANNEL:HOURS", ...]: that channel (its id or its name) has recorded
  nothing for the last HOURS hours (a camera unplugged, a channel that stopped).
- `hdd_fail`: disk 1 reports status "error". Disks used one by one (`tolerates` 0): its
  capacity leaves the pool, so the oldest recordings it held are gone and retention shrinks.
  An array with redundancy (`tolerates` >= the failed disks, sizing.RAID_LEVELS) is degraded:
  its capacity and every recording stay; more failures than it tolerates lose the array.
- `disk_full`: the cameras' bitrate rose (someone raised frame rate or resolution) until the
  pool holds only `DISK_FULL_DAYS` days; the segments' sizes show the higher bitrate.
- `schedule_motion_only`: someone set the schedule to motion only (nvr_state.py), and for the
  last `MOTION_DAYS` days video exists only in school hours (07:00-19:00 China time), nights
  empty.

Times are UTC seconds since the epoch; files are split every `SEGMENT_S`, as an NVR starts a
new file per hour of continuous recording (lab choice; real units cut files by size).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

DAY_S = 86400
SEGMENT_S = 3600
DEFAULT_HISTORY_DAYS = 40
DISK_FULL_DAYS = 12
MOTION_DAYS = 7
SCHOOL_HOURS_UTC = (23, 11)  # 07:00-19:00 in China (UTC+8), as UTC hours
OUTAGE_EVERY_DAYS = 10
OUTAGE_MINUTES = (5, 40)

Span = tuple[float, float]


@dataclass(slots=True)
class Conditions:
    """What the NVR's faults say now, in the index's terms."""

    stopped_h: dict[int, float] = field(default_factory=dict)  # channel → hours without video
    failed_disks: frozenset[int] = frozenset()  # 1-based disk ids
    disk_full: bool = False
    motion_only: bool = False


@dataclass(slots=True)
class RecordingIndex:
    """The recordings of every channel: bitrates, outages and the disk pool they share."""

    bitrates_kbps: dict[int, int]  # channel id → the kbps its camera sends
    disks_bytes: tuple[float, ...]  # raw decimal bytes per disk
    usable_fraction: float  # of the raw bytes, what records (RAID, spares, reserve: sizing.py)
    started_at: float  # when the history begins
    outages: dict[int, list[Span]] = field(default_factory=dict)
    tolerates: int = 0  # failed disks the array survives (0: disks used one by one)

    @classmethod
    def simulated(
        cls,
        bitrates_kbps: dict[int, int],
        disks_bytes: tuple[float, ...],
        usable_fraction: float,
        *,
        now: float,
        history_days: float = DEFAULT_HISTORY_DAYS,
        seed: int = 0,
    ) -> RecordingIndex:
        start = now - history_days * DAY_S
        index = cls(dict(bitrates_kbps), disks_bytes, usable_fraction, start)
        rng = random.Random(seed)
        for channel in sorted(bitrates_kbps):
            spans = []
            for _ in range(max(0, int(history_days // OUTAGE_EVERY_DAYS))):
                at = start + rng.uniform(0, history_days * DAY_S - 3600)
                spans.append((at, at + rng.uniform(*OUTAGE_MINUTES) * 60))
            index.outages[channel] = sorted(spans)
        return index

    # --- the disks ----------------------------------------------------------------------------

    def degraded(self, cond: Conditions) -> bool:
        """An array that lost members but nothing of what it holds."""
        return 0 < len(cond.failed_disks) <= self.tolerates

    def pool_bytes(self, cond: Conditions) -> float:
        if self.tolerates and cond.failed_disks:  # an array: whole while it tolerates them
            whole = self.degraded(cond)
            return sum(self.disks_bytes) * self.usable_fraction if whole else 0.0
        healthy = sum(b for i, b in enumerate(self.disks_bytes, 1) if i not in cond.failed_disks)
        return healthy * self.usable_fraction

    def rate_factor(self, cond: Conditions) -> float:
        """How much more than the cameras' configured bitrate the channels really send."""
        base = sum(self.bitrates_kbps.values()) * 125.0  # bytes per second
        if not cond.disk_full or base <= 0:
            return 1.0
        return max(1.0, self.pool_bytes(cond) / (DISK_FULL_DAYS * DAY_S) / base)

    def bytes_per_s(self, channel: int, cond: Conditions) -> float:
        return self.bitrates_kbps.get(channel, 0) * 125.0 * self.rate_factor(cond)

    def oldest(self, cond: Conditions, now: float) -> float:
        rate = sum(self.bytes_per_s(c, cond) for c in self.bitrates_kbps)
        kept = self.pool_bytes(cond) / rate if rate > 0 else float("inf")
        return max(self.started_at, now - kept)

    def used_bytes(self, cond: Conditions, now: float) -> float:
        rate = sum(self.bytes_per_s(c, cond) for c in self.bitrates_kbps)
        return min(self.pool_bytes(cond), rate * max(0.0, now - self.started_at))

    # --- the recordings -----------------------------------------------------------------------

    def spans(self, channel: int, cond: Conditions, now: float) -> list[Span]:
        """The times `channel` has video for, oldest first, within what the disks still hold."""
        if channel not in self.bitrates_kbps:
            return []
        begin = self.oldest(cond, now)
        end = now - cond.stopped_h.get(channel, 0.0) * 3600
        holes = list(self.outages.get(channel, []))
        if cond.motion_only:
            holes += list(_nights(max(begin, now - MOTION_DAYS * DAY_S), now))
        return _subtract((begin, end), sorted(holes)) if end > begin else []

    def segments(
        self, channel: int, cond: Conditions, now: float, window: Span
    ) -> Iterator[tuple[Span, int]]:
        """((start, end), size in bytes) of each file of `channel` overlapping `window`."""
        rate = self.bytes_per_s(channel, cond)
        for start, end in self.spans(channel, cond, now):
            if end <= window[0] or start >= window[1]:
                continue
            cut = max(start, window[0] - window[0] % SEGMENT_S)  # files start on the hour
            while cut < min(end, window[1]):
                stop = min(end, (cut // SEGMENT_S + 1) * SEGMENT_S)
                if stop > window[0]:
                    yield (cut, stop), int((stop - cut) * rate)
                cut = stop


def _nights(begin: float, end: float) -> Iterator[Span]:
    """The hours outside school hours between `begin` and `end`."""
    open_h, close_h = SCHOOL_HOURS_UTC
    day = begin - begin % DAY_S - DAY_S
    while day < end:
        # School is open from open_h (previous UTC day) to close_h; closed close_h → open_h.
        yield (day + close_h * 3600, day + open_h * 3600)
        day += DAY_S


def _subtract(span: Span, holes: list[Span]) -> list[Span]:
    out, cursor = [], span[0]
    for start, end in holes:
        if end <= cursor or start >= span[1]:
            continue
        if start > cursor:
            out.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < span[1]:
        out.append((cursor, span[1]))
    return out
