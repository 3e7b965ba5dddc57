"""GB/T 28181 access on a Hikvision camera over ISAPI: the `gb28181.*` settings
(templates/gb28181_settings.py) read from and written into two documents.

    gb28181.enabled, server_id, domain,   /ISAPI/System/Network/SIP   SIPServerList/SIPServer
    server_address, server_port,                                      id 1, its <GB28181>
    transport, edition, device_id,
    password, register_expiry_s,
    heartbeat_s, heartbeat_max_missed
    gb28181.channels                      /ISAPI/System/Network/SIP/1/SIPInfo
                                                                      VideoInputList/VideoInput

Field names as open-source ISAPI clients use them on real cameras (a Python batch
configurator for Hikvision GB/T 28181 access: `GB28181/{enabled, registrar, registrarPort,
serverId, serverDomain, authID, expires, heartbeatTime, heartbeatCount}` under
`SIPServer`, `VideoInput/{id, videoInputID}` under SIPInfo; Hikvision's web client names
the two resources `cfg28181` and `sip28181`). Not confirmed from a source and named by
analogy: `password` (write-only; its `<Standard>` sibling has one), `transportType` (UDP |
TCP) and `protocolVersion` ("GB/T28181-2016" | "GB/T28181-2022"). A firmware that names
them otherwise would ignore them or refuse the PUT with badXmlContent, which apply reports.

The password cannot be read back. As for camera accounts, what can be observed stands for
it: while access is enabled the camera holds a password, shown as the inventory's
reference; a password changed on the camera behind provision's back is not seen by plan
but by verify (the platform answers 401). The password is written, resolved through the
connector, with every write of the `<GB28181>` section, so the section is never sent
without it. Channel IDs go to video inputs 1, 2, ... in Catalog order.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from provision.drivers.base import Settings, Target
from provision.drivers.isapi_client import IsapiSession, find, integer, set_text, text
from provision.errors import DeviceError, SecretError
from provision.i18n import _
from provision.inventory.model import AlarmPanel, Camera, Recorder
from provision.inventory.secrets import SecretRef
from provision.templates.gb28181_settings import gb28181_settings

PREFIX = "gb28181."
SIP_SERVERS = "/ISAPI/System/Network/SIP"
SIP_INFO = "/ISAPI/System/Network/SIP/1/SIPInfo"
CHANNELS = PREFIX + "channels"
PASSWORD = PREFIX + "password"
# setting (bare) → (tag in <GB28181>, to the camera's text, from the camera's text)
_FIELDS: dict[str, tuple[str, Any, Any]] = {
    "enabled": ("enabled", lambda v: "true" if v else "false", lambda t: t == "true"),
    "server_id": ("serverId", str, str),
    "domain": ("serverDomain", str, str),
    "server_address": ("registrar", str, str),
    "server_port": ("registrarPort", str, int),
    "transport": ("transportType", str, str),
    "edition": (
        "protocolVersion",
        lambda v: f"GB/T28181-{v}",
        lambda t: t.rpartition("-")[2] if t.startswith("GB/T28181-") else t,
    ),
    "device_id": ("authID", str, str),
    "register_expiry_s": ("expires", str, int),
    "heartbeat_s": ("heartbeatTime", str, int),
    "heartbeat_max_missed": ("heartbeatCount", str, int),
}


_TEXT = ("server_id", "domain", "server_address", "device_id")


def is_sip_setting(setting: str) -> bool:
    return setting.startswith(PREFIX) and (
        setting.removeprefix(PREFIX) in _FIELDS or setting in (CHANNELS, PASSWORD)
    )


def resource_of(setting: str) -> str:
    return SIP_INFO if setting == CHANNELS else SIP_SERVERS


def read_settings(
    servers: etree._Element, info: etree._Element, wanted_password: Any
) -> dict[str, Any]:
    """The camera's gb28181.* settings from its SIP server list and SIPInfo documents."""
    gb = find(_server_one(servers), "GB28181")
    out: dict[str, Any] = {}
    for name, (tag, _to, parse) in _FIELDS.items():
        raw = text(gb, tag)
        try:
            out[PREFIX + name] = parse(raw) if raw not in (None, "") else None
        except ValueError:
            out[PREFIX + name] = raw  # shown as the camera has it; the diff rewrites it
    enabled = out[PREFIX + "enabled"] is True
    out[PASSWORD] = wanted_password if enabled else None  # write-only: see the docstring
    inputs = sorted(
        (integer(v, "id") or 0, text(v, "videoInputID") or "")
        for v in info.iterfind("{*}VideoInputList/{*}VideoInput")
    )
    ids = [cid for _, cid in inputs if cid]
    out[CHANNELS] = ids or None
    return out


def edit_servers(servers: etree._Element, values: dict[str, Any], password: str) -> None:
    """Write `values` (gb28181.* → wanted) and the password into SIP server 1's <GB28181>."""
    server = _server_one(servers)
    gb = find(server, "GB28181")
    if gb is None:
        gb = etree.SubElement(server, _like(server, "GB28181"))
    for setting, value in values.items():
        name = setting.removeprefix(PREFIX)
        if setting == PASSWORD:
            continue
        tag, to_camera, _ = _FIELDS[name]
        if value is None:
            # None is what a blank field reads as (a rollback to factory state): blank it.
            # A number or a choice is never blank on the camera, so it is left as it is.
            if name == "enabled":
                set_text(gb, tag, "false")
            elif name in _TEXT:
                set_text(gb, tag, "")
            continue
        set_text(gb, tag, to_camera(value))
    set_text(gb, "password", password)


def edit_info(info: etree._Element, channels: Any, numbers: list[int] | None = None) -> None:
    """Put the channel IDs into SIPInfo's video inputs `numbers` (1, 2, ... unless given: an
    NVR's are the input channels of the cameras they stand for); None empties the list."""
    inputs = find(info, "VideoInputList")
    if inputs is None:
        inputs = etree.SubElement(info, _like(info, "VideoInputList"))
    for entry in list(inputs):
        inputs.remove(entry)
    channels = list(channels or ())
    numbers = numbers or list(range(1, len(channels) + 1))
    for number, cid in zip(numbers, channels, strict=False):
        entry = etree.SubElement(inputs, _like(info, "VideoInput"))
        set_text(entry, "id", str(number))
        set_text(entry, "videoInputID", str(cid))


def wanted(target: Target, device: Camera | Recorder | AlarmPanel) -> Settings:
    """The device's gb28181.* settings as JSON values: the password as its reference's text
    ("${PROVISION_GB28181_PASSWORD}"), the channels as a list."""
    out = gb28181_settings(target.city, target.school, device)
    for name, value in out.items():
        if isinstance(value, SecretRef):
            out[name] = str(value)
        elif isinstance(value, tuple):
            out[name] = list(value)
    return out


def write(
    isapi: IsapiSession,
    target: Target,
    label: str,
    values: dict[str, Any],
    *,
    numbers: list[int] | None = None,
) -> None:
    """Write gb28181.* `values` (each checked first): SIP server 1's <GB28181> section, always
    with the password resolved through the connector (never sent without it), then the
    channel IDs into SIPInfo's video inputs `numbers` (see edit_info)."""
    for setting, value in values.items():
        check_value(label, setting, value)
    servers = {k: v for k, v in values.items() if k != CHANNELS}
    if servers:
        ref = wanted(target, _device(target)).get(PASSWORD) or values.get(PASSWORD)
        try:
            password = target.connector.secret(SecretRef.parse(str(ref)))
        except SecretError as exc:
            raise DeviceError(f"{label}: cannot write GB/T 28181 access: {exc}") from None
        isapi.http.hide(password)
        root = isapi.get(SIP_SERVERS, _("read {resource}").format(resource=SIP_SERVERS))
        edit_servers(root, servers, password)
        isapi.put(SIP_SERVERS, root, _("set {settings}").format(settings=", ".join(servers)))
    if CHANNELS in values:
        info = isapi.get(SIP_INFO, _("read {resource}").format(resource=SIP_INFO))
        edit_info(info, values[CHANNELS], numbers)
        isapi.put(SIP_INFO, info, _("set gb28181.channels"))


def _device(target: Target) -> Camera | Recorder | AlarmPanel:
    device = target.device
    if not isinstance(device, (Camera, Recorder, AlarmPanel)):
        raise TypeError(
            f"GB/T 28181 access is a camera's, an NVR's or an alarm column's, not {device!r}"
        )
    return device


def check_value(label: str, setting: str, value: Any) -> None:
    """Refuse, before any request, a value that cannot be written."""
    name = setting.removeprefix(PREFIX)
    ok = True
    if setting == CHANNELS:
        ok = value is None or (
            isinstance(value, (list, tuple)) and all(isinstance(c, str) for c in value)
        )
    elif name in ("server_port", "register_expiry_s", "heartbeat_s", "heartbeat_max_missed"):
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    elif name == "edition":
        ok = value in (None, "2016", "2022")
    elif name == "transport":
        ok = value in (None, "UDP", "TCP")
    if not ok:
        raise DeviceError(
            _("{label}: cannot apply {setting} = {value!r}: not a value for it").format(
                label=label, setting=setting, value=value
            )
        )


def _server_one(servers: etree._Element) -> etree._Element:
    for server in servers.iterfind("{*}SIPServer"):
        if text(server, "id") == "1":
            return server
    raise DeviceError(_("the camera lists no SIP server 1 (GB/T 28181 access not offered?)"))


def _like(parent: etree._Element, tag: str) -> str:
    """A tag in the parent's namespace (the camera's, or none as it sent it)."""
    namespace = etree.QName(parent).namespace
    return f"{{{namespace}}}{tag}" if namespace else tag
