"""What ZLMediaKit's API says about its proxies' streams: media sources, statistics, config.

Shapes from server/WebApi.cpp at commit fdaec260 (see platform_zlm_wire): a proxied stream is
one MediaSource per enabled protocol (the stock config.ini's [protocol] enables rtsp, rtmp,
hls, ts and fmp4), each listed by getMediaList as makeMediaSourceJson writes it, with the
tracks of dumpTracks. PlayerProxy's status is 0 while playing, 1 otherwise, and its status_str
"connecting", "playing", "play failed: ..." or "play shutdown: ...". getServerConfig answers
every key of the stock conf/config.ini (provision/lab/specs/zlmediakit) as strings, `data`
holding one object; version answers the build identification (ENABLE_VERSION builds).

Not modelled: HLS appearing only after its first segment, per-protocol byte counters (every
schema reports the pull's bytes), loss rates (0.0 where ZLM would report one).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from provision.lab.relay import PulledStream

SCHEMAS = ("fmp4", "hls", "rtmp", "rtsp", "ts")  # ZLM's *_SCHEMA, in its map's order
CODEC_IDS = {"H264": 0, "H265": 1}  # ZLM's CodecId
TRACK_VIDEO, ORIGIN_PULL = 0, 4  # TrackType, MediaOriginType::pull
VERSION = {
    "buildTime": "2026-08-21T13:22:38",
    "branchName": "master",
    "commitHash": "fdaec26",
}


@cache
def stock_config() -> dict[str, str]:
    """conf/config.ini as mINI holds it: "section.key" → value."""
    text = files("provision.lab").joinpath("specs/zlmediakit/config.ini").read_text("utf-8")
    config: dict[str, str] = {}
    section = ""
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = re.fullmatch(r"\[(.+)\]", line)
        if header:
            section = header.group(1)
            continue
        key, _, value = line.partition("=")
        config[f"{section}.{key.strip()}"] = value.strip()
    return config


def status_str(pulled: PulledStream) -> str:
    if pulled.online:
        return "playing"
    if pulled.last_error is None:
        return "connecting"
    verb = "shutdown" if pulled.repull_count or pulled.live_secs else "failed"
    return f"play {verb}: {pulled.last_error}"


def tracks(pulled: PulledStream) -> list[dict[str, Any]]:
    """dumpTracks for a pulled stream: its video track once online, else none."""
    relay = pulled.relay
    if relay is None:
        return []
    info = relay.media.video_info()
    fps = round(info.fps) if info and info.fps else 0
    gop = relay.gop_size
    return [
        {
            "codec_id": CODEC_IDS.get(relay.media.encoding.upper(), 0),
            "codec_id_name": relay.media.encoding,
            "ready": True,
            "codec_type": TRACK_VIDEO,
            "frames": relay.frames,
            "duration": int(pulled.alive_seconds() * 1000),
            "width": info.width if info else 0,
            "height": info.height if info else 0,
            "key_frames": relay.key_frames,
            "fps": fps,
            "gop_size": gop,
            "gop_interval_ms": int(gop * 1000 / fps) if fps else 0,
        }
    ]


def media_source(
    schema: str,
    tuple_: dict[str, str],
    url: str,
    pulled: PulledStream,
    local_ip: str,
    *,
    with_loss: bool,
) -> dict[str, Any]:
    """makeMediaSourceJson for one schema of an online proxy."""
    relay = pulled.relay
    assert relay is not None and pulled.online_since is not None
    alive = pulled.alive_seconds()
    upstream = urlsplit(url)
    readers = len(relay.subscribers) if schema == "rtsp" else 0
    dumped = tracks(pulled)
    if with_loss:  # only when ZLM runs it on the source's own poller (one source asked for)
        for track in dumped:
            track["loss"] = 0.0
    return {
        "schema": schema,
        **tuple_,
        "createStamp": int(pulled.online_since),
        "aliveSecond": int(alive),
        "bytesSpeed": int(pulled.total_bytes / alive) if alive >= 1 else 0,
        "totalBytes": pulled.total_bytes,
        "readerCount": readers,
        "totalReaderCount": readers,
        "originType": ORIGIN_PULL,
        "originTypeStr": "pull",
        "originUrl": url,
        "isRecordingMP4": False,
        "isRecordingHLS": False,
        "originSock": {
            "peer_ip": upstream.hostname or "",
            "peer_port": upstream.port or 554,
            "local_port": 0,
            "local_ip": local_ip,
            "identifier": f"{id(pulled):x}",
        },
        "tracks": dumped,
    }


def statistic(sources: int, online: int) -> dict[str, int]:
    """getStatisticJson's object counts (no ENABLE_MEM_DEBUG): sources and their pulls."""
    counts = dict.fromkeys(
        ("MediaSource", "MultiMediaSourceMuxer", "TcpServer", "TcpSession", "UdpServer"), 0
    )
    counts |= dict.fromkeys(("UdpSession", "TcpClient", "Socket", "FrameImp", "Frame"), 0)
    counts |= dict.fromkeys(("Buffer", "BufferRaw", "BufferLikeString", "BufferList"), 0)
    counts |= {"RtpPacket": 0, "RtmpPacket": 0}
    counts |= {"MediaSource": sources, "MultiMediaSourceMuxer": online, "TcpClient": online}
    counts |= {"TcpServer": 3, "Socket": 3 + online}  # http, rtsp, rtmp listeners
    return counts
