"""What a school's inventory must hold for its tier's model-site standard.

The same counts the auditor's policy check fails (one-button alarms, LED boards, a police room,
patrols a day) are known from the inventory alone, so validate says them before anything is
installed. They are warnings here, not errors: a school is often provisioned in stages (cameras
this month, the alarm next) and apply must not be blocked; `validate --strict` makes them
errors for a pipeline that wants a school complete, and verify fails them either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory import words
from provision.inventory.loader import Inventory
from provision.inventory.model import School, TierStandard
from provision.standards import MIN_PATROLS_PER_DAY


@dataclass(frozen=True, slots=True)
class Requirement:
    """One countable requirement of the standard: met or not, in words, and where to fix it."""

    name: str
    met: bool
    message: str
    path: tuple[str | int, ...]


def requirements(school: School, std: TierStandard) -> list[Requirement]:
    """The standard's countable requirements against the school's inventory."""
    sec = school.security
    patrols = max(std.patrols_per_day, MIN_PATROLS_PER_DAY)
    return [
        Requirement(
            "one_button_alarms",
            len(school.alarms) >= std.one_button_alarms,
            _(
                "{n_alarms} one-button alarm(s); the {tier} standard asks for {one_button_alarms}"
            ).format(
                n_alarms=len(school.alarms),
                tier=words.tier(school.tier),
                one_button_alarms=std.one_button_alarms,
            ),
            ("alarms",),
        ),
        Requirement(
            "led_boards",
            len(school.led_boards) >= std.led_boards,
            _("{n_led_boards} LED board(s); the standard asks for {led_boards}").format(
                n_led_boards=len(school.led_boards), led_boards=std.led_boards
            ),
            ("led_boards",),
        ),
        Requirement(
            "police_room",
            sec.police_room or not std.police_room,
            _("police room built to standard") if sec.police_room else _("no police room"),
            ("security", "police_room"),
        ),
        Requirement(
            "patrols",
            sec.patrols_per_day >= patrols,
            _("{patrols_per_day} patrols a day; at least {patrols_per_day2} required").format(
                patrols_per_day=sec.patrols_per_day, patrols_per_day2=patrols
            ),
            ("security", "patrols_per_day"),
        ),
    ]


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        std = inv.city.tiers.get(school.tier)
        if std is None:
            continue  # the references rule names the missing tier
        doc = inv.docs[school.id]
        for req in requirements(school, std):
            if not req.met:
                msg = _("{requirement} (verify fails the school's policy check until it does)")
                msg = msg.format(requirement=req.message)
                yield doc.problem(req.path, msg, "below-standard", warning=True)
