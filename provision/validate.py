"""`provision validate` as a library call: schema and semantic problems of a city, all at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory, load_inventory
from provision.rules import run_rules


@dataclass(slots=True)
class ValidationResult:
    inventory: Inventory
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


def validate(root: str | Path, only: set[str] | None = None) -> ValidationResult:
    """Load a city and run every rule; never raises for problems in the inventory itself."""
    inv = load_inventory(root, only=only)
    problems = list(inv.problems)
    problems += run_rules(inv)
    return ValidationResult(inv, problems)
