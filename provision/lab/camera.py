"""A simulated IP camera: ONVIF Profile S subset (SOAP 1.2), JPEG snapshot and RTSP streams.

Real third-party clients (onvif-zeep, requests, ffprobe) talk to it as to a camera on the school
network. One HTTP listener serves both ONVIF services and the snapshot; RTSP is the lab's shared
`RtspServer`. Per camera there is no thread and no timer: listeners and a small settings object,
so a lab process can hold thousands.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import zlib
from functools import cache
from typing import Any

from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response
from provision.lab.media import ClipSource
from provision.lab.onvif_device import OPERATIONS as DEVICE_OPERATIONS
from provision.lab.onvif_media import OPERATIONS as MEDIA_OPERATIONS
from provision.lab.onvif_media import stream_uri
from provision.lab.onvif_soap import (
    SoapFault,
    authenticate,
    envelope,
    parse_request,
    receiver_fault,
    require_level,
    sender_fault,
)
from provision.lab.onvif_state import PROFILES, CameraState, Identity, Operations
from provision.lab.rtsp_server import RtspServer, StreamSource
from provision.lab.snapshot import snapshot_jpeg

DEVICE_PATH = "/onvif/device_service"
MEDIA_PATH = "/onvif/media_service"
SNAPSHOT_PATH = "/snapshot/1.jpg"
FACTORY_USERS = {"admin": ("admin", "Administrator")}
_SERVICES = {DEVICE_PATH: DEVICE_OPERATIONS, MEDIA_PATH: MEDIA_OPERATIONS}


class Camera:
    """One simulated camera on `host` (usually its own 127.x.y.z address).

    `faults` is consulted on every exchange: auth_failure rejects all WS-Security and Basic
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
        self._rtsp = RtspServer(host, rtsp_port, faults, resolve_stream, server_name=model)

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
        if operations is not None and req.method == "POST":
            return self._soap(operations, req)
        if req.path == SNAPSHOT_PATH and req.method == "GET":
            return self._snapshot(req)
        return Response.text("not found", 404)

    def _soap(self, operations: Operations, req: Request) -> Response:
        try:
            soap = parse_request(req.body)
            entry = operations.get(soap.operation)
            if entry is None:
                raise receiver_fault(
                    "ActionNotSupported", reason=f"{soap.operation} is not supported here"
                )
            needed, handler = entry
            if needed is not None:
                if self.faults.auth_failure:
                    raise sender_fault("NotAuthorized", reason="Sender not authorized")
                _user, level = authenticate(
                    soap.header, self.settings.users, self.settings.now(), self.auth_window_s
                )
                require_level(level, needed, soap.operation)
            if soap.operation in self.faults.soap_fault:
                raise receiver_fault("Action", reason=f"{soap.operation} failed on the device")
            return envelope(handler(self.settings, soap.body))
        except SoapFault as fault:
            return fault.response()

    def _snapshot(self, req: Request) -> Response:
        """The JPEG; no credentials or HTTP Basic with a camera user (not Digest: kept simple)."""
        auth = req.headers.get("authorization")
        if self.faults.auth_failure or (auth is not None and not self._basic_ok(auth)):
            challenge = {"WWW-Authenticate": 'Basic realm="IP Camera"'}
            return Response(401, b"401 Unauthorized", "text/plain", challenge)
        return Response(200, snapshot_jpeg(self.faults.obstructed), "image/jpeg")

    def _basic_ok(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        entry = self.settings.users.get(user)
        return entry is not None and hmac.compare_digest(entry[0].encode(), password.encode())


_STREAM_PATHS = frozenset(path for _encoder, path in PROFILES.values())


@cache
def shared_clip_source() -> ClipSource:
    """One clip source for every camera in the process, built on the first DESCRIBE."""
    return ClipSource()


def resolve_stream(path: str) -> StreamSource | None:
    """RTSP path → stream: main (/Streaming/Channels/101) and sub (102) both play the shared
    test clip; the lab does not re-encode per profile, so encoder settings change what ONVIF
    reports, not the pixels."""
    return shared_clip_source() if path in _STREAM_PATHS else None
