"""Late-to-test over a centre's history of periodic tests (a pure function of receive times)."""

from __future__ import annotations

import pytest

from provision.verify.selftests.periodic import INTERVALS_JUDGED, Gap, grace_s, late_gaps

H = 3600.0
NOW = 1_000_000.0


def test_tests_on_time_for_the_last_intervals_are_not_late() -> None:
    tests = [NOW - k * 24 * H + 300 for k in range(5)]  # daily, each 5 min after the hour
    assert late_gaps(tests, NOW - 10 * 24 * H, 24 * H, NOW) == []


def test_a_missed_test_is_one_late_gap() -> None:
    tests = [NOW - 3 * 24 * H, NOW - 1 * 24 * H + 60]  # the one two days ago never came
    assert late_gaps(tests, NOW - 10 * 24 * H, 24 * H, NOW) == [
        Gap(NOW - 3 * 24 * H, NOW - 24 * H + 60, False)
    ]


def daily_until(last: float) -> list[float]:
    return [last - k * 24 * H for k in range(6)]


def test_an_overdue_test_is_late_up_to_now() -> None:
    last = NOW - 24 * H - grace_s(24 * H) - 1
    assert late_gaps(daily_until(last), NOW - 10 * 24 * H, 24 * H, NOW) == [Gap(last, NOW, True)]


def test_within_the_grace_is_on_time() -> None:
    last = NOW - 24 * H - grace_s(24 * H) + 1
    assert late_gaps(daily_until(last), NOW - 10 * 24 * H, 24 * H, NOW) == []


@pytest.mark.parametrize("heard_h_ago", [0.5, 12.0])
def test_a_panel_heard_for_less_than_an_interval_owes_no_test(heard_h_ago: float) -> None:
    assert late_gaps([], NOW - heard_h_ago * H, 24 * H, NOW) == []
    assert late_gaps([], None, 24 * H, NOW) == []  # never heard: nothing to judge here


def test_only_the_last_intervals_are_judged() -> None:
    old_gap = [NOW - 30 * 24 * H, NOW - 20 * 24 * H]  # a week-long silence, long ago
    recent = [NOW - k * 24 * H for k in range(INTERVALS_JUDGED + 1)]
    assert late_gaps(old_gap + recent, NOW - 40 * 24 * H, 24 * H, NOW) == []


def test_the_grace_is_a_tenth_of_the_interval_and_at_least_ten_minutes() -> None:
    assert grace_s(24 * H) == 2.4 * H and grace_s(H) == 600.0
