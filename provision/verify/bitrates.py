"""The bitrate each camera of a school really sends, measured from its RTP on the wire.

For the budgets check: every camera the gather reached is played over TCP interleaved for
`window_s(camera)` seconds of media time (`provision.protocols.rtp_meter`) at the main stream
URL its own driver gives (`drivers.streams.camera_source`: vendor paths, or ONVIF GetStreamUri),
with its account, and the payload bytes counted. A camera that cannot be measured says why; the
budget then counts it as it is set (the caller's fallback).

Bounded in time and in load: at most `MAX_STREAMS` cameras of a school play at once (our choice:
where the verifier reaches the cameras across the school's uplink, 8 streams at a typical 2
Mbit/s cap take 16 Mbit/s for a couple of seconds), each within `window + connector.timeout`; a
school of N cameras takes about ceil(N / MAX_STREAMS) windows. And at most `MAX_RUN_STREAMS`
play at once in the whole process, whatever the schools in flight (the verifier's own link
carries them all: 160 at 2 Mbit/s is 320 Mbit/s; our choice, the most a run of 20 schools in
flight reached before schools in flight were decoupled from the CPU slots, verify/runner.py).
Each school measures on an event loop of its own thread, so that cap is `RunStreams`, a
semaphore whose slots pass between event loops. The window is one GOP of the
camera's configured stream (gop / fps: an encoder's rate control evens out over a GOP, I-frame
included, so a shorter window can miss or over-count the I-frame), at least `MIN_WINDOW_S` and
at most `MAX_WINDOW_S`. `PROVISION_BITRATE_SECONDS` sets it for every camera instead (the test
suite shortens it); a bad value is an error naming it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from provision.drivers.base import Target
from provision.drivers.connect import Connector
from provision.drivers.streams import camera_source, with_userinfo
from provision.errors import ProvisionError, describe_error
from provision.i18n import _
from provision.inventory.model import Camera, City, School
from provision.protocols.rtp_meter import measure
from provision.protocols.rtsp import RtspError

MIN_WINDOW_S, MAX_WINDOW_S = 1.0, 3.0  # "a few seconds of RTP per camera" (issue 14)
WINDOW_ENV = "PROVISION_BITRATE_SECONDS"
MAX_STREAMS = 8  # our choice: see the module docstring
MAX_RUN_STREAMS = 160  # our choice: see the module docstring


class RunStreams:
    """`slots` streams at once across the event loops of every thread of the process.

    A slot freed is handed straight to the longest-waiting stream, on that stream's own loop
    (`call_soon_threadsafe`); a waiter cancelled or whose loop has closed passes it on, so no
    slot is lost to a stopped school."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    async def acquire(self) -> None:
        with self._lock:
            if self._free:
                self._free -= 1
                return
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiting.append((loop, waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            with self._lock:
                if (loop, waiter) in self._waiting:  # never handed a slot
                    self._waiting.remove((loop, waiter))
                    raise
            if waiter.done() and not waiter.cancelled():  # handed one as it was cancelled
                self.release()
            raise  # else `_hand` finds it cancelled and passes the slot on

    def release(self) -> None:
        with self._lock:
            if not self._waiting:
                self._free += 1
                return
            loop, waiter = self._waiting.popleft()
        try:
            loop.call_soon_threadsafe(self._hand, waiter)
        except RuntimeError:  # that school's loop has closed: the next waiter gets it
            self.release()

    def _hand(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():  # cancelled meanwhile
            self.release()
        else:
            waiter.set_result(None)


RUN_STREAMS = RunStreams(MAX_RUN_STREAMS)


@dataclass(frozen=True, slots=True)
class Measured:
    """One camera's measurement: kbps over `seconds`, or why there is none."""

    kbps: float | None
    seconds: float
    error: str | None = None


def window_s(cam: Camera) -> float:
    raw = os.environ.get(WINDOW_ENV)
    if not raw:
        gop_s = cam.video.gop / cam.video.fps if cam.video.fps > 0 else MAX_WINDOW_S
        return min(MAX_WINDOW_S, max(MIN_WINDOW_S, gop_s))
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0.1 <= value <= 60:
        raise ProvisionError(
            _("{name}={value!r}: expected seconds between 0.1 and 60").format(
                name=WINDOW_ENV, value=raw
            )
        )
    return value


def _url(city: City, school: School, cam: Camera, connector: Connector) -> str:
    """The main stream as a player dials it: routed by the connector, with the account."""
    source = urlsplit(camera_source(Target(city, school, cam, connector), cam))
    host, port = connector.address(source.hostname or cam.host, source.port or 554)
    url = urlunsplit(source._replace(netloc=f"{host}:{port}"))
    creds = cam.credentials
    if creds is None:
        return url
    return with_userinfo(url, creds.username, connector.secret(creds.password))


async def _one(url: str, seconds: float, timeout: float, gate: asyncio.Semaphore) -> Measured:
    async with gate:
        await RUN_STREAMS.acquire()
        try:
            rate = await measure(url, seconds, timeout)
        except RtspError as exc:  # refused, 401, no stream: the camera's answer, in words
            return Measured(None, seconds, str(exc))
        except Exception as exc:  # one camera's failure is its own answer
            return Measured(None, seconds, describe_error(exc))
        finally:
            RUN_STREAMS.release()
    if not rate.packets:
        return Measured(None, seconds, "no RTP in the window")
    return Measured(rate.kbps, round(rate.seconds, 2))


def measure_cameras(
    city: City, school: School, cameras: list[Camera], connector: Connector
) -> dict[str, Measured]:
    """camera name → what it sends, for `cameras` (those worth playing), all at once within
    MAX_STREAMS. Secrets only travel inside the URLs handed to the RTSP client."""
    windows = {cam.name: window_s(cam) for cam in cameras}
    urls: dict[str, str] = {}
    out: dict[str, Measured] = {}
    for cam in cameras:
        try:
            urls[cam.name] = _url(city, school, cam, connector)
        except Exception as exc:  # no URL (a driver without streams, a secret unset)
            out[cam.name] = Measured(None, windows[cam.name], describe_error(exc))

    async def run() -> list[Measured]:
        gate = asyncio.Semaphore(MAX_STREAMS)
        jobs = (_one(u, windows[n], connector.timeout, gate) for n, u in urls.items())
        return list(await asyncio.gather(*jobs))

    if urls:
        out.update(zip(urls, asyncio.run(run()), strict=True))
    return out
