"""The raw-HTTP floor for ISAPI cameras (used by bench/apply.py): the same resources the driver
reads and writes, with no HTTP library and no XML tree for writes: one socket per camera,
Digest computed by hand from the first challenge, documents written from string templates,
lxml only to read answers. What any ISAPI client must at least do.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from provision.drivers.base import Change, Settings

NS = "{http://www.hikvision.com/ver20/XMLSchema}"
_PARAM = re.compile(r'(\w+)="([^"]*)"')
LEVELS = {"Viewer": "User"}  # the device's level → the vocabulary's


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # Digest (RFC 7616) is defined over MD5


class RawIsapi:
    def __init__(self, address: tuple[str, int], user: str, password: str) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.user, self.password, self.calls, self.nc = user, password, 0, 0
        self.realm = self.nonce = ""

    def _send(self, method: str, path: str, body: bytes) -> tuple[int, bytes, bytes]:
        auth = ""
        if self.nonce:
            self.nc += 1
            cnonce, nc = os.urandom(8).hex(), f"{self.nc:08x}"
            ha1 = _md5(f"{self.user}:{self.realm}:{self.password}")
            ha2 = _md5(f"{method}:{path}")
            response = _md5(f"{ha1}:{self.nonce}:{nc}:{cnonce}:auth:{ha2}")
            auth = (
                f'Authorization: Digest username="{self.user}", realm="{self.realm}", '
                f'nonce="{self.nonce}", uri="{path}", response="{response}", qop=auth, '
                f'nc={nc}, cnonce="{cnonce}"\r\n'
            )
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: camera\r\n{auth}Content-Type: application/xml"
            f"\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self.sock.recv(65536)
        head_bytes, _, rest = buf.partition(b"\r\n\r\n")
        length = int(head_bytes.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.calls += 1
        return int(head_bytes.split(b" ", 2)[1]), head_bytes, rest

    def call(self, method: str, path: str, body: bytes = b"") -> etree._Element:
        status, head, answer = self._send(method, path, body)
        if status == 401:  # first contact (or a stale nonce): take the challenge, retry once
            challenge = dict(_PARAM.findall(head.decode("latin-1")))
            self.realm, self.nonce, self.nc = challenge["realm"], challenge["nonce"], 0
            status, head, answer = self._send(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {answer[:200]!r}")
        return etree.fromstring(answer)


def floor_read(raw: RawIsapi) -> tuple[Settings, dict[str, Any]]:
    info = raw.call("GET", "/ISAPI/System/deviceInfo")
    clock = raw.call("GET", "/ISAPI/System/time")
    ntp = raw.call("GET", "/ISAPI/System/time/ntpServers")
    channel = raw.call("GET", "/ISAPI/Streaming/channels/101")
    overlays = raw.call("GET", "/ISAPI/System/Video/inputs/channels/1/overlays")
    users = raw.call("GET", "/ISAPI/Security/users")
    video = channel.find(f"{NS}Video")
    assert video is not None
    zone = clock.findtext(f"{NS}timeZone") or ""
    vbr = video.findtext(f"{NS}videoQualityControlType") == "VBR"
    texts = [
        o.findtext(f"{NS}displayText")
        for o in overlays.iter(f"{NS}TextOverlay")
        if o.findtext(f"{NS}enabled") == "true"
    ]
    settings: Settings = {
        "hostname": info.findtext(f"{NS}deviceName"),
        "ntp": [s.findtext(f"{NS}ipAddress") for s in ntp.iter(f"{NS}NTPServer")],
        "clock.source": {"NTP": "NTP", "manual": "Manual"}[clock.findtext(f"{NS}timeMode") or ""],
        "clock.timezone": zone.removesuffix(":00:00"),
        "encoder.main.resolution": f"{video.findtext(f'{NS}videoResolutionWidth')}x"
        f"{video.findtext(f'{NS}videoResolutionHeight')}",
        "encoder.main.codec": video.findtext(f"{NS}videoCodecType"),
        "encoder.main.fps": int(video.findtext(f"{NS}maxFrameRate") or 0) // 100,
        "encoder.main.gop": int(video.findtext(f"{NS}GovLength") or 0),
        "encoder.main.bitrate_kbps": int(
            video.findtext(f"{NS}vbrUpperCap" if vbr else f"{NS}constantBitRate") or 0
        ),
        "osd": texts[0] if texts else None,
    }
    ids = {}
    for user in users.iter(f"{NS}User"):
        name = user.findtext(f"{NS}userName") or ""
        level = user.findtext(f"{NS}userLevel") or ""
        settings[f"users.{name}"] = {"level": LEVELS.get(level, level)}
        ids[name] = user.findtext(f"{NS}id")
    return settings, {"ids": ids, "info": info}


def floor_apply(
    raw: RawIsapi, changes: list[Change], want: Settings, state: dict[str, Any], pw: dict[str, str]
) -> None:
    """One hand-written PUT per changed resource, documents from templates."""
    changed = {c.setting for c in changes}
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<{0} xmlns="http://www.hikvision.com/ver20/XMLSchema">{1}</{0}>'
    )
    if "hostname" in changed:
        info = etree.tostring(state["info"]).decode()
        info = re.sub(
            r"<deviceName>[^<]*</deviceName>",
            f"<deviceName>{escape(want['hostname'])}</deviceName>",
            info,
        )
        raw.call("PUT", "/ISAPI/System/deviceInfo", info.encode())
    if "ntp" in changed:
        servers = "".join(
            f"<NTPServer><id>{i}</id><addressingFormatType>ipaddress</addressingFormatType>"
            f"<ipAddress>{a}</ipAddress><portNo>123</portNo></NTPServer>"
            for i, a in enumerate(want["ntp"], start=1)
        )
        raw.call(
            "PUT", "/ISAPI/System/time/ntpServers", doc.format("NTPServerList", servers).encode()
        )
    if changed & {"clock.source", "clock.timezone"}:
        zone = want["clock.timezone"] + ":00:00"
        body = f"<timeMode>NTP</timeMode><timeZone>{zone}</timeZone>"
        raw.call("PUT", "/ISAPI/System/time", doc.format("Time", body).encode())
    if any(k.startswith("encoder.") for k in changed):
        width, height = want["encoder.main.resolution"].split("x")
        rate = want["encoder.main.bitrate_kbps"]
        video = (
            f"<Video><videoCodecType>{want['encoder.main.codec']}</videoCodecType>"
            f"<videoResolutionWidth>{width}</videoResolutionWidth><videoResolutionHeight>"
            f"{height}</videoResolutionHeight><constantBitRate>{rate}</constantBitRate>"
            f"<vbrUpperCap>{rate}</vbrUpperCap><maxFrameRate>{want['encoder.main.fps'] * 100}"
            f"</maxFrameRate><GovLength>{want['encoder.main.gop']}</GovLength></Video>"
        )
        body = f"<id>101</id>{video}"
        raw.call(
            "PUT", "/ISAPI/Streaming/channels/101", doc.format("StreamingChannel", body).encode()
        )
    if "osd" in changed:
        text = (
            "<TextOverlayList><TextOverlay><id>1</id><enabled>true</enabled><positionX>0"
            f"</positionX><positionY>544</positionY><displayText>{escape(want['osd'])}"
            "</displayText></TextOverlay></TextOverlayList>"
        )
        raw.call(
            "PUT",
            "/ISAPI/System/Video/inputs/channels/1/overlays",
            doc.format("VideoOverlay", text).encode(),
        )
    for setting in sorted(k for k in changed if k.startswith("users.")):
        name = setting.removeprefix("users.")
        level = {"Operator": "Operator", "User": "Viewer"}[want[setting]["level"]]
        body = f"<userName>{name}</userName><password>{pw[name]}</password>"
        body += f"<userLevel>{level}</userLevel>"
        raw.call("POST", "/ISAPI/Security/users", doc.format("User", body).encode())
