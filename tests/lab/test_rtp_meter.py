"""The RTP meter (provision.protocols.rtp_meter) against the lab's RTSP server over real
sockets: it reads the bitrate the encoder's settings put on the wire, in media time, and
fails in words when the camera refuses, hangs up or never sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from provision.lab.faults import Faults
from provision.lab.media import ClipSource, encoded_clip
from provision.lab.rtsp_server import RtspServer
from provision.protocols.rtp_meter import measure
from provision.protocols.rtsp import RtspConnectionError, RtspError, RtspTimeout

PATH = "/Streaming/Channels/101"


@asynccontextmanager
async def camera(kbps: int, fps: float = 25.0, faults: Faults | None = None) -> AsyncIterator[str]:
    source = ClipSource(encoded_clip("H264", 1280, 720, fps, kbps))
    server = RtspServer("127.0.0.1", 0, faults or Faults(), lambda p: source if p == PATH else None)
    await server.start()
    try:
        yield server.url(PATH)
    finally:
        await server.stop()


@pytest.mark.parametrize(("kbps", "fps"), [(2048, 25.0), (6144, 12.0)])
def test_the_meter_reads_the_configured_bitrate(kbps: int, fps: float) -> None:
    async def scenario() -> float:
        async with camera(kbps, fps) as url:
            rate = await measure(url, seconds=0.4, timeout=2.0)
            assert rate.packets > 0 and 0.4 <= rate.seconds <= 0.4 + 1 / fps
            return rate.kbps

    # The window holds whole frames in media time, so only the RTP
    # payload framing (FU-A headers instead of start codes) separates it from the setting.
    assert asyncio.run(scenario()) == pytest.approx(kbps, rel=0.02)


def test_a_refused_stream_says_so() -> None:
    async def scenario() -> None:
        async with camera(1024, faults=Faults(rtsp_down=True)) as url:
            with pytest.raises(RtspError):
                await measure(url, seconds=0.3, timeout=1.0)

    asyncio.run(scenario())


def test_a_stream_that_never_starts_times_out_in_words() -> None:
    async def scenario() -> None:
        async with camera(1024, faults=Faults(timeout=True)) as url:
            with pytest.raises(RtspTimeout, match=r"DESCRIBE .*no answer within 0\.5s"):
                await measure(url, seconds=0.3, timeout=0.5)

    asyncio.run(scenario())


def test_nothing_listening_is_a_connection_error() -> None:
    async def scenario() -> None:
        async with camera(1024) as url:
            pass
        with pytest.raises(RtspConnectionError):
            await measure(url, seconds=0.3, timeout=1.0)

    asyncio.run(scenario())
