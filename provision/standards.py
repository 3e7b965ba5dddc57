"""Figures from the national school-security standard (GB/T 29315-2022) used by checks."""

from __future__ import annotations

MIN_PATROLS_PER_DAY = 5


def required_guards(students: int) -> int:
    """Professional guards a school needs: 1 under 100 students, 2 up to 999, 3 from 1,000,
    and one more for every further 500 students."""
    if students < 100:
        return 1
    if students < 1000:
        return 2
    return 3 + (students - 1000) // 500
