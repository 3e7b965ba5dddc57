"""GB/T 28181 access on a Dahua camera over its CGI API: the `gb28181.*` settings
(templates/gb28181_settings.py) read from and written into the `VSP_GAYS` table.

    gb28181.enabled               VSP_GAYS.Enable
    gb28181.server_id, domain     VSP_GAYS.SipSvrId, Domain
    gb28181.server_address, port  VSP_GAYS.SipSvrIp, SipSvrPort
    gb28181.device_id             VSP_GAYS.DeviceId
    gb28181.password              VSP_GAYS.Password (write-only)
    gb28181.register_expiry_s     VSP_GAYS.SipRegExpires
    gb28181.heartbeat_s           VSP_GAYS.KeepAliveCircle
    gb28181.heartbeat_max_missed  VSP_GAYS.MaxTimeoutTimes
    gb28181.channels              VSP_GAYS.ChannelSum, ChannelInfo[0].Id (one video channel)

`VSP_GAYS` is Dahua's name for its GB/T 28181 platform-access config (NetSDK:
`CFG_CMD_VSP_GAYS "VSP_GAYS"` for `CFG_VSP_GAYS_INFO`, whose members bEnable, szSipSvrId,
szDomain, szSipSvrIp, szDeviceId, szPassword, nSipSvrPort, nSipRegExpires, nKeepAliveCircle,
nMaxTimeoutTimes, nChannelSum and stuChannelInfo[].szId these keys are, without their type
prefixes, as the CGI names every other table's members; that mapping is by analogy and not
confirmed from a CGI document: a firmware that names them otherwise refuses the setConfig,
which apply reports). The structure has no transport or edition member: a Dahua camera
registers over UDP as GB/T 28181-2016, which read reports and apply refuses to change.

The password cannot be read back (the camera shows it masked): while access is enabled the
camera holds one, shown as the inventory's reference, as for Hikvision (drivers/isapi_sip.py);
a password changed behind provision's back is seen by verify (the platform refuses it). Every
write of the table carries the password, resolved by the caller, so it is never enabled
without one. The query string carrying it never reaches an error or a log
(drivers/dahua_session.py).
"""

from __future__ import annotations

from typing import Any

from provision.errors import DeviceError
from provision.i18n import _

PREFIX = "gb28181."
TABLE = "VSP_GAYS"
CHANNELS = PREFIX + "channels"
PASSWORD = PREFIX + "password"
# What the camera does without a setting for it (no member in CFG_VSP_GAYS_INFO).
FIXED = {PREFIX + "transport": "UDP", PREFIX + "edition": "2016"}
# setting (bare) → (key in VSP_GAYS, from the camera's text)
_FIELDS: dict[str, tuple[str, Any]] = {
    "enabled": ("Enable", lambda t: t == "true"),
    "server_id": ("SipSvrId", str),
    "domain": ("Domain", str),
    "server_address": ("SipSvrIp", str),
    "server_port": ("SipSvrPort", int),
    "device_id": ("DeviceId", str),
    "register_expiry_s": ("SipRegExpires", int),
    "heartbeat_s": ("KeepAliveCircle", int),
    "heartbeat_max_missed": ("MaxTimeoutTimes", int),
}
KEYS = (*(f"{TABLE}.{key}" for key, _ in _FIELDS.values()), f"{TABLE}.ChannelSum")
_NUMBERS = ("server_port", "register_expiry_s", "heartbeat_s", "heartbeat_max_missed")


def is_sip_setting(setting: str) -> bool:
    name = setting.removeprefix(PREFIX)
    return setting.startswith(PREFIX) and (
        name in _FIELDS or setting in (CHANNELS, PASSWORD) or setting in FIXED
    )


def read_settings(table: dict[str, str], wanted_password: Any) -> dict[str, Any]:
    """The camera's gb28181.* settings from its VSP_GAYS table."""
    out: dict[str, Any] = {}
    for name, (key, parse) in _FIELDS.items():
        raw = table.get(f"{TABLE}.{key}", "")
        try:
            out[PREFIX + name] = parse(raw) if raw != "" else None
        except ValueError:
            out[PREFIX + name] = raw  # shown as the camera has it; the diff rewrites it
    out.update(FIXED)
    enabled = out[PREFIX + "enabled"] is True
    out[PASSWORD] = wanted_password if enabled else None  # write-only: see the docstring
    count = int(table.get(f"{TABLE}.ChannelSum", "0") or 0)
    ids = [table.get(f"{TABLE}.ChannelInfo[{i}].Id", "") for i in range(count)]
    out[CHANNELS] = [c for c in ids if c] or None
    return out


def check_value(label: str, setting: str, value: Any) -> None:
    """Refuse, before any request, a value the camera cannot hold."""
    name = setting.removeprefix(PREFIX)
    problem = ""
    if setting in FIXED and value not in (None, FIXED[setting]):
        problem = _("a Dahua camera's {table} table has no such setting: it uses {fixed}").format(
            table=TABLE, fixed=FIXED[setting]
        )
    elif setting == CHANNELS and value is not None:
        if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
            problem = _("not a list of channel IDs")
        elif len(value) > 1:
            problem = _("the camera has one video channel: give it one channel ID")
    elif name in _NUMBERS and value is not None and not _is_int(value):
        problem = _("not a number")
    if problem:
        raise DeviceError(
            _("{label}: cannot apply {setting} = {value!r}: {problem}").format(
                label=label, setting=setting, value=value, problem=problem
            )
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def keys_for(values: dict[str, Any], password: str) -> dict[str, str]:
    """The setConfig keys for `values` (gb28181.* → wanted), always with the password."""
    keys: dict[str, str] = {}
    for setting, value in values.items():
        name = setting.removeprefix(PREFIX)
        if name in _FIELDS:
            key, parse = _FIELDS[name]
            if name == "enabled":
                keys[f"{TABLE}.{key}"] = "true" if value else "false"
            elif value is not None:
                keys[f"{TABLE}.{key}"] = str(value)
            elif parse is str:  # a blank field reads as None (a rollback to factory): blank it
                keys[f"{TABLE}.{key}"] = ""
        elif setting == CHANNELS:
            channels = list(value or ())
            keys[f"{TABLE}.ChannelSum"] = str(len(channels))
            if channels:
                keys[f"{TABLE}.ChannelInfo[0].Id"] = channels[0]
    keys[f"{TABLE}.Password"] = password
    return keys
