"""The Dahua camera driver: the camera settings vocabulary (templates/camera_settings.py) read,
diffed and applied over Dahua's CGI HTTP API ("Dahua HTTP API for IPC" V1.67; Digest auth;
the session is drivers/dahua_session.py). Each setting and the keys that hold it:

    hostname                   General.MachineName
    ntp                        NTP.Address, NTP.Enable (one server: see below)
    clock.source               NTP.Enable (true: "NTP", false: "Manual")
    clock.timezone             NTP.TimeZone (Dahua's zone index) and NTP.TimeZoneDesc
    encoder.main.*             Encode[0].MainFormat[0].Video.Compression, Width and Height,
                               FPS, GOP, BitRate, BitRateControl (rate_control: CBR/VBR)
    encoder.sub.*              Encode[0].ExtraFormat[0].Video.* the same keys, read and
                               written only when the inventory sets a sub stream
    osd                        ChannelTitle[0].Name shown by
                               VideoWidget[0].ChannelTitle.EncodeBlend (None: not shown)
    users.<name>               userManager.cgi addUser / modifyUser / deleteUser
    gb28181.*                  VSP_GAYS (GB/T 28181 access): see drivers/dahua_sip.py

One setConfig per table, with every changed key of it, in the order changes first name each
table; a refused setConfig changes nothing on the camera, so a failed apply leaves whole
tables behind for the engine's rollback. Text goes UTF-8, percent-encoded, as the API wants
(Chinese OSD included).

Where the camera holds less than the vocabulary says, `desired()` asks for what it can hold
and no more, so plan, apply and verify agree: one NTP server (the school's first), and a time
zone as an offset (a zone index), its POSIX name kept in TimeZoneDesc so it reads back as set.

Accounts: Dahua has two groups, admin and user; what a user-group account may do beyond
watching is its authority list. Levels map as Administrator ↔ group admin, Operator ↔ group
user with manual control (AuthManuCtr), User ↔ group user without it. As with ONVIF, only an
account's existence and level are compared, managed accounts get their passwords from the
connector, and no unmanaged account is removed by a plan.

For verify, `identity()` reads magicBox (device type, serial, software version) and
`inspect()` judges `/cgi-bin/snapshot.cgi` as camera_audit judges ONVIF snapshots.
`stream_uri()` is the camera's RTSP path, `/cam/realmonitor?channel=1&subtype=0|1`.
"""

from __future__ import annotations

import io
from typing import Any

from provision.drivers import dahua_sip
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.dahua_session import DahuaSession
from provision.errors import DeviceError, SecretError
from provision.i18n import _
from provision.inventory.model import Camera
from provision.inventory.secrets import SecretRef
from provision.protocols.dahua_cgi import (
    posix_of_offset,
    posix_offset_minutes,
    zone_index,
    zone_offset,
)
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
from provision.templates.gb28181_settings import gb28181_settings

HTTP_PORT = 80
RTSP_PORT = 554
SUBTYPES = {"main": 0, "sub": 1}
MAIN = "Encode[0].MainFormat[0].Video."
SUB = "Encode[0].ExtraFormat[0].Video."
STREAM_KEYS = {MAIN_ENCODER: MAIN, SUB_ENCODER: SUB}  # the vocabulary's prefix → Dahua's
TITLE, TITLE_SHOWN = "ChannelTitle[0].Name", "VideoWidget[0].ChannelTitle.EncodeBlend"
CODECS = ("H.264", "H.265")
_ENCODER_KEYS = {
    "codec": "Compression",
    "fps": "FPS",
    "gop": "GOP",
    "bitrate_kbps": "BitRate",
    RATE_CONTROL: "BitRateControl",
}
MANUAL_CONTROL = "AuthManuCtr"
LEVEL_ACCOUNTS = {  # level → (group, authority list; None: the group's own)
    "Administrator": ("admin", None),
    "Operator": ("user", ("Monitor_01", "Replay_01", MANUAL_CONTROL)),
    "User": ("user", ("Monitor_01", "Replay_01")),
}


class DahuaCameraDriver(Driver):
    kind = "camera"
    stream_uri_reads_device = False  # Dahua's fixed realmonitor URL: known without asking

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, Camera):
            raise TypeError(f"DahuaCameraDriver needs a camera, not {target.device!r}")
        self.camera = target.device
        self.label = f"{target.school.id}/{self.camera.name}"
        self._session: DahuaSession | None = None

    # --- the contract -------------------------------------------------------------------------

    def desired(self) -> Settings:
        want = camera_settings(self.target.school, self.camera)
        want["ntp"] = want["ntp"][:1]  # the camera holds one server
        return {**want, **self._sip_wanted()}

    def _sip_wanted(self) -> Settings:
        """The gb28181.* settings as JSON values: the password as its reference's text, the
        channels as a list (as the ISAPI driver shows them)."""
        wanted = gb28181_settings(self.target.city, self.target.school, self.camera)
        for name, value in wanted.items():
            if isinstance(value, SecretRef):
                wanted[name] = str(value)
            elif isinstance(value, tuple):
                wanted[name] = list(value)
        return wanted

    def read(self) -> Settings:
        cgi = self._cgi()
        general = cgi.config("General", ("General.MachineName",))
        ntp = cgi.config("NTP", ("NTP.Enable", "NTP.Address", "NTP.TimeZone"))
        main = cgi.config("Encode[0].MainFormat[0]", tuple(MAIN + k for k in _VIDEO_KEYS))
        title = cgi.config("ChannelTitle", (TITLE,))
        widget = cgi.config("VideoWidget", (TITLE_SHOWN,))
        enabled = ntp["NTP.Enable"] == "true"
        settings: Settings = {
            "hostname": general["General.MachineName"],
            "ntp": [ntp["NTP.Address"]] if enabled and ntp["NTP.Address"] else [],
            "clock.source": "NTP" if enabled else "Manual",
            "clock.timezone": _timezone(ntp["NTP.TimeZone"], ntp.get("NTP.TimeZoneDesc", "")),
            **_encoder_settings(MAIN_ENCODER, main),
            "osd": title[TITLE] if widget[TITLE_SHOWN] == "true" else None,
        }
        if self.camera.sub_video is not None:  # read only what is wanted: one request less
            sub = cgi.config("Encode[0].ExtraFormat[0]", tuple(SUB + k for k in _VIDEO_KEYS))
            settings.update(_encoder_settings(SUB_ENCODER, sub))
        settings.update({USERS + name: {"level": lvl} for name, lvl in self._levels().items()})
        sip = self._sip_wanted()
        if sip:  # read only what is wanted: a camera without GB/T 28181 access is not asked
            table = cgi.config(dahua_sip.TABLE, dahua_sip.KEYS)
            settings.update(dahua_sip.read_settings(table, sip.get(dahua_sip.PASSWORD)))
        return settings

    def apply(self, changes: list[Change]) -> None:
        tables: dict[str, dict[str, Any]] = {}  # table → {setting: after}, first-named first
        for change in changes:
            tables.setdefault(self._table(change.setting, change.after), {})[change.setting] = (
                change.after
            )
        cgi = self._cgi()
        for table, values in tables.items():
            if table == "users":
                self._set_users(cgi, values)
            elif table == dahua_sip.TABLE:
                cgi.set_config(dahua_sip.keys_for(values, self._sip_password(values)))
            else:
                cgi.set_config(_KEYS_OF[table](self.label, values))

    def identity(self) -> dict[str, Any]:
        cgi = self._cgi()
        version = cgi.magic("getSoftwareVersion")
        return {
            "manufacturer": "Dahua",
            "model": cgi.magic("getDeviceType"),
            "firmware": version.split(",")[0],
            "serial": cgi.magic("getSerialNo"),
        }

    def inspect(self) -> dict[str, Any]:
        """{"snapshot": {"uniform", "stddev", "width", "height"}} from /cgi-bin/snapshot.cgi."""
        from PIL import Image, ImageStat  # verify only

        from provision.drivers.camera_audit import UNIFORM_STDDEV

        try:
            image = Image.open(io.BytesIO(self._cgi().snapshot())).convert("L")
        except OSError as exc:
            raise DeviceError(
                _("{label}: snapshot.cgi gave no image: {error}").format(
                    label=self.label, error=exc
                )
            ) from None
        stddev = float(ImageStat.Stat(image).stddev[0])
        shot = {"uniform": stddev < UNIFORM_STDDEV, "stddev": round(stddev, 2)}
        return {"snapshot": {**shot, "width": image.width, "height": image.height}}

    def stream_uri(self, stream: str = "main") -> str:
        """The camera's RTSP URI of its main or sub stream, without credentials."""
        if stream not in SUBTYPES:
            raise DeviceError(
                _("{label}: no {stream!r} stream; a Dahua camera has main, sub").format(
                    label=self.label, stream=stream
                )
            )
        return (
            f"rtsp://{self.camera.host}:{RTSP_PORT}/cam/realmonitor"
            f"?channel=1&subtype={SUBTYPES[stream]}"
        )

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- accounts -----------------------------------------------------------------------------

    def _levels(self) -> dict[str, str]:
        """Every account on the camera → its level."""
        raw = self._cgi().users()
        accounts: dict[str, tuple[str, set[str]]] = {}
        for key, value in raw.items():
            head, _, field = key.partition("].")
            if field == "Name":
                group = raw.get(f"{head}].Group", "")
                rights = {v for k, v in raw.items() if k.startswith(f"{head}].AuthorityList[")}
                accounts[value] = (group, rights)
        return {name: _level(group, rights) for name, (group, rights) in accounts.items()}

    def _set_users(self, cgi: DahuaSession, values: dict[str, Any]) -> None:
        current = self._levels()
        for setting, want in values.items():
            name = setting.removeprefix(USERS)
            if want is None:
                if name in current:
                    cgi.user_manager("deleteUser", [("name", name)])
                continue
            if current.get(name) == want["level"]:
                continue
            group, rights = LEVEL_ACCOUNTS[want["level"]]
            listed = [(f"user.AuthorityList[{i}]", r) for i, r in enumerate(rights or ())]
            if name in current:
                cgi.user_manager("modifyUser", [("name", name), ("user.Group", group), *listed])
            else:
                account = [("user.Name", name), ("user.Password", self._password_of(name))]
                cgi.user_manager("addUser", [*account, ("user.Group", group), *listed])

    def _password_of(self, username: str) -> str:
        for creds, _level in managed_accounts(self.target.school):
            if creds.username == username:
                return self.target.connector.secret(creds.password)
        raise DeviceError(
            _(
                "{label}: cannot create camera user {username!r}: the inventory gives no password "
                "for it (only the school's operator and auditor are managed)"
            ).format(label=self.label, username=username)
        )

    def _sip_password(self, values: dict[str, Any]) -> str:
        ref = self._sip_wanted().get(dahua_sip.PASSWORD) or values.get(dahua_sip.PASSWORD)
        try:
            return self.target.connector.secret(SecretRef.parse(str(ref)))
        except SecretError as exc:
            raise DeviceError(
                _("{label}: cannot write GB/T 28181 access: {error}").format(
                    label=self.label, error=exc
                )
            ) from None

    # --- plumbing -----------------------------------------------------------------------------

    def _cgi(self) -> DahuaSession:
        if self._session is None:
            connector, creds = self.target.connector, self.camera.credentials
            self._session = DahuaSession(
                self.label,
                connector.address(self.camera.host, HTTP_PORT),
                creds.username if creds else "admin",
                connector.secret(creds.password if creds else None),
                timeout=connector.timeout,
            )
        return self._session

    def _table(self, setting: str, value: Any) -> str:
        """The table a change writes, once its value is one a Dahua camera can take."""
        if dahua_sip.is_sip_setting(setting):
            dahua_sip.check_value(self.label, setting, value)
            return dahua_sip.TABLE
        table = _table_of(setting) if is_camera_setting(setting) else ""
        problem = "" if table else _("no such camera setting")
        if table and not is_valid_value(setting, value):
            problem = _("not a value for it")
        elif setting in (MAIN_ENCODER + "codec", SUB_ENCODER + "codec") and value not in CODECS:
            problem = _("a Dahua camera encodes {codecs}").format(codecs=" or ".join(CODECS))
        elif setting == "clock.timezone" and zone_index(value) is None:
            problem = _("not an offset in Dahua's time zone table")
        if problem:
            raise DeviceError(
                _("{label}: cannot apply {setting} = {value!r}: {problem}").format(
                    label=self.label, setting=setting, value=value, problem=problem
                )
            )
        return table


_VIDEO_KEYS = ("Compression", "Width", "Height", "FPS", "GOP", "BitRate")


def _table_of(setting: str) -> str:
    if setting in ("ntp", "clock.source", "clock.timezone"):
        return "NTP"
    if setting.startswith((MAIN_ENCODER, SUB_ENCODER)):
        return "Encode"
    return {"hostname": "General", "osd": "ChannelTitle"}.get(setting, "users")


def _level(group: str, rights: set[str]) -> str:
    if group == "admin":
        return "Administrator"
    return "Operator" if MANUAL_CONTROL in rights else "User"


def _timezone(index: str, description: str) -> str | None:
    """The POSIX TZ the camera holds: the name provision wrote when it still matches the
    zone index, else the bare offset."""
    offset = zone_offset(index)
    if offset is None:
        return None
    return description if posix_offset_minutes(description) == offset else posix_of_offset(offset)


def _encoder_settings(prefix: str, table: dict[str, str]) -> Settings:
    """One stream's settings from its Encode table (`prefix`: the main or sub encoder)."""
    key = STREAM_KEYS[prefix]

    def number(name: str) -> int | None:
        value = table[key + name]
        return int(value) if value.isdigit() else None

    return {
        prefix + "resolution": f"{table[key + 'Width']}x{table[key + 'Height']}",
        prefix + "codec": table[key + "Compression"],
        prefix + "fps": number("FPS"),
        prefix + "gop": number("GOP"),
        prefix + "bitrate_kbps": number("BitRate"),
        prefix + RATE_CONTROL: table.get(key + "BitRateControl"),
    }


def _general_keys(_label: str, values: dict[str, Any]) -> dict[str, str]:
    return {"General.MachineName": values["hostname"]}


def _ntp_keys(label: str, values: dict[str, Any]) -> dict[str, str]:
    keys: dict[str, str] = {}
    if "ntp" in values:
        servers = values["ntp"] or []
        if len(servers) > 1:
            raise DeviceError(
                _("{label}: a Dahua camera holds one NTP server, not {servers}").format(
                    label=label, servers=servers
                )
            )
        keys["NTP.Enable"] = "true" if servers else "false"
        if servers:
            keys["NTP.Address"] = servers[0]
    if "clock.source" in values:
        keys["NTP.Enable"] = "true" if values["clock.source"] == "NTP" else "false"
    if tz := values.get("clock.timezone"):
        keys["NTP.TimeZone"] = str(zone_index(tz))
        keys["NTP.TimeZoneDesc"] = tz
    return keys


def _encode_keys(_label: str, values: dict[str, Any]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for setting, value in values.items():
        prefix = SUB_ENCODER if setting.startswith(SUB_ENCODER) else MAIN_ENCODER
        name, stream = setting.removeprefix(prefix), STREAM_KEYS[prefix]
        if name == "resolution":
            keys[stream + "Width"], keys[stream + "Height"] = value.split("x")
        else:
            keys[stream + _ENCODER_KEYS[name]] = str(value)
    return keys


def _osd_keys(_label: str, values: dict[str, Any]) -> dict[str, str]:
    text = values["osd"]
    if text is None:
        return {TITLE_SHOWN: "false"}
    return {TITLE: text, TITLE_SHOWN: "true"}


_KEYS_OF = {
    "General": _general_keys,
    "NTP": _ntp_keys,
    "Encode": _encode_keys,
    "ChannelTitle": _osd_keys,
}
