"""The test clip, H.264 RTP packetisation (RFC 6184), SDP and SPS parsing: no sockets needed."""

from __future__ import annotations

import asyncio
import base64
import itertools
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provision.lab.media import (
    MAX_RTP_PAYLOAD,
    ClipSource,
    depacketize,
    group_access_units,
    load_clip,
    packetize_nal,
    split_annexb,
)
from provision.protocols.rtsp import parse_rtp, rtp_timing
from provision.protocols.sdp import build_sdp, parse_sdp, parse_sps, summarise

# SPS NAL units from x264: 1080p High profile (crop 1088→1080), 720p interlaced Main (field
# coding: frame_mbs_only=0), both with VUI timing.
SPS_1080P_HIGH = bytes.fromhex("67640028acd940780227e5c044000003000400000300c83c60c658")
SPS_720I_MAIN = bytes.fromhex("674d4020eca02805df97011000003e90000ea601f162d960")

# What a Hikvision camera answers to DESCRIBE (abridged, as seen on the wire).
HIKVISION_SDP = (
    "v=0\r\no=- 1109162014219182 1109162014219192 IN IP4 x.y.z.w\r\n"
    "s=Media Presentation\r\ne=NONE\r\nb=AS:5050\r\nt=0 0\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast\r\n"
    "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\n"
    "a=x-dimensions:1920,1080\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=420029; packetization-mode=1; "
    "sprop-parameter-sets=" + base64.b64encode(SPS_1080P_HIGH).decode() + ",aO48gA==\r\n"
    "a=Media_header:MEDIAINFO=494D4B48010100000400000100000000000000000000000000000000;\r\n"
)


def test_clip_parses_into_frames_with_parameter_sets() -> None:
    clip = load_clip()
    assert (clip.info.width, clip.info.height, clip.fps) == (320, 180, 10.0)
    assert clip.info.profile_idc == 66  # Baseline: no B-frames, decode order = display order
    assert len(clip.access_units) == 20  # 2 s at 10 fps
    keyframes = [i for i, au in enumerate(clip.access_units) if any(n[0] & 0x1F == 5 for n in au)]
    assert keyframes == [0, 10]
    for i in keyframes:  # SPS/PPS repeated in-band before every IDR
        assert [n[0] & 0x1F for n in clip.access_units[i][:2]] == [7, 8]
    for au in clip.access_units:
        assert sum(1 for n in au if n[0] & 0x1F in (1, 5)) == 1  # one slice per picture
    assert load_clip() is clip  # parsed once per process, shared by every camera


def test_annexb_split_handles_both_start_code_lengths() -> None:
    stream = b"\x00\x00\x00\x01\x67\xaa\x00\x00\x01\x68\xbb\x00\x00\x00\x01\x65\x88\x00"
    assert split_annexb(stream) == [b"\x67\xaa", b"\x68\xbb", b"\x65\x88"]
    units = group_access_units([b"\x67\x01", b"\x68\x01", b"\x65\x88", b"\x41\x9a", b"\x41\x9b"])
    assert [len(u) for u in units] == [3, 1, 1]


def test_clip_payloads_reassemble_to_the_original_nals() -> None:
    clip = load_clip()
    for au, payloads in zip(clip.access_units, clip.payloads, strict=True):
        assert all(len(p) <= MAX_RTP_PAYLOAD for p in payloads)
        assert depacketize(list(payloads)) == list(au)
    assert any(p[0] & 0x1F == 28 for ps in clip.payloads for p in ps)  # FU-A really used


@pytest.mark.parametrize(
    "payloads",
    [
        [b"\x7c\x05ab", b"\x41\x9a"],  # single NAL inside an unfinished FU-A
        [b"\x7c\x45ab"],  # continuation/end without a start
        [b"\x7c\x85ab", b"\x7c\x85cd"],  # a second start
        [b"\x7c\x85ab"],  # never finished
    ],
)
def test_depacketize_rejects_broken_fragment_sequences(payloads: list[bytes]) -> None:
    with pytest.raises(ValueError):
        depacketize(payloads)


@settings(max_examples=200, deadline=None)
@given(
    header=st.sampled_from([0x65, 0x41, 0x21, 0x06]),
    body=st.binary(min_size=1, max_size=6000),
    mtu=st.integers(min_value=3, max_value=1500),
)
def test_fu_a_fragmentation_roundtrip(header: int, body: bytes, mtu: int) -> None:
    nal = bytes([header]) + body
    payloads = packetize_nal(nal, mtu)
    assert all(len(p) <= mtu for p in payloads)
    assert depacketize(payloads) == [nal]
    if len(payloads) > 1:
        assert payloads[0][1] & 0xC0 == 0x80 and payloads[-1][1] & 0xC0 == 0x40
        assert all(p[0] == (header & 0xE0) | 28 for p in payloads)  # F/NRI preserved


def test_sps_parser_reads_size_and_rate() -> None:
    hd = parse_sps(SPS_1080P_HIGH)
    assert (hd.width, hd.height, hd.profile_idc, hd.level_idc, hd.fps) == (1920, 1080, 100, 40, 25)
    interlaced = parse_sps(SPS_720I_MAIN)
    assert (interlaced.width, interlaced.height, interlaced.profile_idc) == (1280, 720, 77)
    assert abs((interlaced.fps or 0) - 30000 / 1001) < 1e-6


def test_sdp_roundtrip_carries_parameter_sets() -> None:
    clip = load_clip()
    text = build_sdp([clip.media()], origin_host="127.0.0.1", session_id=7, session_name="cam")
    media = parse_sdp(text).first()
    assert media is not None
    assert (media.encoding, media.clock_rate, media.payload_type) == ("H264", 90000, 96)
    assert media.fmtp["packetization-mode"] == "1"
    assert media.fmtp["profile-level-id"] == clip.sps[1:4].hex().upper()
    assert media.parameter_sets() == [clip.sps, clip.pps]
    info = media.video_info()
    assert info is not None and (info.width, info.height) == (320, 180)


def test_summary_of_a_real_camera_sdp() -> None:
    url = "rtsp://192.168.1.64:554/Streaming/Channels/101"
    desc = summarise(url, url + "/", HIKVISION_SDP)
    assert (desc.codec, desc.clock_rate, desc.width, desc.height) == ("H264", 90000, 1920, 1080)
    # Absolute control URLs are used as they are, not joined to Content-Base.
    assert desc.track_url.endswith("/101/trackID=1?transportmode=unicast")


def test_parse_rtp_skips_csrc_and_extension_and_padding() -> None:
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0x80 | 96, 7, 9000, 0xDEADBEEF)
    csrcs = b"\x00\x00\x00\x01\x00\x00\x00\x02"
    extension = b"\xbe\xde\x00\x01" + b"\x11\x22\x33\x44"
    packet = parse_rtp(header + csrcs + extension + b"\x41\x9a\x00\x00\x02")
    assert packet.payload == b"\x41\x9a\x00"  # two padding bytes, the last says how many
    assert (packet.marker, packet.payload_type, packet.seq, packet.timestamp) == (True, 96, 7, 9000)
    assert packet.ssrc == 0xDEADBEEF
    # What the bitrate meter reads of it, without the payload copied: the same figures.
    assert rtp_timing(header + csrcs + extension + b"\x41\x9a\x00\x00\x02") == (9000, 3)


def test_clip_subscription_numbers_packets_per_rfc3550() -> None:
    source = ClipSource()

    async def first_frames(n: int) -> tuple[list[bytes], list[bytes]]:
        a, b = source.subscribe(), source.subscribe()
        out_a, out_b = [], []
        for _ in range(n):
            out_a += await a.__anext__()
            out_b += await b.__anext__()
        a.close()
        b.close()
        return out_a, out_b

    # Three frames at 10 fps: the pacing sleeps ~0.2 s in total.
    pa, pb = asyncio.run(first_frames(3))
    packets = [parse_rtp(p) for p in pa]
    clip = source.clip
    assert len({p.ssrc for p in packets}) == 1
    assert parse_rtp(pb[0]).ssrc != packets[0].ssrc  # per-session random SSRC
    seqs = [p.seq for p in packets]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(len(seqs))]
    stamps = list(dict.fromkeys(p.timestamp for p in packets))
    assert len(stamps) == 3
    assert {(b - a) & 0xFFFFFFFF for a, b in itertools.pairwise(stamps)} == {clip.frame_ticks}
    markers = [p.marker for p in packets]
    assert sum(markers) == 3 and markers[-1]
    sent = [nal for au in clip.access_units[:3] for nal in au]
    assert depacketize([p.payload for p in packets]) == sent
