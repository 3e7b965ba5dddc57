"""RTSP 1.0 server (RFC 2326) for lab devices: cameras serve the test clip, the platform relays.

Real players (ffmpeg/ffprobe, VLC, ZLMediaKit, the toolkit's own client) must work against it,
so it speaks the real protocol: OPTIONS, DESCRIBE (SDP + Content-Base), SETUP with RTP over the
RTSP connection (`RTP/AVP/TCP;interleaved=0-1`) or UDP unicast (`client_port=`), PLAY with
RTP-Info, PAUSE, TEARDOWN and GET/SET_PARAMETER keep-alives; 404 for an unknown path, 454 for
an unknown session, 461 for a transport it cannot do.

Cost model: an idle server is one listening socket. A playing session is one task pulling
batches from its `RtpSubscription` (which does the pacing) and writing them out; it stops on
TEARDOWN, PAUSE or disconnect. UDP sockets are bound only when a client first asks for UDP.

Construct as `RtspServer(host, port, faults, resolve, *, auth=None)`. `resolve(target)` maps a
request target to a `StreamSource`, or None for 404. The target is the URL's path, with its
query string when it has one: "/Streaming/Channels/101", or Dahua's
"/cam/realmonitor?channel=1&subtype=0". A target with a query the resolver does not know is
tried again without it (Hikvision accepts "/Streaming/Channels/101?transportmode=unicast").
Track URLs are the Content-Base (the target plus "/") plus the SDP control ("trackID=0"), also
after a query, as ffmpeg and GStreamer build them.

Authentication (RFC 2326 section 16.48 reusing RFC 2617): `auth` is a `digest.Challenge`
applying to every path, or a callable `auth(target) -> Challenge | None` (the resolved target,
as `resolve` saw it) for per-path rules; None (the default) leaves the server open, as before.
A protected path answers every method except OPTIONS without valid credentials with `401
Unauthorized` and one `WWW-Authenticate` line per scheme (Digest; Basic too when the
Challenge offers it), as Hikvision and Dahua cameras do; the `auth_failure` fault refuses even
the right credentials. Session methods (PLAY, TEARDOWN, ...) are checked against the path
their session was set up on.

Port 0 binds an ephemeral port, readable from `.port` after `start()`. Faults:
`rtsp_down`/`dead` close the listener and drop every connection (call `sync_faults()` after
flipping them; a connection that sends a request while the fault is on is dropped at once);
`latency_ms` delays every answer; `timeout` reads requests and never answers.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import urlsplit

from provision.lab.digest import Challenge
from provision.lab.faults import Faults
from provision.lab.http import nodelay
from provision.protocols.rtsp import RtspMessage, bind_udp_pair, read_message
from provision.protocols.sdp import MediaDescription, build_sdp


class RtpSubscription(Protocol):
    """One viewer's packet stream. Iterating yields batches (lists) of complete RTP packets, paced
    by the source; it ends when the source does. `first_seq`/`first_rtptime` feed RTP-Info."""

    ssrc: int
    first_seq: int
    first_rtptime: int

    def __aiter__(self) -> AsyncIterator[list[bytes]]: ...

    async def __anext__(self) -> list[bytes]: ...

    def close(self) -> None: ...


class StreamSource(Protocol):
    """Something playable: the clip (`provision.lab.media.ClipSource`) or a relay."""

    def sdp_media(self) -> MediaDescription: ...

    def subscribe(self) -> RtpSubscription: ...


Resolver = Callable[[str], "StreamSource | None"]
AuthRule = Callable[[str], "Challenge | None"]

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
}
PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
SESSION_TIMEOUT_S = 60
_INTERLEAVED = struct.Struct("!BBH")  # '$', channel, length


@dataclass(eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    peer_host: str
    sessions: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _Session:
    id: str
    source: StreamSource
    target: str  # the resolved request target, which decides authentication
    track_url: str
    conn: _Connection
    channel: int | None  # interleaved RTP channel when RTP rides the RTSP connection
    udp_dest: tuple[str, int] | None  # client's RTP address otherwise
    subscription: RtpSubscription | None = None
    pump: asyncio.Task[None] | None = None


@dataclass(slots=True)
class _Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    start: _Session | None = None  # a session whose RTP starts once this reply is written
    challenges: list[str] = field(default_factory=list)  # WWW-Authenticate, one line each


class RtspServer:
    def __init__(
        self,
        host: str,
        port: int,
        faults: Faults,
        resolve: Resolver,
        *,
        server_name: str = "provision-lab-rtsp",
        auth: Challenge | AuthRule | None = None,
    ) -> None:
        self.host, self.port, self.faults, self.resolve = host, port, faults, resolve
        self.auth = auth
        self.server_name = server_name
        self._server: asyncio.Server | None = None
        self._conns: set[_Connection] = set()
        self._sessions: dict[str, _Session] = {}
        self._udp: tuple[asyncio.DatagramTransport, asyncio.DatagramTransport] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_address=True
        )
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and drop every client, as a powered-off device would."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for session in list(self._sessions.values()):
            self._end(session)
        for conn in list(self._conns):
            conn.writer.close()
        self._conns.clear()
        for transport in self._udp or ():
            transport.close()
        self._udp = None

    async def sync_faults(self) -> None:
        """Open or close the listener to match the rtsp_down/dead faults."""
        if self._down() and self.listening:
            await self.stop()
        elif not self._down() and not self.listening:
            await self.start()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    def session_info(self) -> list[dict[str, Any]]:
        """Each RTSP session, for APIs that list them: id, path, peer, transport, playing,
        and its connection (an id stable for the connection's life)."""
        return [
            {
                "id": s.id,
                "path": (urlsplit(s.track_url).path or "/").strip("/"),
                "peer": s.conn.peer_host,
                "transport": "TCP" if s.channel is not None else "UDP",
                "playing": s.pump is not None and not s.pump.done(),
                "conn": f"{id(s.conn):x}",
            }
            for s in self._sessions.values()
        ]

    @property
    def playing(self) -> int:
        return sum(1 for s in self._sessions.values() if s.pump and not s.pump.done())

    def url(self, path: str) -> str:
        return f"rtsp://{self.host}:{self.port}{path}"

    def _down(self) -> bool:
        return self.faults.rtsp_down or self.faults.dead

    # -- connection --------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nodelay(writer)
        peer = writer.get_extra_info("peername")
        conn = _Connection(writer, peer[0] if peer else self.host)
        self._conns.add(conn)
        try:
            while True:
                msg = await read_message(reader)
                if not isinstance(msg, RtspMessage):
                    continue  # interleaved RTCP receiver reports, blank keep-alive lines
                if self._down():
                    break  # the service died under this client
                if self.faults.timeout:
                    continue  # read everything, answer nothing
                if self.faults.latency_ms:
                    await asyncio.sleep(self.faults.latency_ms / 1000)
                try:
                    reply = await self._handle(conn, msg)
                except Exception:  # a resolver/source bug must not kill the connection task
                    reply = _Reply(500)
                writer.write(self._encode(reply, msg.headers.get("cseq", "0")))
                if reply.start is not None:  # RTP only after the PLAY answer is on the wire
                    reply.start.pump = asyncio.create_task(self._pump(reply.start))
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except ValueError:  # garbage framing (e.g. a bad Content-Length)
            pass
        finally:
            for sid in list(conn.sessions):
                if sid in self._sessions:
                    self._end(self._sessions[sid])
            self._conns.discard(conn)
            writer.close()

    def _encode(self, reply: _Reply, cseq: str) -> bytes:
        lines = [
            f"RTSP/1.0 {reply.status} {REASONS.get(reply.status, 'Error')}",
            f"CSeq: {cseq}",
            f"Server: {self.server_name}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        lines += [f"WWW-Authenticate: {c}" for c in reply.challenges]
        if reply.body:
            lines += ["Content-Type: application/sdp", f"Content-Length: {len(reply.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + reply.body

    async def _handle(self, conn: _Connection, msg: RtspMessage) -> _Reply:
        parts = msg.start_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("RTSP/") or "cseq" not in msg.headers:
            return _Reply(400)
        method, url = parts[0].upper(), parts[1]
        if method == "OPTIONS":
            return _Reply(200, {"Public": PUBLIC})
        if method == "DESCRIBE":
            return self._describe(url, msg.headers)
        if method == "SETUP":
            return await self._setup(conn, url, msg.headers)
        if method not in ("PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"):
            return _Reply(501, {"Public": PUBLIC})
        sid = msg.headers.get("session", "").split(";")[0].strip()
        session = self._sessions.get(sid)
        if session is None and (sid or method in ("PLAY", "PAUSE", "TEARDOWN")):
            return _Reply(454)
        if session is None:  # a session-less keep-alive
            return _Reply(200)
        if (refusal := self._refusal(session.target, method, msg.headers)) is not None:
            return refusal
        headers = {"Session": f"{sid};timeout={SESSION_TIMEOUT_S}"}
        if method == "PLAY":
            return self._play(session, headers)
        if method in ("PAUSE", "TEARDOWN"):
            self._stop_rtp(session)
            if method == "TEARDOWN":
                self._end(session)
        return _Reply(200, headers)

    # -- targets and authentication ------------------------------------------------------

    @staticmethod
    def _target(url: str) -> str:
        """The request target: path, plus "?query" when there is one."""
        parts = urlsplit(url)
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path

    def _lookup(self, target: str) -> tuple[str, StreamSource] | None:
        """(the target the resolver knows, its source): exact first, then without the query."""
        for candidate in dict.fromkeys((target, target.partition("?")[0])):
            source = self.resolve(candidate)
            if source is not None:
                return candidate, source
        return None

    def _challenge(self, target: str) -> Challenge | None:
        if self.auth is None or isinstance(self.auth, Challenge):
            return self.auth
        return self.auth(target)

    def _refusal(self, target: str, method: str, headers: dict[str, str]) -> _Reply | None:
        """None when `target` is open or the request carries a camera user's credentials;
        otherwise the 401 with fresh challenges."""
        challenge = self._challenge(target)
        if challenge is None:
            return None
        user, stale = challenge.check(method, headers.get("authorization"))
        if user is not None and not self.faults.auth_failure:
            return None
        return _Reply(401, challenges=challenge.headers(stale=stale))

    # -- methods -----------------------------------------------------------------------------

    def _describe(self, url: str, headers: dict[str, str]) -> _Reply:
        found = self._lookup(self._target(url))
        if found is None:
            return _Reply(404)
        target, source = found
        if (refusal := self._refusal(target, "DESCRIBE", headers)) is not None:
            return refusal
        sdp = build_sdp(
            [source.sdp_media()],
            origin_host=self.host,
            session_id=random.getrandbits(31),
            session_name="Media Presentation",
        )
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}{self._target(url)}"
        return _Reply(200, {"Content-Base": base.rstrip("/") + "/"}, sdp.encode())

    def _resolve_track(self, target: str) -> tuple[str, StreamSource] | None:
        """A SETUP URL is the stream URL plus the track's control ("trackID=0")."""
        found = self._lookup(target)
        if found is None and "/" in target.rstrip("/"):
            found = self._lookup(target.rstrip("/").rsplit("/", 1)[0] or "/")
        return found

    async def _setup(self, conn: _Connection, url: str, headers: dict[str, str]) -> _Reply:
        found = self._resolve_track(self._target(url))
        if found is None:
            return _Reply(404)
        target, source = found
        if (refusal := self._refusal(target, "SETUP", headers)) is not None:
            return refusal
        chosen = _choose_transport(headers.get("transport", ""))
        if chosen is None:
            return _Reply(461)
        sid = headers.get("session", "").split(";")[0].strip()
        if sid and sid not in self._sessions:
            return _Reply(454)
        if sid and self._sessions[sid].pump is not None:
            return _Reply(455)  # one track per session, and it is already playing
        if not sid:
            sid = f"{random.getrandbits(32):08X}"
            while sid in self._sessions:
                sid = f"{random.getrandbits(32):08X}"
        kind, port = chosen
        if kind == "tcp":
            transport = f"RTP/AVP/TCP;unicast;interleaved={port}-{port + 1}"
            session = _Session(sid, source, target, url, conn, port, None)
        else:
            if self._udp is None:
                self._udp = await bind_udp_pair(self.host)
            server_port = self._udp[0].get_extra_info("sockname")[1]
            transport = (
                f"RTP/AVP;unicast;client_port={port}-{port + 1};"
                f"server_port={server_port}-{server_port + 1}"
            )
            session = _Session(sid, source, target, url, conn, None, (conn.peer_host, port))
        self._sessions[sid] = session
        conn.sessions.add(sid)
        return _Reply(
            200, {"Transport": transport, "Session": f"{sid};timeout={SESSION_TIMEOUT_S}"}
        )

    def _play(self, session: _Session, headers: dict[str, str]) -> _Reply:
        start = None
        if session.subscription is None:
            session.subscription = session.source.subscribe()
            start = session
        sub = session.subscription
        headers["Range"] = "npt=0.000-"
        headers["RTP-Info"] = (
            f"url={session.track_url};seq={sub.first_seq};rtptime={sub.first_rtptime}"
        )
        return _Reply(200, headers, start=start)

    # -- RTP ---------------------------------------------------------------------------------

    async def _pump(self, session: _Session) -> None:
        """Forward the subscription's packets until it ends or the session stops."""
        sub, writer = session.subscription, session.conn.writer
        assert sub is not None
        try:
            async for batch in sub:
                if session.channel is not None:
                    ch = session.channel
                    writer.write(b"".join(_INTERLEAVED.pack(0x24, ch, len(p)) + p for p in batch))
                    await writer.drain()
                elif self._udp is not None and session.udp_dest is not None:
                    for packet in batch:
                        self._udp[0].sendto(packet, session.udp_dest)
        except ConnectionError:
            return
        finally:
            sub.close()
        writer.close()  # the source ended (e.g. a relay lost its camera): let the viewer know

    def _stop_rtp(self, session: _Session) -> None:
        if session.pump is not None:
            session.pump.cancel()
            session.pump = None
        if session.subscription is not None:
            session.subscription.close()
            session.subscription = None

    def _end(self, session: _Session) -> None:
        self._stop_rtp(session)
        self._sessions.pop(session.id, None)
        session.conn.sessions.discard(session.id)


def _choose_transport(header: str) -> tuple[str, int] | None:
    """Pick the first unicast RTP transport we can do: ("tcp", channel) or ("udp", client port)."""
    for option in header.split(","):
        parts = [p.strip() for p in option.split(";")]
        profile = parts[0].upper()
        params = dict(p.partition("=")[::2] for p in parts[1:])
        if "multicast" in params or profile not in ("RTP/AVP", "RTP/AVP/UDP", "RTP/AVP/TCP"):
            continue
        try:
            if profile == "RTP/AVP/TCP":
                return "tcp", int(params.get("interleaved", "0").split("-")[0])
            if "client_port" in params:
                return "udp", int(params["client_port"].split("-")[0])
        except ValueError:
            continue
    return None
