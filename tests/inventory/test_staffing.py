"""GB/T 29315-2022 counts guards by non-boarding students: the figure, the inventory field it
reads (`boarding_students`), validate's check of it and the policy check that uses it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

import pytest

from provision.drivers.connect import Connector
from provision.inventory.loader import load_inventory
from provision.standards import required_guards
from provision.validate import validate
from provision.verify.checks import policy
from provision.verify.contract import CheckContext
from provision.verify.model import FAIL, PASS

HIGH = "dl-zs-h024"  # 2,515 students, 754 of them boarding: 1,761 go home


@pytest.mark.parametrize(
    ("non_boarding", "guards"),
    [(0, 1), (99, 1), (100, 2), (999, 2), (1000, 3), (1499, 3), (1500, 4), (1999, 4), (2000, 5)],
)
def test_guards_by_non_boarding_students(non_boarding: int, guards: int) -> None:
    assert required_guards(non_boarding) == guards


def _guards_finding(city_root: Path, professional: int) -> tuple[str, str]:
    city = load_inventory(city_root).city
    assert city is not None
    school = city.school(HIGH)
    security = dataclasses.replace(school.security, guards={"professional": professional})
    school = dataclasses.replace(school, security=security)
    ctx = CheckContext(city, school, cast(Connector, None), {}, 10.0, policy.CHECK.after)
    [finding] = [f for f in policy.check(ctx).findings if f.subject == "guards"]
    return finding.verdict, finding.message


def test_the_policy_check_counts_only_students_who_go_home(example_city: Path) -> None:
    # by all 2,515 students the school would need 6; by its 1,761 non-boarders, 4
    assert _guards_finding(example_city, 4) == (
        PASS,
        "4 guard(s) for 1761 non-boarding students; GB/T 29315-2022 asks for 4",
    )
    verdict, message = _guards_finding(example_city, 3)
    assert verdict == FAIL and message.endswith("asks for 4")


def test_a_school_without_the_figure_has_no_boarders(city_copy: Path) -> None:
    path = city_copy / "schools" / f"{HIGH}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("boarding_students: 754\n", ""), encoding="utf-8")
    city = load_inventory(city_copy).city
    assert city is not None
    assert city.school(HIGH).non_boarding_students == 2515
    assert _guards_finding(city_copy, 4)[0] == FAIL  # now 6 are needed


def test_more_boarders_than_students_is_refused_at_its_line(city_copy: Path) -> None:
    path = city_copy / "schools" / f"{HIGH}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("boarding_students: 754", "boarding_students: 3000"), "utf-8")
    result = validate(city_copy, only={HIGH}, workers=1)
    [problem] = [p for p in result.problems if p.code == "boarding-students"]
    assert "boarding_students is 3000, more than the 2515 students" in problem.message
    line = path.read_text(encoding="utf-8").splitlines()[problem.location.line - 1]
    assert line == "boarding_students: 3000"
