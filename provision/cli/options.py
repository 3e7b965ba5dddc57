"""Options shared by every command that works on a city's schools."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from provision.cli.language import follow_city_locale
from provision.cli.param_types import DEVICE_DEADLINE
from provision.drivers.pacing import DEFAULT_DEADLINE_S
from provision.i18n import _
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
        callback=follow_city_locale,
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
            raise NothingSelected(_("no school changed since {ref}").format(ref=changed_since))
    return Selection(tuple(schools), tuple(districts), tuple(tiers), tuple(precincts))


TRANSPORT = "provision.transport"  # where transport_options leave their values in ctx.meta


def _keep_for_connector(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault(TRANSPORT, {})[param.name] = value
    return value


def transport_options(func: F) -> F:
    """--ca-bundle, --insecure and --deadline for every command that contacts devices.

    The values go to the click context, not to the command's arguments, and `connector()`
    reads them there: a command gains them with this one decorator, its signature unchanged.
    """
    for opt in reversed(
        [
            click.option(
                "--ca-bundle",
                "ca_bundle",
                type=click.Path(exists=True, dir_okay=False),
                envvar="PROVISION_CA_BUNDLE",
                expose_value=False,
                callback=_keep_for_connector,
                help="PEM file of the CAs that sign the HTTPS certificates of device and "
                "platform APIs [default: $PROVISION_CA_BUNDLE, else certifi's public CAs].",
            ),
            click.option(
                "--insecure",
                "insecure",
                is_flag=True,
                expose_value=False,
                callback=_keep_for_connector,
                help="Do not verify HTTPS certificates (a test bench only: anyone on the path "
                "can read and change the traffic, passwords included). Warns on every run.",
            ),
            click.option(
                "--deadline",
                "deadline",
                type=DEVICE_DEADLINE,
                default=DEFAULT_DEADLINE_S,
                show_default=True,
                expose_value=False,
                callback=_keep_for_connector,
                help="Seconds each device may take in all in one run (every exchange of it; "
                "--timeout bounds one): past it the device fails as a slow link, its "
                "sessions are closed, and the other devices go on.",
            ),
        ]
    ):
        func = opt(func)
    return func
