"""The `provision` command: a thin click layer over the library.

Each subcommand lives in its own module and only parses options, calls the library, renders
output and maps errors to exit codes in one place (1 user error, 3 bug, 130 interrupted).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from tempfile import gettempdir
from typing import Any

import click

from provision import __version__
from provision.cli import connect, demo, lab, render, runs, schema, validate, verify
from provision.errors import InventoryError, ProvisionError

EPILOG = """\b
Examples:
  provision validate -i examples/dalian
  provision render -i examples/dalian --school dl-zs-h024 --out out/
  provision schema --out .schemas/
"""


class ProvisionGroup(click.Group):
    """Maps library errors to messages and exit codes for every subcommand."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InventoryError as exc:
            click.echo(f"error: {exc}", err=True)
            for problem in exc.problems[:50]:
                click.echo(f"  {problem.format()}", err=True)
            if len(exc.problems) > 50:
                click.echo(f"  ... and {len(exc.problems) - 50} more", err=True)
            ctx.exit(1)
        except ProvisionError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            raise  # the reader went away (`| head`): main() ends quietly
        except Exception:
            log = Path(gettempdir()) / "provision-crash.log"
            log.write_text(traceback.format_exc(), encoding="utf-8")
            click.echo(f"provision hit a bug; details in {log}", err=True)
            ctx.exit(3)


@click.group(
    cls=ProvisionGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG
)
@click.version_option(__version__, prog_name="provision")
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
cli.add_command(runs.plan_command)
cli.add_command(runs.apply_command)
cli.add_command(runs.rollback_command)
cli.add_command(runs.history_command)
cli.add_command(verify.command)
cli.add_command(connect.hostkey_command)


def main() -> None:
    try:
        sys.exit(cli.main(prog_name="provision"))
    except BrokenPipeError:
        # `provision lab status | head`: the reader left; say nothing more, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
