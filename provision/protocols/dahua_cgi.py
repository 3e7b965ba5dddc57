"""The wire forms of Dahua's CGI HTTP API, shared by the Dahua driver and the lab's camera.

From "Dahua HTTP API for IPC" V1.67 (2016): answers are text lines ending in CRLF; a config
read answers `table.<key>=<value>` per key (configManager.cgi), a magicBox read one
`<name>=<value>` line, a write `OK`; a refused request answers `Error` with a reason line
(`Error\r\nBad Request!\r\n` with HTTP 400, as current IPC firmware answers it).
`NTP.TimeZone` is an index into the zone table below (13 is GMT+08:00, Beijing).
"""

from __future__ import annotations

import re

ERROR_BODY = "Error\r\nBad Request!\r\n"
OK_BODY = "OK\r\n"
# Dahua's TimeZone index → offset east of GMT in minutes.
TIME_ZONES = (
    0, 60, 120, 180, 210, 240, 270, 300, 330, 345, 360, 390, 420, 480, 540, 570, 600, 660,
    720, 780, -60, -120, -180, -210, -240, -300, -360, -420, -480, -540, -600, -660, -720,
)  # fmt: skip
_POSIX_TZ = re.compile(r"([A-Za-z]{3,}|<[^>]+>)([+-]?)(\d{1,2})(?::(\d{2}))?")


class AnswerError(ValueError):
    """An answer that is not the form the request asks for (garbled or truncated)."""


def lines(body: str) -> list[str]:
    return [line for line in body.replace("\r\n", "\n").split("\n") if line]


def is_error(body: str) -> bool:
    return body.lstrip().startswith("Error")


def error_reason(body: str) -> str:
    """The camera's words after `Error`, e.g. "Bad Request!" (empty when it gave none)."""
    return " ".join(lines(body)[1:]).strip()


def parse_table(body: str, prefix: str = "table.") -> dict[str, str]:
    """`table.K=V` lines → {K: V}; a line of another form is an AnswerError naming it."""
    table: dict[str, str] = {}
    for number, line in enumerate(lines(body), 1):
        key, sep, value = line.partition("=")
        if not sep or not key.startswith(prefix):
            raise AnswerError(f"line {number} is not {prefix}<key>=<value>: {line[:60]!r}")
        table[key.removeprefix(prefix)] = value
    return table


def format_table(pairs: list[tuple[str, str]], prefix: str = "table.") -> str:
    return "".join(f"{prefix}{key}={value}\r\n" for key, value in pairs)


def zone_index(posix_tz: str) -> int | None:
    """The Dahua TimeZone index of a POSIX TZ without DST rules ("CST-8" → 13), or None."""
    offset = posix_offset_minutes(posix_tz)
    return TIME_ZONES.index(offset) if offset in TIME_ZONES else None


def posix_offset_minutes(posix_tz: str) -> int | None:
    """Minutes east of GMT of a POSIX TZ such as "CST-8" or "IST-5:30" (POSIX counts west)."""
    match = _POSIX_TZ.fullmatch(posix_tz.strip())
    if match is None:
        return None
    minutes = int(match.group(3)) * 60 + int(match.group(4) or 0)
    return minutes if match.group(2) == "-" else -minutes


def zone_offset(index: str) -> int | None:
    """Minutes east of GMT of a TimeZone index as the camera answers it, None if not one."""
    if not index.isdigit() or int(index) >= len(TIME_ZONES):
        return None
    return TIME_ZONES[int(index)]


def posix_of_offset(minutes: int) -> str:
    """A POSIX TZ for an offset the camera holds without a name: "UTC-8", "UTC-5:30"."""
    sign = "-" if minutes > 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign if minutes else ''}{hours}" + (f":{rest:02d}" if rest else "")
