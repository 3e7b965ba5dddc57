"""The camera settings vocabulary: what the inventory wants a camera to hold, computed once.

Every camera protocol (ONVIF today; Hikvision ISAPI, Dahua tomorrow) reads and writes these
same flat settings (see drivers/base.py), mapping each to its own calls; `provision render`
prints them as they are. Names and values:

    hostname                   "dl-xg-k003-gate-face"          School.hostname(camera name)
    ntp                        ["10.0.0.2", "10.0.0.1"]        manual servers, DHCP off
    clock.source               "NTP" or "Manual"               NTP when the school names servers
    clock.timezone             "CST-8"                         POSIX TZ of the school's zone
    encoder.main.resolution    "2560x1440"                     the main stream's encoder,
    encoder.main.codec         "H.264", "H.265" or "MPEG-4"    as the inventory names codecs
    encoder.main.fps           25
    encoder.main.gop           50
    encoder.main.bitrate_kbps  2048
    encoder.main.rate_control  "CBR" or "VBR"                  only when the inventory sets it
    encoder.sub.*              the same six, for the sub stream   only when the inventory sets
                                                                  sub_video
    osd                        "大连市西岗区实验幼儿园"          the text overlay (None: none)
    users.<name>               {"level": "Operator"}           one per account on the camera

`clock.source` is wanted only when the school names NTP servers, since servers a camera does
not use keep nothing on time; the time zone carries no DST rules, as cameras take it. A
password cannot be read back from a camera, so accounts are compared by existence and level
only: the school's operator (level Operator) and auditor (User) are wanted, passwords coming
from the connector when a driver creates them.

Kept below the drivers (in the layers) so `render` can print what the drivers push.
"""

from __future__ import annotations

import re
from typing import Any

from provision.inventory.model import VIDEO_FIELDS, Camera, Credentials, School, Video
from provision.templates import safe_tojson, text_value, timezone_facts

MAIN_ENCODER = "encoder.main."
SUB_ENCODER = "encoder.sub."
ENCODER_FIELDS = VIDEO_FIELDS  # the main encoder's settings are the inventory's video fields
RATE_CONTROL = "rate_control"  # optional: wanted only where the inventory says
RATE_CONTROLS = ("CBR", "VBR")
USERS = "users."
LEVELS = ("Administrator", "Operator", "User")
CLOCK_SOURCES = ("NTP", "Manual")
_RESOLUTION = re.compile(r"([1-9][0-9]{1,4})x([1-9][0-9]{1,4})")


def posix_timezone(name: str) -> str:
    """The POSIX TZ of an IANA zone, e.g. Asia/Shanghai → CST-8 (POSIX counts hours west of
    UTC, so east is negative)."""
    facts = timezone_facts(name)
    abbrev = facts["abbrev"] if facts["abbrev"].isalpha() else "UTC"  # e.g. "+08": no name
    hours, minutes = (int(part) for part in facts["offset"].split(":")[:2])
    if hours == minutes == 0:
        return f"{abbrev}0"
    sign = "-" if facts["sign"] == "add" else ""
    return f"{abbrev}{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def managed_accounts(school: School) -> list[tuple[Credentials, str]]:
    """The camera accounts the school wants, with their levels (its admin logs in as
    `camera.credentials` and is not managed)."""
    wanted = ((school.operator, "Operator"), (school.auditor, "User"))
    return [(creds, level) for creds, level in wanted if creds is not None]


def camera_settings(school: School, camera: Camera) -> dict[str, Any]:
    """The settings the inventory wants `camera` to hold; pure, no I/O."""
    want: dict[str, Any] = {
        "hostname": school.hostname(camera.name),
        "ntp": list(school.ntp),
        "clock.timezone": posix_timezone(school.timezone),
        **encoder_settings(MAIN_ENCODER, camera.video),
        "osd": camera.osd or None,
    }
    if camera.sub_video is not None:
        want.update(encoder_settings(SUB_ENCODER, camera.sub_video))
    if school.ntp:
        want["clock.source"] = "NTP"
    for creds, level in managed_accounts(school):
        want[USERS + creds.username] = {"level": level}
    return want


def encoder_settings(prefix: str, video: Video) -> dict[str, Any]:
    """One encoder's settings: the five video fields, and rate control when it is set."""
    settings: dict[str, Any] = {prefix + name: value for name, value in video.settings().items()}
    if video.rate_control:
        settings[prefix + RATE_CONTROL] = video.rate_control
    return settings


def is_camera_setting(setting: str) -> bool:
    if setting in ("hostname", "ntp", "osd", "clock.source", "clock.timezone"):
        return True
    for prefix in (MAIN_ENCODER, SUB_ENCODER):
        if setting.startswith(prefix):
            return setting.removeprefix(prefix) in (*ENCODER_FIELDS, RATE_CONTROL)
    return setting.startswith(USERS) and len(setting) > len(USERS)


def is_valid_value(setting: str, value: Any) -> bool:
    """Whether a camera could take `value` for the camera setting `setting` (None: remove it,
    for the settings that can be absent)."""
    if setting.startswith(USERS):
        return value is None or (isinstance(value, dict) and value.get("level") in LEVELS)
    if setting == "ntp":
        return value is None or (isinstance(value, list) and all(isinstance(a, str) for a in value))
    if setting == "osd":
        return value is None or isinstance(value, str)
    if setting == "clock.source":
        return value in CLOCK_SOURCES
    field = setting.removeprefix(MAIN_ENCODER).removeprefix(SUB_ENCODER)
    if field == RATE_CONTROL:
        return value in RATE_CONTROLS
    if field == "resolution":
        return isinstance(value, str) and _RESOLUTION.fullmatch(value) is not None
    if field in ("fps", "gop", "bitrate_kbps"):
        return type(value) is int and value > 0
    return isinstance(value, str) and bool(value)  # hostname, clock.timezone, codec


def render_settings(school: School, camera: Camera, forward: dict[str, Any]) -> str:
    """The settings as YAML (each value JSON-quoted, refused if it holds a control character),
    then where the camera's feed is forwarded, which the streams driver configures."""
    lines = [
        f"# {text_value(school.id)}/{text_value(camera.name)} - desired camera settings, "
        "whichever protocol sets them",
        "# (accounts are compared by level: a password cannot be read back)",
        "settings:",
    ]
    settings = camera_settings(school, camera)
    lines += [f"  {safe_tojson(name)}: {safe_tojson(value)}" for name, value in settings.items()]
    lines.append("forward:")
    lines += [f"  {name}: {safe_tojson(value)}" for name, value in forward.items()]
    return "\n".join(lines) + "\n"
