"""Options shared by every command that works on a city's schools."""

from __future__ import annotations

from collections.abc import Callable
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


def selection(
    schools: tuple[str, ...],
    districts: tuple[str, ...],
    tiers: tuple[str, ...],
    precincts: tuple[str, ...],
) -> Selection:
    return Selection(tuple(schools), tuple(districts), tuple(tiers), tuple(precincts))
