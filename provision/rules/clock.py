"""A school's time zone must exist and be one its switches can be told (`clock timezone`).

The schema checks the shape of the name (Asia/Shanghai), not that the zone exists; without
this rule a typo passes validate and fails only when a config is rendered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from provision.diagnostics import Problem
from provision.errors import TemplateError
from provision.inventory.loader import Inventory
from provision.inventory.model import School
from provision.templates import cli_value, timezone_facts
from provision.yamlsource import SourceDoc, YamlPath


def _get(data: Any, path: YamlPath) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _origin(inv: Inventory, school: School) -> tuple[SourceDoc, YamlPath]:
    """Where the school's time zone is set: its own defaults, else its tier's, district's
    or the city's (the reverse of the order they are merged in)."""
    own = inv.docs[school.id]
    if _get(own.data, ("defaults", "timezone")) is not None:
        return own, ("defaults", "timezone")
    for path in (
        ("tiers", school.tier, "defaults", "timezone"),
        ("districts", school.district, "defaults", "timezone"),
        ("defaults", "timezone"),
    ):
        if _get(inv.city_doc.data, path) is not None:
            return inv.city_doc, path
    return own, ()


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        try:
            facts = timezone_facts(school.timezone)
            cli_value(facts["abbrev"])
        except TemplateError as exc:
            doc, path = _origin(inv, school)
            msg = f"time zone {school.timezone!r} cannot be set on the school's devices: {exc}"
            yield doc.problem(path, msg, "timezone")
