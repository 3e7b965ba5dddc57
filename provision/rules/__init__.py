"""Semantic rules: what a schema cannot say, checked before any device is touched.

Each rule is a function from the loaded inventory to problems, kept in its own small module
and listed here, so adding a rule is one function and one line. School rules look at one
school at a time (so they can run in parallel on shares of the city); city rules need every
school at once and run after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory
from provision.rules import (
    budgets,
    camera_protocols,
    city,
    clock,
    coverage,
    drivers,
    gb28181,
    geometry,
    identity,
    led,
    network,
    references,
    secrets,
    staffing,
    tier_standard,
)

Rule = Callable[[Inventory], Iterator[Problem]]

SCHOOL_RULES: dict[str, Rule] = {
    "references": references.check,
    "identity": identity.check,
    "network": network.check,
    "drivers": drivers.check,
    "geometry": geometry.check,
    "budgets": budgets.check,
    "led": led.check,
    "secrets": secrets.check,
    "clock": clock.check,
    "coverage": coverage.check,
    "gb28181": gb28181.check,
    "camera_protocols": camera_protocols.check,
    "tier_standard": tier_standard.check,
    "staffing": staffing.check,
}
CITY_RULES: dict[str, Rule] = {
    "addresses": city.unique_addresses,
    "subnets": city.unique_subnets,
    "accounts": city.unique_alarm_accounts,
    "precincts": city.precinct_districts,
    "alarm_centre_apis": city.alarm_centre_apis,
    "gb28181_ids": gb28181.unique_ids,
    "gb28181_servers": gb28181.sip_servers,
}


def _without_tainted(inv: Inventory) -> Inventory:
    assert inv.city is not None
    city = replace(inv.city, schools=[s for s in inv.city.schools if s.id not in inv.tainted])
    docs = {k: doc for k, doc in inv.docs.items() if k not in inv.tainted}
    return replace(inv, city=city, docs=docs)


def run_rules(inv: Inventory, rules: dict[str, Rule]) -> list[Problem]:
    problems: list[Problem] = []
    for rule in rules.values():
        try:
            problems.extend(rule(inv))
        except Exception:
            if not inv.tainted:
                raise  # the inventory is schema-valid: a rule that fails is a bug
            # A school that broke the schema may hold values no rule expects; its schema
            # problems are already reported, so run this rule on the others.
            problems.extend(rule(_without_tainted(inv)))
    return problems
