"""SDP (RFC 4566) for H.264 over RTP (RFC 6184), and just enough of the H.264 SPS to size a stream.

Both ends of the lab's RTSP need this: the simulated camera writes the SDP its DESCRIBE answers
with, and the platform / verify command read a real camera's SDP. Width, height and frame rate
are not in the SDP text itself; they live in the sequence parameter set carried base64-encoded
in `sprop-parameter-sets`, so a small SPS parser lets a DESCRIBE alone report the resolution.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass, field, fields

H264_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the SPS says about the picture."""

    width: int
    height: int
    profile_idc: int
    level_idc: int
    fps: float | None  # from VUI timing info; None when the encoder did not write it


class _Bits:
    """MSB-first bit reader with Exp-Golomb codes (H.264 7.2)."""

    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data, "big"), len(data) * 8

    def u(self, n: int) -> int:
        if n > self.left:
            raise ValueError("SPS truncated")
        self.left -= n
        return (self.value >> self.left) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code in SPS")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def unescape_rbsp(nal: bytes) -> bytes:
    """Drop emulation-prevention bytes (00 00 03 → 00 00) so the payload can be bit-parsed."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt:
            nxt = (last + bits.se() + 256) % 256
        last = nxt or last


def parse_sps(nal: bytes) -> VideoInfo:
    """Parse an SPS NAL unit (with its 1-byte NAL header) far enough to get size and frame rate."""
    if not nal or nal[0] & 0x1F != 7:
        raise ValueError("not an SPS NAL unit")
    bits = _Bits(unescape_rbsp(nal[1:]))
    profile_idc, _constraints, level_idc = bits.u(8), bits.u(8), bits.u(8)
    bits.ue()  # seq_parameter_set_id
    chroma_format_idc, separate_planes = 1, 0
    if profile_idc in H264_HIGH_PROFILES:
        chroma_format_idc = bits.ue()
        if chroma_format_idc == 3:
            separate_planes = bits.u(1)
        bits.ue(), bits.ue(), bits.u(1)  # bit depths, qpprime_y_zero_transform_bypass
        if bits.u(1):  # seq_scaling_matrix_present_flag
            for i in range(12 if chroma_format_idc == 3 else 8):
                if bits.u(1):
                    _skip_scaling_list(bits, 16 if i < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1), bits.se(), bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue(), bits.u(1)  # max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
    width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.u(1) else (0, 0, 0, 0)
    chroma_array_type = 0 if separate_planes else chroma_format_idc
    sub_w, sub_h = {1: (2, 2), 2: (2, 1), 3: (1, 1)}.get(chroma_array_type, (1, 1))
    crop_x = sub_w if chroma_array_type else 1
    crop_y = (sub_h if chroma_array_type else 1) * (2 - frame_mbs_only)
    width = width_mbs * 16 - crop_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16 - crop_y * (crop[2] + crop[3])
    return VideoInfo(width, height, profile_idc, level_idc, _vui_fps(bits))


def _vui_fps(bits: _Bits) -> float | None:
    try:
        if not bits.u(1):  # vui_parameters_present_flag
            return None
        if bits.u(1) and bits.u(8) == 255:  # aspect_ratio_info → Extended_SAR
            bits.u(16), bits.u(16)
        if bits.u(1):  # overscan_info_present_flag
            bits.u(1)
        if bits.u(1):  # video_signal_type_present_flag
            bits.u(4)
            if bits.u(1):
                bits.u(24)
        if bits.u(1):  # chroma_loc_info_present_flag
            bits.ue(), bits.ue()
        if not bits.u(1):  # timing_info_present_flag
            return None
        units, scale = bits.u(32), bits.u(32)
    except ValueError:
        return None
    return scale / (2 * units) if units else None


@dataclass(frozen=True, slots=True)
class MediaDescription:
    """One `m=` section: what a server offers or what a client found."""

    media: str = "video"
    payload_type: int = 96
    encoding: str = "H264"
    clock_rate: int = 90000
    fmtp: dict[str, str] = field(default_factory=dict)
    control: str = "trackID=0"
    framerate: float | None = None

    def parameter_sets(self) -> list[bytes]:
        """The NAL units in `sprop-parameter-sets` (SPS first, then PPS), [] if absent/bad."""
        try:
            raw = self.fmtp.get("sprop-parameter-sets", "")
            return [base64.b64decode(p) for p in raw.split(",") if p]
        except (binascii.Error, ValueError):
            return []

    def video_info(self) -> VideoInfo | None:
        for nal in self.parameter_sets():
            if nal and nal[0] & 0x1F == 7:
                try:
                    return parse_sps(nal)
                except ValueError:
                    return None
        return None


def h264_media(
    sps: bytes, pps: bytes, *, fps: float | None, payload_type: int = 96, control: str = "trackID=0"
) -> MediaDescription:
    """The `m=video` section a camera advertises for an H.264 stream (RFC 6184 section 8.1)."""
    sprop = ",".join(base64.b64encode(n).decode() for n in (sps, pps))
    fmtp = {
        "packetization-mode": "1",
        "profile-level-id": sps[1:4].hex().upper(),
        "sprop-parameter-sets": sprop,
    }
    return MediaDescription("video", payload_type, "H264", 90000, fmtp, control, fps)


def build_sdp(
    tracks: list[MediaDescription], *, origin_host: str, session_id: int, session_name: str
) -> str:
    """A live-stream session description; `a=control:*` makes the DESCRIBE URL the aggregate."""
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN IP4 {origin_host}",
        f"s={session_name}",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=control:*",
        "a=range:npt=now-",
    ]
    for t in tracks:
        lines += [
            f"m={t.media} 0 RTP/AVP {t.payload_type}",
            f"a=rtpmap:{t.payload_type} {t.encoding}/{t.clock_rate}",
        ]
        if t.fmtp:
            params = ";".join(f"{k}={v}" for k, v in t.fmtp.items())
            lines.append(f"a=fmtp:{t.payload_type} {params}")
        if t.framerate:
            lines.append(f"a=framerate:{t.framerate:g}")
        lines.append(f"a=control:{t.control}")
    return "\r\n".join(lines) + "\r\n"


@dataclass(slots=True)
class SessionDescription:
    session_name: str = ""
    control: str = "*"
    media: list[MediaDescription] = field(default_factory=list)

    def first(self, kind: str = "video") -> MediaDescription | None:
        return next((m for m in self.media if m.media == kind), None)


def parse_sdp(text: str) -> SessionDescription:
    """Parse the parts of an SDP a player needs; unknown lines are ignored, as RFC 4566 asks."""
    desc = SessionDescription()
    current: dict[str, object] | None = None
    sections: list[dict[str, object]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "s" and current is None:
            desc.session_name = value
        elif kind == "m":
            parts = value.split()
            pt = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
            current = {"media": parts[0] if parts else "", "payload_type": pt, "control": ""}
            sections.append(current)
        elif kind == "a":
            name, _, attr = value.partition(":")
            if current is None:
                if name == "control":
                    desc.control = attr
                continue
            _media_attribute(current, name, attr)
    for s in sections:
        desc.media.append(MediaDescription(**s))  # type: ignore[arg-type]
    return desc


def _media_attribute(section: dict[str, object], name: str, attr: str) -> None:
    if name == "rtpmap":
        _pt, _, codec = attr.partition(" ")
        enc, _, rest = codec.partition("/")
        section["encoding"] = enc.upper()
        clock = rest.split("/")[0]
        if clock.isdigit():
            section["clock_rate"] = int(clock)
    elif name == "fmtp":
        _pt, _, params = attr.partition(" ")
        fmtp: dict[str, str] = {}
        for item in params.split(";"):
            key, _, val = item.strip().partition("=")
            if key:
                fmtp[key.strip()] = val.strip()
        section["fmtp"] = fmtp
    elif name == "control":
        section["control"] = attr
    elif name == "framerate":
        with contextlib.suppress(ValueError):
            section["framerate"] = float(attr)


@dataclass(slots=True)
class StreamDescription:
    """A DESCRIBE answer summarised for humans (codec, size) and for SETUP (track URL)."""

    url: str
    content_base: str
    track_url: str
    codec: str | None
    payload_type: int | None
    clock_rate: int | None
    width: int | None
    height: int | None
    fps: float | None
    sdp: str
    media: MediaDescription | None

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly summary, without the raw SDP and the parsed media section."""
        skip = ("media", "sdp")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


def control_url(base: str, control: str) -> str:
    if not control or control == "*":
        return base
    if control.startswith(("rtsp://", "rtsps://")):
        return control
    return base.rstrip("/") + "/" + control


def summarise(url: str, content_base: str, sdp_text: str) -> StreamDescription:
    sdp = parse_sdp(sdp_text)
    media = sdp.first("video") or (sdp.media[0] if sdp.media else None)
    info = media.video_info() if media else None
    base = control_url(content_base, sdp.control)
    return StreamDescription(
        url=url,
        content_base=content_base,
        track_url=control_url(base, media.control) if media else base,
        codec=media.encoding if media else None,
        payload_type=media.payload_type if media else None,
        clock_rate=media.clock_rate if media else None,
        width=info.width if info else None,
        height=info.height if info else None,
        fps=(info.fps if info and info.fps else media.framerate if media else None),
        sdp=sdp_text,
        media=media,
    )
