"""GB/T 28181 access on a simulated Dahua camera: the `VSP_GAYS` configuration table.

Dahua names its GB/T 28181 "platform access" config `VSP_GAYS` (公安一所平台接入, the access
scheme of the Ministry of Public Security's First Research Institute): Dahua's NetSDK
declares `CFG_CMD_VSP_GAYS "VSP_GAYS"` for `CFG_VSP_GAYS_INFO` (dhconfigsdk.h; its Java
binding `CFG_VSP_GAYS_INFO.java`, found with the code search), whose members are bEnable,
szSipSvrId, szDomain, szSipSvrIp, szDeviceId, szPassword (held as ciphertext), nLocalSipPort,
nSipSvrPort, nSipRegExpires, nKeepAliveCircle, nMaxTimeoutTimes, szCivilCode,
szIntervideoID, nChannelSum, nAlarmInSum and stuChannelInfo[]/stuAlarmInfo[] {szId,
nAlarmLevel}. `configManager.cgi` carries the same table as flat keys; the key names here
are the members without their type prefixes (`VSP_GAYS.SipSvrId`, `VSP_GAYS.ChannelInfo[0].Id`),
as the CGI names the members of every other table (NTP's bEnable/szAddress are `NTP.Enable`/
`NTP.Address`). That mapping is by analogy, not confirmed from a CGI document.

The structure has no transport or protocol-edition member: the camera registers over UDP as
GB/T 28181-2016 (the lab agent does the same). One video channel, ChannelInfo[0]: the
camera's. The password is write-only here: getConfig shows it masked (the SDK says the
device keeps it enciphered). Ranges are the lab's (the SDK gives none): expiry 60-86400 s,
heartbeat 1-3600 s, 1-255 missed heartbeats. Enabling access without a server address or a
password is refused, as the Hikvision lab camera refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[str], bool]
TABLE = "VSP_GAYS"
PASSWORD = f"{TABLE}.Password"
MASKED = "******"
_HOST = re.compile(r"[A-Za-z0-9.-]{0,253}")


def _digits(n: int) -> Check:
    return lambda v: v.isdigit() and len(v) == n


def _integer(low: int, high: int) -> Check:
    return lambda v: v.isdigit() and low <= int(v) <= high


def _password(v: str) -> bool:
    return len(v.encode()) <= 32 and not any(c < " " or c == "&" for c in v)


def vsp_gays_tables() -> dict[str, tuple[str, Check]]:
    """key → (factory value, check): access off, Dahua's sample IDs (area 3402)."""
    return {
        f"{TABLE}.Enable": ("false", lambda v: v in ("true", "false")),
        f"{TABLE}.SipSvrId": ("34020000002000000001", _digits(20)),
        f"{TABLE}.Domain": ("3402000000", _digits(10)),
        f"{TABLE}.SipSvrIp": ("", lambda v: _HOST.fullmatch(v) is not None),
        f"{TABLE}.SipSvrPort": ("5060", _integer(1, 65535)),
        f"{TABLE}.DeviceId": ("34020000001320000001", _digits(20)),
        PASSWORD: ("", _password),
        f"{TABLE}.LocalSipPort": ("5060", _integer(1, 65535)),
        f"{TABLE}.SipRegExpires": ("3600", _integer(60, 86400)),
        f"{TABLE}.KeepAliveCircle": ("60", _integer(1, 3600)),
        f"{TABLE}.MaxTimeoutTimes": ("3", _integer(1, 255)),
        f"{TABLE}.CivilCode": ("340200", lambda v: v == "" or v.isdigit()),
        f"{TABLE}.ChannelSum": ("1", _integer(0, 1)),
        f"{TABLE}.ChannelInfo[0].Id": ("34020000001310000001", _digits(20)),
    }


def access_problem(values: dict[str, str]) -> str | None:
    """Why the camera refuses these table values as a whole (None: it takes them)."""
    if values[f"{TABLE}.Enable"] != "true":
        return None
    if not values[f"{TABLE}.SipSvrIp"] or not values[PASSWORD]:
        return "VSP_GAYS: SipSvrIp and Password are required when enabled"
    return None


def agent_settings(values: dict[str, str]) -> dict[str, Any] | None:
    """The lab agent's settings (bare names) for what the camera holds; None when off. The
    server address and port are the table's, as written: the caller maps them to the lab's."""
    if values[f"{TABLE}.Enable"] != "true":
        return None
    channels = int(values[f"{TABLE}.ChannelSum"])
    return {
        "enabled": True,
        "server_id": values[f"{TABLE}.SipSvrId"],
        "domain": values[f"{TABLE}.Domain"],
        "server_address": values[f"{TABLE}.SipSvrIp"],
        "server_port": int(values[f"{TABLE}.SipSvrPort"]),
        "transport": "UDP",
        "edition": "2016",
        "device_id": values[f"{TABLE}.DeviceId"],
        "channels": tuple(values[f"{TABLE}.ChannelInfo[{i}].Id"] for i in range(channels)),
        "password": values[PASSWORD],
        "register_expiry_s": int(values[f"{TABLE}.SipRegExpires"]),
        "heartbeat_s": int(values[f"{TABLE}.KeepAliveCircle"]),
        "heartbeat_max_missed": int(values[f"{TABLE}.MaxTimeoutTimes"]),
    }
