"""Options shared by every command that works on a city's schools."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from provision.inventory.model import TIERS
from provision.inventory.selectors import Selection

F = TypeVar("F", bound=Callable[..., Any])


def inventory_option(func: F) -> F:
    return click.option(
        "-i",
        "--inventory",
        "inventory",
        type=click.Path(file_okay=False, path_type=str),
        default=".",
        show_default=True,
        help="City inventory directory (city.yaml + schools/).",
    )(func)


def selector_options(func: F) -> F:
    for opt in reversed(
        [
            click.option("--school", "schools", multiple=True, help="School id (repeatable)."),
            click.option("--district", "districts", multiple=True, help="District id."),
            click.option(
                "--tier", "tiers", multiple=True, type=click.Choice(TIERS), help="School tier."
            ),
            click.option("--precinct", "precincts", multiple=True, help="Precinct id."),
        ]
    ):
        func = opt(func)
    return func


class NothingSelected(Exception):
    """The selectors match no school: not an error, nothing to do."""


def changed_since_option(func: F) -> F:
    return click.option(
        "--changed-since",
        metavar="GIT_REF",
        help="Only schools whose file, or whose inherited defaults, changed since GIT_REF.",
    )(func)


def selection(
    selectors: Mapping[str, tuple[str, ...]], changed_since: str | None = None, inventory: str = "."
) -> Selection:
    """The Selection the selector options (and --changed-since) describe."""
    schools = tuple(selectors.get("schools", ()))
    districts, tiers = selectors.get("districts", ()), selectors.get("tiers", ())
    precincts = selectors.get("precincts", ())
    if changed_since:
        from provision.inventory.changes import changed_schools

        changed = changed_schools(inventory, changed_since)
        schools = tuple(sorted(changed & set(schools)) if schools else sorted(changed))
        if not schools:  # an empty pick must select nothing, not everything
            raise NothingSelected(f"no school changed since {changed_since}")
    return Selection(tuple(schools), tuple(districts), tuple(tiers), tuple(precincts))
