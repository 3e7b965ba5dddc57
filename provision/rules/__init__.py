"""Semantic rules: what a schema cannot say, checked before any device is touched.

Each rule is a function from the loaded inventory to problems, kept in its own small module
and listed in RULES, so adding a rule is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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


def run_rules(inv: Inventory, names: list[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for name, rule in RULES.items():
        if names is None or name in names:
            problems.extend(rule(inv))
    return problems
