"""A school's time zone must exist and be one its switches can be told (`clock timezone`).

The schema checks the shape of the name (Asia/Shanghai), not that the zone exists; without
this rule a typo passes validate and fails only when a config is rendered.
"""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.errors import TemplateError
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.rules.origin import origin
from provision.templates import cli_value, timezone_facts


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        try:
            facts = timezone_facts(school.timezone)
            cli_value(facts["abbrev"])
        except TemplateError as exc:
            doc, path = origin(inv, school, ("timezone",))
            msg = _("time zone {timezone!r} cannot be set on the school's devices: {exc}").format(
                timezone=school.timezone, exc=exc
            )
            yield doc.problem(path, msg, "timezone")
