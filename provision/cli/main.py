"""The `provision` command: a thin click layer over the library.

Each command lives in its own module (the lab's subcommands in cli/lab/) and only parses
options, calls the library, renders output and returns its exit code. `ProvisionGroup` turns
that code, or any error the command raised, into the exit status in one place
(cli/errors.py: 1 failed, 3 bug, 130 interrupted).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import sys
import threading

import click

from provision import __version__, i18n
from provision.cli.group import ProvisionGroup
from provision.cli.help_text import speak_clicks_words
from provision.cli.language import choose_early, lang_option

# Each command's module, imported only when that command runs (or --help lists them all):
# `provision init` or `--version` need not load numpy, shapely, nornir and the engine, which
# cost over a second before any work (`python -X importtime -m provision --version`).
COMMANDS = {
    "init": "provision.cli.init",
    "validate": "provision.cli.validate",
    "render": "provision.cli.render",
    "schema": "provision.cli.schema",
    "demo": "provision.cli.demo",
    "lab": "provision.cli.lab",
    "plan": "provision.cli.plan",
    "apply": "provision.cli.apply",
    "rollback": "provision.cli.rollback",
    "history": "provision.cli.history",
    "verify": "provision.cli.verify",
    "hostkey": "provision.cli.hostkey",
    "state": "provision.cli.state",
}


class LazyGroup(ProvisionGroup):
    """The top-level group: commands listed by name, their modules imported on first use."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        choose_early(args)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        # in English: a text click translates as the module is imported (a default option's
        # help) must stay the msgid the help page looks up, whatever this run speaks
        with i18n.speaking(i18n.ENGLISH):
            command: click.Command = importlib.import_module(module).command
        return command


speak_clicks_words()

# paramiko's transport thread logs what it meets on the socket (a switch that closed the
# connection while we logged out: "Socket exception: Broken pipe (32)", seen once in three
# `make demo` runs) and, with no handler configured, Python's last-resort handler prints it on
# the terminal in the middle of a command's output. What matters of it reaches the user as the
# switch driver's own error, naming the switch and the operation.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

EPILOG = """\b
Examples:
  provision init mycity
  provision validate -i examples/dalian
  provision render -i examples/dalian --school dl-zs-h024 --out out/
  provision schema --out .schemas/
"""


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(__version__, prog_name="provision")
@lang_option
def cli() -> None:
    """Provision and audit school security systems as code.

    A city's inventory (city.yaml + schools/<id>.yaml) says which cameras, alarm panels,
    LED boards, recorders and network gear each school has; provision validates it, renders
    device configs, and pushes and audits them.
    """


def main() -> None:
    """The console script: the exit status is the one `ProvisionGroup` chose."""
    try:
        cli.main(prog_name="provision")  # standalone: ends in SystemExit with the status
    except SystemExit as done:
        finish(done.code)
        raise
    finish(0)


def finish(code: object) -> None:
    """Exit with `code` at once, without the interpreter's teardown: it frees every module and
    object one by one, ~0.3 s after a command's last atexit handler (a school's apply: wall
    time 0.33 s after it, 0.05 s this way, measured around `python -m provision`), for memory
    the system takes back at once (uWSGI's `--skip-atexit-teardown` and Instagram's
    "Dismissing Python Garbage Collection at Instagram" skip it the same way). What a normal
    exit does that matters is still done: the atexit handlers run (logging, temporary
    directories, multiprocessing) and the output is flushed. Files are written in `with`
    blocks and the journal commits before a call returns, so nothing waits for the teardown.
    Returns, for the normal exit, when a thread other than this one is still running (it would
    be killed) or the code is not a status (a message to print)."""
    if code is not None and not isinstance(code, int):
        return
    me = threading.current_thread()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not me):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)
