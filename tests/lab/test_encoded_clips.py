"""The camera clips as an encoder's settings shape them, without a network: H.265 RTP
packetisation (RFC 7798) round-trips, the SPS says the configured frame rate, the filler makes
the configured bitrate, and every shipped clip is the size its name says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provision.lab.media import (
    CLIP_DIR,
    START_CODE,
    clip_name,
    depacketize_h265,
    encoded_clip,
    h265_type,
    load_clip,
    packetize_h265_nal,
    shipped_sizes,
)
from provision.lab.onvif_state import RESOLUTIONS
from provision.protocols.sdp import parse_sps


@pytest.mark.parametrize("codec", ["H264", "H265"])
def test_a_clip_ships_for_every_resolution_the_camera_offers(codec: str) -> None:
    assert shipped_sizes(codec) == sorted(RESOLUTIONS)
    for width, height in RESOLUTIONS:
        clip = load_clip(CLIP_DIR / clip_name(codec, width, height))
        assert (clip.codec, clip.info.width, clip.info.height) == (codec, width, height)
        assert len(clip.access_units) == 10


@given(
    body=st.binary(min_size=1, max_size=5000),
    kind=st.integers(0, 40),
    mtu=st.integers(min_value=16, max_value=1400),
)
def test_h265_fragmentation_round_trips(body: bytes, kind: int, mtu: int) -> None:
    nal = bytes(((kind << 1) & 0x7E, 1)) + body
    payloads = packetize_h265_nal(nal, mtu)
    assert all(len(p) <= mtu for p in payloads)
    if len(payloads) > 1:
        assert all(h265_type(p) == 49 for p in payloads)  # FU, the type in the FU header
    assert depacketize_h265(payloads) == [nal]


@pytest.mark.parametrize(("fps", "kbps"), [(25, 4096), (12, 512), (30, 8192)])
def test_h264_stream_says_the_configured_rate_and_carries_the_bitrate(fps: int, kbps: int) -> None:
    clip = encoded_clip("H264", 1920, 1080, fps, kbps)
    assert parse_sps(clip.sps).fps == fps
    in_band = [n for au in clip.access_units for n in au if n[0] & 0x1F == 7]
    assert in_band and all(n == clip.sps for n in in_band)  # repeated SPSs say it too
    assert clip.bytes_per_second() * 8 / 1000 == pytest.approx(kbps, rel=0.02)
    assert clip.media().framerate == fps


def test_h265_media_and_a_rate_below_the_clip_own() -> None:
    clip = encoded_clip("H265", 3840, 2160, 15, 2048)
    assert clip.media().encoding == "H265"
    assert set(clip.media().fmtp) == {"sprop-vps", "sprop-sps", "sprop-pps"}
    assert clip.bytes_per_second() * 8 / 1000 == pytest.approx(2048, rel=0.02)
    starved = encoded_clip("H265", 3840, 2160, 25, 32)  # below what the clip itself needs
    own = sum(len(n) + START_CODE for au in starved.access_units for n in au)
    assert own == sum(
        len(n) + START_CODE
        for au in load_clip(CLIP_DIR / clip_name("H265", 3840, 2160)).access_units
        for n in au
    )


def test_an_unshipped_size_gets_the_nearest_clip() -> None:
    assert (encoded_clip("H264", 1920, 1088, 25, 2048).info.width) == 1920
    with pytest.raises(ValueError, match="H264 and H265"):
        encoded_clip("MJPEG", 640, 360, 25, 512)
