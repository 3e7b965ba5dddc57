"""Which driver serves which device kind: the inventory's kind is the registry key.

Imported lazily, so a command that touches only LED boards never imports zeep or netmiko.
"""

from __future__ import annotations

from importlib import import_module

from provision.drivers.base import Driver
from provision.errors import ProvisionError

DRIVERS: dict[str, str] = {
    "camera": "provision.drivers.camera:CameraDriver",
    "switch": "provision.drivers.switch:SwitchDriver",
    "alarm": "provision.drivers.alarm:AlarmDriver",
    "led_board": "provision.drivers.led_board:LedBoardDriver",
    "streams": "provision.drivers.streams:StreamsDriver",
}
# Kinds in the inventory with nothing to push (recorders are sized, not configured, for now).
UNMANAGED = ("recorder",)


def driver_class(kind: str) -> type[Driver]:
    try:
        module, _, name = DRIVERS[kind].partition(":")
    except KeyError:
        raise ProvisionError(
            f"no driver for device kind {kind!r}; valid kinds: {', '.join(DRIVERS)}"
        ) from None
    cls: type[Driver] = getattr(import_module(module), name)
    return cls
