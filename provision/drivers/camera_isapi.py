"""The Hikvision ISAPI camera driver: the camera settings vocabulary
(templates/camera_settings.py) read, diffed and applied over ISAPI (drivers/isapi_client.py).
Each setting and the resource that holds it:

    hostname                   /ISAPI/System/deviceInfo                deviceName
    ntp                        /ISAPI/System/time/ntpServers           NTPServer list
    clock.source               /ISAPI/System/time                      timeMode NTP | manual
    clock.timezone             /ISAPI/System/time                      timeZone "CST-8:00:00"
    encoder.main.*             /ISAPI/Streaming/channels/101           Video
    encoder.sub.*              /ISAPI/Streaming/channels/102           Video (when wanted)
    osd                        /ISAPI/System/Video/inputs/channels/1/overlays   TextOverlay 1
    users.<name>               /ISAPI/Security/users[/<id>]            POST / PUT / DELETE
    gb28181.*                  /ISAPI/System/Network/SIP[/1/SIPInfo]   see drivers/isapi_sip.py

The gb28181.* settings (GB/T 28181 access) are wanted when the school's precinct runs a
GB/T 28181 platform and the camera registers with it (templates/gb28181_settings.py); they
are read only then.

ISAPI replaces a resource with a PUT of the whole document, so `apply` edits the document as
last read in this session (or reads it first) and sends it back with every field the camera
reported, one PUT per resource, resources in the order the changes first name them. Values
the camera writes its own way are translated at this edge only: frame rates in hundredths
(`maxFrameRate` 2500 = 25 fps), rate control as `videoQualityControlType`, the bitrate read
from `constantBitRate` or `vbrUpperCap` as that says (and written to both, so a change of
rate control in the same PUT keeps it), time zones with seconds ("CST-8:00:00" is the POSIX
"CST-8"), the auditor's level "User" as Hikvision's "Viewer".

Accounts, as in the ONVIF driver: the school's operator and auditor are created with their
passwords from the connector; only an account's existence and level are compared; no other
account is ever removed by a plan. For verify, `identity()` is deviceInfo and `inspect()` the
main channel's snapshot (`/ISAPI/Streaming/channels/101/picture`) as camera_audit judges it.
The stream URIs are Hikvision's fixed RTSP paths, `/Streaming/Channels/<input>01|02`.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from provision.drivers import isapi_sip
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.isapi_client import (
    NAMESPACE,
    IsapiSession,
    device_session,
    find,
    integer,
    q,
    set_text,
    text,
)
from provision.errors import DeviceError, SecretError
from provision.i18n import _
from provision.inventory.model import Camera
from provision.inventory.secrets import SecretRef
from provision.templates.camera_settings import (
    MAIN_ENCODER,
    RATE_CONTROL,
    SUB_ENCODER,
    USERS,
    camera_settings,
    is_camera_setting,
    is_valid_value,
    managed_accounts,
)

HTTP_PORT = 80
RTSP_PORT = 554
VIDEO_INPUT = 1
STREAM_NUMBERS = {"main": 1, "sub": 2}  # channel id = input * 100 + stream number
DEVICE_INFO = "/ISAPI/System/deviceInfo"
TIME = "/ISAPI/System/time"
NTP_SERVERS = "/ISAPI/System/time/ntpServers"
MAIN_CHANNEL = f"/ISAPI/Streaming/channels/{VIDEO_INPUT}01"
SUB_CHANNEL = f"/ISAPI/Streaming/channels/{VIDEO_INPUT}02"
OVERLAYS = f"/ISAPI/System/Video/inputs/channels/{VIDEO_INPUT}/overlays"
USERS_PATH = "/ISAPI/Security/users"
SNAPSHOT = f"{MAIN_CHANNEL}/picture"
_LEVEL_TO_DEVICE = {"Administrator": "Administrator", "Operator": "Operator", "User": "Viewer"}
_LEVEL_FROM_DEVICE = {v: k for k, v in _LEVEL_TO_DEVICE.items()}
_TIME_MODE = {"NTP": "NTP", "Manual": "manual"}
_HIK_TZ = re.compile(r"^([A-Za-z]+)([+-])(\d{1,2})(?::(\d{2}))?(?::\d{2})?$")
# The resource a setting lives in (encoder.main.* and users.* by prefix).
_RESOURCE_OF = {
    "hostname": DEVICE_INFO,
    "ntp": NTP_SERVERS,
    "clock.source": TIME,
    "clock.timezone": TIME,
    "osd": OVERLAYS,
}


class IsapiCameraDriver(Driver):
    kind = "camera"
    stream_uri_reads_device = False  # Hikvision's fixed RTSP paths: known without asking

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, Camera):
            raise TypeError(f"IsapiCameraDriver needs a camera, not {target.device!r}")
        self.camera = target.device
        self.label = f"{target.school.id}/{self.camera.name}"
        self._isapi: IsapiSession | None = None
        self._docs: dict[str, etree._Element] = {}  # resource → document as last read

    # --- the contract -------------------------------------------------------------------------

    def desired(self) -> Settings:
        return {**camera_settings(self.target.school, self.camera), **self._sip_wanted()}

    def _sip_wanted(self) -> Settings:
        """The gb28181.* settings as JSON values (isapi_sip.wanted)."""
        return isapi_sip.wanted(self.target, self.camera)

    def read(self) -> Settings:
        self._docs = {}
        clock = self._doc(TIME)
        users = self._users()
        settings: Settings = {
            "hostname": text(self._doc(DEVICE_INFO), "deviceName") or "",
            "ntp": _ntp_servers(self._doc(NTP_SERVERS)),
            "clock.source": {"ntp": "NTP", "manual": "Manual"}.get(
                (text(clock, "timeMode") or "").lower()
            ),
            "clock.timezone": posix_from_hikvision(text(clock, "timeZone") or ""),
            **_encoder_settings(MAIN_ENCODER, find(self._doc(MAIN_CHANNEL), "Video")),
            "osd": _osd_text(self._doc(OVERLAYS)),
        }
        if self.camera.sub_video is not None:  # read only what is wanted: one GET less
            settings.update(_encoder_settings(SUB_ENCODER, find(self._doc(SUB_CHANNEL), "Video")))
        settings.update({USERS + name: {"level": lvl} for name, (_id, lvl) in users.items()})
        sip = self._sip_wanted()
        if sip:  # read only what is wanted: a camera without GB/T 28181 access is not asked
            settings.update(
                isapi_sip.read_settings(
                    self._doc(isapi_sip.SIP_SERVERS),
                    self._doc(isapi_sip.SIP_INFO),
                    sip.get(isapi_sip.PASSWORD),
                )
            )
        return settings

    def apply(self, changes: list[Change]) -> None:
        groups: dict[str, dict[str, Any]] = {}  # resource → {setting: after}, first-named first
        for change in changes:
            groups.setdefault(self._check(change.setting, change.after), {})[change.setting] = (
                change.after
            )
        try:
            for resource, values in groups.items():
                if resource == USERS_PATH:
                    self._set_users(values)
                elif resource == isapi_sip.SIP_SERVERS:
                    self._set_sip_servers(values)
                elif resource == isapi_sip.SIP_INFO:
                    root = self._doc(resource)
                    isapi_sip.edit_info(root, values[isapi_sip.CHANNELS])
                    self._session().put(resource, root, _("set gb28181.channels"))
                    self._docs.pop(resource, None)
                else:
                    self._set_resource(resource, values)
        except BaseException:
            self._docs = {}  # unknown what landed: read afresh next time
            raise

    def identity(self) -> dict[str, Any]:
        """Model, serial and firmware from /ISAPI/System/deviceInfo."""
        info = self._session().get(DEVICE_INFO, _("read identity"))
        firmware = " ".join(
            part
            for part in (text(info, "firmwareVersion"), text(info, "firmwareReleasedDate"))
            if part
        )
        return {
            "manufacturer": text(info, "manufacturer") or "Hikvision",
            "model": text(info, "model"),
            "firmware": firmware or None,
            "serial": text(info, "serialNumber"),
        }

    def inspect(self) -> dict[str, Any]:
        """{"snapshot": {"uniform", "stddev", ...}}: whether the main stream shows anything."""
        from provision.drivers import camera_audit  # PIL: verify only

        picture = self._session().raw(SNAPSHOT, _("read snapshot"))
        return {"snapshot": camera_audit.judge_snapshot(self.label, picture)}

    def stream_uri(self, stream: str = "main") -> str:
        """The RTSP URL of the main or sub stream, without credentials."""
        number = STREAM_NUMBERS.get(stream)
        if number is None:
            raise DeviceError(
                _("{label}: no {stream!r} stream (main or sub)").format(
                    label=self.label, stream=stream
                )
            )
        host = f"[{self.camera.host}]" if ":" in self.camera.host else self.camera.host
        return f"rtsp://{host}:{RTSP_PORT}/Streaming/Channels/{VIDEO_INPUT}0{number}"

    def close(self) -> None:
        if self._isapi is not None:
            self._isapi.close()
            self._isapi = None

    # --- applying -----------------------------------------------------------------------------

    def _set_resource(self, resource: str, values: dict[str, Any]) -> None:
        root = self._doc(resource)
        for setting, value in values.items():
            _EDITS[resource](root, setting, value)
        self._session().put(resource, root, _("set {settings}").format(settings=", ".join(values)))
        self._docs.pop(resource, None)

    def _set_sip_servers(self, values: dict[str, Any]) -> None:
        """The <GB28181> section, always with the password: never sent without it."""
        ref = self._sip_wanted().get(isapi_sip.PASSWORD) or values.get(isapi_sip.PASSWORD)
        try:
            password = self.target.connector.secret(SecretRef.parse(str(ref)))
        except SecretError as exc:
            raise DeviceError(
                _("{label}: cannot write GB/T 28181 access: {error}").format(
                    label=self.label, error=exc
                )
            ) from None
        isapi = self._session()
        isapi.http.hide(password)
        root = self._doc(isapi_sip.SIP_SERVERS)
        isapi_sip.edit_servers(root, values, password)
        isapi.put(
            isapi_sip.SIP_SERVERS, root, _("set {settings}").format(settings=", ".join(values))
        )
        self._docs.pop(isapi_sip.SIP_SERVERS, None)

    def _set_users(self, values: dict[str, Any]) -> None:
        isapi, current = self._session(), self._users()
        for setting, want in values.items():
            name = setting.removeprefix(USERS)
            user_id, level = current.get(name, (None, None))
            if want is None:
                if user_id is not None:
                    isapi.delete(
                        f"{USERS_PATH}/{user_id}", _("delete camera user {name}").format(name=name)
                    )
                continue
            if level == want["level"]:
                continue
            password = self._password_of(name)
            isapi.http.hide(password)
            user = _user_document(user_id, name, password, want["level"])
            if user_id is None:
                isapi.post(USERS_PATH, user, _("create camera user {name}").format(name=name))
            else:
                isapi.put(
                    f"{USERS_PATH}/{user_id}", user, _("set camera user {name}").format(name=name)
                )
        self._docs.pop(USERS_PATH, None)

    # --- what the camera holds now ------------------------------------------------------------

    def _session(self) -> IsapiSession:
        if self._isapi is None:
            self._isapi = device_session(
                self.label,
                self.target.connector,
                self.camera.host,
                self.camera.credentials,
                HTTP_PORT,
            )
        return self._isapi

    def _doc(self, resource: str) -> etree._Element:
        if resource not in self._docs:
            self._docs[resource] = self._session().get(
                resource, _("read {resource}").format(resource=resource)
            )
        return self._docs[resource]

    def _users(self) -> dict[str, tuple[str, str]]:
        """name → (ISAPI user id, level in the vocabulary's words)."""
        users = self._doc(USERS_PATH)
        return {
            text(u, "userName") or "": (
                text(u, "id") or "",
                _LEVEL_FROM_DEVICE.get(text(u, "userLevel") or "", text(u, "userLevel") or ""),
            )
            for u in users.iterfind("{*}User")
        }

    def _password_of(self, username: str) -> str:
        for creds, _level in managed_accounts(self.target.school):
            if creds.username == username:
                return self.target.connector.secret(creds.password)
        raise DeviceError(
            _(
                "{label}: cannot create or change camera user {username!r}: the inventory gives no "
                "password for it (only the school's operator and auditor are managed)"
            ).format(label=self.label, username=username)
        )

    def _check(self, setting: str, value: Any) -> str:
        """The resource a change belongs to, once its value is one the camera can take."""
        if isapi_sip.is_sip_setting(setting):
            isapi_sip.check_value(self.label, setting, value)
            return isapi_sip.resource_of(setting)
        if not is_camera_setting(setting) or not is_valid_value(setting, value):
            problem = (
                _("not a value for it") if is_camera_setting(setting) else _("no such setting")
            )
            raise DeviceError(
                _("{label}: cannot apply {setting} = {value!r}: {problem}").format(
                    label=self.label, setting=setting, value=value, problem=problem
                )
            )
        if setting.startswith(USERS):
            return USERS_PATH
        if setting.startswith(SUB_ENCODER):
            return SUB_CHANNEL
        return MAIN_CHANNEL if setting.startswith(MAIN_ENCODER) else _RESOURCE_OF[setting]


# --- documents: read ------------------------------------------------------------------------


def posix_from_hikvision(zone: str) -> str | None:
    """ "CST-8:00:00" → "CST-8", "IST-5:30:00" → "IST-5:30", "UTC+0:00:00" → "UTC0"."""
    m = _HIK_TZ.match(zone)
    if m is None:
        return zone or None
    name, sign, hours, minutes = m[1], m[2], int(m[3]), int(m[4] or 0)
    if hours == minutes == 0:
        return f"{name}0"
    return f"{name}{'-' if sign == '-' else ''}{hours}" + (f":{minutes:02d}" if minutes else "")


def hikvision_from_posix(zone: str) -> str:
    m = _HIK_TZ.match(zone) or re.match(r"^([A-Za-z]+)()(\d{1,2})(?::(\d{2}))?$", zone)
    if m is None:
        raise DeviceError(_("time zone {zone!r} is not a POSIX TZ such as CST-8").format(zone=zone))
    sign = "-" if m[2] == "-" else "+"
    return f"{m[1]}{sign}{int(m[3])}:{int(m[4] or 0):02d}:00"


def _ntp_servers(servers: etree._Element) -> list[str]:
    out = []
    for server in servers.iterfind("{*}NTPServer"):
        by_name = (text(server, "addressingFormatType") or "") == "hostname"
        address = text(server, "hostName") if by_name else text(server, "ipAddress")
        if address:
            out.append(address)
    return out


def _encoder_settings(prefix: str, video: etree._Element | None) -> Settings:
    width, height = integer(video, "videoResolutionWidth"), integer(video, "videoResolutionHeight")
    rate = integer(video, "maxFrameRate")
    control = (text(video, "videoQualityControlType") or "").upper() or None
    return {
        prefix + "resolution": f"{width}x{height}" if width and height else None,
        prefix + "codec": text(video, "videoCodecType"),
        prefix + "fps": rate // 100 if rate else None,
        prefix + "gop": integer(video, "GovLength"),
        prefix + "bitrate_kbps": integer(
            video, "vbrUpperCap" if control == "VBR" else "constantBitRate"
        ),
        prefix + RATE_CONTROL: control,
    }


def _osd_text(overlays: etree._Element) -> str | None:
    for overlay in overlays.iterfind("{*}TextOverlayList/{*}TextOverlay"):
        if text(overlay, "enabled") == "true":
            return text(overlay, "displayText") or ""
    return None


# --- documents: edit in place ---------------------------------------------------------------


def _edit_device_info(root: etree._Element, _setting: str, value: Any) -> None:
    set_text(root, "deviceName", value)


def _edit_time(root: etree._Element, setting: str, value: Any) -> None:
    if setting == "clock.source":
        set_text(root, "timeMode", _TIME_MODE[value])
    else:
        set_text(root, "timeZone", hikvision_from_posix(value))


def _edit_ntp(root: etree._Element, _setting: str, value: Any) -> None:
    for server in list(root.iterfind("{*}NTPServer")):
        root.remove(server)
    for i, address in enumerate(value or [], start=1):
        server = etree.SubElement(root, q("NTPServer"))
        by_name = not re.fullmatch(r"[0-9.]+|[0-9A-Fa-f:]+", address)
        for tag, content in (
            ("id", str(i)),
            ("addressingFormatType", "hostname" if by_name else "ipaddress"),
            ("hostName" if by_name else "ipAddress", address),
            ("portNo", "123"),
            ("synchronizeInterval", "60"),
        ):
            etree.SubElement(server, q(tag)).text = content


def _edit_channel(root: etree._Element, setting: str, value: Any) -> None:
    video = find(root, "Video")
    if video is None:
        raise DeviceError(
            _("channel {channel} has no Video section").format(channel=text(root, "id"))
        )
    name = setting.removeprefix(MAIN_ENCODER).removeprefix(SUB_ENCODER)
    if name == RATE_CONTROL:
        set_text(video, "videoQualityControlType", value)
    elif name == "resolution":
        width, height = value.split("x")  # checked by is_valid_value
        set_text(video, "videoResolutionWidth", width)
        set_text(video, "videoResolutionHeight", height)
    elif name == "codec":
        set_text(video, "videoCodecType", value)
    elif name == "fps":
        set_text(video, "maxFrameRate", str(value * 100))
    elif name == "gop":
        set_text(video, "GovLength", str(value))
    else:  # bitrate: in both, so it holds whichever rate control the channel ends up with
        set_text(video, "constantBitRate", str(value))
        set_text(video, "vbrUpperCap", str(value))


def _edit_overlays(root: etree._Element, _setting: str, value: Any) -> None:
    overlays = find(root, "TextOverlayList")
    if overlays is None:
        overlays = etree.SubElement(root, q("TextOverlayList"))
    first = next(overlays.iterfind("{*}TextOverlay"), None)
    for overlay in overlays.iterfind("{*}TextOverlay"):
        set_text(overlay, "enabled", "false")
    if value is None:
        return
    if first is None:
        first = etree.SubElement(overlays, q("TextOverlay"))
        for tag, content in (("id", "1"), ("positionX", "0"), ("positionY", "544")):
            set_text(first, tag, content)
    set_text(first, "enabled", "true")
    set_text(first, "displayText", value)


_EDITS = {
    DEVICE_INFO: _edit_device_info,
    TIME: _edit_time,
    NTP_SERVERS: _edit_ntp,
    MAIN_CHANNEL: _edit_channel,
    SUB_CHANNEL: _edit_channel,
    OVERLAYS: _edit_overlays,
}


def _user_document(user_id: str | None, name: str, password: str, level: str) -> etree._Element:
    user = etree.Element(q("User"), nsmap={None: NAMESPACE}, version="2.0")
    fields = [("userName", name), ("password", password), ("userLevel", _LEVEL_TO_DEVICE[level])]
    for tag, content in ([("id", user_id)] if user_id else []) + fields:
        etree.SubElement(user, q(tag)).text = content
    return user
