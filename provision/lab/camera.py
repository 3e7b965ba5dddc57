"""A simulated IP camera: ONVIF Profile S subset (SOAP 1.2), JPEG snapshot and RTSP streams.

Real third-party clients (onvif-zeep, requests, ffprobe) talk to it as to a camera on the school
network. One HTTP listener serves both ONVIF services and the snapshot; RTSP is the lab's shared
`RtspServer`. Per camera there is no thread and no timer: listeners and a small settings object,
so a lab process can hold thousands.
"""

from __future__ import annotations

import zlib
from typing import Any

from provision.lab.digest import Challenge
from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response
from provision.lab.media import ClipSource, encoded_clip
from provision.lab.onvif_device import EVENTS_PATH, MEDIA2_PATH
from provision.lab.onvif_device import OPERATIONS as DEVICE_OPERATIONS
from provision.lab.onvif_events import (
    MOTION,
    PULLPOINT_PREFIX,
    TAMPER,
    EventSource,
    event_operations,
    pullpoint_operations,
)
from provision.lab.onvif_media import OPERATIONS as MEDIA_OPERATIONS
from provision.lab.onvif_media import stream_uri
from provision.lab.onvif_media2 import OPERATIONS as MEDIA2_OPERATIONS
from provision.lab.onvif_soap import answer
from provision.lab.onvif_state import PROFILES, CameraState, Identity, Operations
from provision.lab.rtsp_server import RtspServer, StreamSource
from provision.lab.snapshot import snapshot_jpeg

DEVICE_PATH = "/onvif/device_service"
MEDIA_PATH = "/onvif/media_service"
SNAPSHOT_PATH = "/snapshot/1.jpg"
FACTORY_USERS = {"admin": ("admin", "Administrator")}
_SERVICES = {
    DEVICE_PATH: DEVICE_OPERATIONS,
    MEDIA_PATH: MEDIA_OPERATIONS,
    MEDIA2_PATH: MEDIA2_OPERATIONS,
}


class Camera:
    """One simulated camera on `host` (usually its own 127.x.y.z address).

    `faults` is consulted on every exchange: auth_failure rejects all WS-Security, RTSP and snapshot
    credentials, soap_fault lists operations that answer env:Receiver/ter:Action, obstructed
    greys the snapshot, latency/timeout/refuse/dead act on the HTTP listener (call
    `sync_faults()` after flipping refuse/dead/rtsp_down so listeners open or close).
    """

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        http_port: int = 8000,
        rtsp_port: int = 8554,
        manufacturer: str = "Provision Lab",
        model: str = "PL-IPC4K-B",
        firmware: str = "V5.7.3 build 230512",
        serial: str | None = None,
        hardware_id: str = "PL-HW-R2",
        clock_offset_s: float = 0.0,
        timezone: str = "CST-8",
        users: dict[str, tuple[str, str]] | None = None,
        auth_window_s: float = 5.0,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.auth_window_s = auth_window_s
        identity = Identity(
            manufacturer=manufacturer,
            model=model,
            firmware=firmware,
            # Deterministic per name, so a re-created lab shows the same serials.
            serial=serial or f"PL{zlib.crc32(name.encode()):010d}",
            hardware_id=hardware_id,
        )
        self.settings = CameraState.factory(
            identity, host, users or FACTORY_USERS, clock_offset_s, timezone
        )
        self.settings.http_port, self.settings.rtsp_port = http_port, rtsp_port
        self._http = HttpServer(host, http_port, self._handle, faults)
        self.events = EventSource(lambda: {TAMPER: self.faults.obstructed, MOTION: False})
        self._event_ops = event_operations(self.events)
        # RTSP and the snapshot take the camera's own accounts, read live (an account created
        # over ONVIF can stream at once); Digest only, as current firmware ships.
        self.challenge = Challenge(f"IP Camera({identity.serial[-5:]})", self._passwords)
        self._snapshot_challenge = Challenge(self.challenge.realm, self._passwords, qop=True)
        self._rtsp = RtspServer(
            host, rtsp_port, faults, self.resolve_stream, server_name=model, auth=self.challenge
        )

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._http.start()
        self.settings.http_port = self._http.port
        await self._rtsp.start()
        self.settings.rtsp_port = self._rtsp.port
        await self.sync_faults()

    async def stop(self) -> None:
        await self._http.stop()
        await self._rtsp.stop()

    async def sync_faults(self) -> None:
        """Open/close listeners to match refuse/dead (HTTP) and rtsp_down/dead (RTSP)."""
        await self._http.sync_faults()
        await self._rtsp.sync_faults()

    def endpoints(self) -> dict[str, int]:
        return {"http": self._http.port, "rtsp": self._rtsp.port}

    def state(self) -> dict[str, Any]:
        data = self.settings.as_dict()
        data["name"] = self.name
        data["host"] = self.host
        data["stream_uris"] = {token: stream_uri(self.settings, token) for token in PROFILES}
        return data

    # --- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, req: Request) -> Response:
        operations = _SERVICES.get(req.path)
        if req.path == EVENTS_PATH:
            operations = self._event_ops
        elif req.path.startswith(PULLPOINT_PREFIX):
            operations = pullpoint_operations(self.events, req.path[len(PULLPOINT_PREFIX) :])
        if operations is not None and req.method == "POST":
            return self._soap(operations, req)
        if req.path == SNAPSHOT_PATH and req.method == "GET":
            return self._snapshot(req)
        return Response.text("not found", 404)

    def _soap(self, operations: Operations, req: Request) -> Response:
        return answer(
            operations,
            req.body,
            self.settings,
            users=self.settings.users,
            device_now=self.settings.now(),
            window_s=self.auth_window_s,
            auth_failure=self.faults.auth_failure,
            soap_faults=self.faults.soap_fault,
        )

    def _passwords(self) -> dict[str, str]:
        return {name: password for name, (password, _level) in self.settings.users.items()}

    def _snapshot(self, req: Request) -> Response:
        """The JPEG, to a camera user's Digest credentials (RFC 7616, qop=auth); anything else,
        or any credentials under the auth_failure fault, is a 401 with a fresh challenge."""
        user, stale = self._snapshot_challenge.check(req.method, req.headers.get("authorization"))
        if user is None or self.faults.auth_failure:
            challenge = {"WWW-Authenticate": self._snapshot_challenge.headers(stale=stale)[0]}
            return Response(401, b"401 Unauthorized", "text/plain", challenge)
        return Response(200, snapshot_jpeg(self.faults.obstructed), "image/jpeg")

    def resolve_stream(self, target: str) -> StreamSource | None:
        """RTSP path → what the profile's encoder sends now: main (/Streaming/Channels/101) and
        sub (102) each as their encoder says (codec, size, frame rate, bitrate; see
        lab/media.py). A session keeps the stream it started with, as a camera's does until
        the client reconnects."""
        token = _STREAM_ENCODERS.get(target)
        if token is None:
            return None
        enc = self.settings.encoders[token]
        clip = encoded_clip(enc.encoding, enc.width, enc.height, enc.frame_rate, enc.bitrate_kbps)
        return ClipSource(clip)


_STREAM_ENCODERS = {path: encoder for encoder, path in PROFILES.values()}
