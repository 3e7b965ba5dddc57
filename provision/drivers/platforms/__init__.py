"""The precinct video platforms a school's cameras are forwarded to, behind one interface.

A precinct runs ZLMediaKit or MediaMTX. Both keep "proxies": a stream name on the platform
that the platform itself pulls from a camera and re-serves. The streams driver only needs to
list, add (or re-point) and remove them under the precinct's app, so that is the interface;
each platform's module maps it to that platform's real HTTP API.

Source URLs handed to `add_proxies` carry the camera's read-only credentials; `list_proxies`
returns URLs as the platform holds them, and it is the caller's job to strip credentials
before anything is shown or stored.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from functools import partial
from typing import ClassVar

from provision.drivers.connect import Connector
from provision.drivers.http import HttpClient
from provision.drivers.pacing import in_parallel
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import VideoPlatform

# Proxies added at once: a school forwards a handful of cameras; this bounds the new pulls one
# school's apply asks of the precinct's server (and of the school's uplink) at a time.
PROXY_LANES = 8


class StreamPlatform(ABC):
    """One precinct platform's proxies under one app (e.g. "school").

    Constructing one resolves the platform's secret: do it when the platform is contacted."""

    kind: ClassVar[str]
    client: HttpClient

    def __init__(self, platform: VideoPlatform, connector: Connector, label: str) -> None:
        self.platform, self.connector, self.label = platform, connector, label
        self.app = platform.app

    @abstractmethod
    def list_proxies(self) -> dict[str, str]:
        """Every proxy under the app: stream name → source URL as the platform holds it."""

    @abstractmethod
    def add_proxies(
        self, proxies: Mapping[str, str], present: Collection[str] | None = None
    ) -> dict[str, str]:
        """Create each proxy, or re-point it if it exists (stream → source URL); `present`,
        when the caller has just listed them, the streams the platform holds (None: not
        known), so a platform that must delete before re-pointing skips it for a new one.
        The streams are added at once (`PROXY_LANES`): a platform that answers only after
        its first pull would otherwise make a school's pulls add up.

        Returns the streams the platform could not pull, with the reason; every other stream
        is added. A failure of the API itself (unreachable, bad secret) raises DeviceError."""

    @abstractmethod
    def remove_proxy(self, stream: str) -> None:
        """Remove a proxy; one that is already gone is not an error (idempotent)."""

    def _add_at_once(
        self, proxies: Mapping[str, str], add_one: Callable[[str, str], str | None]
    ) -> dict[str, str]:
        """`add_one(stream, url)` for every proxy at once (each in a lane of its own, on a
        connection of its own): the streams it found the platform could not pull, with why.
        A failure of the API itself is raised, the first in the proxies' order."""
        streams = list(proxies)
        calls = [partial(add_one, stream, proxies[stream]) for stream in streams]
        failed: dict[str, str] = {}
        for stream, outcome in zip(streams, in_parallel(calls, PROXY_LANES), strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            if outcome is not None:
                failed[stream] = outcome
        return failed

    def hide(self, *secrets: str) -> None:
        """Secrets sent in requests (camera passwords in source URLs) to scrub from errors."""
        self.client.hide(*secrets)

    def close(self) -> None:
        self.client.close()


def platform_kinds() -> dict[str, type[StreamPlatform]]:
    # Imported here: each platform module imports StreamPlatform from this one.
    from provision.drivers.platforms.mediamtx import MediaMtxPlatform
    from provision.drivers.platforms.zlmediakit import ZlmPlatform

    return {ZlmPlatform.kind: ZlmPlatform, MediaMtxPlatform.kind: MediaMtxPlatform}


def open_platform(platform: VideoPlatform, connector: Connector, label: str) -> StreamPlatform:
    kinds = platform_kinds()
    if platform.kind not in kinds:
        raise DeviceError(
            _("{label}: unknown video platform kind {kind!r}; supported: {kinds}").format(
                label=label, kind=platform.kind, kinds=", ".join(sorted(kinds))
            )
        )
    return kinds[platform.kind](platform, connector, label)
