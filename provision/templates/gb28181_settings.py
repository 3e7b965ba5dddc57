"""The GB/T 28181 access settings a camera or NVR should hold, computed once from the inventory.

A forwarded camera (or an NVR with a GB/T 28181 ID) in a precinct whose platform is of kind
`gb28181` registers with that platform's SIP server. A forwarded camera recorded by such an
NVR reaches the platform as one of the NVR's channels instead (as schools connect them: the
NVR registers under type 118 and its Catalog lists one type 131/132 channel per camera, shown
by WVP-PRO as the NVR's channels) and does not register itself. These are the flat settings a vendor
driver writes (Hikvision ISAPI `/ISAPI/System/Network/SIP/<id>/SIPInfo`, the fields of its SDK
structure `NET_DVR_GBT28181_ACCESS_CFG`; Dahua's `configManager.cgi` table `VSP_GAYS`, its
SDK's `CFG_VSP_GAYS_INFO`), the same names `provision render` and plan print:

    gb28181.enabled              True
    gb28181.server_id            "21020200002000000001"   the platform's SIP server ID (200)
    gb28181.domain               "2102020000"             the digest realm, server_id[:10]
    gb28181.server_address       "10.200.8.10"
    gb28181.server_port          5060
    gb28181.transport            "UDP" or "TCP"
    gb28181.edition              "2016" or "2022"
    gb28181.device_id            "21020200111320000011"   the device's own ID
    gb28181.channels             ("21020200111320000012",) its channels' IDs, Catalog order
    gb28181.password             SecretRef("...")         the reference, never the value
    gb28181.register_expiry_s    3600                     registration validity
    gb28181.heartbeat_s          60                       keepalive interval
    gb28181.heartbeat_max_missed 3                        keepalives missed before offline

The password stays a `SecretRef` here, as every secret does: str() and JSON show the
reference, and the connector resolves it only when the driver writes the device. Pure: no
I/O, so plan, render and the lab agent all read the same values.
"""

from __future__ import annotations

from typing import Any

from provision.inventory.model import AlarmPanel, Camera, City, Recorder, School, SipServer
from provision.sizing import recorded_by

PREFIX = "gb28181."
# Vendor APIs that carry GB/T 28181 access settings, each written by its driver
# (drivers/isapi_sip.py, drivers/dahua_sip.py). ONVIF has no such settings (its Device and
# Media services know nothing of SIP registration), so an ONVIF camera cannot be told to
# register: it has to be reached through its vendor API or an NVR in front of it.
PROTOCOLS = ("isapi", "dahua")
PLATFORM_KIND = "gb28181"


def sip_server(city: City, school: School) -> SipServer | None:
    """The SIP server of the school's precinct, when that precinct runs a GB/T 28181 platform."""
    precinct = city.precincts.get(school.precinct)
    if precinct is None or precinct.video_platform.kind != PLATFORM_KIND:
        return None
    return precinct.video_platform.sip


def registers(device: Camera | Recorder | AlarmPanel, school: School) -> bool:
    """Whether the device itself registers with a GB/T 28181 platform: an NVR the inventory
    gives an ID, an alarm column (protocol gb28181), or a forwarded camera that does not
    reach the platform through such an NVR."""
    if isinstance(device, Recorder):
        return device.gb28181_id is not None
    if isinstance(device, AlarmPanel):
        return device.reports_over_gb28181
    return device.forward and through_recorder(school, device) is None


def registering_recorders(school: School) -> list[Recorder]:
    return [r for r in school.recorders if r.gb28181_id is not None]


def through_recorder(school: School, camera: Camera) -> Recorder | None:
    """The NVR a forwarded camera reaches the platform through: the registering NVR that
    records it. Such a camera is one of the NVR's Catalog channels and does not register
    itself (WVP-PRO would list its picture twice, once under each device)."""
    if not camera.forward:
        return None
    for recorder in registering_recorders(school):
        if any(c.name == camera.name for c in recorded_by(school, recorder)):
            return recorder
    return None


def recorder_channels(school: School, recorder: Recorder) -> dict[str, tuple[int, str | None]]:
    """camera name → (the NVR's input channel number, its GB/T 28181 channel ID) for each
    forwarded camera the NVR records, in channel order. The NVR's `gb28181_channels` are
    given to its forwarded cameras in the order it records them (input channel N is the
    N-th camera it records, as the recorder driver numbers them); an ID missing is None."""
    ids = list(recorder.gb28181_channels)
    out: dict[str, tuple[int, str | None]] = {}
    for number, cam in enumerate(recorded_by(school, recorder), start=1):
        if cam.forward:
            out[cam.name] = (number, ids.pop(0) if ids else None)
    return out


def gb28181_settings(
    city: City, school: School, device: Camera | Recorder | AlarmPanel
) -> dict[str, Any]:
    """The device's wanted GB/T 28181 settings; {} when it does not register with a platform
    (not forwarded, no GB/T 28181 precinct, or no ID yet: validate reports that). An alarm
    column has no channels: it raises its alarms under its own ID (GB/T 28181-2016 §9.4
    names the alarming device in the Notify's DeviceID), so `channels` is not among its
    settings."""
    server = sip_server(city, school)
    if server is None or not registers(device, school) or device.gb28181_id is None:
        return {}
    values: dict[str, Any] = {
        "enabled": True,
        "server_id": server.server_id,
        "domain": server.domain,
        "server_address": server.host,
        "server_port": server.port,
        "transport": server.transport.upper(),
        "edition": server.edition,
        "device_id": device.gb28181_id,
        "channels": tuple(getattr(device, "gb28181_channels", ())),
        "password": server.password,
        "register_expiry_s": server.register_expiry_s,
        "heartbeat_s": server.heartbeat_s,
        "heartbeat_max_missed": server.heartbeat_max_missed,
    }
    if isinstance(device, AlarmPanel):
        del values["channels"]
    return {PREFIX + key: value for key, value in values.items()}


def unprefixed(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings by their bare names ("server_id", ...), as the lab agent takes them."""
    return {k.removeprefix(PREFIX): v for k, v in settings.items() if k.startswith(PREFIX)}
