"""The raw-HTTP floor for Dahua cameras (used by bench/apply.py): the same CGI requests the
driver sends ("Dahua HTTP API for IPC" V1.67: configManager getConfig/setConfig per table,
userManager getUserInfoAll/addUser), over one socket per camera, Digest computed by hand from
the first challenge, answers split into `key=value` lines by hand. What any Dahua client must
at least do. The settings are mapped with the driver's own pure helpers (the floor measures the
wire and the parsing, not a second copy of the vocabulary's mapping).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from typing import Any
from urllib.parse import quote, urlencode

from provision.drivers import camera_dahua as dahua
from provision.drivers.base import Change, Settings

_PARAM = re.compile(r'(\w+)="([^"]*)"')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # Digest (RFC 7616) as Dahua offers it


class RawDahua:
    def __init__(self, address: tuple[str, int], user: str, password: str) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.user, self.password, self.calls, self.nc = user, password, 0, 0
        self.realm = self.nonce = self.opaque = ""

    def _send(self, path: str) -> tuple[int, bytes, bytes]:
        auth = ""
        if self.nonce:
            self.nc += 1
            cnonce, nc = os.urandom(8).hex(), f"{self.nc:08x}"
            ha1 = _md5(f"{self.user}:{self.realm}:{self.password}")
            response = _md5(f"{ha1}:{self.nonce}:{nc}:{cnonce}:auth:{_md5(f'GET:{path}')}")
            auth = (
                f'Authorization: Digest username="{self.user}", realm="{self.realm}", '
                f'nonce="{self.nonce}", uri="{path}", response="{response}", qop=auth, '
                f'nc={nc}, cnonce="{cnonce}", opaque="{self.opaque}"\r\n'
            )
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: camera\r\n{auth}\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self.sock.recv(65536)
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.calls += 1
        return int(head.split(b" ", 2)[1]), head, rest

    def get(self, cgi: str, pairs: list[tuple[str, str]]) -> str:
        path = f"/cgi-bin/{cgi}?{urlencode(pairs, quote_via=quote)}"
        status, head, answer = self._send(path)
        if status == 401:  # first contact (or a stale nonce): take the challenge, retry once
            challenge = dict(_PARAM.findall(head.decode("latin-1")))
            self.realm, self.nonce, self.nc = challenge["realm"], challenge["nonce"], 0
            self.opaque = challenge.get("opaque", "")
            status, head, answer = self._send(path)
        text = answer.decode()
        if status != 200 or text.startswith("Error"):
            raise RuntimeError(f"{cgi}: HTTP {status}: {text[:200]!r}")
        return text

    def table(self, name: str) -> dict[str, str]:
        text = self.get("configManager.cgi", [("action", "getConfig"), ("name", name)])
        return dict(
            line.removeprefix("table.").split("=", 1) for line in text.splitlines() if "=" in line
        )


def floor_read(raw: RawDahua) -> tuple[Settings, dict[str, Any]]:
    general, ntp = raw.table("General"), raw.table("NTP")
    main, title = raw.table("Encode[0].MainFormat[0]"), raw.table("ChannelTitle")
    widget = raw.table("VideoWidget")
    users = raw.get("userManager.cgi", [("action", "getUserInfoAll")])
    enabled = ntp["NTP.Enable"] == "true"
    settings: Settings = {
        "hostname": general["General.MachineName"],
        "ntp": [ntp["NTP.Address"]] if enabled and ntp["NTP.Address"] else [],
        "clock.source": "NTP" if enabled else "Manual",
        "clock.timezone": dahua._timezone(ntp["NTP.TimeZone"], ntp.get("NTP.TimeZoneDesc", "")),
        **dahua._encoder_settings(dahua.MAIN_ENCODER, main),
        "osd": title[dahua.TITLE] if widget[dahua.TITLE_SHOWN] == "true" else None,
    }
    rows = dict(line.split("=", 1) for line in users.splitlines() if "=" in line)
    levels = {}
    for key, name in rows.items():
        head, _, field = key.partition("].")
        if field == "Name":
            group = rows.get(f"{head}].Group", "")
            rights = {v for k, v in rows.items() if k.startswith(f"{head}].AuthorityList[")}
            levels[name] = dahua._level(group, rights)
    settings.update({f"users.{name}": {"level": level} for name, level in levels.items()})
    return settings, {"levels": levels}


def floor_apply(
    raw: RawDahua, changes: list[Change], want: Settings, state: dict[str, Any], pw: dict[str, str]
) -> None:
    """One setConfig per changed table, then one addUser/modifyUser per account."""
    tables: dict[str, dict[str, Any]] = {}
    for change in changes:
        tables.setdefault(dahua._table_of(change.setting), {})[change.setting] = change.after
    for table, values in tables.items():
        if table == "users":
            continue
        keys = dahua._KEYS_OF[table]("floor", values)
        raw.get("configManager.cgi", [("action", "setConfig"), *keys.items()])
    for setting, value in tables.get("users", {}).items():
        name = setting.removeprefix("users.")
        group, rights = dahua.LEVEL_ACCOUNTS[value["level"]]
        listed = [(f"user.AuthorityList[{i}]", r) for i, r in enumerate(rights or ())]
        if name in state["levels"]:
            pairs = [("action", "modifyUser"), ("name", name), ("user.Group", group), *listed]
        else:
            account = [("user.Name", name), ("user.Password", pw[name])]
            pairs = [("action", "addUser"), *account, ("user.Group", group), *listed]
        raw.get("userManager.cgi", pairs)
