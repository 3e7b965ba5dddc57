"""The bitrate each camera of a school really sends, measured from its RTP on the wire.

For the budgets check: every camera the gather reached is played over TCP interleaved for
`window_s(camera)` seconds of media time (`provision.protocols.rtp_meter`) at the main stream
URL its own driver gives (`drivers.streams.camera_source`: vendor paths, or ONVIF GetStreamUri),
with its account, and the payload bytes counted. A camera that cannot be measured says why; the
budget then counts it as it is set (the caller's fallback).

Bounded in time and in load: at most `MAX_STREAMS` cameras of a school play at once (our choice:
where the verifier reaches the cameras across the school's uplink, 8 streams at a typical 2
Mbit/s cap take 16 Mbit/s for a couple of seconds), each within `window + connector.timeout`; a
school of N cameras takes about ceil(N / MAX_STREAMS) windows. The window is one GOP of the
camera's configured stream (gop / fps: an encoder's rate control evens out over a GOP, I-frame
included, so a shorter window can miss or over-count the I-frame), at least `MIN_WINDOW_S` and
at most `MAX_WINDOW_S`. `PROVISION_BITRATE_SECONDS` sets it for every camera instead (the test
suite shortens it); a bad value is an error naming it.
"""

from __future__ import annotations

import asyncio
import os
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
        try:
            rate = await measure(url, seconds, timeout)
        except RtspError as exc:  # refused, 401, no stream: the camera's answer, in words
            return Measured(None, seconds, str(exc))
        except Exception as exc:  # one camera's failure is its own answer
            return Measured(None, seconds, describe_error(exc))
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
