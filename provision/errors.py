"""One error hierarchy, so the CLI can map every failure to an exit code in one place.

Device faults never leave the library as exceptions: they become failed results for that
device. Only bad input (inventory, schema, template) and bugs do.
"""

from __future__ import annotations

import traceback


class ProvisionError(Exception):
    """Base of every error this package raises on purpose."""


class InventoryError(ProvisionError):
    """The inventory cannot be loaded or is invalid; carries every problem found."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class TemplateError(ProvisionError):
    """A template could not be rendered (missing variable, unsafe value)."""


class SecretError(ProvisionError):
    """A secret reference could not be resolved when a device had to be contacted."""


class DeviceError(ProvisionError):
    """A device answered wrongly or not at all (turned into a failed result per device)."""


def describe_error(exc: BaseException) -> str:
    """A device's failure in one line. Our errors and the transport's say what happened; any
    other exception is a bug in a driver: the device still fails alone, and the text says
    where the bug is."""
    if isinstance(exc, ProvisionError | OSError | TimeoutError):
        return str(exc) or type(exc).__name__
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    return f"internal error {type(exc).__name__}: {exc}{where}"
