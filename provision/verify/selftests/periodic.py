"""Late-to-test, as an alarm receiving centre reports it: over the last few intervals, did
every periodic test (Contact ID 602) arrive within the panel's interval plus a grace, and when
did the centre last hear anything at all from the account ("no signal since").

Pure: it judges the receive times the centre's history holds, so it is tested on its own.
The grace is this tool's choice, not a standard's figure: a tenth of the interval (at least
ten minutes) covers a panel clock that drifts and a test that waited behind real events.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

INTERVALS_JUDGED = 3  # the last N intervals: long enough to show a pattern, short to stay fresh
MIN_GRACE_S = 600.0


def grace_s(interval_s: float) -> float:
    return max(MIN_GRACE_S, interval_s * 0.1)


@dataclass(frozen=True, slots=True)
class Gap:
    start: float  # epoch of the test (or of the first thing heard) before the gap
    end: float  # epoch of the next test, or now when none has come yet
    open: bool  # True when the gap runs up to now: the next test is overdue


def late_gaps(
    tests: list[float], first_heard: float | None, interval_s: float, now: float
) -> list[Gap]:
    """The gaps longer than interval + grace between periodic tests received within the last
    INTERVALS_JUDGED intervals, counting from when the centre first heard the account (a panel
    configured an hour ago owes no daily test) and up to now (an overdue one is late too)."""
    if first_heard is None:
        return []
    limit = interval_s + grace_s(interval_s)
    start = max(first_heard, now - INTERVALS_JUDGED * interval_s)
    before = [t for t in tests if t <= start]  # the test the first judged gap starts from
    marks = [max(before, default=start), *sorted(t for t in tests if start < t <= now)]
    gaps = [Gap(a, b, False) for a, b in pairwise(marks) if b - a > limit]
    if now - marks[-1] > limit:
        gaps.append(Gap(marks[-1], now, True))
    return gaps
