"""H.264 in MPEG-2 Program Stream over RTP, as GB/T 28181 devices stream (§C.2, Appendix C).

Muxing (the device side): each access unit becomes one PS pack (ISO/IEC 13818-1 §2.5.3): a
pack header with the SCR; before a keyframe a system header and a program stream map naming
stream 0xE0 as H.264 (stream_type 0x1B, as GB/T 28181-2016 Appendix C.2.4 specifies); then
PES packets carrying the access unit in Annex B form with its PTS. The pack is cut into RTP
payloads (payload type 96, "PS/90000"), the marker on the last one of each frame, the SSRC
taken from the INVITE's `y=` line. ffprobe reads the result as `mpeg` / `h264`.

Demuxing (the platform side): walk the packs, collect the video PES payloads, and read the
SPS, so the platform can say what it received (codec, width, height) as ZLMediaKit would.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from provision.lab.media import split_annexb
from provision.protocols.sdp import VideoInfo, parse_sps

VIDEO_STREAM_ID = 0xE0
H264_STREAM_TYPE = 0x1B
MUX_RATE = 50_000  # in units of 50 bytes/s: 20 Mbit/s, comfortably above the clip's rate
MAX_PES_PAYLOAD = 65_000  # PES_packet_length is 16 bits
START = b"\x00\x00\x01"


def _mpeg_crc32(data: bytes) -> int:
    """CRC-32/MPEG-2 (polynomial 0x04C11DB7, no reflection, initial 0xFFFFFFFF)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def pack_header(scr: int) -> bytes:
    rate = MUX_RATE
    return START + bytes(
        (
            0xBA,
            0x44 | ((scr >> 27) & 0x38) | ((scr >> 28) & 0x03),
            (scr >> 20) & 0xFF,
            ((scr >> 12) & 0xF8) | 0x04 | ((scr >> 13) & 0x03),
            (scr >> 5) & 0xFF,
            ((scr << 3) & 0xF8) | 0x04,  # SCR extension 0
            0x01,
            (rate >> 14) & 0xFF,
            (rate >> 6) & 0xFF,
            ((rate << 2) & 0xFC) | 0x03,
            0xF8,  # no stuffing
        )
    )


def system_header() -> bytes:
    rate = MUX_RATE
    body = bytes(
        (
            0x80 | ((rate >> 15) & 0x7F),
            (rate >> 7) & 0xFF,
            ((rate << 1) & 0xFE) | 0x01,
            0x00,  # audio_bound 0, fixed 0, CSPS 0
            0xE1,  # audio lock, video lock, marker, video_bound 1
            0x7F,
            VIDEO_STREAM_ID,
            0xE0,  # P-STD buffer bound scale 1 (units of 1024 bytes) ...
            0x80,  # ... size bound 128 KiB
        )
    )
    return START + b"\xbb" + struct.pack("!H", len(body)) + body


def program_stream_map() -> bytes:
    es_map = bytes((H264_STREAM_TYPE, VIDEO_STREAM_ID, 0, 0))
    body = bytes((0xE0, 0xFF, 0, 0)) + struct.pack("!H", len(es_map)) + es_map
    head = START + b"\xbc" + struct.pack("!H", len(body) + 4)
    return head + body + struct.pack("!I", _mpeg_crc32(head + body))


def _pts(pts: int) -> bytes:
    return bytes(
        (
            0x21 | ((pts >> 29) & 0x0E),
            (pts >> 22) & 0xFF,
            ((pts >> 14) & 0xFE) | 0x01,
            (pts >> 7) & 0xFF,
            ((pts << 1) & 0xFE) | 0x01,
        )
    )


def pes_packets(payload: bytes, pts: int) -> bytes:
    out = bytearray()
    for offset in range(0, len(payload), MAX_PES_PAYLOAD):
        chunk = payload[offset : offset + MAX_PES_PAYLOAD]
        header = bytes((0x80, 0x80, 5)) + _pts(pts) if offset == 0 else bytes((0x80, 0x00, 0))
        out += START + bytes((VIDEO_STREAM_ID,)) + struct.pack("!H", len(header) + len(chunk))
        out += header + chunk
    return bytes(out)


def mux_access_unit(nals: tuple[bytes, ...], pts: int) -> bytes:
    """One PS pack for one picture; a keyframe carries the system header and the PSM."""
    keyframe = any(n[0] & 0x1F == 5 for n in nals)
    es = b"".join(b"\x00\x00\x00\x01" + n for n in nals)
    pack = pack_header(pts)
    if keyframe:
        pack += system_header() + program_stream_map()
    return pack + pes_packets(es, pts)


def rtp_payloads(pack: bytes, max_payload: int = 1400) -> list[bytes]:
    return [pack[i : i + max_payload] for i in range(0, len(pack), max_payload)]


@dataclass(slots=True)
class Received:
    """What a receiver made of a PS stream: the elementary H.264 bytes and their SPS."""

    packs: int = 0
    video: bytes = b""
    info: VideoInfo | None = None
    has_psm_h264: bool = False


def demux(data: bytes) -> Received:
    """Walk PS packs and packets; malformed trailing bytes (a cut stream) are left alone."""
    out, video, i = Received(), bytearray(), 0
    while i + 4 <= len(data):
        if data[i : i + 3] != START:
            nxt = data.find(START, i + 1)
            if nxt < 0:
                break
            i = nxt
            continue
        code = data[i + 3]
        if code == 0xBA:
            if i + 14 > len(data):
                break
            out.packs += 1
            i += 14 + (data[i + 13] & 0x07)
            continue
        if i + 6 > len(data):
            break
        length = struct.unpack_from("!H", data, i + 4)[0]
        body = data[i + 6 : i + 6 + length]
        if code == 0xBC and bytes((H264_STREAM_TYPE, VIDEO_STREAM_ID)) in body:
            out.has_psm_h264 = True
        elif code == VIDEO_STREAM_ID and len(body) >= 3:
            video += body[3 + body[2] :]
        i += 6 + length
    out.video = bytes(video)
    sps = next((n for n in split_annexb(out.video) if n[0] & 0x1F == 7), None)
    out.info = parse_sps(sps) if sps else None
    return out
