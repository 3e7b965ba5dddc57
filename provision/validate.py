"""`provision validate` as a library call: schema and semantic problems of a city, all at once.

A city is validated school by school: each school's file is parsed, checked against the
schema, built and put through the school rules independently of the others, so large cities
are split into shares and checked on every core; the city rules (unique addresses across
schools) then run once over the whole.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from provision.diagnostics import Problem, sort_key
from provision.errors import InventoryError
from provision.i18n import _
from provision.inventory.loader import Inventory, load_inventory, school_files
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.rules import CITY_RULES, SCHOOL_RULES, run_rules
from provision.yamlsource import SourceDoc, YamlPath

# Below this many schools a process pool costs more than it saves (and keeping every
# school's node graph costs little).
PARALLEL_MIN_SCHOOLS = 40
# Schools checked at once by one process: their node graphs are what it holds at a time.
SHARE_MAX_SCHOOLS = 25


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


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Drop repeats: shares each see city.yaml, and a secret is reported once, where first used."""
    seen_secrets: set[str] = set()
    out = []
    for problem in sorted(dict.fromkeys(problems), key=sort_key):
        if problem.code == "secret-unset":
            if problem.message in seen_secrets:
                continue
            seen_secrets.add(problem.message)
        out.append(problem)
    return out


def _device_paths(school: School) -> list[YamlPath]:
    return [(*d.path, field) for d in school.devices() for field in ("host", "name")]


def _validate_share(
    root: str, names: list[str]
) -> tuple[list[School], list[Problem], set[str], dict[str, SourceDoc]]:
    """Worker: load and check one share of the schools; send back what the city rules need."""
    inv = load_inventory(root, only=set(names))
    problems = inv.problems + run_rules(inv, SCHOOL_RULES)
    docs = {s.id: inv.docs[s.id].detached(_device_paths(s)) for s in inv.schools}
    return inv.schools, problems, inv.tainted, docs


def _shares(names: list[str], workers: int) -> list[list[str]]:
    # Several shares per worker keep both cores busy to the end; a share is never large, so
    # neither a worker nor a single process ever holds more than its node graphs at once.
    size = max(1, min(SHARE_MAX_SCHOOLS, len(names) // (workers * 4)))
    return [names[i : i + size] for i in range(0, len(names), size)]


def _checked_shares(
    root: str, shares: list[list[str]], workers: int
) -> Iterator[tuple[list[School], list[Problem], set[str], dict[str, SourceDoc]]]:
    """Each share's result, in order: in this process one share after the other (its node
    graphs are garbage once it is detached), else on a pool of `workers` processes."""
    if workers <= 1:
        yield from (_validate_share(root, share) for share in shares)
        return
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        yield from pool.map(_validate_share, [root] * len(shares), shares)


def validate(
    root: str | Path, only: set[str] | None = None, workers: int | None = None
) -> ValidationResult:
    """Load a city and run every rule; never raises for problems in the inventory itself.

    `workers` processes check shares of the schools (default: one per core; 1 = in-process).
    A city of PARALLEL_MIN_SCHOOLS or more is checked share by share even in-process, so
    memory stays flat whatever the city's size: each school's parsed file is kept only as
    the positions the city rules may need.
    """
    names = [p.stem for p in school_files(Path(root)) if only is None or p.stem in only]
    workers = default_workers() if workers is None else workers
    if len(names) < PARALLEL_MIN_SCHOOLS:
        inv = load_inventory(root, only=only)
        problems = inv.problems + run_rules(inv, SCHOOL_RULES)
    else:
        inv = load_inventory(root, only=set())  # city.yaml alone
        problems = list(inv.problems)
        for schools, found, tainted, docs in _checked_shares(
            str(root), _shares(names, workers), workers
        ):
            if inv.city is not None:
                inv.city.schools.extend(schools)
            inv.docs.update(docs)
            inv.tainted |= tainted
            problems += found
    problems += run_rules(inv, CITY_RULES)
    if not names and only is None and inv.city is not None:
        # A city without schools checks nothing: "valid" would tell a pipeline all is well.
        where = Path(root) / "schools"
        msg = _("no school files in {where}/ (each school is schools/<id>.yaml)").format(
            where=where
        )
        problems.append(inv.city_doc.problem((), msg, "no-schools"))
    return ValidationResult(inv, _dedupe(problems))


def load_valid(root: str | Path, selection: Selection) -> tuple[City, list[School]]:
    """The validated city and the selected schools, for a command that will contact devices;
    refuses an inventory with errors before any device is touched."""
    result = validate(root, only=set(selection.schools) or None)
    if result.errors:
        raise InventoryError(
            _("{root} has {n_errors} error(s); no device was touched").format(
                root=root, n_errors=len(result.errors)
            ),
            result.errors,
        )
    city = result.inventory.city
    assert city is not None
    return city, selection.apply(city)
