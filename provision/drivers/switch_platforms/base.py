"""What a switch platform is: everything the switch driver needs to know about one network OS.

A platform names the netmiko driver that speaks it, the `Dialect` its configuration is read
and planned in, the template its desired configuration is rendered from, how its version
display gives model, serial and firmware, and its session quirks (an `enable` after login, a
save that leaves the session in configuration mode). The driver asks these questions and
never names a platform itself. Pure: no I/O beyond the netmiko session it is handed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from provision.drivers.switch_config import Dialect

if TYPE_CHECKING:  # the lab reads platforms too, and has no use for netmiko's import time
    from netmiko import BaseConnection


class VersionFields(NamedTuple):
    """Where the version display says each identity field: the first non-empty group of the
    pattern's first match is the value."""

    model: re.Pattern[str]
    serial: re.Pattern[str]
    firmware: re.Pattern[str]


class SwitchPlatform:
    """One network OS. Subclasses set the class attributes; the methods rarely change."""

    name: ClassVar[str]  # inventory `platform`, registry key and module name: one word
    device_type: ClassVar[str]  # netmiko's name for its driver
    dialect: ClassVar[Dialect]
    version_command: ClassVar[str]  # what prints model, serial and software
    version_fields: ClassVar[VersionFields]
    # The first front-panel port, as the inventory names it (generated cities use it).
    uplink_port: ClassVar[str]
    needs_enable: ClassVar[bool] = False  # the login may land in user EXEC (`>`)
    save_stays_in_config: ClassVar[bool] = False  # netmiko saves from config mode and stays
    # A save that asks nothing, typed from the exec prompt in one round trip by the driver
    # (None: netmiko's `save_config`, which answers the platform's question).
    save_command: ClassVar[str | None] = None

    @property
    def template(self) -> str:
        """The template of the desired configuration, relative to `provision/templates`."""
        return f"switch/{self.name}.j2"

    def parse_version(self, text: str) -> dict[str, str | None]:
        """Model, serial and firmware as the version display prints them (None if absent)."""
        found = {key: rx.search(text) for key, rx in self.version_fields._asdict().items()}
        return {
            key: next((g for g in m.groups() if g), None) if m else None for key, m in found.items()
        }

    def after_login(self, conn: BaseConnection) -> None:
        """Bring a fresh session to privileged mode where the platform needs it."""
        if self.needs_enable and not conn.check_enable_mode():
            conn.enable()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
