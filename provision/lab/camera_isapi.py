"""A simulated Hikvision IP camera: ISAPI over HTTP with Digest auth, snapshots and RTSP.

Follows Hikvision's ISAPI as its cameras serve it and third-party clients use it: the
resources and XML of the "ISAPI Core Protocol" / "IP Media Device Management Interface"
(deviceInfo, time, ntpServers, Streaming/channels, overlays, Security/users), the wire
behaviour recorded from a real camera in hikvisionapi's test cassettes (MissiaL/
hikvision-client, tests/fixtures/cassettes/test_auth_firmware_v5_5: Basic refused with 401
and `WWW-Authenticate: Digest qop="auth", realm="IP Camera(NNNNN)", nonce=..., stale="FALSE"`,
an HTML "Document Error: Unauthorized" body, `Server: App-webs/`), and `ResponseStatus`
for every other refusal (404 notSupport for an unknown resource, 403 lowPrivilege, 400
badXmlFormat / badParameters; see isapi_resources.py). Paths are case-insensitive, as on
the camera (`/ISAPI/System/deviceinfo` works).

RTSP is the lab's shared `RtspServer` at Hikvision's paths `/Streaming/Channels/101` (main)
and `/102` (sub), Digest with the camera's own accounts, each streaming what its channel's
encoder says (codec, size, frame rate, bitrate; lab/media.py); the snapshot is
`/ISAPI/Streaming/channels/101/picture`. Faults: auth_failure refuses every credential,
api_error lists resource paths ("/ISAPI/Security/users", any method) or requests
("POST /ISAPI/Security/users") that answer statusCode 3 Device Error, obstructed greys the
snapshot, latency/timeout/refuse/dead act on the HTTP listener and rtsp_down/dead on RTSP
(call `sync_faults()` after flipping refuse/dead/rtsp_down).

Illegal login lock (lab/login_lock.py): a wrong Digest answer is refused 401 with Hikvision's
`userCheck` document saying how many tries are left; after 5 in a row from one address the
camera locks that address for 30 minutes and answers every request from it, even with the
right password, 401 with `lockStatus` lock and `unlockTime` in seconds. A first request
without credentials (the Digest handshake) or with Basic is no guess and keeps the HTML body
the hikvisionapi cassettes recorded. `/ISAPI/Security/illegalLoginLock` reads and sets
`enabled` and `maxIllegalLoginTimes`.

GB/T 28181: the camera holds a lab `DeviceAgent` sharing its faults (so the sip_* faults act
on it). It starts at factory settings (access off, agent idle); a write to
`/ISAPI/System/Network/SIP` or its SIPInfo that changes what the agent would use
reconfigures the agent, in order (gb28181/writes.py), the server routed as the lab's network
routes it.
"""

from __future__ import annotations

import zlib
from typing import Any

from provision.lab import netmap
from provision.lab.digest import Challenge
from provision.lab.faults import Faults
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.writes import AgentWrites
from provision.lab.http import HttpServer, Request, Response
from provision.lab.http_digest import DigestRealm
from provision.lab.isapi_resources import (
    NS,
    ROUTES,
    IsapiError,
    parse,
    permits,
    response_status,
)
from provision.lab.isapi_sip import SIP_ROUTES, agent_settings
from provision.lab.isapi_state import DeviceIdentity, IsapiState
from provision.lab.login_lock import LoginLock, user_check
from provision.lab.media import ClipSource, encoded_clip
from provision.lab.rtsp_server import RtspServer, StreamSource
from provision.lab.snapshot import snapshot_jpeg

SNAPSHOT_PATHS = ("/isapi/streaming/channels/101/picture", "/isapi/streaming/channels/1/picture")
_UNAUTHORIZED = (
    b"<!DOCTYPE html>\r\n<html><head><title>Document Error: Unauthorized</title></head>\r\n"
    b"<body><h2>Access Error: 401 -- Unauthorized</h2>\r\n<p>Authentication Error</p>\r\n"
    b"</body>\r\n</html>\r\n"
)
XML = "application/xml; charset=UTF-8"
LOGIN_LOCK_PATH = "/isapi/security/illegalloginlock"


class IsapiCamera:
    """One simulated Hikvision camera on `host` (usually its own 127.x.y.z address)."""

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        http_port: int = 8000,
        rtsp_port: int = 8554,
        model: str = "DS-2CD2T47G2-L",
        firmware: str = "V5.7.3 build 230512",
        serial: str | None = None,
        admin: tuple[str, str] = ("admin", "admin"),
        clock_offset_s: float = 0.0,
        sip_port: int | None = None,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        crc = zlib.crc32(name.encode())
        version, _, date = firmware.partition(" ")
        serial = serial or f"{model}20230512CCWR{crc:09d}"
        mac = ":".join(
            f"{b:02x}" for b in (0xBC, 0xAD, 0x28, crc >> 16 & 255, crc >> 8 & 255, crc & 255)
        )
        identity = DeviceIdentity(model, serial, version, date or "build 230512", mac)
        self.settings = IsapiState.factory(identity, admin[0], admin[1], clock_offset_s)
        self.realm = DigestRealm(f"IP Camera({crc % 100000:05d})")
        self.login_lock = LoginLock()  # by client address, as Hikvision's illegal login lock
        self._http = HttpServer(host, http_port, self._handle, faults)
        # RTSP takes the camera's own accounts by Digest, as the ONVIF lab camera's does.
        rtsp_auth = Challenge(self.realm.realm, self.settings.passwords)
        self._rtsp = RtspServer(
            host, rtsp_port, faults, self.resolve_stream, server_name=model, auth=rtsp_auth
        )
        sip_port = netmap.lab_port(5060) if sip_port is None else sip_port
        self.agent = DeviceAgent(name, host, faults=faults, sip_port=sip_port)
        self._sip_writes = AgentWrites(self.agent)

    def resolve_stream(self, target: str) -> StreamSource | None:
        """/Streaming/Channels/101 and 102 (any case) → what that channel's encoder sends now:
        its codec, size, frame rate and bitrate (lab/media.py)."""
        prefix = "/streaming/channels/"
        if not target.lower().startswith(prefix) or not target[len(prefix) :].isdigit():
            return None
        channel = self.settings.channels.get(int(target[len(prefix) :]))
        if channel is None:
            return None
        codec = channel.codec.replace(".", "")  # "H.265" → "H265"
        fps = channel.max_frame_rate / 100
        bitrate = (
            channel.constant_bitrate if channel.quality_control == "CBR" else channel.vbr_upper_cap
        )
        clip = encoded_clip(codec, channel.width, channel.height, fps, bitrate)
        return ClipSource(clip)

    # --- lifecycle (the lab's Simulator protocol) ---------------------------------------------

    async def start(self) -> None:
        await self._http.start()
        await self._rtsp.start()
        await self.sync_faults()

    async def stop(self) -> None:
        await self._sip_writes.stop()
        await self._http.stop()
        await self._rtsp.stop()

    async def sync_faults(self) -> None:
        await self._http.sync_faults()
        await self._rtsp.sync_faults()
        await self.agent.sync_faults()

    def endpoints(self) -> dict[str, int]:
        return {"http": self._http.port, "rtsp": self._rtsp.port}

    def state(self) -> dict[str, Any]:
        data = self.settings.as_dict()
        data.update(name=self.name, host=self.host, protocol="isapi")
        data["gb28181"] = self.agent.state()
        port = self._rtsp.port
        data["stream_uris"] = {
            "main": f"rtsp://{self.host}:{port}/Streaming/Channels/101",
            "sub": f"rtsp://{self.host}:{port}/Streaming/Channels/102",
        }
        return data

    # --- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, req: Request) -> Response:
        address = req.peer[0] if req.peer else ""
        user, stale = self.realm.check(
            req.method, req.headers.get("authorization"), self.settings.passwords()
        )
        if user is None or self.faults.auth_failure or self.login_lock.locked_for(address):
            return self._refuse(req, address, stale)
        self.login_lock.succeeded(address)
        if req.path.lower() == LOGIN_LOCK_PATH:
            if req.method != "GET" and self.settings.level_of(user) != "Administrator":
                denied = response_status(req.path, 4, "lowPrivilege", "Invalid Operation")
                return Response(403, denied, XML)
            return self._illegal_login_lock(req)
        if req.method == "GET" and req.path.lower() in SNAPSHOT_PATHS:
            return Response(200, snapshot_jpeg(self.faults.obstructed), "image/jpeg")
        self.settings.sip_registered = self.agent.registered_at is not None
        before = agent_settings(self.settings.sip)
        try:
            answer = self._resource(req, user)
        except IsapiError as err:
            return Response(
                err.http_status, response_status(req.path, err.code, err.sub, err.said), XML
            )
        after = agent_settings(self.settings.sip)
        if after != before:  # the camera answers, then re-registers with what it now holds
            self._sip_writes.written(after)
        return answer

    def _refuse(self, req: Request, address: str, stale: bool) -> Response:
        """401 with a fresh challenge: the handshake's HTML page, or `userCheck` for a wrong
        password (counted towards the lock) or a locked address."""
        challenge = {"WWW-Authenticate": self.realm.challenge(stale), "Server": "App-webs/"}
        locked = self.login_lock.locked_for(address)
        if locked:
            return Response(401, user_check(0, locked), XML, challenge)
        digest = req.headers.get("authorization", "").lower().startswith("digest")
        if stale or not digest:  # the handshake (or Basic, refused as such), not a guess
            return Response(401, _UNAUTHORIZED, "text/html", challenge)
        if self.faults.auth_failure:  # refused, but no guess to count
            left = self.login_lock.lock_after
        else:
            left, locked = self.login_lock.failed(address)
        return Response(401, user_check(left, locked), XML, challenge)

    def _illegal_login_lock(self, req: Request) -> Response:
        """GET/PUT /ISAPI/Security/illegalLoginLock: whether the lock is on, after how many."""
        lock = self.login_lock
        if req.method == "PUT":
            try:
                root = parse(req.body, "IllegalLoginLock")
            except IsapiError as err:
                return Response(err.http_status, response_status(req.path, err.code, err.sub), XML)
            enabled = root.findtext("{*}enabled")
            times = root.findtext("{*}maxIllegalLoginTimes")
            if enabled is not None:
                lock.enabled = enabled.strip() == "true"
            if times is not None and times.strip().isdigit() and 3 <= int(times) <= 20:
                lock.lock_after = int(times)
            elif times is not None:
                return Response(
                    400, response_status(req.path, 6, "badParameters", "Invalid XML Content"), XML
                )
            return Response(200, response_status(req.path), XML)
        body = (
            f'<IllegalLoginLock version="2.0" xmlns="{NS}"><enabled>'
            f"{str(lock.enabled).lower()}</enabled><maxIllegalLoginTimes>{lock.lock_after}"
            "</maxIllegalLoginTimes></IllegalLoginLock>"
        )
        return Response(200, body.encode(), XML)

    async def sip_settled(self) -> None:
        """Return once every SIP write so far has reached the agent (a lab hook for tests:
        a point to synchronise on instead of a sleep)."""
        await self._sip_writes.settled()

    def _resource(self, req: Request, user: str) -> Response:
        for route in ROUTES + SIP_ROUTES:
            match = route.pattern.match(req.path)
            if match is None:
                continue
            entry = route.methods.get(req.method)
            if entry is None:
                raise IsapiError(403, 4, "methodNotAllowed", "Invalid Operation")
            needed, handler = entry
            if not permits(self.settings.level_of(user) or "", needed):
                raise IsapiError(403, 4, "lowPrivilege", "Invalid Operation")
            if self._faulted(req.method, req.path):
                raise IsapiError(500, 3, "deviceError", "Device Error")
            answer = handler(self.settings, match, req.body)
            return Response(200, answer if answer is not None else response_status(req.path), XML)
        raise IsapiError(404, 4, "notSupport", "Invalid Operation")

    def _faulted(self, method: str, path: str) -> bool:
        """Whether the api_error fault names this request: "PATH" (any method) or
        "METHOD PATH", e.g. "POST /ISAPI/Security/users"."""
        for entry in self.faults.api_error:
            wanted, _, where = entry.strip().rpartition(" ")
            if where.lower() == path.lower() and wanted.upper() in ("", method):
                return True
        return False
