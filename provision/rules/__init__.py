"""Semantic rules: what a schema cannot say, checked before any device is touched.

Each rule is a function from the loaded inventory to problems, kept in its own small module
and listed in RULES, so adding a rule is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory
from provision.rules import budgets, coverage, geometry, identity, led, references, secrets

Rule = Callable[[Inventory], Iterator[Problem]]

RULES: dict[str, Rule] = {
    "references": references.check,
    "identity": identity.check,
    "geometry": geometry.check,
    "budgets": budgets.check,
    "led": led.check,
    "secrets": secrets.check,
    "coverage": coverage.check,
}


def _without_tainted(inv: Inventory) -> Inventory:
    assert inv.city is not None
    city = replace(inv.city, schools=[s for s in inv.city.schools if s.id not in inv.tainted])
    return replace(inv, city=city)


def run_rules(inv: Inventory, names: list[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for name, rule in RULES.items():
        if names is not None and name not in names:
            continue
        try:
            problems.extend(rule(inv))
        except Exception:
            if not inv.tainted:
                raise  # the inventory is schema-valid: a rule that fails is a bug
            # A school that broke the schema may hold values no rule expects; its schema
            # problems are already reported, so run this rule on the others.
            problems.extend(rule(_without_tainted(inv)))
    return problems
