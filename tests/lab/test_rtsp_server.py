"""RtspServer and the RTSP client against each other over real sockets on 127.0.0.1, plus ffprobe.

Server and client are both asyncio, so each test runs one scenario with `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from tooling import require_program

from provision.lab.faults import Faults
from provision.lab.media import ClipSource, ClipSubscription, depacketize, load_clip
from provision.lab.rtsp_server import RtspServer
from provision.protocols.rtsp import (
    TCP_TRANSPORT,
    RtspConnection,
    RtspConnectionError,
    RtspError,
    RtspMessage,
    RtspPull,
    RtspTimeout,
    describe,
    parse_rtp,
    probe,
    read_message,
)
from provision.protocols.sdp import build_sdp

PATH = "/Streaming/Channels/101"


@asynccontextmanager
async def clip_server(faults: Faults | None = None) -> AsyncIterator[RtspServer]:
    source = ClipSource()
    server = RtspServer("127.0.0.1", 0, faults or Faults(), lambda p: source if p == PATH else None)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    """Poll observable state until it holds, failing at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.01)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())  # type: ignore[arg-type]


def test_describe_summarises_the_clip() -> None:
    async def scenario() -> None:
        async with clip_server() as server:
            desc = await describe(server.url(PATH), timeout=2)
            assert (desc.codec, desc.clock_rate, desc.payload_type) == ("H264", 90000, 96)
            assert (desc.width, desc.height, desc.fps) == (320, 180, 10.0)
            assert desc.content_base == server.url(PATH) + "/"
            assert desc.track_url == server.url(PATH) + "/trackID=0"
            assert "sprop-parameter-sets=" in desc.sdp and "packetization-mode=1" in desc.sdp

    run(scenario)


def test_tcp_play_delivers_the_clip_and_teardown_stops_it() -> None:
    async def scenario() -> None:
        clip = load_clip()
        async with clip_server() as server:
            frames: list[bytes] = []
            enough = asyncio.Event()

            def on_frame(channel: int, data: bytes) -> None:
                assert channel == 0  # RTP on the channel we asked for
                frames.append(data)
                if sum(parse_rtp(f).marker for f in frames) >= 3:
                    enough.set()

            conn = RtspConnection(server.url(PATH), on_frame=on_frame)
            await conn.open(2)
            desc = await conn.describe(2)
            setup = await conn.setup(desc.track_url, TCP_TRANSPORT, 2)
            assert setup.headers["transport"].startswith("RTP/AVP/TCP;unicast;interleaved=0-1")
            assert conn.session and server.sessions == 1
            play = await conn.play(desc.content_base, 2)
            info = dict(p.split("=", 1) for p in play.headers["rtp-info"].split(";"))
            await asyncio.wait_for(enough.wait(), 2)
            packets = [parse_rtp(f) for f in frames]
            assert packets[0].seq == int(info["seq"]) and info["url"] == desc.track_url
            assert packets[0].timestamp == int(info["rtptime"])
            ends = [i for i, p in enumerate(packets) if p.marker][:3]
            payloads = [p.payload for p in packets[: ends[-1] + 1]]
            assert depacketize(payloads) == [n for au in clip.access_units[:3] for n in au]

            await conn.request("TEARDOWN", desc.content_base, timeout=2)
            assert (server.playing, server.sessions) == (0, 0)  # pump cancelled before the reply
            await conn.close()

    run(scenario)


def test_udp_transport_delivers_rtp() -> None:
    async def scenario() -> None:
        async with clip_server() as server:
            result = await probe(server.url(PATH), packets=5, timeout=3, transport="udp")
            assert result.transport == "udp" and result.packets >= 5
            assert result.ssrc is not None and result.first_packet_latency_s is not None
            await eventually(lambda: server.sessions == 0)  # TEARDOWN sent by probe

    run(scenario)


def test_two_viewers_get_independent_sessions() -> None:
    async def scenario() -> None:
        async with clip_server() as server:
            a, b = await asyncio.gather(
                probe(server.url(PATH), packets=3, timeout=3),
                probe(server.url(PATH), packets=3, timeout=3),
            )
            assert a.packets >= 3 and b.packets >= 3 and a.ssrc != b.ssrc

    run(scenario)


def test_protocol_errors() -> None:
    async def scenario() -> None:
        async with clip_server() as server:
            with pytest.raises(RtspError) as missing:
                await describe(server.url("/Streaming/Channels/999"), timeout=2)
            assert missing.value.status == 404
            conn = RtspConnection(server.url(PATH))
            await conn.open(2)
            options = await conn.request("OPTIONS", "*", timeout=2)
            assert "DESCRIBE" in options.headers["public"]
            assert "TEARDOWN" in options.headers["public"]
            with pytest.raises(RtspError) as transport:
                await conn.setup(server.url(PATH) + "/trackID=0", "RTP/AVP;multicast", 2)
            assert transport.value.status == 461
            conn.session = "DEADBEEF"
            with pytest.raises(RtspError) as session:
                await conn.play(server.url(PATH), 2)
            assert session.value.status == 454
            await conn.close()

    run(scenario)


def test_disconnect_without_teardown_ends_the_session() -> None:
    async def scenario() -> None:
        async with clip_server() as server:
            pull = RtspPull(server.url(PATH), timeout=2)
            await pull.start()
            await pull.wait_first_packet(2)
            assert server.playing == 1
            await pull._conn.close()  # type: ignore[union-attr]  # vanish, no TEARDOWN
            await eventually(lambda: server.sessions == 0 and server.playing == 0)
            await pull.stop()

    run(scenario)


class _FirstFrames:
    """A subscription that ends after a few frames, like a relay whose camera vanished."""

    def __init__(self, inner: ClipSubscription, frames: int) -> None:
        self.inner, self.left = inner, frames
        self.ssrc, self.first_seq = inner.ssrc, inner.first_seq
        self.first_rtptime = inner.first_rtptime

    def __aiter__(self) -> _FirstFrames:
        return self

    async def __anext__(self) -> list[bytes]:
        if self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        return await self.inner.__anext__()

    def close(self) -> None:
        self.inner.close()


class _EndingSource(ClipSource):
    def subscribe(self) -> _FirstFrames:  # type: ignore[override]
        return _FirstFrames(super().subscribe(), 2)


def test_a_source_that_ends_disconnects_its_viewers() -> None:
    async def scenario() -> None:
        server = RtspServer("127.0.0.1", 0, Faults(), lambda p: _EndingSource())
        await server.start()
        with pytest.raises(RtspConnectionError):  # not a timeout: the end is seen at once
            await probe(server.url("/any"), packets=1000, timeout=5)
        await eventually(lambda: server.sessions == 0)
        await server.stop()

    run(scenario)


@pytest.mark.parametrize("qop", ["", "auth"])
def test_digest_auth_from_url_credentials(qop: str) -> None:
    """Against a camera-like responder insisting on Digest (RFC 2617, with and without qop)."""
    realm, nonce = "IP Camera(C1234)", "4e7a3d2c1b"
    offer = f', qop="{qop}"' if qop else ""
    sdp = build_sdp([load_clip().media()], origin_host="h", session_id=1, session_name="s")
    request_uris: list[str] = []

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    def authorised(method: str, header: str) -> bool:
        f = {k: q or t for k, q, t in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)}
        ha1, ha2 = md5(f"admin:{realm}:p@ss"), md5(f"{method}:{f.get('uri')}")
        if qop:
            good = md5(f"{ha1}:{nonce}:{f.get('nc')}:{f.get('cnonce')}:{f.get('qop')}:{ha2}")
        else:
            good = md5(f"{ha1}:{nonce}:{ha2}")
        return header.startswith("Digest ") and f.get("response") == good

    async def camera(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                msg = await read_message(reader)
                if not isinstance(msg, RtspMessage):
                    continue
                method, uri, _version = msg.start_line.split(" ")
                request_uris.append(uri)
                head = f"CSeq: {msg.headers['cseq']}\r\n"
                if authorised(method, msg.headers.get("authorization", "")):
                    body = sdp.encode()
                    head = f"RTSP/1.0 200 OK\r\n{head}Content-Length: {len(body)}\r\n"
                    writer.write(head.encode() + b"\r\n" + body)
                else:
                    challenges = (
                        f'WWW-Authenticate: Digest realm="{realm}", nonce="{nonce}"{offer}\r\n'
                        f'WWW-Authenticate: Basic realm="{realm}"\r\n'
                    )
                    writer.write(f"RTSP/1.0 401 Unauthorized\r\n{head}{challenges}\r\n".encode())

    async def scenario() -> None:
        server = await asyncio.start_server(camera, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        desc = await describe(f"rtsp://admin:p%40ss@127.0.0.1:{port}/cam", timeout=2)
        assert (desc.codec, desc.width) == ("H264", 320)
        assert request_uris == [f"rtsp://127.0.0.1:{port}/cam"] * 2  # no credentials on the wire
        with pytest.raises(RtspError) as denied:
            await describe(f"rtsp://admin:wrong@127.0.0.1:{port}/cam", timeout=2)
        assert denied.value.status == 401
        server.close()

    run(scenario)


@pytest.mark.parametrize("fault", ["rtsp_down", "dead"])
def test_down_faults_refuse_and_drop_viewers_then_recover(fault: str) -> None:
    async def scenario() -> None:
        faults = Faults()
        async with clip_server(faults) as server:
            port = server.port
            pull = RtspPull(server.url(PATH), timeout=2)
            await pull.start()
            await pull.wait_first_packet(2)
            faults.update({fault: True})
            await server.sync_faults()
            ended = await asyncio.wait_for(pull.done, 2)
            assert isinstance(ended, RtspConnectionError)  # the viewer saw the camera go
            with pytest.raises(RtspConnectionError, match="refused"):
                await describe(server.url(PATH), timeout=2)
            faults.update({fault: False})
            await server.sync_faults()
            assert server.port == port
            assert (await describe(server.url(PATH), timeout=2)).codec == "H264"
            await pull.stop()

    run(scenario)


def test_timeout_fault_never_answers() -> None:
    async def scenario() -> None:
        faults = Faults(timeout=True)
        async with clip_server(faults) as server:
            with pytest.raises(RtspTimeout):
                await describe(server.url(PATH), timeout=0.3)
            faults.timeout = False  # the very next exchange answers again
            assert (await describe(server.url(PATH), timeout=2)).width == 320

    run(scenario)


def test_latency_fault_delays_answers() -> None:
    async def scenario() -> None:
        faults = Faults(latency_ms=200)
        async with clip_server(faults) as server:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await describe(server.url(PATH), timeout=2)
            assert loop.time() - started >= 0.2

    run(scenario)


def test_idle_servers_cost_no_tasks() -> None:
    async def scenario() -> None:
        source = ClipSource()
        servers = [RtspServer("127.0.0.1", 0, Faults(), lambda p: source) for _ in range(100)]
        for server in servers:
            await server.start()
        assert len(asyncio.all_tasks()) == 1  # only this scenario: no timers, no pumps
        for server in servers:
            await server.stop()

    run(scenario)


def test_ffprobe_reads_the_stream() -> None:
    require_program("ffprobe", "ffmpeg")

    async def scenario() -> None:
        async with clip_server() as server:
            stream = await ffprobe(server.url(PATH))
            assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 320, 180)
            assert stream["r_frame_rate"] == "10/1"

    run(scenario)


async def ffprobe(url: str) -> dict[str, object]:
    """ffprobe over RTP/TCP; analyzeduration 1 s is enough to see a keyframe of the clip."""
    proc = await asyncio.create_subprocess_exec(
        *("ffprobe", "-v", "error", "-analyzeduration", "1000000", "-rtsp_transport", "tcp"),
        *("-show_streams", "-of", "json", url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0, err.decode()
    streams = json.loads(out)["streams"]
    assert len(streams) == 1
    return streams[0]
