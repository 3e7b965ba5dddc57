"""The ONVIF camera driver: the camera settings vocabulary (templates/camera_settings.py) read,
diffed and applied over ONVIF. Each setting and the ONVIF call that changes it:

    hostname                   SetHostname
    ntp                        SetNTP (manual servers, DHCP off)
    clock.source               SetSystemDateAndTime
    clock.timezone             SetSystemDateAndTime
    encoder.main.*             one SetVideoEncoderConfiguration for all five encoder fields,
                               through Media2 (ver20) when the camera lists it, else Media1
    osd                        CreateOSD / SetOSD / DeleteOSD
    users.<name>               CreateUsers / SetUser / DeleteUsers

The main stream is the encoder of the first media profile that has one, as cameras list
them. Media1's encoding enum is JPEG|MPEG4|H264: cameras set H.265 only through Media2
(ver20 media.wsdl, tt:VideoEncoder2Configuration), so whenever GetServices lists Media2 the
profile and encoder are read and written there (Encoding H264/H265, GovLength and Profile as
attributes); a Media1-only camera cannot converge to H.265 and says so (ConfigModify).
Settings say "H.264"/"H.265" as the inventory does. OSD stays on Media1, which every camera
serves.

Accounts: the school's operator and auditor are created with their passwords from the
connector, logged in as `camera.credentials`. Only an account's existence and level are
compared (a password cannot be read back). `users.<name>` is reported for every account on
the camera; only the managed ones are wanted, and no other account is removed by a plan (a
rollback removes an account its run created).

`apply` works from the device's state as last read in this session (or reads it first), so
each ONVIF call carries all fields of its configuration, and any list of changes, including
reversed ones, is applied call by call in the order the changes first name each call.
For verify, `identity()` is GetDeviceInformation and `inspect()` the main profile's snapshot
as camera_audit judges it. `stream_uri()` is GetStreamUri, for the streams driver.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.onvif_client import OnvifSession
from provision.drivers.onvif_wsdl import child, children, integer, text
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Camera
from provision.templates.camera_settings import (
    MAIN_ENCODER,
    RATE_CONTROL,
    USERS,
    camera_settings,
    is_camera_setting,
    is_valid_value,
    managed_accounts,
)

ONVIF_PORT = 80
RTSP_PORT = 554
_CODEC_FROM_DEVICE = {"H264": "H.264", "H265": "H.265", "MPEG4": "MPEG-4"}
_CODEC_TO_DEVICE = {v: k for k, v in _CODEC_FROM_DEVICE.items()}


@dataclass(slots=True)
class _Seen:
    """The raw configurations last read in this session; a part is None once it is stale."""

    clock: etree._Element | None = None  # tt:SystemDateAndTime
    profile: etree._Element | None = None  # the main media profile
    source: str | None = None  # its video source configuration (encoder changes keep it)
    osds: list[etree._Element] | None = None
    users: dict[str, str] | None = None  # name → level


class CameraDriver(Driver):
    kind = "camera"
    stream_uri_reads_device = True  # GetStreamUri: the streams driver asks it at read time

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, Camera):
            raise TypeError(f"CameraDriver needs a camera, not {target.device!r}")
        self.camera = target.device
        self.label = f"{target.school.id}/{self.camera.name}"
        self._onvif: OnvifSession | None = None
        self._seen = _Seen()
        self._media2: bool | None = None  # whether the camera lists Media2, asked once

    # --- the contract -------------------------------------------------------------------------

    def desired(self) -> Settings:
        return camera_settings(self.target.school, self.camera)

    def read(self) -> Settings:
        onvif = self._session()
        seen = self._seen = _Seen()
        seen.clock = child(onvif.system_date_and_time(), "SystemDateAndTime")
        hostname = text(onvif.device("GetHostname"), "HostnameInformation", "Name")
        ntp = child(onvif.device("GetNTP"), "NTPInformation")
        self._profile()
        self._osds()
        self._users()
        settings: Settings = {
            "hostname": hostname or "",
            "ntp": [_host_address(h) for h in children(ntp, "NTPManual")],
            "clock.source": text(seen.clock, "DateTimeType"),
            "clock.timezone": text(seen.clock, "TimeZone", "TZ"),
            **_encoder_settings(self._encoder()),
            "osd": _osd_text(seen.osds[0]) if seen.osds else None,
        }
        settings.update({USERS + n: {"level": lvl} for n, lvl in (seen.users or {}).items()})
        return settings

    def apply(self, changes: list[Change]) -> None:
        calls: dict[str, dict[str, Any]] = {}  # ONVIF call → {setting: after}, first-named first
        for change in changes:
            call = self._check(change.setting, change.after)
            calls.setdefault(call, {})[change.setting] = change.after
        onvif = self._session()
        try:
            for call, values in calls.items():
                getattr(self, f"_set_{call}")(onvif, values)
        except BaseException:
            self._seen = _Seen()  # unknown what landed: read afresh next time
            raise

    def identity(self) -> dict[str, Any]:
        """Manufacturer, model, firmware and serial, from GetDeviceInformation."""
        from provision.drivers import camera_audit  # PIL and requests: verify only

        return camera_audit.identity(self._session())

    def inspect(self) -> dict[str, Any]:
        """{"snapshot": {"uniform", "stddev", ...}}: whether the main stream shows anything."""
        from provision.drivers import camera_audit

        creds, connector = self.camera.credentials, self.target.connector
        password = connector.secret(creds.password if creds else None)
        self._session().hide(password)
        token = str(self._profile().get("token") or "")
        user = creds.username if creds else "admin"
        shot = camera_audit.snapshot(self._session(), token, connector, user, password)
        return {"snapshot": shot}

    def stream_uri(self, stream: str = "main") -> str:
        """The RTSP URL of the main (first) or sub (second) encoder profile, from GetStreamUri,
        without credentials. The path and query are the camera's; the host is the inventory's
        (a camera behind NAT, or a lab one, names an address the platform cannot use), with
        the port the camera names when it names its inventory address, else RTSP's 554."""
        profiles = list(children(self._session().media("GetProfiles"), "Profiles"))
        encoded = [p for p in profiles if child(p, "VideoEncoderConfiguration") is not None]
        index = {"main": 0, "sub": 1}.get(stream)
        if index is None or index >= len(encoded):
            raise DeviceError(
                _("{label}: no {stream!r} stream profile").format(label=self.label, stream=stream)
            )
        setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        answer = self._session().media(
            "GetStreamUri", StreamSetup=setup, ProfileToken=encoded[index].get("token")
        )
        uri = text(child(answer, "MediaUri"), "Uri")
        if not uri:
            raise DeviceError(
                _("{label}: GetStreamUri gave no URI for the {stream} stream").format(
                    label=self.label, stream=stream
                )
            )
        return inventory_rtsp_url(uri, self.camera.host)

    def close(self) -> None:
        if self._onvif is not None:
            self._onvif.close()
            self._onvif = None

    # --- applying, one ONVIF call per group ---------------------------------------------------

    def _set_hostname(self, onvif: OnvifSession, values: dict[str, Any]) -> None:
        onvif.device("SetHostname", Name=values["hostname"])

    def _set_ntp(self, onvif: OnvifSession, values: dict[str, Any]) -> None:
        servers = [_network_host(a) for a in values["ntp"] or []]
        onvif.device("SetNTP", FromDHCP=False, NTPManual=servers)
        onvif.clock_may_have_changed()

    def _set_clock(self, onvif: OnvifSession, values: dict[str, Any]) -> None:
        clock = self._seen.clock
        if clock is None:
            clock = child(onvif.system_date_and_time(), "SystemDateAndTime")
        source = values.get("clock.source") or text(clock, "DateTimeType") or "Manual"
        tz = values.get("clock.timezone") or text(clock, "TimeZone", "TZ")
        onvif.device(
            "SetSystemDateAndTime",
            DateTimeType=source,
            DaylightSavings=text(clock, "DaylightSavings") == "true",
            TimeZone={"TZ": tz} if tz else None,
        )
        self._seen.clock = None
        onvif.clock_may_have_changed()

    def _set_encoder(self, onvif: OnvifSession, values: dict[str, Any]) -> None:
        encoder = self._encoder()
        if encoder is None:
            raise DeviceError(
                _("{label}: the main profile has no video encoder").format(label=self.label)
            )
        if self._uses_media2():
            onvif.media2("SetVideoEncoderConfiguration", _encoder2_request(encoder, values))
            self._seen.profile = None
            return
        config = _encoder_request(encoder)
        for setting, value in values.items():
            name = setting.removeprefix(MAIN_ENCODER)
            if name == "resolution":
                width, height = value.split("x")  # checked by is_valid_value
                config["Resolution"] = {"Width": int(width), "Height": int(height)}
            elif name == "codec":
                config["Encoding"] = _CODEC_TO_DEVICE.get(value, value)
            elif name == "fps":
                config.setdefault("RateControl", {})["FrameRateLimit"] = value
            elif name == "bitrate_kbps":
                config.setdefault("RateControl", {})["BitrateLimit"] = value
            else:  # gop
                config.setdefault("H264", {"H264Profile": "Main"})["GovLength"] = value
        onvif.media("SetVideoEncoderConfiguration", Configuration=config, ForcePersistence=True)
        self._seen.profile = None

    def _set_osd(self, onvif: OnvifSession, values: dict[str, Any]) -> None:
        wanted, osds = values["osd"], self._osds()
        if wanted is None:
            for osd in osds:
                onvif.media("DeleteOSD", OSDToken=osd.get("token"))
        else:
            source = self._video_source()
            position = text(osds[0], "Position", "Type") if osds else None
            osd = {
                "token": osds[0].get("token") if osds else "",  # the camera names a new one
                "VideoSourceConfigurationToken": source,
                "Type": "Text",
                "Position": {"Type": position or "UpperLeft"},
                "TextString": {"Type": "Plain", "PlainText": wanted},
            }
            onvif.media("SetOSD" if osds else "CreateOSD", OSD=osd)
        self._seen.osds = None

    def _set_users(self, onvif: OnvifSession, values: dict[str, Any]) -> None:
        current = self._users()
        wanted = {setting.removeprefix(USERS): want for setting, want in values.items()}
        gone = [name for name, want in wanted.items() if want is None and name in current]
        new: list[dict[str, str]] = []
        changed: list[dict[str, str]] = []
        for name, want in wanted.items():
            if want is None or current.get(name) == want["level"]:
                continue
            password = self._password_of(name)
            onvif.hide(password)
            user = {"Username": name, "Password": password, "UserLevel": want["level"]}
            (changed if name in current else new).append(user)
        if gone:
            onvif.device("DeleteUsers", Username=gone)
        if new:
            onvif.device("CreateUsers", User=new)
        if changed:
            onvif.device("SetUser", User=changed)
        self._seen.users = None

    # --- what the camera holds now ------------------------------------------------------------

    def _session(self) -> OnvifSession:
        if self._onvif is None:
            connector, creds = self.target.connector, self.camera.credentials
            self._onvif = OnvifSession(
                self.label,
                connector.address(self.camera.host, ONVIF_PORT),
                creds.username if creds else "admin",
                connector.secret(creds.password if creds else None),
                timeout=connector.timeout,
            )
        return self._onvif

    def _uses_media2(self) -> bool:
        if self._media2 is None:
            self._media2 = self._session().has_media2()
        return self._media2

    def _profile(self) -> etree._Element:
        if self._seen.profile is None:
            if self._uses_media2():
                answer = self._session().media2(
                    "GetProfiles", "<tr2:GetProfiles><tr2:Type>All</tr2:Type></tr2:GetProfiles>"
                )
            else:
                answer = self._session().media("GetProfiles")
            main = next(
                (p for p in children(answer, "Profiles") if _encoder_of(p) is not None), None
            )
            if main is None:
                raise DeviceError(
                    _("{label}: no media profile with a video encoder").format(label=self.label)
                )
            self._seen.profile = main
        return self._seen.profile

    def _encoder(self) -> etree._Element | None:
        return _encoder_of(self._profile())

    def _video_source(self) -> str:
        if self._seen.source is None:
            profile = self._profile()
            source = child(profile, "VideoSourceConfiguration")
            if source is None:
                source = child(profile, "Configurations", "VideoSource")
            if source is None or not source.get("token"):
                raise DeviceError(
                    _("{label}: the main profile has no video source for OSD").format(
                        label=self.label
                    )
                )
            self._seen.source = str(source.get("token"))
        return self._seen.source

    def _osds(self) -> list[etree._Element]:
        if self._seen.osds is None:
            answer = self._session().media("GetOSDs", ConfigurationToken=self._video_source())
            self._seen.osds = [o for o in children(answer, "OSDs") if _osd_text(o) is not None]
        return self._seen.osds

    def _users(self) -> dict[str, str]:
        if self._seen.users is None:
            answer = self._session().device("GetUsers")
            self._seen.users = {
                text(u, "Username") or "": text(u, "UserLevel") or ""
                for u in children(answer, "User")
            }
        return self._seen.users

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
        """The ONVIF call a change belongs to, once its value is one the camera can take."""
        call = _call_of(setting) if is_camera_setting(setting) else ""
        if not call or not is_valid_value(setting, value):
            problem = _("no such camera setting") if not call else _("not a value for it")
            raise DeviceError(
                _("{label}: cannot apply {setting} = {value!r}: {problem}").format(
                    label=self.label, setting=setting, value=value, problem=problem
                )
            )
        return call


def inventory_rtsp_url(uri: str, host: str) -> str:
    """A camera-given RTSP URI at the camera's inventory address, without userinfo."""
    parts = urlsplit(uri)
    port = parts.port if parts.hostname == host and parts.port else RTSP_PORT
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return urlunsplit(("rtsp", netloc, parts.path or "/", parts.query, ""))


def _call_of(setting: str) -> str:
    """The ONVIF call group that sets a camera setting ("": none here; Media1's rate control
    and the sub stream are not set by this driver)."""
    if setting in ("hostname", "ntp", "osd"):
        return setting
    if setting in ("clock.source", "clock.timezone"):
        return "clock"
    if setting.startswith(MAIN_ENCODER) and not setting.endswith(RATE_CONTROL):
        return "encoder"
    return "users" if setting.startswith(USERS) else ""


def _encoder_of(profile: etree._Element) -> etree._Element | None:
    """The profile's video encoder: Media1's VideoEncoderConfiguration, or Media2's
    Configurations/VideoEncoder."""
    found = child(profile, "VideoEncoderConfiguration")
    return found if found is not None else child(profile, "Configurations", "VideoEncoder")


def _encoder_settings(enc: etree._Element | None) -> Settings:
    rate = child(enc, "RateControl")
    width, height = integer(enc, "Resolution", "Width"), integer(enc, "Resolution", "Height")
    codec = text(enc, "Encoding")
    gop = integer(enc, "H264", "GovLength") or integer(enc, "MPEG4", "GovLength")
    if gop is None and enc is not None and (attr := enc.get("GovLength")):
        gop = int(float(attr))  # Media2 carries it as an attribute
    return {
        MAIN_ENCODER + "resolution": f"{width}x{height}" if width and height else None,
        MAIN_ENCODER + "codec": _CODEC_FROM_DEVICE.get(codec or "", codec),
        MAIN_ENCODER + "fps": integer(rate, "FrameRateLimit"),
        MAIN_ENCODER + "gop": gop,
        MAIN_ENCODER + "bitrate_kbps": integer(rate, "BitrateLimit"),
    }


def _encoder_request(enc: etree._Element) -> dict[str, Any]:
    """The configuration as read, as zeep takes it: Set replaces the whole configuration, so
    every field the camera reported goes back unchanged unless a change names it."""
    config: dict[str, Any] = {
        "token": enc.get("token"),
        "Name": text(enc, "Name"),
        "UseCount": integer(enc, "UseCount") or 0,
        "Encoding": text(enc, "Encoding"),
        "Resolution": {
            "Width": integer(enc, "Resolution", "Width"),
            "Height": integer(enc, "Resolution", "Height"),
        },
        "Quality": float(text(enc, "Quality") or 0),
        "SessionTimeout": text(enc, "SessionTimeout"),
    }
    if (rate := child(enc, "RateControl")) is not None:
        config["RateControl"] = {
            name: integer(rate, name)
            for name in ("FrameRateLimit", "EncodingInterval", "BitrateLimit")
        }
    for codec, profile in (("H264", "H264Profile"), ("MPEG4", "Mpeg4Profile")):
        if (part := child(enc, codec)) is not None:
            config[codec] = {"GovLength": integer(part, "GovLength"), profile: text(part, profile)}
    if (multicast := child(enc, "Multicast")) is not None:
        address = child(multicast, "Address")
        config["Multicast"] = {
            "Address": {
                name: text(address, name) for name in ("Type", "IPv4Address", "IPv6Address")
            },
            "Port": integer(multicast, "Port") or 0,
            "TTL": integer(multicast, "TTL") or 0,
            "AutoStart": text(multicast, "AutoStart") == "true",
        }
    return config


def _encoder2_request(enc: etree._Element, values: dict[str, Any]) -> str:
    """A Media2 SetVideoEncoderConfiguration for the encoder as read, with `values` (encoder
    settings) applied; element order as tt:VideoEncoder2Configuration (onvif.xsd ver10)."""
    new = {setting.removeprefix(MAIN_ENCODER): value for setting, value in values.items()}
    encoding = _CODEC_TO_DEVICE.get(new.get("codec", ""), text(enc, "Encoding") or "H264")
    width, height = (
        new["resolution"].split("x")
        if "resolution" in new
        else (text(enc, "Resolution", "Width"), text(enc, "Resolution", "Height"))
    )
    rate = child(enc, "RateControl")
    fps = new.get("fps", text(rate, "FrameRateLimit"))
    bitrate = new.get("bitrate_kbps", text(rate, "BitrateLimit"))
    attrs = f" token={quoteattr(str(enc.get('token') or ''))}"
    gop = new.get("gop", enc.get("GovLength"))
    if gop is not None:
        attrs += f' GovLength="{int(gop)}"'
    profile = enc.get("Profile")
    if encoding != text(enc, "Encoding"):
        profile = "Main"  # a codec change: its profiles differ; Main exists for both
    if profile:
        attrs += f" Profile={quoteattr(profile)}"
    cbr = rate.get("ConstantBitRate", "false") if rate is not None else "false"
    multicast = child(enc, "Multicast")
    return (
        f"<tr2:SetVideoEncoderConfiguration><tr2:Configuration{attrs}>"
        f"<tt:Name>{escape(text(enc, 'Name') or '')}</tt:Name>"
        f"<tt:UseCount>{integer(enc, 'UseCount') or 0}</tt:UseCount>"
        f"<tt:Encoding>{escape(encoding)}</tt:Encoding><tt:Resolution><tt:Width>{int(width or 0)}"
        f"</tt:Width><tt:Height>{int(height or 0)}</tt:Height></tt:Resolution>"
        f"<tt:RateControl ConstantBitRate={quoteattr(cbr)}><tt:FrameRateLimit>{fps}"
        f"</tt:FrameRateLimit><tt:BitrateLimit>{bitrate}</tt:BitrateLimit></tt:RateControl>"
        + (etree.tostring(multicast, encoding="unicode") if multicast is not None else "")
        + f"<tt:Quality>{text(enc, 'Quality') or '0'}</tt:Quality></tr2:Configuration>"
        "</tr2:SetVideoEncoderConfiguration>"
    )


def _osd_text(osd: etree._Element) -> str | None:
    """The plain text of a text OSD; None for image or date/time overlays."""
    if text(osd, "Type") != "Text" or text(osd, "TextString", "Type") != "Plain":
        return None
    return text(osd, "TextString", "PlainText") or ""


def _host_address(host: etree._Element) -> str:
    kind = text(host, "Type")
    name = {"IPv4": "IPv4Address", "IPv6": "IPv6Address"}.get(kind or "", "DNSname")
    return text(host, name) or ""


def _network_host(address: str) -> dict[str, str]:
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        return {"Type": "DNS", "DNSname": address}
    kind = f"IPv{version}"
    return {"Type": kind, f"{kind}Address": address}
