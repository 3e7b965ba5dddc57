"""A school's student figures must agree: no more boarding students than students.

GB/T 29315-2022 counts the guards a school needs by its non-boarding students (see
provision/standards.py), so a boarding figure above the total would make that count
silently zero instead of wrong in a way someone notices.
"""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        if school.boarding_students > school.students:
            msg = (
                f"boarding_students is {school.boarding_students}, more than the "
                f"{school.students} students of the school"
            )
            yield inv.docs[school.id].problem(("boarding_students",), msg, "boarding-students")
