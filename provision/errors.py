"""One error hierarchy, so the CLI can map every failure to an exit code in one place.

Device faults never leave the library as exceptions: they become failed results for that
device. Only bad input (inventory, schema, template) and bugs do.
"""

from __future__ import annotations


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
