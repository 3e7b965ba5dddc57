"""Options plan, apply and rollback share: lab or field, report format, secrets, workers,
timeout; and where the state (journal, history, locks) lives for apply, rollback, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from provision.cli.param_types import DEVICE_TIMEOUT
from provision.cli.run_report import FORMATS
from provision.engine.nornir_run import DEFAULT_WORKERS

F = TypeVar("F", bound=Callable[..., Any])

RUN_OPTIONS = [
    click.option("--lab", is_flag=True, help="Talk to the running lab instead of the field."),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(list(FORMATS)),
        default="text",
        show_default=True,
        help="Report format.",
    ),
    click.option(
        "--secrets",
        type=click.Path(dir_okay=False, exists=True),
        help="File of NAME=VALUE secrets (mode 600), read before the environment.",
    ),
    click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=DEFAULT_WORKERS,
        show_default=True,
        help="Devices worked on at once.",
    ),
    click.option(
        "--timeout",
        type=DEVICE_TIMEOUT,
        default=10.0,
        show_default=True,
        help="Seconds per device operation.",
    ),
]


def run_options(func: F) -> F:
    for opt in reversed(RUN_OPTIONS):
        func = opt(func)
    return func


journal_option = click.option(
    "--state",
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False),  # a URL is no existing path: it passes
    metavar="PATH|URL",
    help="Where the journal, run history and locks live: a SQLite file, or a "
    "postgresql://user@host/db URL shared by every machine [default: $PROVISION_STATE, "
    "$PROVISION_JOURNAL or .provision/journal.sqlite].",
)
