"""The one place where an exception leaving a command becomes a message and an exit code.

As pre-commit's error handler: a mistake of the user or of the environment (bad inventory,
a file that cannot be written, a device refused) says what is wrong and exits 1; Ctrl-C exits
130; a reader that went away (`provision lab status | head`) ends quietly with 141 (128 +
SIGPIPE, as a shell reports it); anything else is a bug in provision: exit 3, with the
traceback in a crash log and not on the terminal, where it would bury the one line that
matters. Commands themselves return their exit code and never call sys.exit.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from tempfile import gettempdir, mkstemp

import click

from provision.errors import InventoryError, ProvisionError
from provision.i18n import _

OK = 0
FAILED = 1  # the run did not succeed: bad input, a device that failed, a lab process gone
BUG = 3
INTERRUPTED = 130  # 128 + SIGINT
BROKEN_PIPE = 141  # 128 + SIGPIPE

MAX_PROBLEMS_SHOWN = 50  # a broken city can have thousands; the first ones say what is wrong


CRASH_LOG_PREFIX = "provision-crash-"


def crash_log_dir() -> Path:
    """Where bugs' tracebacks go: the system temporary directory (honours $TMPDIR)."""
    return Path(gettempdir())


def write_crash_log(text: str) -> Path:
    """A new crash log holding `text`: a unique name created exclusively, mode 600, never
    through a symlink (mkstemp's O_EXCL), so a planted link cannot redirect it and two
    crashes at once keep both tracebacks."""
    fd, name = mkstemp(prefix=CRASH_LOG_PREFIX, suffix=".log", dir=crash_log_dir())
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        log.write(text)
    return Path(name)


def _report_inventory_error(exc: InventoryError) -> None:
    click.echo(_("error: {message}").format(message=exc), err=True)
    for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"  {problem.format()}", err=True)
    if len(exc.problems) > MAX_PROBLEMS_SHOWN:
        more = len(exc.problems) - MAX_PROBLEMS_SHOWN
        click.echo("  " + _("... and {n} more").format(n=more), err=True)


def _is_environment_error(exc: BaseException) -> bool:
    """An OS error about a named file (no such directory, permission denied, disk full):
    the user's or the machine's to fix, not a bug."""
    return isinstance(exc, OSError) and exc.filename is not None


def _report_bug() -> None:
    try:
        log = write_crash_log(traceback.format_exc())
    except OSError as exc:  # a full or read-only temp dir must not turn into a second crash
        where = crash_log_dir()
        text = _("provision hit a bug; could not write its details to {where}: {error}")
        click.echo(text.format(where=where, error=exc), err=True)
        return
    click.echo(_("provision hit a bug; details in {log}").format(log=log), err=True)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush into the closed pipe does
    not print a second BrokenPipeError on the way out."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test runner's buffer): nothing will be flushed into a pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


@contextlib.contextmanager
def error_handler() -> Iterator[None]:
    """Turn an exception raised inside into its message and `click.exceptions.Exit(code)`.

    click's own exceptions (usage errors: exit 2; an aborted prompt; an explicit exit) pass
    through unchanged: click reports them itself.
    """
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except InventoryError as exc:
        _report_inventory_error(exc)
        raise click.exceptions.Exit(FAILED) from exc
    except ProvisionError as exc:
        click.echo(_("error: {message}").format(message=exc), err=True)
        raise click.exceptions.Exit(FAILED) from exc
    except KeyboardInterrupt as exc:
        click.echo(_("Interrupted."), err=True)
        raise click.exceptions.Exit(INTERRUPTED) from exc
    except BrokenPipeError as exc:
        _silence_stdout()
        raise click.exceptions.Exit(BROKEN_PIPE) from exc
    except Exception as exc:
        if _is_environment_error(exc):
            click.echo(_("error: {message}").format(message=exc), err=True)
            raise click.exceptions.Exit(FAILED) from exc
        _report_bug()
        raise click.exceptions.Exit(BUG) from exc
