"""Asyncio RTSP 1.0 client (RFC 2326) receiving RTP (RFC 3550), plus the framing both ends share.

Used by the precinct video platform simulator to pull camera streams, and by `verify` to check a
camera is really streaming: `describe()` reads the SDP, `probe()` plays until N RTP packets have
arrived, `RtspPull` keeps a stream playing and hands every packet to subscribers (a relay).
Every failure is an `RtspError` carrying the RTSP status when there is one; no answer in time is
`RtspTimeout` (also a `TimeoutError`), a refused/lost connection `RtspConnectionError`.
Credentials in the URL (rtsp://user:pass@host/...) answer a 401 with Digest (RFC 2617, with or
without qop) or Basic, as real cameras demand; they never appear in request lines.
Everything here must be created inside a running event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import secrets
import socket
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, fields
from urllib.parse import unquote, urlsplit, urlunsplit

from provision.protocols.sdp import StreamDescription, summarise

DEFAULT_PORT = 554
USER_AGENT = "provision-rtsp/0.1"


class RtspError(Exception):
    def __init__(self, reason: str, status: int | None = None, *, url: str = "", method: str = ""):
        where = " ".join(p for p in (method, url) if p)
        code = f"{status} " if status is not None else ""
        super().__init__(f"{where}: {code}{reason}" if where else f"{code}{reason}")
        self.reason, self.status, self.url, self.method = reason, status, url, method


class RtspTimeout(RtspError, TimeoutError):
    pass


class RtspConnectionError(RtspError, ConnectionError):
    pass


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    marker: bool
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse an RTP packet, skipping CSRCs and header extension and stripping padding."""
    second, seq, ts, ssrc, offset, end = _rtp_layout(data)
    return RtpPacket(second & 0x7F, bool(second & 0x80), seq, ts, ssrc, data[offset:end])


def rtp_timing(data: bytes) -> tuple[int, int]:
    """An RTP packet's timestamp and payload length, as `parse_rtp` reads them, without
    copying the payload: what a bitrate meter needs of each of thousands of packets."""
    _second, _seq, ts, _ssrc, offset, end = _rtp_layout(data)
    return ts, end - offset


def _rtp_layout(data: bytes) -> tuple[int, int, int, int, int, int]:
    """RFC 3550 §5.1: the fixed header's second byte (marker, payload type), sequence number,
    timestamp and SSRC, and where the payload starts and ends (after the CSRCs and any header
    extension, before the padding)."""
    if len(data) < 12 or data[0] >> 6 != 2:
        raise ValueError("not an RTP version 2 packet")
    first, second, seq, ts, ssrc = struct.unpack_from("!BBHII", data)
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10 and len(data) >= offset + 4:
        offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
    end = len(data) - (data[-1] if first & 0x20 else 0)
    if offset > end:
        raise ValueError("truncated RTP packet")
    return second, seq, ts, ssrc, offset, end


@dataclass(slots=True)
class RtspMessage:
    """A request or a response: start line, lower-cased headers, body."""

    start_line: str
    headers: dict[str, str]
    body: bytes


Frame = tuple[int, bytes]  # an interleaved ('$') frame: channel, data


async def read_message(reader: asyncio.StreamReader) -> RtspMessage | Frame | None:
    """Next item on an RTSP connection; None for a stray blank line. EOF raises IncompleteRead."""
    first = await reader.readexactly(1)
    if first == b"$":
        head = await reader.readexactly(3)
        return head[0], await reader.readexactly(int.from_bytes(head[1:], "big"))
    if first in b"\r\n":
        return None
    text = (first + await reader.readuntil(b"\r\n\r\n")).decode("utf-8", "replace")
    lines = text.split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        key = name.strip().lower()
        if sep and key == "www-authenticate" and key in headers:  # one challenge per line
            headers[key] += "\n" + value.strip()
        elif sep:
            headers[key] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length > 0 else b""
    return RtspMessage(lines[0].strip(), headers, body)


def nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes], None] | None) -> None:
        self.on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.on_datagram is not None:
            self.on_datagram(data)


async def bind_udp_pair(
    host: str, on_rtp: Callable[[bytes], None] | None = None
) -> tuple[asyncio.DatagramTransport, asyncio.DatagramTransport]:
    """Bind RTP on an even port and RTCP on the next one (RFC 3550 section 11)."""
    loop = asyncio.get_running_loop()
    for _ in range(64):
        rtp, _p = await loop.create_datagram_endpoint(lambda: _Datagrams(on_rtp), (host, 0))
        port = rtp.get_extra_info("sockname")[1]
        if port % 2 == 0:
            try:
                rtcp, _p = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(None), (host, port + 1)
                )
                return rtp, rtcp
            except OSError:
                pass
        rtp.close()
    raise RtspError(f"no free UDP port pair on {host}")


def _status(resp: RtspMessage) -> tuple[int, str]:
    parts = resp.start_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, parts[2] if len(parts) > 2 else "bad status line"


_AUTH_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def _parse_challenge(header: str) -> tuple[str, dict[str, str]] | None:
    """The strongest WWW-Authenticate challenge we can answer: Digest, else Basic."""
    offered = {}
    for line in header.split("\n"):
        scheme, _, rest = line.strip().partition(" ")
        offered[scheme.lower()] = {k.lower(): q or t for k, q, t in _AUTH_PARAM.findall(rest)}
    for scheme in ("digest", "basic"):
        if scheme in offered:
            return scheme, offered[scheme]
    return None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class RtspConnection:
    """One RTSP control connection. Responses are matched to requests by CSeq; interleaved
    frames ('$', channel, length) go to `on_frame` as they arrive."""

    def __init__(self, url: str, *, on_frame: Callable[[int, bytes], None] | None = None):
        parts = urlsplit(url)
        if parts.scheme.lower() != "rtsp" or not parts.hostname:
            raise RtspError("not an rtsp:// URL", url=url)
        self.host, self.port = parts.hostname, parts.port or DEFAULT_PORT
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = f"{host}:{parts.port}" if parts.port else host
        # Credentials travel in Authorization headers, not in request lines.
        self.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self.on_frame = on_frame
        self.session: str | None = None
        self.session_timeout = 60
        self.local_host = "0.0.0.0"
        self._cseq = self._nc = 0
        self._challenge: tuple[str, dict[str, str]] | None = None
        self._pending: dict[int, asyncio.Future[RtspMessage]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        # Resolves when the connection ends, with the error that ended it.
        self.closed: asyncio.Future[BaseException | None]
        self.closed = asyncio.get_running_loop().create_future()

    async def open(self, timeout: float) -> None:
        where = f"{self.host}:{self.port}"
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races
            # with completion, and a pull that ignores stop() hangs the platform API for good.
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except TimeoutError:
            raise RtspTimeout(f"connect to {where} timed out", url=self.url) from None
        except ConnectionRefusedError as exc:
            raise RtspConnectionError(f"connection refused by {where}", url=self.url) from exc
        except OSError as exc:
            reason = f"cannot connect to {where}: {exc.strerror or exc}"
            raise RtspConnectionError(reason, url=self.url) from exc
        nodelay(writer)
        self._writer = writer
        self.local_host = writer.get_extra_info("sockname")[0]
        self._task = asyncio.create_task(self._read_loop(reader))

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        error: BaseException | None = None
        try:
            while True:
                msg = await read_message(reader)
                if isinstance(msg, tuple):
                    if self.on_frame is not None:
                        self.on_frame(*msg)
                elif msg is not None and msg.start_line.startswith("RTSP/"):
                    cseq = msg.headers.get("cseq", "")
                    fut = self._pending.get(int(cseq)) if cseq.isdigit() else None
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
        except (asyncio.IncompleteReadError, ConnectionError):
            error = RtspConnectionError("connection closed by server", url=self.url)
        except asyncio.CancelledError:
            error = RtspConnectionError("connection closed", url=self.url)
        except Exception as exc:  # malformed framing, a subscriber's bug: the stream is over
            error = RtspError(f"stream aborted: {exc!r}", url=self.url)
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(error or RtspConnectionError("closed", url=self.url))
            if not self.closed.done():
                self.closed.set_result(error)

    async def request(
        self,
        method: str,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        *,
        timeout: float,
    ) -> RtspMessage:
        """Send one request and wait for its answer; a status >= 300 raises RtspError.

        A 401 is answered once with Digest (or Basic) credentials from the URL, as cameras
        expect; the challenge is then reused for later requests on this connection.
        """
        url = url or self.url
        resp = await self._exchange(method, url, headers or {}, timeout)
        status, reason = _status(resp)
        if status == 401 and self.user:
            challenge = _parse_challenge(resp.headers.get("www-authenticate", ""))
            if challenge is not None and challenge != self._challenge:
                self._challenge = challenge
                resp = await self._exchange(method, url, headers or {}, timeout)
                status, reason = _status(resp)
        if status < 200 or status >= 300:
            raise RtspError(reason, status, url=url, method=method)
        if "session" in resp.headers:
            sid, _, params = resp.headers["session"].partition(";")
            self.session = sid.strip()
            value = params.strip().removeprefix("timeout=")
            self.session_timeout = int(value) if value.isdigit() else 60
        return resp

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], timeout: float
    ) -> RtspMessage:
        if self._writer is None or self.closed.done():
            raise RtspConnectionError("connection is closed", url=url, method=method)
        self._cseq += 1
        cseq = self._cseq
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", f"User-Agent: {USER_AGENT}"]
        if self._challenge is not None:
            lines.append(f"Authorization: {self._authorization(method, url)}")
        if self.session:
            lines.append(f"Session: {self.session}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        fut = asyncio.get_running_loop().create_future()
        self._pending[cseq] = fut
        try:
            self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            async with asyncio.timeout(timeout):  # not wait_for: see open()
                return await fut
        except TimeoutError:
            raise RtspTimeout(f"no answer within {timeout:g}s", url=url, method=method) from None
        except RtspError as exc:
            raise type(exc)(exc.reason, exc.status, url=url, method=method) from None
        finally:
            self._pending.pop(cseq, None)

    def _authorization(self, method: str, uri: str) -> str:
        assert self._challenge is not None
        scheme, params = self._challenge
        if scheme == "basic":
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return f"Basic {token}"
        realm, nonce = params.get("realm", ""), params.get("nonce", "")
        ha1 = _md5(f"{self.user}:{realm}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        header = f'Digest username="{self.user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
        if "auth" in [q.strip() for q in params.get("qop", "").split(",")]:
            self._nc += 1
            nc, cnonce = f"{self._nc:08x}", secrets.token_hex(8)
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            header += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        header += f', response="{response}"'
        if "opaque" in params:
            header += f', opaque="{params["opaque"]}"'
        return header

    async def describe(self, timeout: float) -> StreamDescription:
        accept = {"Accept": "application/sdp"}
        resp = await self.request("DESCRIBE", headers=accept, timeout=timeout)
        base = resp.headers.get("content-base") or resp.headers.get("content-location") or self.url
        return summarise(self.url, base, resp.body.decode("utf-8", "replace"))

    async def setup(self, track_url: str, transport: str, timeout: float) -> RtspMessage:
        return await self.request("SETUP", track_url, {"Transport": transport}, timeout=timeout)

    async def play(self, url: str, timeout: float) -> RtspMessage:
        return await self.request("PLAY", url, {"Range": "npt=0.000-"}, timeout=timeout)

    async def close(self, teardown_url: str | None = None, timeout: float = 1.0) -> None:
        """TEARDOWN (best effort, if a session exists) and close the connection."""
        if teardown_url and self.session and not self.closed.done():
            with contextlib.suppress(RtspError):
                await self.request("TEARDOWN", teardown_url, timeout=timeout)
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


TCP_TRANSPORT = "RTP/AVP/TCP;unicast;interleaved=0-1"


@contextlib.asynccontextmanager
async def _deadline(timeout: float, url: str, what: str) -> AsyncIterator[None]:
    """One overall deadline for a multi-step exchange, reported as RtspTimeout."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except TimeoutError as exc:
        if isinstance(exc, RtspError):
            raise
        raise RtspTimeout(f"{what} did not complete within {timeout:g}s", url=url) from None


async def describe(url: str, timeout: float = 5.0) -> StreamDescription:
    """DESCRIBE `url` and summarise its SDP (codec, clock rate, size from the SPS)."""
    conn = RtspConnection(url)
    try:
        async with _deadline(timeout, url, "DESCRIBE"):
            await conn.open(timeout)
            return await conn.describe(timeout)
    finally:
        await conn.close()


@dataclass(slots=True)
class ProbeResult:
    url: str
    transport: str
    description: StreamDescription
    packets: int
    frames: int  # RTP marker bits seen, i.e. complete access units
    bytes: int
    ssrc: int | None
    first_packet_latency_s: float | None  # PLAY sent → first RTP packet
    elapsed_s: float

    def as_dict(self) -> dict[str, object]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "description"}
        data["stream"] = self.description.as_dict()
        return data


class _RtpCounter:
    def __init__(self, want: int) -> None:
        self.want, self.packets, self.frames, self.bytes = want, 0, 0, 0
        self.ssrc: int | None = None
        self.first_at: float | None = None
        self.done = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def __call__(self, data: bytes) -> None:
        try:
            packet = parse_rtp(data)
        except ValueError:
            return
        if self.first_at is None:
            self.first_at, self.ssrc = self._loop.time(), packet.ssrc
        self.packets += 1
        self.frames += packet.marker
        self.bytes += len(data)
        if self.packets >= self.want:
            self.done.set()


async def probe(
    url: str, packets: int = 10, timeout: float = 5.0, transport: str = "tcp"
) -> ProbeResult:
    """Play `url` until `packets` RTP packets arrived, then TEARDOWN: proof the camera streams.

    `transport` is "tcp" (RTP interleaved on the RTSP connection, what platforms use through
    firewalls) or "udp" (RTP to a local even/odd port pair).
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    counter = _RtpCounter(packets)
    conn = RtspConnection(url, on_frame=lambda ch, data: counter(data) if ch == 0 else None)
    udp: tuple[asyncio.DatagramTransport, asyncio.DatagramTransport] | None = None
    desc: StreamDescription | None = None
    play_sent = started
    try:
        async with _deadline(timeout, url, f"probe for {packets} RTP packets"):
            await conn.open(timeout)
            desc = await conn.describe(timeout)
            if transport == "udp":
                udp = await bind_udp_pair(conn.local_host, counter)
                port = udp[0].get_extra_info("sockname")[1]
                spec = f"RTP/AVP;unicast;client_port={port}-{port + 1}"
            else:
                spec = TCP_TRANSPORT
            await conn.setup(desc.track_url, spec, timeout)
            play_sent = loop.time()
            await conn.play(desc.content_base, timeout)
            received = asyncio.ensure_future(counter.done.wait())
            await asyncio.wait((received, conn.closed), return_when=asyncio.FIRST_COMPLETED)
            if not counter.done.is_set():  # the server hung up before sending enough
                received.cancel()
                raise conn.closed.result() or RtspConnectionError("stream ended", url=url)
    finally:
        await conn.close(desc.content_base if desc else None, timeout=min(1.0, timeout))
        for t in udp or ():
            t.close()
    latency = counter.first_at - play_sent if counter.first_at is not None else None
    return ProbeResult(
        url,
        transport,
        desc,
        counter.packets,
        counter.frames,
        counter.bytes,
        counter.ssrc,
        latency,
        loop.time() - started,
    )


class RtspPull:
    """Keep one RTSP stream playing over TCP and hand every RTP packet to subscribers.

    `start()` does DESCRIBE/SETUP/PLAY and raises RtspError on failure; afterwards one small
    watchdog task sends GET_PARAMETER keep-alives (servers expire silent sessions) and ends the
    pull if no RTP arrives for `idle_timeout` seconds. `done` resolves when the pull is over,
    with the error that ended it (None after `stop()`).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, idle_timeout: float = 10.0) -> None:
        self.url, self.timeout, self.idle_timeout = url, timeout, idle_timeout
        self.description: StreamDescription | None = None
        self.packets = self.bytes = 0
        self.first_packet = asyncio.Event()
        self.done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._loop = asyncio.get_running_loop()
        self._last_packet_at = self._loop.time()
        self._subscribers: list[Callable[[bytes], None]] = []
        self._conn: RtspConnection | None = None
        self._watchdog: asyncio.Task[None] | None = None

    def subscribe(self, callback: Callable[[bytes], None]) -> Callable[[], None]:
        """Call `callback(rtp_packet_bytes)` for every packet; returns the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _on_frame(self, channel: int, data: bytes) -> None:
        if channel != 0:  # channel 1 is RTCP
            return
        self.packets += 1
        self.bytes += len(data)
        self._last_packet_at = self._loop.time()
        self.first_packet.set()
        for callback in tuple(self._subscribers):
            callback(data)

    async def start(self) -> StreamDescription:
        conn = self._conn = RtspConnection(self.url, on_frame=self._on_frame)
        try:
            async with _deadline(self.timeout, self.url, "starting the pull"):
                await conn.open(self.timeout)
                desc = await conn.describe(self.timeout)
                await conn.setup(desc.track_url, TCP_TRANSPORT, self.timeout)
                await conn.play(desc.content_base, self.timeout)
        except BaseException as exc:
            await conn.close()
            self._finish(exc if isinstance(exc, RtspError) else None)
            raise
        self.description = desc
        self._last_packet_at = self._loop.time()
        conn.closed.add_done_callback(lambda fut: self._finish(fut.result()))
        self._watchdog = asyncio.create_task(self._watch(conn, desc.content_base))
        return desc

    async def wait_first_packet(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see RtspConnection.open()
                await self.first_packet.wait()
        except TimeoutError:
            raise RtspTimeout(f"no RTP within {timeout:g}s of PLAY", url=self.url) from None

    def _finish(self, error: BaseException | None) -> None:
        if not self.done.done():
            self.done.set_result(error)

    async def _watch(self, conn: RtspConnection, url: str) -> None:
        keepalive = max(1.0, conn.session_timeout / 2)
        tick = min(keepalive, self.idle_timeout / 2)
        waited = 0.0
        while not self.done.done():
            await asyncio.sleep(tick)
            if self._loop.time() - self._last_packet_at > self.idle_timeout:
                self._finish(RtspTimeout(f"no RTP for {self.idle_timeout:g}s", url=self.url))
                break
            waited += tick
            if waited >= keepalive:
                waited = 0.0
                try:
                    await conn.request("GET_PARAMETER", url, timeout=self.timeout)
                except RtspError as exc:
                    if exc.status is None:  # an error status still proves the server is alive
                        self._finish(exc)
                        break
        await conn.close()

    async def stop(self) -> None:
        """TEARDOWN and close; subscribers get nothing more."""
        self._finish(None)
        self._subscribers.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        if self._conn is not None:
            url = self.description.content_base if self.description else None
            await self._conn.close(url, timeout=1.0)
