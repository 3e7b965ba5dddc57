"""A simulated Dahua IP camera: the Dahua HTTP API (CGI, Digest auth), snapshots and RTSP.

Follows "Dahua HTTP API for IPC" V1.67 (2016; the API Dahua's IPC firmware 2.4xx-2.8xx and
Amcrest's rebadged cameras speak) as the PyPI client `amcrest` 1.9 uses it
(github.com/tchellomello/python-amcrest, src/amcrest/http.py, system.py, video.py,
user_management.py, snapshot.py), which `tests/interop/test_dahua_amcrest.py` drives:

    /cgi-bin/magicBox.cgi?action=getDeviceType|getSerialNo|getSoftwareVersion|...
                                              `type=...`, `sn=...`, `version=...,build:...`
    /cgi-bin/configManager.cgi?action=getConfig&name=X     `table.<key>=<value>` lines
    /cgi-bin/configManager.cgi?action=setConfig&K=V&...    `OK`
    /cgi-bin/userManager.cgi?action=...                    see lab/dahua_users.py
    /cgi-bin/global.cgi?action=getCurrentTime              `result=yyyy-MM-dd HH:mm:ss`
    /cgi-bin/snapshot.cgi[?channel=1]                      image/jpeg
    rtsp://host:554/cam/realmonitor?channel=1&subtype=0|1  main | sub stream

Every answer ends its lines with CRLF. A refused request (unknown action or table, a value out
of range, an account the request may not change) is `400 Bad Request` with the body
`Error\\r\\nBad Request!\\r\\n`; missing or wrong credentials are `401 Unauthorized` with a fresh
Digest challenge (lab/dahua_auth.py; the 401 body, "Error Invalid Authority!", is not
documented and no client reads it); a `user`-group account changing settings or accounts is
refused as a bad request (the document gives no separate answer for it). Account lockout
(lab/login_lock.py): after `General.LockLoginTimes` wrong passwords in a row (5) the account
is locked for `General.LoginFailLockTime` seconds (1800) while `General.LockLoginEnable` is
true, and every request as that account, even with the right password, is refused 401 with
the body `Error\r\nUser has been locked!\r\n`; the CGI document does not describe that
answer on the wire, so the lab says it in the words of the RPC login's error 268632081
("HasBeenLocked" in ItsNotGoodName/ipcmanview's pkg/dahuarpc). Faults: `auth_failure` refuses
every credential (not counted towards the lock); `soap_fault` lists what fails with `Error`
although well formed: Dahua table names ("Encode", "NTP", ...) or "userManager", or ONVIF
operation names standing for the same tables (so the fault matrix's camera write fault,
SetVideoEncoderConfiguration, fails a Dahua camera's Encode write too); `obstructed` greys the
snapshot; latency/timeout/refuse/dead act on the HTTP listener and rtsp_down/dead on RTSP (call
`sync_faults()` after flipping them).

RTSP: the shared `RtspServer` at `/cam/realmonitor?channel=1&subtype=0|1`, Digest with the
camera's own accounts; each subtype streams what its encoder (MainFormat / ExtraFormat) says,
and another channel or subtype is a 404, as on a one-channel camera.

GB/T 28181: the camera holds a lab `DeviceAgent` sharing its faults (so the sip_* faults act
on it). It starts at factory settings (VSP_GAYS disabled, agent idle); a setConfig that
changes what the agent would use (lab/dahua_gb28181.py) reconfigures it, in order
(gb28181/writes.py), the server routed as the lab's network routes it. getConfig shows
VSP_GAYS.Password masked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from provision.lab import netmap
from provision.lab.dahua_auth import DigestRealm, parse_digest
from provision.lab.dahua_config import MAIN_RESOLUTIONS_4MP, ConfigTables
from provision.lab.dahua_gb28181 import MASKED, PASSWORD, agent_settings
from provision.lab.dahua_users import GROUP_AUTHORITIES, UserError, UserTable
from provision.lab.digest import Challenge
from provision.lab.faults import Faults
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.writes import AgentWrites
from provision.lab.http import HttpServer, Request, Response
from provision.lab.login_lock import LoginLock
from provision.lab.media import ClipSource, encoded_clip
from provision.lab.rtsp_server import RtspServer, StreamSource
from provision.lab.snapshot import snapshot_jpeg
from provision.protocols.dahua_cgi import ERROR_BODY, format_table, zone_offset

REALMONITOR = "/cam/realmonitor"
FACTORY_USERS = {"admin": ("admin", "admin")}  # name → (password, group)
# ONVIF operation names a fault list may use, and the Dahua table each stands for.
_ONVIF_NAMES = {
    "SetHostname": "General",
    "SetNTP": "NTP",
    "SetSystemDateAndTime": "NTP",
    "SetVideoEncoderConfiguration": "Encode",
    "SetOSD": "ChannelTitle",
    "CreateOSD": "ChannelTitle",
    "CreateUsers": "userManager",
    "SetUser": "userManager",
    "DeleteUsers": "userManager",
}


def _lines(lines: list[str]) -> Response:
    return Response.text("".join(line + "\r\n" for line in lines))


def _refused() -> Response:
    return Response.text(ERROR_BODY, 400)


class DahuaCamera:
    """One simulated Dahua camera on `host`; `users` maps name → (password, group)."""

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        http_port: int = 80,
        rtsp_port: int = 554,
        model: str = "IPC-HFW2441S-S",
        firmware: str = "2.800.0000000.25.R",
        build: str = "2022-08-26",
        serial: str = "7L0A1B2PAG00001",
        users: dict[str, tuple[str, str]] | None = None,
        clock_offset_s: float = 0.0,
        main_resolutions: tuple[str, ...] = MAIN_RESOLUTIONS_4MP,
        sip_port: int | None = None,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.model, self.firmware, self.build, self.serial = model, firmware, build, serial
        self.clock_offset_s = clock_offset_s
        self.config = ConfigTables(serial, main_resolutions)  # an unnamed unit shows its serial
        self.users = UserTable(users or FACTORY_USERS)
        self.realm = DigestRealm(f"Login to {serial}")
        self.login_lock = LoginLock()  # by account, as Dahua's account lockout
        self._http = HttpServer(host, http_port, self._handle, faults)
        rtsp_auth = Challenge(self.realm.realm, self.users.passwords)
        self._rtsp = RtspServer(
            host,
            rtsp_port,
            faults,
            self.resolve_stream,
            server_name="Rtsp Server/3.0",
            auth=rtsp_auth,
        )
        sip_port = netmap.lab_port(5060) if sip_port is None else sip_port
        self.agent = DeviceAgent(name, host, faults=faults, sip_port=sip_port)
        self._sip_writes = AgentWrites(self.agent)
        self._cgi: dict[str, Callable[[Request, str], Response]] = {
            "/cgi-bin/magicBox.cgi": self._magic_box,
            "/cgi-bin/configManager.cgi": self._config_manager,
            "/cgi-bin/userManager.cgi": self._user_manager,
            "/cgi-bin/global.cgi": self._global,
            "/cgi-bin/snapshot.cgi": self._snapshot,
        }

    # --- lifecycle ----------------------------------------------------------------------------

    def resolve_stream(self, target: str) -> StreamSource | None:
        """/cam/realmonitor?channel=1&subtype=0|1 → what that stream's encoder sends now
        (MainFormat for subtype 0, ExtraFormat for 1): codec, size, frame rate, bitrate."""
        path, _, query = target.partition("?")
        if path != REALMONITOR:
            return None
        args = dict(part.partition("=")[::2] for part in query.split("&") if part)
        if args.get("channel", "1") != "1" or args.get("subtype", "0") not in ("0", "1"):
            return None
        stream = "ExtraFormat" if args.get("subtype") == "1" else "MainFormat"
        video = f"Encode[0].{stream}[0].Video."
        values = self.config.values
        clip = encoded_clip(
            values[video + "Compression"].replace(".", ""),
            int(values[video + "Width"]),
            int(values[video + "Height"]),
            float(values[video + "FPS"]),
            int(values[video + "BitRate"]),
        )
        return ClipSource(clip)

    async def start(self) -> None:
        await self._http.start()
        await self._rtsp.start()
        self.config.values["RTSP.Port"] = str(self._rtsp.port)
        await self.sync_faults()

    async def stop(self) -> None:
        await self._sip_writes.stop()
        await self._http.stop()
        await self._rtsp.stop()

    async def sync_faults(self) -> None:
        await self._http.sync_faults()
        await self._rtsp.sync_faults()
        await self.agent.sync_faults()

    async def sip_settled(self) -> None:
        """Return once every VSP_GAYS write so far has reached the agent (a lab hook for
        tests: a point to synchronise on instead of a sleep)."""
        await self._sip_writes.settled()

    def endpoints(self) -> dict[str, int]:
        return {"http": self._http.port, "rtsp": self._rtsp.port}

    def state(self) -> dict[str, Any]:
        users = {
            n: {"group": u.group, "authorities": u.authorities} for n, u in self.users.users.items()
        }
        return {
            "name": self.name,
            "host": self.host,
            "protocol": "dahua",
            "identity": {"model": self.model, "serial": self.serial, "firmware": self.firmware},
            "config": {k: MASKED if k == PASSWORD else v for k, v in self.config.values.items()},
            "gb28181": self.agent.state(),
            "users": users,
            "stream_uris": {
                s: f"{self._rtsp.url(REALMONITOR)}?channel=1&subtype={s}" for s in (0, 1)
            },
        }

    # --- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, req: Request) -> Response:
        handler = self._cgi.get(req.path)
        if handler is None or req.method not in ("GET", "POST"):
            return Response.text("404 Not Found", 404)
        header = req.headers.get("authorization", "")
        user, stale = self.realm.check(header, req.method, self.users.passwords())
        account = (parse_digest(header) or {}).get("username", "")
        if user is None or self.faults.auth_failure or self.login_lock.locked_for(account):
            return self._refuse(account, guessed=bool(header) and not stale, stale=stale)
        self.login_lock.succeeded(account)
        return handler(req, self.users.users[user].group)

    def _refuse(self, account: str, *, guessed: bool, stale: bool) -> Response:
        """401 with a fresh challenge; a wrong password counts towards the account's lock."""
        challenge = {
            "WWW-Authenticate": self.realm.challenge(stale and not self.faults.auth_failure)
        }
        general = self.config.values
        lock = self.login_lock
        lock.enabled = general["General.LockLoginEnable"] == "true"
        lock.lock_after = int(general["General.LockLoginTimes"])
        lock.lock_s = float(general["General.LoginFailLockTime"])
        if not lock.locked_for(account) and guessed and account and not self.faults.auth_failure:
            lock.failed(account)
        if lock.locked_for(account):
            return Response(401, b"Error\r\nUser has been locked!\r\n", "text/plain", challenge)
        return Response(401, b"Error\r\nInvalid Authority!\r\n", "text/plain", challenge)

    def _magic_box(self, req: Request, _group: str) -> Response:
        answers = {
            "getDeviceType": f"type={self.model}",
            "getSerialNo": f"sn={self.serial}",
            "getSoftwareVersion": f"version={self.firmware},build:{self.build}",
            "getHardwareVersion": "version=1.00",
            "getMachineName": f"name={self.config.values['General.MachineName']}",
            "getVendor": "vendor=Dahua",
            "getDeviceClass": "type=IPC",
            "getSystemInfo": f"deviceType={self.model}\r\nserialNumber={self.serial}",
        }
        answer = answers.get(req.query.get("action", ""))
        return _refused() if answer is None else _lines([answer])

    def _failing(self, tables: set[str]) -> bool:
        named = {_ONVIF_NAMES.get(n, n) for n in self.faults.soap_fault}
        return bool(named & tables)

    def _config_manager(self, req: Request, group: str) -> Response:
        action = req.query.get("action")
        if action == "getConfig":
            found = self.config.read(req.query.get("name", ""))
            if found is None:
                return _refused()
            shown = [(k, MASKED if k == PASSWORD and v else v) for k, v in found]
            return Response.text(format_table(shown))
        if action != "setConfig" or group != "admin":
            return _refused()
        changes = {k: v for k, v in req.query.items() if k != "action"}
        if not changes or self._failing(self.config.tables_of(changes)):
            return _refused()
        before = agent_settings(self.config.values)
        if self.config.write(changes):
            return _refused()
        after = agent_settings(self.config.values)
        if after != before:  # the camera answers, then re-registers with what it now holds
            self._sip_writes.written(after)
        return _lines(["OK"])

    def _user_manager(self, req: Request, group: str) -> Response:
        action, query = req.query.get("action", ""), req.query
        if "AuthUserMag" not in GROUP_AUTHORITIES[group]:
            return _refused()
        try:
            if action == "getUserInfoAll":
                return _lines(self.users.info_all())
            if action == "getUserInfo":
                return _lines(self.users.info(query.get("name", "")))
            changes: dict[str, Callable[[], None]] = {
                "addUser": lambda: self.users.add(query),
                "modifyUser": lambda: self.users.modify(query),
                "modifyPassword": lambda: self.users.modify_password(query),
                "deleteUser": lambda: self.users.delete(query.get("name", "")),
            }
            change = changes.get(action)
            if change is None or self._failing({"userManager"}):
                return _refused()
            change()
        except UserError:
            return _refused()
        return _lines(["OK"])

    def _global(self, req: Request, _group: str) -> Response:
        if req.query.get("action") != "getCurrentTime":
            return _refused()
        offset = zone_offset(self.config.values["NTP.TimeZone"]) or 0
        local = time.gmtime(time.time() + self.clock_offset_s + offset * 60)
        return _lines([time.strftime("result=%Y-%m-%d %H:%M:%S", local)])

    def _snapshot(self, req: Request, _group: str) -> Response:
        if req.query.get("channel", "1") != "1":
            return _refused()
        return Response(200, snapshot_jpeg(self.faults.obstructed), "image/jpeg")
