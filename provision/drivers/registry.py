"""Which driver serves which device: the inventory's (kind, protocol) is the registry key.

Built-in drivers are listed in `BUILTIN`; a driver shipped in another package is found
through the `provision.drivers` entry-point group, named "<kind>.<protocol>":

    [project.entry-points."provision.drivers"]
    "camera.isapi" = "acme_provision.isapi:IsapiCameraDriver"

The built-ins are declared there too (a test holds the two lists together), so
`importlib.metadata` shows every driver an installation has. Entry points are read once, and
a driver's module is imported only when a device of its kind is driven: a command that only
touches LED boards never imports zeep or netmiko. Streams are chosen by the precinct's video
platform kind (zlmediakit, mediamtx), which is their protocol.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module, metadata
from typing import TYPE_CHECKING

from provision.errors import ProvisionError
from provision.i18n import _

if TYPE_CHECKING:  # the contract module pulls in the connector; rules only need the names
    from provision.drivers.base import Driver

ENTRY_POINT_GROUP = "provision.drivers"
DriverKey = tuple[str, str]  # (kind, protocol)

BUILTIN: dict[DriverKey, str] = {
    ("camera", "onvif"): "provision.drivers.camera:CameraDriver",
    ("switch", "ssh"): "provision.drivers.switch:SwitchDriver",
    ("alarm", "http"): "provision.drivers.alarm:AlarmDriver",
    ("led_board", "http"): "provision.drivers.led_board:LedBoardDriver",
    ("streams", "zlmediakit"): "provision.drivers.streams:StreamsDriver",
    ("streams", "mediamtx"): "provision.drivers.streams:StreamsDriver",
    ("camera", "dahua"): "provision.drivers.camera_dahua:DahuaCameraDriver",
    ("camera", "isapi"): "provision.drivers.camera_isapi:IsapiCameraDriver",
    ("alarm", "isapi"): "provision.drivers.alarm_axpro:AxProAlarmDriver",
    ("recorder", "isapi"): "provision.drivers.recorder_isapi:IsapiRecorderDriver",
    ("recorder", "onvif"): "provision.drivers.recorder_onvif:OnvifRecorderDriver",
    ("alarm", "gb28181"): "provision.drivers.alarm_column:AlarmColumnDriver",
}
# Kinds a device of which may go without a driver: a recorder over a protocol no driver speaks
# is sized, not configured; one whose (kind, protocol) has a driver (isapi, onvif) is driven.
UNMANAGED = ("recorder",)


def is_managed(kind: str, protocol: str) -> bool:
    """Whether runs drive a device of this kind over this protocol."""
    return kind not in UNMANAGED or is_installed(kind, protocol)


def entry_point_name(key: DriverKey) -> str:
    return ".".join(key)


def _entry_points() -> metadata.EntryPoints:
    """The one place installed packages are asked for drivers."""
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


@cache
def installed() -> dict[DriverKey, str]:
    """Every installed driver, (kind, protocol) → "module:Class"; built-ins first.

    An entry point that names a pair another target already serves is an error: which of two
    drivers configures a school's cameras must never depend on installation order."""
    drivers = dict(BUILTIN)
    for point in sorted(_entry_points(), key=lambda p: p.name):
        kind, dot, protocol = point.name.partition(".")
        if not (kind and dot and protocol):
            raise ProvisionError(
                _(
                    "driver entry point {name!r} ({value}) is not named <kind>.<protocol>, e.g. "
                    "camera.onvif"
                ).format(name=point.name, value=point.value)
            )
        known = drivers.setdefault((kind, protocol), point.value)
        if known != point.value:
            raise ProvisionError(
                _(
                    "two drivers for {kind} over {protocol}: {known} and {value}; uninstall one of "
                    "them"
                ).format(kind=kind, protocol=protocol, known=known, value=point.value)
            )
    return drivers


def describe_installed() -> str:
    """The installed pairs as an error message lists them: "camera/onvif, switch/ssh, ..."."""
    return ", ".join(f"{kind}/{protocol}" for kind, protocol in sorted(installed()))


def is_installed(kind: str, protocol: str) -> bool:
    return (kind, protocol) in installed()


def driver_class(kind: str, protocol: str) -> type[Driver]:
    """The driver for a device of `kind` spoken to over `protocol`, imported now."""
    target = installed().get((kind, protocol))
    if target is None:
        raise ProvisionError(
            _("no driver for {kind} over {protocol!r}; installed: {installed}").format(
                kind=kind, protocol=protocol, installed=describe_installed()
            )
        )
    module, _sep, name = target.partition(":")
    cls: type[Driver] = getattr(import_module(module), name)
    return cls
