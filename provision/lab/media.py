"""The lab's test clip: one short H.264 stream every simulated camera serves over RTP.

The clip is parsed into access units and pre-packetised into RTP payloads once per process
(`load_clip` is cached), so thousands of cameras share one copy; a playing session only adds
its own 12-byte RTP headers (random SSRC, sequence and timestamp base, as RFC 3550 asks) and a
timer per frame. Nothing runs for a camera nobody watches.

The asset was generated once with ffmpeg 5.1 / libx264:

    ffmpeg -f lavfi -i "testsrc2=size=320x180:rate=10:duration=2" -c:v libx264 \
        -profile:v baseline -level 2.0 -pix_fmt yuv420p -preset medium -crf 23 -threads 1 \
        -x264-params "keyint=10:min-keyint=10:scenecut=0:repeat-headers=1" -an -f h264 \
        provision/lab/assets/testclip_320x180_10fps.h264

Baseline profile has no B-frames, so decode order is display order and RTP timestamps simply
step one frame at a time. A keyframe every second with SPS/PPS repeated in-band means a viewer
joining mid-stream (e.g. through the platform's relay) decodes within a second, as with a real
camera. `threads 1` keeps one slice per frame.
"""

from __future__ import annotations

import asyncio
import functools
import random
import struct
from dataclasses import dataclass
from pathlib import Path

from provision.protocols.sdp import MediaDescription, VideoInfo, h264_media, parse_sps

CLIP_PATH = Path(__file__).resolve().parent / "assets" / "testclip_320x180_10fps.h264"
RTP_PAYLOAD_TYPE = 96
CLOCK_RATE = 90000
# Leaves room for IP/UDP/RTP headers (and the 4-byte interleave prefix) under a 1500-byte MTU.
MAX_RTP_PAYLOAD = 1400
FU_A = 28
DEFAULT_FPS = 10.0
# If a session falls this far behind its schedule (TCP back-pressure), re-anchor the schedule
# instead of bursting every missed frame at once.
MAX_LAG_S = 1.0


def split_annexb(data: bytes) -> list[bytes]:
    """NAL units of an Annex-B byte stream (start codes 00 00 01 / 00 00 00 01)."""
    nals, start = [], data.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = data.find(b"\x00\x00\x01", begin)
        end = len(data) if nxt < 0 else nxt
        nal = data[begin:end].rstrip(b"\x00")  # trailing zeros belong to the next start code
        if nal:
            nals.append(nal)
        start = nxt
    return nals


def group_access_units(nals: list[bytes]) -> list[tuple[bytes, ...]]:
    """Group NAL units into access units (one picture each) per H.264 7.4.1.2.3."""
    units: list[tuple[bytes, ...]] = []
    current: list[bytes] = []
    seen_picture = False
    for nal in nals:
        kind = nal[0] & 0x1F
        is_slice = kind in (1, 5)
        # A new picture starts at AUD/SEI/SPS/PPS after a slice, or at a slice whose
        # first_mb_in_slice is 0 (ue(v) of 0 is a single '1' bit).
        new_picture = kind in (6, 7, 8, 9) or (is_slice and len(nal) > 1 and nal[1] & 0x80)
        if current and seen_picture and new_picture:
            units.append(tuple(current))
            current, seen_picture = [], False
        current.append(nal)
        seen_picture = seen_picture or is_slice
    if current:
        units.append(tuple(current))
    return units


def packetize_nal(nal: bytes, max_payload: int = MAX_RTP_PAYLOAD) -> list[bytes]:
    """RTP payloads for one NAL unit: a single-NAL packet, or FU-A fragments (RFC 6184 5.8)."""
    if len(nal) <= max_payload:
        return [nal]
    indicator = (nal[0] & 0xE0) | FU_A  # keep F and NRI, type 28
    kind, body, step = nal[0] & 0x1F, nal[1:], max_payload - 2
    payloads = []
    for offset in range(0, len(body), step):
        start = 0x80 if offset == 0 else 0
        end = 0x40 if offset + step >= len(body) else 0
        payloads.append(bytes((indicator, start | end | kind)) + body[offset : offset + step])
    return payloads


def depacketize(payloads: list[bytes]) -> list[bytes]:
    """NAL units back from single-NAL and FU-A payloads: the receiving side of `packetize_nal`,
    for checking what a viewer really got. A broken fragment sequence raises ValueError."""
    nals: list[bytes] = []
    fragment: bytearray | None = None
    for p in payloads:
        if p[0] & 0x1F != FU_A:
            if fragment is not None:
                raise ValueError("single NAL unit inside an unfinished FU-A")
            nals.append(p)
            continue
        if p[1] & 0x80:
            if fragment is not None:
                raise ValueError("FU-A start inside another fragment")
            fragment = bytearray([(p[0] & 0xE0) | (p[1] & 0x1F)])
        if fragment is None:
            raise ValueError("FU-A continuation without a start")
        fragment += p[2:]
        if p[1] & 0x40:
            nals.append(bytes(fragment))
            fragment = None
    if fragment is not None:
        raise ValueError("unfinished FU-A at the end")
    return nals


_HEADER = struct.Struct("!BBHII")


def rtp_packet(payload: bytes, *, marker: bool, seq: int, timestamp: int, ssrc: int) -> bytes:
    """RTP version 2, no padding/extension/CSRC, payload type 96."""
    second = (0x80 if marker else 0) | RTP_PAYLOAD_TYPE
    return _HEADER.pack(0x80, second, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


@dataclass(frozen=True, slots=True)
class Clip:
    sps: bytes
    pps: bytes
    info: VideoInfo
    fps: float
    access_units: tuple[tuple[bytes, ...], ...]
    # Per access unit, its RTP payloads in order; the last one carries the marker bit.
    payloads: tuple[tuple[bytes, ...], ...]

    @property
    def frame_ticks(self) -> int:
        return round(CLOCK_RATE / self.fps)

    def media(self) -> MediaDescription:
        return h264_media(self.sps, self.pps, fps=self.fps, payload_type=RTP_PAYLOAD_TYPE)


@functools.cache
def load_clip(path: Path = CLIP_PATH) -> Clip:
    """Parse and packetise the clip once per process; every camera shares the result."""
    nals = split_annexb(path.read_bytes())
    sps = next(n for n in nals if n[0] & 0x1F == 7)
    pps = next(n for n in nals if n[0] & 0x1F == 8)
    info = parse_sps(sps)
    units = tuple(group_access_units(nals))
    payloads = tuple(tuple(p for nal in au for p in packetize_nal(nal)) for au in units)
    return Clip(sps, pps, info, info.fps or DEFAULT_FPS, units, payloads)


class ClipSubscription:
    """One viewer's RTP stream of the looping clip, paced in real time at the clip's frame rate.

    Iterating yields one list of RTP packets per frame; the sleep between frames is the only
    timer, and it exists only while someone is playing.
    """

    def __init__(self, clip: Clip) -> None:
        self.clip = clip
        self.ssrc = random.getrandbits(32)
        self.first_seq = random.getrandbits(16)
        self.first_rtptime = random.getrandbits(32)
        self._seq = self.first_seq
        self._frame = 0
        self._anchor: float | None = None
        self._closed = False

    def __aiter__(self) -> ClipSubscription:
        return self

    async def __anext__(self) -> list[bytes]:
        if self._closed:
            raise StopAsyncIteration
        now = asyncio.get_running_loop().time()
        period = 1.0 / self.clip.fps
        if self._anchor is None:
            self._anchor = now
        due = self._anchor + self._frame * period
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > MAX_LAG_S:
            self._anchor = now - self._frame * period
        if self._closed:
            raise StopAsyncIteration
        payloads = self.clip.payloads[self._frame % len(self.clip.payloads)]
        timestamp = self.first_rtptime + self._frame * self.clip.frame_ticks
        last = len(payloads) - 1
        packets = []
        for i, payload in enumerate(payloads):
            packets.append(
                rtp_packet(
                    payload, marker=i == last, seq=self._seq, timestamp=timestamp, ssrc=self.ssrc
                )
            )
            self._seq = (self._seq + 1) & 0xFFFF
        self._frame += 1
        return packets

    def close(self) -> None:
        self._closed = True


class ClipSource:
    """A `StreamSource` serving the shared clip; one instance can serve any number of viewers."""

    def __init__(self, clip: Clip | None = None) -> None:
        self.clip = clip or load_clip()

    def sdp_media(self) -> MediaDescription:
        return self.clip.media()

    def subscribe(self) -> ClipSubscription:
        return ClipSubscription(self.clip)
