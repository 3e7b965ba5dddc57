"""Stream forwarding: the school's key camera feeds as proxies on the precinct's video platform.

A school-level target (no device): for every camera the inventory marks `forward: true`, the
precinct's platform (ZLMediaKit or MediaMTX) holds a proxy named by `stream_name` that pulls
the camera's main stream. Settings are `proxy/<stream>` → the source URL without credentials.

The source URL is the camera's own: its driver's `stream_uri("main")` (Hikvision ISAPI and
Dahua by their fixed RTSP paths, ONVIF by GetStreamUri), so no vendor path is written here.
`desired` stays pure: the URLs only a camera can tell are asked at `read` (which every plan,
apply and verify runs first), and a forwarded camera whose URL is not known is left out of
`desired`. One that cannot answer keeps its existing proxy (not ours to remove while we
cannot say what it should pull), and `apply` fails the streams target naming it once the
other proxies are in place.

The platform needs the camera's read-only credentials in the URL it pulls. They are resolved
through the connector and put into the request to the platform only; URLs read back are
stripped of userinfo before they become settings, and failure messages are scrubbed, so no
password reaches a plan, the journal or a log.

The school owns the proxies under the precinct's app whose names start with "<school id>-":
stale ones (a camera no longer forwarded) are removed; other schools' proxies are never
read into our settings and never touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Protocol, runtime_checkable
from urllib.parse import quote, urlsplit, urlunsplit

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.pacing import in_parallel
from provision.drivers.platforms import StreamPlatform, open_platform
from provision.drivers.registry import driver_class
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Camera, Credentials
from provision.templates import stream_name

PREFIX = "proxy/"
# Forwarded cameras asked for their stream URL at once: a handful per school (the same bound
# as the proxies the platform adds at once).
CAMERA_LANES = 8
_USERINFO_IN_URL = re.compile(r"(rtsps?://)[^/@\s]*@")


class StreamPullError(DeviceError):
    """The platform took the request but could not pull these streams (stream → why)."""

    def __init__(self, message: str, streams: dict[str, str]) -> None:
        super().__init__(message)
        self.streams = streams


@runtime_checkable
class StreamSource(Protocol):
    """What a camera driver offers the streams driver: its RTSP URL, without credentials.
    A driver whose URL needs the camera (ONVIF's GetStreamUri) sets `stream_uri_reads_device`;
    one that knows it from the inventory alone (vendor APIs' fixed paths) sets it False."""

    def stream_uri(self, stream: str = "main") -> str: ...

    def close(self) -> None: ...


def reads_device(camera: Camera) -> bool:
    """Whether the camera's driver must ask the camera for its stream URL (unknown: yes)."""
    cls = driver_class("camera", camera.protocol)
    return bool(getattr(cls, "stream_uri_reads_device", True))


def camera_source(target: Target, camera: Camera) -> str:
    """The camera's main stream as the platform will pull it, as the camera's own driver
    gives it (ISAPI and Dahua by their fixed paths, ONVIF by asking GetStreamUri)."""
    driver = driver_class("camera", camera.protocol)(
        Target(target.city, target.school, camera, target.connector)
    )
    try:
        if not isinstance(driver, StreamSource):
            raise DeviceError(
                _("{school}/{camera}: the {protocol} camera driver gives no stream URI").format(
                    school=target.school.id, camera=camera.name, protocol=camera.protocol
                )
            )
        return strip_userinfo(driver.stream_uri("main"))
    finally:
        driver.close()


def strip_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def with_userinfo(url: str, username: str, password: str) -> str:
    parts = urlsplit(strip_userinfo(url))
    userinfo = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))


class StreamsDriver(Driver):
    kind = "streams"
    # Each proxy stands alone: one camera the platform cannot pull must not take the school's
    # other feeds off the precinct's screens by rolling them back.
    rollback_on_failure = False

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        school, city = target.school, target.city
        precinct = city.precincts[school.precinct]
        self.video = precinct.video_platform
        self.label = _("{school} streams on {precinct} {kind}").format(
            school=school.id, precinct=precinct.id, kind=self.video.kind
        )
        self.prefix = school.hostname_prefix
        # A school whose id extends ours ("x-1" and "x-1-annex") shares our prefix; its
        # streams are not ours however they are named.
        self._longer_ids = tuple(
            other.hostname_prefix
            for other in city.schools
            if other.id != school.id and other.id.startswith(self.prefix)
        )
        self._cameras = {stream_name(school, cam): cam for cam in school.cameras}
        self._platform: StreamPlatform | None = None
        self._sources: dict[str, str] = {}  # stream → the camera's URL, once known
        self._unasked: dict[str, str] = {}  # stream → why its camera could not say its URL
        self._listed: dict[str, str] | None = None  # the platform's proxies as `read` found them

    def desired(self) -> Settings:
        want: Settings = {}
        for name, cam in self._cameras.items():
            if not cam.forward:
                continue
            if not reads_device(cam):
                self._sources.setdefault(name, camera_source(self.target, cam))
            if (source := self._sources.get(name)) is not None:
                want[PREFIX + name] = source
        return want

    def owns(self, setting: str) -> bool:
        stream = setting[len(PREFIX) :]
        # A forwarded camera whose URL is not known (it could not say, or `read` has not asked
        # it yet) keeps whatever proxy it has.
        camera = self._cameras.get(stream)
        unknown = camera is not None and camera.forward and stream not in self._sources
        return setting.startswith(PREFIX) and self._ours(stream) and not unknown

    def _ours(self, stream: str) -> bool:
        return stream.startswith(self.prefix) and not stream.startswith(self._longer_ids)

    def read(self) -> Settings:
        """The school's proxies on the platform. The forwarded cameras whose URL only they can
        tell are asked here (desired stays pure), each in a lane of its own beside the
        platform's listing: on a slow link their exchanges overlap instead of adding up. A
        camera that cannot say is remembered with why."""
        asking: dict[str, Callable[[], dict[str, str] | str]] = {
            name: partial(camera_source, self.target, cam)
            for name, cam in self._cameras.items()
            if cam.forward and name not in self._sources and reads_device(cam)
        }
        listed, *answers = in_parallel([self._open().list_proxies, *asking.values()], CAMERA_LANES)
        for name, answer in zip(asking, answers, strict=True):
            if isinstance(answer, DeviceError):
                self._unasked[name] = str(answer)
            elif isinstance(answer, Exception):
                raise answer
            elif isinstance(answer, str):
                self._sources[name] = answer
        if isinstance(listed, Exception):
            raise listed
        assert isinstance(listed, dict)
        self._listed = listed
        return {
            PREFIX + stream: strip_userinfo(url)
            for stream, url in sorted(listed.items())
            if self._ours(stream)
        }

    def apply(self, changes: list[Change]) -> None:
        self._apply(changes)
        if self._unasked:
            text = _(
                "{label}: {n} forwarded camera(s) could not say where their stream is, so their "
                "proxies were left as they were: {reasons}"
            )
            reasons = "; ".join(f"{s}: {why}" for s, why in sorted(self._unasked.items()))
            raise DeviceError(text.format(label=self.label, n=len(self._unasked), reasons=reasons))

    def _apply(self, changes: list[Change]) -> None:
        if not changes:
            return
        streams = [self._stream_of(change) for change in changes]  # refuse before any write
        platform = self._open()
        # What `read` listed just before (the converge reads, then applies, under the school's
        # lock), else a fresh list: a second round trip would only say the same.
        listed, self._listed = self._listed, None
        if listed is None:
            listed = platform.list_proxies()
        current = {s: strip_userinfo(u) for s, u in listed.items()}
        to_add: dict[str, str] = {}
        for stream, change in zip(streams, changes, strict=True):
            to_add.pop(stream, None)  # a later change of the same stream wins
            if change.after is None:
                if stream in current:
                    platform.remove_proxy(stream)
                    del current[stream]
            elif current.get(stream) != change.after:  # already pulling that source: leave it
                to_add[stream] = str(change.after)
        if not to_add:
            return
        failed = platform.add_proxies(
            {stream: self._authenticated(stream, url) for stream, url in to_add.items()},
            present=current,
        )
        if failed:
            why = {s: platform.client.redact(_scrub(r)) for s, r in sorted(failed.items())}
            message = _(
                "{label}: add proxy failed for {n} of {total} stream(s) (the others were "
                "added): {reasons}"
            ).format(
                label=self.label,
                n=len(failed),
                total=len(to_add),
                reasons="; ".join(f"{s}: {r}" for s, r in why.items()),
            )
            raise StreamPullError(message, why)

    def _stream_of(self, change: Change) -> str:
        """The stream a change names; refuses anything outside this school's namespace, so a
        bad journal or change list can never touch another school's proxies."""
        stream = change.setting[len(PREFIX) :] if change.setting.startswith(PREFIX) else ""
        if not self._ours(stream):
            raise DeviceError(
                _(
                    "{label}: apply failed: {setting!r} is not a proxy of this school (expected "
                    "{expected}...)"
                ).format(label=self.label, setting=change.setting, expected=PREFIX + self.prefix)
            )
        if change.after is not None and not str(change.after).startswith(("rtsp://", "rtsps://")):
            raise DeviceError(
                _(
                    "{label}: add proxy {stream} failed: source {after!r} is not an rtsp:// URL"
                ).format(label=self.label, stream=stream, after=change.after)
            )
        return stream

    def _authenticated(self, stream: str, url: str) -> str:
        """The source URL with the camera's read-only credentials, for the platform only."""
        creds = self._credentials_for(stream, url)
        if creds is None:
            return url
        assert self._platform is not None
        password = self.target.connector.secret(creds.password)
        self._platform.hide(password)
        return with_userinfo(url, creds.username, password)

    def _credentials_for(self, stream: str, url: str) -> Credentials | None:
        # The school's auditor is a view-only account on every camera: prefer it, so the
        # platform never holds an admin password.
        if self.target.school.auditor is not None:
            return self.target.school.auditor
        camera = self._cameras.get(stream)
        if camera is None:  # a stale proxy being restored: find its camera by address
            host = urlsplit(url).hostname
            camera = next((c for c in self._cameras.values() if c.host == host), None)
        return camera.credentials if camera is not None else None

    def _open(self) -> StreamPlatform:
        if self._platform is None:
            self._platform = open_platform(self.video, self.target.connector, self.label)
        return self._platform

    def close(self) -> None:
        if self._platform is not None:
            self._platform.close()
            self._platform = None


def _scrub(text: str) -> str:
    """Platforms quote the source URL in pull errors; keep the address, drop the userinfo."""
    return _USERINFO_IN_URL.sub(r"\1", text)
