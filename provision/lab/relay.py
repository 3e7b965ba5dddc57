"""The platform's relay: one pull of a camera's RTSP fanned out to any number of viewers.

`PulledStream` is a camera being pulled (with the platform's retry and backoff); its
`RelaySource` serves what arrives to viewers through the platform's RTSP server, starting each
new viewer at a cached keyframe. `StreamPuller` is what the two API front ends
(`platform_zlm`, `platform_mediamtx`) need of the platform that owns them.
"""

from __future__ import annotations

import asyncio
import random
import struct
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from provision.lab import netmap
from provision.protocols.rtsp import RtspPull, parse_rtp
from provision.protocols.sdp import MediaDescription, StreamDescription

GOP_CACHE_MAX = 1024  # packets; a runaway GOP is not cached
VIEWER_QUEUE_MAX = 2048  # packets queued for one slow viewer before dropping
_HEADER = struct.Struct("!BBHII")


def _has_keyframe(packet: bytes, h265: bool = False) -> bool:
    """Does this RTP packet carry a keyframe or a parameter set? H.264 (RFC 6184: IDR or SPS in
    a single NAL, STAP-A or FU-A packet) or H.265 (RFC 7798: IRAP 16-23 or VPS/SPS/PPS in a
    single NAL, AP or FU packet)."""
    try:
        payload = parse_rtp(packet).payload
    except ValueError:
        return False
    if h265:
        return _h265_keyframe(payload)
    kind = payload[0] & 0x1F if payload else 0
    if kind == 28 and len(payload) > 1:  # FU-A: the fragmented NAL's type is in the FU header
        return payload[1] & 0x1F in (5, 7)
    if kind == 24:  # STAP-A: 16-bit size + NAL, repeated
        offset = 1
        while offset + 2 < len(payload):
            if payload[offset + 2] & 0x1F in (5, 7):
                return True
            offset += 2 + int.from_bytes(payload[offset : offset + 2], "big")
        return False
    return kind in (5, 7)


def _is_h265_key(kind: int) -> bool:
    return 16 <= kind <= 23 or 32 <= kind <= 34


def _h265_keyframe(payload: bytes) -> bool:
    if len(payload) < 3:
        return False
    kind = (payload[0] >> 1) & 0x3F
    if kind == 49:  # FU: the fragmented NAL's type is in the FU header
        return _is_h265_key(payload[2] & 0x3F)
    if kind == 48:  # AP: 16-bit size + NAL, repeated after the 2-byte payload header
        offset = 2
        while offset + 2 < len(payload):
            if _is_h265_key((payload[offset + 2] >> 1) & 0x3F):
                return True
            offset += 2 + int.from_bytes(payload[offset : offset + 2], "big")
        return False
    return _is_h265_key(kind)


class RelaySubscription:
    """One viewer of a relay: upstream packets re-stamped with this viewer's SSRC/seq/timestamp."""

    def __init__(self, relay: RelaySource) -> None:
        self.id = str(uuid.uuid4())
        self.ssrc = random.getrandbits(32)
        self.first_seq = random.getrandbits(16)
        self.first_rtptime = random.getrandbits(32)
        self._relay, self._seq = relay, self.first_seq
        self._offset: int | None = None
        self._queue: list[bytes] = []
        self._wake = asyncio.Event()
        self._started = self._ended = False

    def feed(self, packet: bytes, *, at_frame_start: bool) -> None:
        if not self._started and not at_frame_start:
            return  # join on a frame boundary, never mid-fragment
        self._started = True
        if len(self._queue) >= VIEWER_QUEUE_MAX:
            return
        first, second, _seq, ts, _ssrc = _HEADER.unpack_from(packet)
        if self._offset is None:
            self._offset = self.first_rtptime - ts
        stamp = (ts + self._offset) & 0xFFFFFFFF
        self._queue.append(_HEADER.pack(first, second, self._seq, stamp, self.ssrc) + packet[12:])
        self._seq = (self._seq + 1) & 0xFFFF
        self._wake.set()

    def end(self) -> None:
        self._ended = True
        self._wake.set()

    def __aiter__(self) -> RelaySubscription:
        return self

    async def __anext__(self) -> list[bytes]:
        while not self._queue:
            if self._ended:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        batch, self._queue = self._queue, []
        return batch

    def close(self) -> None:
        self.end()
        self._relay.subscribers.discard(self)


class RelaySource:
    """Fans one upstream RTP stream out to viewers (a `StreamSource`), with a GOP cache so a new
    viewer starts from the last keyframe at once, as ZLMediaKit does."""

    def __init__(self, media: MediaDescription) -> None:
        self.media = media
        self._h265 = media.encoding.upper() in ("H265", "HEVC")
        self.subscribers: set[RelaySubscription] = set()
        self.frames = self.key_frames = self.gop_size = 0
        self._gop: list[bytes] = []  # complete frames since the last keyframe
        self._gop_frames = 0
        self._frame: list[bytes] = []  # the frame being received
        self._frame_is_key = False

    def sdp_media(self) -> MediaDescription:
        return self.media

    def subscribe(self) -> RelaySubscription:
        sub = RelaySubscription(self)
        if self._gop:  # start from the last keyframe, including the frame in flight
            for packet in self._gop + self._frame:
                sub.feed(packet, at_frame_start=True)
        self.subscribers.add(sub)
        return sub

    def push(self, packet: bytes) -> None:
        if len(packet) < 12:
            return
        at_start = not self._frame
        self._frame.append(packet)
        self._frame_is_key = self._frame_is_key or _has_keyframe(packet, self._h265)
        for sub in self.subscribers:
            sub.feed(packet, at_frame_start=at_start)
        if packet[1] & 0x80:  # marker: last packet of the frame
            self.frames += 1
            if self._frame_is_key:
                self.key_frames += 1
                self.gop_size = self._gop_frames or self.gop_size
                self._gop, self._gop_frames = [], 0
            if self._gop or self._frame_is_key:
                if len(self._gop) + len(self._frame) <= GOP_CACHE_MAX:
                    self._gop += self._frame
                    self._gop_frames += 1
                else:  # stop caching until the next keyframe
                    self._gop, self._gop_frames = [], 0
            self._frame, self._frame_is_key = [], False

    def end(self) -> None:
        for sub in list(self.subscribers):
            sub.end()
        self.subscribers.clear()


class PulledStream:
    """Pull one camera and relay it; re-pull with backoff while it is away.

    `first_result` resolves after the first attempt: None once RTP flows, else the error text
    (ZLM answers addStreamProxy only then). `retry_count` < 0 retries forever; after that many
    consecutive failures the pull gives up and calls `on_give_up`.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        retry_count: int,
        delay: Callable[[int], float],
        on_give_up: Callable[[], None] | None = None,
    ) -> None:
        self.url, self.timeout, self.retry_count, self.delay = url, timeout, retry_count, delay
        self.on_give_up = on_give_up
        self.relay: RelaySource | None = None
        self.description: StreamDescription | None = None
        self.online_since: float | None = None  # wall clock
        self.live_secs = 0.0  # completed online periods
        self.repull_count = 0
        self.total_bytes = 0
        self.last_error: str | None = None
        self.first_result: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._early: list[bytes] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def online(self) -> bool:
        return self.relay is not None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._go_offline()
        if not self.first_result.done():  # an add still waiting must not wait forever
            self.first_result.set_result("player proxy close")

    def _on_packet(self, packet: bytes) -> None:
        self.total_bytes += len(packet)
        if self.relay is not None:
            self.relay.push(packet)
        elif len(self._early) < 256:  # packets that beat the PLAY answer to us
            self._early.append(packet)

    async def _run(self) -> None:
        failures = 0
        while True:
            # In the lab, the camera's inventory address is routed to its simulator.
            pull = RtspPull(
                netmap.translate_url(self.url), timeout=self.timeout, idle_timeout=self.timeout
            )
            pull.subscribe(self._on_packet)
            try:
                desc = await pull.start()
                await pull.wait_first_packet(self.timeout)
                self._go_online(desc)
                failures = 0
                error = await pull.done
                self.repull_count += 1
            except Exception as exc:  # RtspError, or a camera answering nonsense
                error = exc
            finally:
                await pull.stop()
                self._go_offline()
            self.last_error = str(error) if error else "stream ended"
            if not self.first_result.done():
                self.first_result.set_result(self.last_error)
            if 0 <= self.retry_count <= failures:
                if self.on_give_up is not None:
                    self.on_give_up()
                return
            await asyncio.sleep(self.delay(failures))
            failures += 1

    def _go_online(self, desc: StreamDescription) -> None:
        self.description = desc
        self.relay = RelaySource(desc.media or MediaDescription())
        self.online_since, self.last_error = time.time(), None
        for packet in self._early:
            self.relay.push(packet)
        self._early.clear()
        if not self.first_result.done():
            self.first_result.set_result(None)

    def _go_offline(self) -> None:
        if self.relay is not None:
            self.relay.end()
            self.relay = None
        if self.online_since is not None:
            self.live_secs += time.time() - self.online_since
            self.online_since = None
        self._early.clear()

    def alive_seconds(self) -> float:
        return time.time() - self.online_since if self.online_since is not None else 0.0


class StreamPuller(Protocol):
    """The video platform as its API front ends see it: its settings and `pull`."""

    host: str
    secret: str
    pull_timeout: float
    reconnect_delay: tuple[float, float, float]
    mediamtx_retry_pause: float

    def pull(
        self,
        url: str,
        *,
        timeout: float,
        retry_count: int,
        delay: Callable[[int], float],
        on_give_up: Callable[[], None] | None = None,
    ) -> PulledStream: ...
