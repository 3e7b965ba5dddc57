"""The click group every provision command group uses: errors and exit codes in one place.

A command returns its exit code (0 ok, 1 failed, 2 changes pending or a check failed,
128 + signal interrupted); the group turns that into the process's exit status, and any
exception a command raises into a message and a code through `error_handler`. So commands
hold no sys.exit, and the same codes come out whether the group runs as `provision`, under
click's CliRunner or nested (`provision lab status`).
"""

from __future__ import annotations

from typing import Any

import click

from provision import i18n
from provision.cli.errors import OK, error_handler
from provision.cli.help_text import TranslatedGroup


class ProvisionGroup(TranslatedGroup):
    """Runs the chosen subcommand inside `error_handler` and exits with the code it returns."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # --lang or the city's locale switch the language for this command only: a command
        # run in-process (a test's CliRunner) leaves the language it found.
        previous = i18n.current()
        try:
            return super().main(*args, **kwargs)
        finally:
            i18n.activate(previous)

    def invoke(self, ctx: click.Context) -> Any:
        with error_handler():
            code = super().invoke(ctx)
        # A group's own callback returns None: only a command's int is an exit code.
        ctx.exit(code if isinstance(code, int) else OK)
