"""A small asyncio HTTP/1.1 server for the lab's simulated devices.

Thousands of lab devices each need an HTTP listener (ONVIF SOAP, JSON APIs). A full framework
per device costs memory and start-up time; this keeps one coroutine per connection, supports
keep-alive (onvif-zeep and requests reuse connections), sets TCP_NODELAY (without it small
responses wait for the peer's delayed ACK, ~40 ms a call) and applies the device's faults.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from provision.lab.faults import Faults

MAX_BODY = 8 * 1024 * 1024


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int] | None = None

    def json(self) -> Any:
        """The body as JSON (empty body → {})."""
        return json.loads(self.body) if self.body.strip() else {}


@dataclass(slots=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data, ensure_ascii=False).encode())

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        return cls(status, text.encode(), f"{content_type}; charset=utf-8")


Handler = Callable[[Request], Awaitable[Response]]


def nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """One request off a keep-alive connection; None when the peer closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        return None
    body = await reader.readexactly(length) if length else b""
    url = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    return Request(method.upper(), url.path, query, headers, body)


def encode_response(resp: Response, keep_alive: bool) -> bytes:
    reason = HTTPStatus(resp.status).phrase if resp.status in HTTPStatus._value2member_map_ else ""
    head = [f"HTTP/1.1 {resp.status} {reason}", f"Content-Length: {len(resp.body)}"]
    if resp.body or resp.status != 204:
        head.append(f"Content-Type: {resp.content_type}")
    head.extend(f"{k}: {v}" for k, v in resp.headers.items())
    head.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + resp.body


class HttpServer:
    """Serve `handler` on (host, port), honouring the owner's `Faults`.

    `refuse`/`dead` close the listening socket (clients see connection refused) and
    `sync_faults` reopens it when the fault clears, on the same address.
    """

    def __init__(self, host: str, port: int, handler: Handler, faults: Faults) -> None:
        self.host, self.port, self.handler, self.faults = host, port, handler, faults
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_address=True
        )
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._conns):
            writer.close()
        self._conns.clear()

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def sync_faults(self) -> None:
        """Open or close the listener to match the refuse/dead faults."""
        down = self.faults.refuse or self.faults.dead
        if down and self.listening:
            await self.stop()
        elif not down and not self.listening:
            await self.start()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nodelay(writer)
        self._conns.add(writer)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                req.peer = writer.get_extra_info("peername")
                if self.faults.timeout:
                    # Hold the connection open and say nothing: the client's timeout fires.
                    await reader.read()
                    break
                # A slow link delays both ways: half the latency before the device sees the
                # request (a login token ages in transit), half before its answer arrives.
                transit = self.faults.latency_ms / 2000
                if transit:
                    await asyncio.sleep(transit)
                try:
                    resp = await self.handler(req)
                except Exception as exc:  # a simulator bug must not kill the lab
                    resp = Response.json({"error": f"internal error: {exc}"}, 500)
                if transit:
                    await asyncio.sleep(transit)
                keep = req.headers.get("connection", "").lower() != "close"
                writer.write(encode_response(resp, keep))
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.discard(writer)
            writer.close()


def basic_auth_error(req: Request, username: str, password: str, faults: Faults) -> Response | None:
    """None when `req` carries these HTTP Basic credentials, else the 401 to send back.

    The `auth_failure` fault rejects even the right credentials, like a device whose user
    database was reset behind the provisioning tool's back.
    """
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    try:
        user, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        user = secret = ""
    good = (
        scheme.lower() == "basic"
        and hmac.compare_digest(user.encode(), username.encode())
        and hmac.compare_digest(secret.encode(), password.encode())
    )
    if good and not faults.auth_failure:
        return None
    resp = Response.json({"error": "unauthorized"}, 401)
    resp.headers["WWW-Authenticate"] = 'Basic realm="device"'
    return resp
