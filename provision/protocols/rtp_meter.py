"""How many bits a camera really sends: a few seconds of its RTP, counted on the wire.

`measure(url, seconds)` plays the stream over TCP interleaved (RFC 2326 10.12: RTP on the
RTSP connection, as NVRs and platforms pull through firewalls), counts the RTP payload bytes
(RFC 3550 5.1: what follows the fixed header, CSRCs and extension, padding stripped; the
encoder's output, not our framing) of every packet whose RTP timestamp lies in the first
`seconds` of media time, and stops at the first packet past it; the rate is over the media
time from the first frame to that one, so the window holds whole frames whatever the frame
rate. The window is measured in the stream's own clock (the SDP's clock rate, 90 kHz for
video, RFC 3551 5), not the wall clock, so a loaded verifier or a congested link that delays
packets does not change the figure; only the encoder's bytes per second of video do.

Bounded: one overall deadline (connect, DESCRIBE, SETUP, PLAY, then the window) and a
TEARDOWN at the end. Credentials in the URL answer the camera's Digest challenge
(`provision.protocols.rtsp`) and never appear in a request line or an error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from provision.protocols.rtsp import (
    TCP_TRANSPORT,
    RtspConnection,
    RtspConnectionError,
    RtspError,
    RtspTimeout,
    rtp_timing,
)

VIDEO_CLOCK = 90000  # RFC 3551 5: every video payload format's RTP clock rate
_WRAP = 1 << 32


@dataclass(frozen=True, slots=True)
class Rate:
    """What `measure` counted: payload bytes in `seconds` of media time (at least the window
    asked for, up to one frame more)."""

    bytes: int
    packets: int
    seconds: float

    @property
    def kbps(self) -> float:
        return self.bytes * 8 / self.seconds / 1000 if self.seconds else 0.0


class _Window:
    """Counts packets until one's timestamp is `seconds` past the first packet's."""

    def __init__(self, seconds: float, clock: int) -> None:
        self.span = round(seconds * clock)
        self.clock = clock
        self.first: int | None = None
        self.elapsed = 0  # clock ticks from the first frame to the one that ended the window
        self.bytes = self.packets = 0
        self.full = asyncio.Event()

    def __call__(self, channel: int, data: bytes) -> None:
        if channel != 0 or self.full.is_set():  # channel 1 is RTCP
            return
        try:
            timestamp, size = rtp_timing(data)
        except ValueError:
            return
        if self.first is None:
            self.first = timestamp
        offset = (timestamp - self.first) % _WRAP
        if offset >= self.span:
            self.elapsed = offset
            self.full.set()
            return
        self.bytes += size
        self.packets += 1


async def measure(url: str, seconds: float = 3.0, timeout: float = 5.0) -> Rate:
    """Play `url` for `seconds` of media time and count its payload bytes; an RtspError
    (RtspTimeout when the whole exchange outlasts `seconds + timeout`) when it cannot."""
    window = _Window(seconds, VIDEO_CLOCK)
    conn = RtspConnection(url, on_frame=window)
    base: str | None = None
    full: asyncio.Task[bool] | None = None
    try:
        async with asyncio.timeout(seconds + timeout):
            await conn.open(timeout)
            desc = await conn.describe(timeout)
            window.clock = desc.clock_rate or VIDEO_CLOCK
            window.span = round(seconds * window.clock)
            await conn.setup(desc.track_url, TCP_TRANSPORT, timeout)
            base = desc.content_base
            await conn.play(base, timeout)
            full = asyncio.ensure_future(window.full.wait())
            ends: tuple[asyncio.Future[Any], ...] = (full, conn.closed)
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
            if not window.full.is_set():  # the camera hung up inside the window
                raise conn.closed.result() or RtspConnectionError("stream ended", url=conn.url)
    except TimeoutError as exc:
        if isinstance(exc, RtspError):
            raise
        got = f"{window.packets} RTP packets" if window.packets else "no RTP"
        raise RtspTimeout(f"{got} in {seconds + timeout:g}s", url=conn.url) from None
    finally:
        if full is not None:
            full.cancel()
        await conn.close(base, timeout=min(1.0, timeout))
    return Rate(window.bytes, window.packets, window.elapsed / window.clock)
