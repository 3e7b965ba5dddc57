"""A Dahua camera's configuration tables, as `configManager.cgi` reads and writes them.

Dahua keeps its settings in named tables ("General", "NTP", "Encode", "ChannelTitle",
"VideoWidget", "RTSP", ...) addressed by flat keys such as `Encode[0].MainFormat[0].Video.FPS`.
`getConfig&name=X` answers every key under X as `table.<key>=<value>` lines (CRLF), X being a
table or any prefix of a key that ends at a `.` or `]`; `setConfig&<key>=<value>&...` answers
`OK`, or `Error` when a key is unknown or a value out of range. Table and field names, value
forms and ranges follow "Dahua HTTP API for IPC" V1.67 (2016), its General, NTP, Encode,
ChannelTitle, VideoWidget and RTSP configuration chapters, and what live cameras answer as
quoted by their clients (amcrest; DahuaBridge's and mockvision's Dahua tests): MainFormat[0]
is the main stream and ExtraFormat[0] the sub stream; `NTP.TimeZone` is an index into Dahua's
zone table (13 = GMT+08:00, Beijing); `RTSP.Port` is where amcrest builds stream URLs to (the
lab answers its real port and does not move the listener on a write). A setConfig with one
bad key changes nothing here (atomic): the document does not say what a camera keeps of the
good keys of a refused request, so the lab keeps none rather than guess.

The tables hold what a DH-IPC-HFW2441S (4 MP) offers for these settings, and its GB/T 28181
access table VSP_GAYS (lab/dahua_gb28181.py); other tables a real camera has (VideoColor,
MotionDetect, ...) are not simulated and answer `Error`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from provision.lab.dahua_gb28181 import access_problem, vsp_gays_tables
from provision.protocols.dahua_cgi import TIME_ZONES

Check = Callable[[str], bool]

# Resolutions the main and sub streams of a 4 MP Dahua IPC accept.
MAIN_RESOLUTIONS_4MP = ("2688x1520", "2560x1440", "2304x1296", "1920x1080", "1280x720")
SUB_RESOLUTIONS = ("704x576", "640x480", "352x288")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}")


def _integer(low: int, high: int) -> Check:
    return lambda v: v.isdigit() and low <= int(v) <= high


def _choice(*values: str) -> Check:
    return lambda v: v in values


def _text(max_bytes: int) -> Check:
    # Control characters and '&' would break the key=value wire form, so the camera refuses them.
    return lambda v: len(v.encode()) <= max_bytes and not any(c < " " or c == "&" for c in v)


_BOOL = _choice("true", "false")
_STREAM = {
    "VideoEnable": ("true", _BOOL),
    "AudioEnable": ("false", _BOOL),
    "Video.Compression": ("H.264", _choice("H.264", "H.265")),
    "Video.Width": ("1920", _integer(176, 3840)),
    "Video.Height": ("1080", _integer(144, 2160)),
    "Video.FPS": ("25", _integer(1, 25)),
    "Video.GOP": ("50", _integer(1, 150)),
    "Video.BitRate": ("4096", _integer(32, 10240)),
    "Video.BitRateControl": ("CBR", _choice("CBR", "VBR")),
    "Video.Quality": ("4", _integer(1, 6)),
    "Video.Profile": ("Main", _choice("Baseline", "Main", "High")),
    "Video.Pack": ("DHAV", _choice("DHAV", "PS")),
}
_SUB_DEFAULTS = {"Video.Width": "704", "Video.Height": "576", "Video.BitRate": "512"}


def factory_tables(machine_name: str) -> dict[str, tuple[str, Check]]:
    """key → (factory value, check) for every key the lab camera holds."""
    tables: dict[str, tuple[str, Check]] = {
        "General.MachineName": (machine_name, _text(63)),
        "General.LocalNo": ("8", _integer(0, 998)),
        "General.LockLoginEnable": ("true", _BOOL),
        "General.LockLoginTimes": ("5", _integer(1, 10)),
        "General.LoginFailLockTime": ("1800", _integer(60, 3600)),
        "Locales.DSTEnable": ("false", _BOOL),
        "Locales.TimeFormat": ("yyyy-MM-dd HH:mm:ss", _text(31)),
        "NTP.Enable": ("false", _BOOL),
        "NTP.Address": ("clock.isc.org", lambda v: _HOST.fullmatch(v) is not None),
        "NTP.Port": ("123", _integer(1, 65535)),
        "NTP.TimeZone": ("0", _integer(0, len(TIME_ZONES) - 1)),
        "NTP.TimeZoneDesc": ("London", _text(63)),
        "NTP.UpdatePeriod": ("10", _integer(1, 65535)),
        "RTSP.Enable": ("true", _BOOL),
        "RTSP.Port": ("554", _integer(1, 65535)),  # the lab answers where it listens
        "ChannelTitle[0].Name": ("IPC", _text(63)),
        "VideoWidget[0].ChannelTitle.EncodeBlend": ("true", _BOOL),
        "VideoWidget[0].ChannelTitle.PreviewBlend": ("true", _BOOL),
        "VideoWidget[0].TimeTitle.EncodeBlend": ("true", _BOOL),
    }
    for stream, defaults in (("MainFormat", {}), ("ExtraFormat", _SUB_DEFAULTS)):
        for name, (value, check) in _STREAM.items():
            tables[f"Encode[0].{stream}[0].{name}"] = (defaults.get(name, value), check)
    tables.update(vsp_gays_tables())
    return tables


class ConfigTables:
    """The tables of one camera: getConfig and setConfig over flat keys."""

    def __init__(self, machine_name: str, main_resolutions: Iterable[str]) -> None:
        spec = factory_tables(machine_name)
        self.values = {key: value for key, (value, _check) in spec.items()}
        self._checks = {key: check for key, (_value, check) in spec.items()}
        self.resolutions = {
            "MainFormat": set(main_resolutions),
            "ExtraFormat": set(SUB_RESOLUTIONS),
        }

    def read(self, name: str) -> list[tuple[str, str]] | None:
        """Every (key, value) under `name` (a table or a key prefix); None if none is."""
        found = [
            (key, value)
            for key, value in self.values.items()
            if key == name or (name and key.startswith(name) and key[len(name)] in ".[")
        ]
        return found or None

    def problem(self, changes: dict[str, str]) -> str | None:
        """Why the camera would refuse these changes (None: it takes them)."""
        for key, value in changes.items():
            check = self._checks.get(key)
            if check is None:
                return f"no such key {key}"
            if not check(value):
                return f"{key}={value} is out of range"
        merged = {**self.values, **changes}
        for stream, allowed in self.resolutions.items():
            prefix = f"Encode[0].{stream}[0].Video."
            size = f"{merged[prefix + 'Width']}x{merged[prefix + 'Height']}"
            if size not in allowed:
                return f"{stream} does not support {size}"
        return access_problem(merged)

    def write(self, changes: dict[str, str]) -> str | None:
        """Apply all of `changes`, or none of them and say why."""
        problem = self.problem(changes)
        if problem is None:
            self.values.update(changes)
        return problem

    def tables_of(self, keys: Iterable[str]) -> set[str]:
        """The table names ("Encode", "NTP", ...) the keys belong to."""
        return {re.split(r"[.\[]", key, maxsplit=1)[0] for key in keys}
