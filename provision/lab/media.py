"""The lab's video: shipped clips served over RTP as a camera's encoder says (RFC 6184 H.264,
RFC 7798 H.265, RFC 3550 RTP).

Clips are parsed into access units and pre-packetised into RTP payloads once per process
(`load_clip` and `encoded_clip` are cached), so thousands of cameras share one copy; a playing
session only adds its own 12-byte RTP headers (random SSRC, sequence and timestamp base, as
RFC 3550 asks) and a timer per frame. Nothing runs for a camera nobody watches.

What a camera's encoder says, the stream is (`encoded_clip(codec, width, height, fps,
bitrate_kbps)`): the codec and picture size pick one of the shipped clips under assets/
(tools/make_lab_clips.py made them with ffmpeg 5.1, libx264 and libx265: ten frames of a test
card per codec and resolution, a keyframe at the start of each loop, no B-frames); the frame
rate sets the RTP timestamp step and the pacing, and is written into the H.264 SPS's VUI timing
(the H.265 clips carry none, so players take the rate from the timestamps); the bitrate is made
up with filler data NAL units (H.264 type 12, H.265 FD_NUT 38), spread evenly over the frames,
so a player counting bytes reads the configured rate. A rate below the clip's own (about
150 kbit/s for 4K at 25 fps) cannot be honoured and is served at the clip's rate. A size
without a shipped clip gets the nearest one by area (cameras only offer the shipped sizes).

The original 320x180 10 fps H.264 clip (`CLIP_PATH`) stays the default of `ClipSource()` for
sources that are not cameras (the platforms' tests):

    ffmpeg -f lavfi -i "testsrc2=size=320x180:rate=10:duration=2" -c:v libx264 \
        -profile:v baseline -level 2.0 -pix_fmt yuv420p -preset medium -crf 23 -threads 1 \
        -x264-params "keyint=10:min-keyint=10:scenecut=0:repeat-headers=1" -an -f h264 \
        provision/lab/assets/testclip_320x180_10fps.h264

No B-frames means decode order is display order and RTP timestamps simply step one frame at a
time. A keyframe every loop with parameter sets repeated in-band means a viewer joining
mid-stream (e.g. through the platform's relay) decodes within a second, as with a real camera.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import random
import struct
from dataclasses import dataclass, replace
from pathlib import Path

from provision.protocols.sdp import (
    MediaDescription,
    VideoInfo,
    _Bits,
    h264_media,
    parse_sps,
    unescape_rbsp,
)

ASSETS = Path(__file__).resolve().parent / "assets"
CLIP_PATH = ASSETS / "testclip_320x180_10fps.h264"
CLIP_DIR = ASSETS / "clips"
CLIP_FPS = 10  # the shipped camera clips: CLIP_FRAMES frames at this rate, one keyframe each
CLIP_FRAMES = 10
CODECS = ("H264", "H265")
RTP_PAYLOAD_TYPE = 96
CLOCK_RATE = 90000
# Leaves room for IP/UDP/RTP headers (and the 4-byte interleave prefix) under a 1500-byte MTU.
MAX_RTP_PAYLOAD = 1400
FU_A = 28  # RFC 6184 5.8
H265_FU = 49  # RFC 7798 4.4.3
DEFAULT_FPS = 10.0
# If a session falls this far behind its schedule (TCP back-pressure), re-anchor the schedule
# instead of bursting every missed frame at once.
MAX_LAG_S = 1.0
START_CODE = 4  # bytes a player puts before each NAL unit when it reassembles a frame


def clip_name(codec: str, width: int, height: int) -> str:
    """File name of the shipped clip for a codec ("H264"/"H265") and picture size."""
    return f"{codec.lower()}_{width}x{height}.{codec.lower()}"


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
    """Group H.264 NAL units into access units (one picture each) per H.264 7.4.1.2.3."""
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


def h265_type(nal: bytes) -> int:
    return (nal[0] >> 1) & 0x3F


def group_h265_access_units(nals: list[bytes]) -> list[tuple[bytes, ...]]:
    """H.265 access units (H.265 7.4.2.4.4): a new one starts at VPS/SPS/PPS/AUD/prefix SEI
    after a picture, or at a slice with first_slice_segment_in_pic_flag set."""
    units: list[tuple[bytes, ...]] = []
    current: list[bytes] = []
    seen_picture = False
    for nal in nals:
        kind = h265_type(nal)
        is_slice = kind < 32
        new_picture = kind in (32, 33, 34, 35, 39) or (is_slice and len(nal) > 2 and nal[2] & 0x80)
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


def packetize_h265_nal(nal: bytes, max_payload: int = MAX_RTP_PAYLOAD) -> list[bytes]:
    """RTP payloads for one H.265 NAL unit: single NAL unit packet (RFC 7798 4.4.1) or
    fragmentation units (4.4.3): PayloadHdr type 49 keeping F, LayerId and TID, then an FU
    header S|E|FuType, then the fragment of the NAL unit without its 2-byte header."""
    if len(nal) <= max_payload:
        return [nal]
    header = bytes(((nal[0] & 0x81) | (H265_FU << 1), nal[1]))
    kind, body, step = h265_type(nal), nal[2:], max_payload - 3
    payloads = []
    for offset in range(0, len(body), step):
        start = 0x80 if offset == 0 else 0
        end = 0x40 if offset + step >= len(body) else 0
        payloads.append(header + bytes((start | end | kind,)) + body[offset : offset + step])
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


def depacketize_h265(payloads: list[bytes]) -> list[bytes]:
    """NAL units back from H.265 single and FU payloads (the receiving side of
    `packetize_h265_nal`); a broken fragment sequence raises ValueError."""
    nals: list[bytes] = []
    fragment: bytearray | None = None
    for p in payloads:
        if h265_type(p) != H265_FU:
            if fragment is not None:
                raise ValueError("single NAL unit inside an unfinished FU")
            nals.append(p)
            continue
        if p[2] & 0x80:
            if fragment is not None:
                raise ValueError("FU start inside another fragment")
            fragment = bytearray(((p[0] & 0x81) | ((p[2] & 0x3F) << 1), p[1]))
        if fragment is None:
            raise ValueError("FU continuation without a start")
        fragment += p[3:]
        if p[2] & 0x40:
            nals.append(bytes(fragment))
            fragment = None
    if fragment is not None:
        raise ValueError("unfinished FU at the end")
    return nals


_HEADER = struct.Struct("!BBHII")


def rtp_packet(payload: bytes, *, marker: bool, seq: int, timestamp: int, ssrc: int) -> bytes:
    """RTP version 2, no padding/extension/CSRC, payload type 96."""
    second = (0x80 if marker else 0) | RTP_PAYLOAD_TYPE
    return _HEADER.pack(0x80, second, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


def escape_rbsp(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes (00 00 0x with x <= 3 → 00 00 03 0x), H.264 7.4.1."""
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def parse_h265_sps(nal: bytes) -> VideoInfo:
    """Picture size of an H.265 SPS (7.3.2.2), conformance window applied; 4:2:0 assumed for
    the window units, as every camera stream is."""
    if len(nal) < 3 or h265_type(nal) != 33:
        raise ValueError("not an H.265 SPS NAL unit")
    bits = _Bits(unescape_rbsp(nal[2:]))
    bits.u(4)  # sps_video_parameter_set_id
    sub_layers = bits.u(3)
    bits.u(1)  # sps_temporal_id_nesting_flag
    profile = bits.u(8) & 0x1F  # general profile space, tier, profile idc
    bits.u(32), bits.u(32), bits.u(16)  # compatibility flags, constraint flags (48 bits)
    level = bits.u(8)
    if sub_layers:
        flags = [(bits.u(1), bits.u(1)) for _ in range(sub_layers)]
        for _ in range(sub_layers, 8):
            bits.u(2)
        for profile_present, level_present in flags:
            if profile_present:
                bits.u(32), bits.u(32), bits.u(24)  # 88 bits of sub-layer profile
            if level_present:
                bits.u(8)
    bits.ue()  # sps_seq_parameter_set_id
    if bits.ue() == 3:  # chroma_format_idc
        bits.u(1)
    width, height = bits.ue(), bits.ue()
    if bits.u(1):  # conformance_window_flag
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        width -= 2 * (left + right)
        height -= 2 * (top + bottom)
    return VideoInfo(width, height, profile, level, None)


def h264_sps_with_fps(sps: bytes, old_fps: float, fps: float) -> bytes:
    """The SPS with its VUI timing (num_units_in_tick, time_scale) saying `fps`.

    The generator wrote num_units_in_tick=1, time_scale=2*old_fps (x264's choice); those 64
    bits are found after the timing_info_present_flag and replaced, and the result is checked
    by parsing it back. An SPS without that timing comes back unchanged."""
    rbsp = unescape_rbsp(sps[1:])
    bits = "".join(f"{b:08b}" for b in rbsp)
    old = "1" + f"{1:032b}" + f"{round(2 * old_fps):032b}"
    at = bits.find(old)
    if at < 0 or fps <= 0:
        return sps
    units, scale = (1000, round(2000 * fps)) if fps != int(fps) else (1, round(2 * fps))
    new = "1" + f"{units:032b}" + f"{scale:032b}"
    patched = bits[:at] + new + bits[at + len(old) :]
    data = int(patched, 2).to_bytes(len(rbsp), "big")
    result = sps[:1] + escape_rbsp(data)
    info = parse_sps(result)
    if info.fps is None or abs(info.fps - fps) > 1e-6:
        return sps  # not the pattern we looked for after all: leave the clip's own timing
    return result


def filler_nal(codec: str, size: int) -> bytes:
    """A filler data NAL unit of `size` bytes (at least 3): H.264 type 12 (7.3.2.7), H.265
    FD_NUT 38 (7.3.2.8): 0xFF bytes then the rbsp trailing bits."""
    header = b"\x0c" if codec == "H264" else bytes((38 << 1, 1))
    return header + b"\xff" * max(0, size - len(header) - 1) + b"\x80"


@dataclass(frozen=True, slots=True)
class Clip:
    sps: bytes
    pps: bytes
    info: VideoInfo
    fps: float
    access_units: tuple[tuple[bytes, ...], ...]
    # Per access unit, its RTP payloads in order; the last one carries the marker bit.
    payloads: tuple[tuple[bytes, ...], ...]
    codec: str = "H264"
    vps: bytes = b""  # H.265 only

    @property
    def frame_ticks(self) -> int:
        return round(CLOCK_RATE / self.fps)

    def media(self) -> MediaDescription:
        if self.codec == "H264":
            return h264_media(self.sps, self.pps, fps=self.fps, payload_type=RTP_PAYLOAD_TYPE)
        sprop = {  # RFC 7798 7.1
            "sprop-vps": base64.b64encode(self.vps).decode(),
            "sprop-sps": base64.b64encode(self.sps).decode(),
            "sprop-pps": base64.b64encode(self.pps).decode(),
        }
        return MediaDescription(
            "video", RTP_PAYLOAD_TYPE, "H265", CLOCK_RATE, sprop, "trackID=0", self.fps
        )

    def bytes_per_second(self) -> float:
        """What a player counts: every NAL unit with its start code, at the clip's rate."""
        total = sum(len(n) + START_CODE for au in self.access_units for n in au)
        return total * self.fps / len(self.access_units)


def _packetize(codec: str, units: tuple[tuple[bytes, ...], ...]) -> tuple[tuple[bytes, ...], ...]:
    pack = packetize_nal if codec == "H264" else packetize_h265_nal
    return tuple(tuple(p for nal in au for p in pack(nal)) for au in units)


@functools.cache
def load_clip(path: Path = CLIP_PATH) -> Clip:
    """Parse and packetise a clip once per process; every camera shares the result. The
    codec follows the file's extension (.h264, .h265)."""
    nals = split_annexb(path.read_bytes())
    if path.suffix == ".h265":
        vps = next(n for n in nals if h265_type(n) == 32)
        sps = next(n for n in nals if h265_type(n) == 33)
        pps = next(n for n in nals if h265_type(n) == 34)
        info = parse_h265_sps(sps)
        units = tuple(group_h265_access_units(nals))
        fps = float(CLIP_FPS)
        return Clip(sps, pps, info, fps, units, _packetize("H265", units), "H265", vps)
    sps = next(n for n in nals if n[0] & 0x1F == 7)
    pps = next(n for n in nals if n[0] & 0x1F == 8)
    info = parse_sps(sps)
    units = tuple(group_access_units(nals))
    return Clip(sps, pps, info, info.fps or DEFAULT_FPS, units, _packetize("H264", units))


def shipped_sizes(codec: str) -> list[tuple[int, int]]:
    sizes = []
    for path in CLIP_DIR.glob(f"{codec.lower()}_*x*.{codec.lower()}"):
        width, _, height = path.stem.partition("_")[2].partition("x")
        sizes.append((int(width), int(height)))
    return sorted(sizes)


@functools.lru_cache(maxsize=128)
def encoded_clip(codec: str, width: int, height: int, fps: float, bitrate_kbps: int) -> Clip:
    """The stream an encoder set to these values sends (see the module docstring); cached, so
    every camera with the same settings shares one copy."""
    if codec not in CODECS:
        raise ValueError(f"the lab streams {' and '.join(CODECS)}, not {codec}")
    sizes = shipped_sizes(codec)
    if not sizes:
        raise FileNotFoundError(f"no {codec} clips under {CLIP_DIR}: run tools/make_lab_clips.py")
    if (width, height) not in sizes:
        width, height = min(sizes, key=lambda s: abs(s[0] * s[1] - width * height))
    base = load_clip(CLIP_DIR / clip_name(codec, width, height))
    units = base.access_units
    sps = base.sps
    if codec == "H264":
        sps = h264_sps_with_fps(base.sps, base.fps, fps)
        units = tuple(tuple(sps if n == base.sps else n for n in au) for au in units)
    clip = replace(base, sps=sps, fps=float(fps), access_units=units)
    deficit = bitrate_kbps * 125 - clip.bytes_per_second()  # bytes per second
    per_frame = int(deficit / fps) - START_CODE
    if per_frame >= 3:
        filler = filler_nal(codec, per_frame)
        units = tuple((*au, filler) for au in units)
        clip = replace(clip, access_units=units)
    return replace(clip, payloads=_packetize(codec, clip.access_units))


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
