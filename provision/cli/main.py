"""The `provision` command: a thin click layer over the library.

Each command lives in its own module (the lab's subcommands in cli/lab/) and only parses
options, calls the library, renders output and returns its exit code. `ProvisionGroup` turns
that code, or any error the command raised, into the exit status in one place
(cli/errors.py: 1 failed, 3 bug, 130 interrupted).
"""

from __future__ import annotations

import sys

import click

from provision import __version__
from provision.cli import (
    apply,
    demo,
    history,
    hostkey,
    lab,
    plan,
    render,
    rollback,
    schema,
    state,
    validate,
    verify,
)
from provision.cli.group import ProvisionGroup
from provision.cli.language import lang_option

EPILOG = """\b
Examples:
  provision validate -i examples/dalian
  provision render -i examples/dalian --school dl-zs-h024 --out out/
  provision schema --out .schemas/
"""


@click.group(
    cls=ProvisionGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG
)
@click.version_option(__version__, prog_name="provision")
@lang_option
def cli() -> None:
    """Provision and audit school security systems as code.

    A city's inventory (city.yaml + schools/<id>.yaml) says which cameras, alarm panels,
    LED boards, recorders and network gear each school has; provision validates it, renders
    device configs, and pushes and audits them.
    """


cli.add_command(validate.command)
cli.add_command(render.command)
cli.add_command(schema.command)
cli.add_command(demo.command)
cli.add_command(lab.command)
cli.add_command(plan.command)
cli.add_command(apply.command)
cli.add_command(rollback.command)
cli.add_command(history.command)
cli.add_command(verify.command)
cli.add_command(hostkey.command)
cli.add_command(state.command)


def main() -> None:
    """The console script: the exit status is the one `ProvisionGroup` chose."""
    sys.exit(cli.main(prog_name="provision"))
