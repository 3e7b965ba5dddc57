"""GB/T 28181: each camera forwarded to a GB/T 28181 platform is registered, alive, catalogued
and plays, as the precinct's platform itself reports through WVP-PRO's REST API.

Per device, one finding: registered (and since when); the last keepalive's age against the
heartbeat (older than `heartbeat_s × heartbeat_max_missed` is the platform's own offline
rule); the Catalog's channel IDs exactly the inventory's; a live INVITE on the first channel
(`/api/play/start`) yielding video the platform decoded the SPS of, within PLAY_LIMIT_S,
timed; then BYE (`/api/play/stop`). A device the platform does not list is explained from
the platform's refusal log when it keeps one (the lab's `/lab/api/refusals`): 403 "wrong
password" means the SIP password differs, 404/403 on the Request-URI mean the device was set
to another server ID or domain.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.model import Camera, School, SipServer
from provision.templates.gb28181_settings import registers, sip_server
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, WARN, CheckResult, Finding

PLAY_LIMIT_S = 15.0
EDITION_OF_VERSION = {"2.0": "2016", "3.0": "2022"}
_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*")


class PlatformError(ProvisionError):
    """The platform's API did not answer as WVP-PRO does."""


class Wvp:
    """A logged-in session to the precinct's WVP-PRO API."""

    def __init__(self, ctx: CheckContext, session: requests.Session) -> None:
        vp = ctx.city.precincts[ctx.school.precinct].video_platform
        url = urlsplit(vp.api)
        host, port = ctx.connector.address(url.hostname or "", url.port or 80)
        self.base, self.session = f"{url.scheme}://{host}:{port}", session
        self.timeout = ctx.connector.timeout
        password = ctx.connector.secret(vp.secret) if vp.secret else "admin"
        digest = hashlib.md5(password.encode()).hexdigest()  # WVP takes the password's MD5
        reply = self.get("/api/user/login", username="admin", password=digest)
        session.headers["access-token"] = (reply or {}).get("accessToken", "")

    def get(self, path: str, *, timeout: float | None = None, **params: Any) -> Any:
        reply = self.session.get(
            self.base + path, params=params or None, timeout=timeout or self.timeout
        )
        if reply.status_code == 404:
            raise PlatformError(f"{path}: HTTP 404")
        body = reply.json()
        if body.get("code") != 0:
            raise PlatformError(f"{path}: code {body.get('code')} {body.get('msg')}")
        return body.get("data")


def _refusal(wvp: Wvp, device_id: str, server: SipServer) -> str:
    """Why the device is not registered, in words an integrator acts on."""
    try:
        refusals = wvp.get(f"/lab/api/refusals/{device_id}")
    except PlatformError:
        refusals = None  # a platform without a refusal log: only the device can tell
    if not refusals:
        return _(
            "not registered at the platform ({host}:{port}) and no REGISTER seen "
            "from it: check the device's SIP settings and its route to the platform"
        ).format(host=server.host, port=server.port)
    last = refusals[-1]
    status, reason = last["status"], last["reason"]
    if status in (401, 403) and reason == "wrong password":
        return _("{status} {reason}: the SIP password differs from the platform's").format(
            status=status, reason=reason
        )
    return _(
        "{status} {reason}: the platform answers with server ID {serverId} / "
        "domain {domain}; the device asked for {requestServerId} / "
        "{requestDomain}"
    ).format(
        status=status,
        reason=reason,
        serverId=last["serverId"],
        domain=last["domain"],
        requestServerId=last["requestServerId"],
        requestDomain=last["requestDomain"],
    )


def _alive(device: dict[str, Any], server: SipServer, now: float) -> tuple[str, str]:
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(device["registerTimeStamp"] / 1000))
    last = device.get("keepaliveTimeStamp") or device["registerTimeStamp"]
    age = now - last / 1000
    limit = server.heartbeat_s * server.heartbeat_max_missed
    if not device.get("onLine") or age > limit:
        return FAIL, _("registered since {since} but no keepalive for {age:.0f} s").format(
            since=since, age=age
        )
    verdict = WARN if age > server.heartbeat_s * 1.5 else PASS
    return verdict, _("registered since {since}; last keepalive {age:.0f} s ago").format(
        since=since, age=age
    )


def _edition(device: dict[str, Any], server: SipServer) -> str | None:
    spoken = EDITION_OF_VERSION.get(str(device.get("gbVersion") or ""))
    if spoken and spoken != server.edition:
        return _("edition {spoken} device, {edition} platform").format(
            spoken=spoken, edition=server.edition
        )
    return None


def _catalog(wvp: Wvp, device_id: str, wanted: tuple[str, ...]) -> str | None:
    got = wvp.get(f"/api/device/query/devices/{device_id}/channels", page=1, count=1000)
    ids = [c["deviceId"] for c in (got or {}).get("list", [])]
    lacks = [c for c in wanted if c not in ids]
    extra = [c for c in ids if c not in wanted]
    if not lacks and not extra:
        return None
    parts = [_("Catalog lacks {listed}").format(listed=", ".join(lacks))] if lacks else []
    parts += [_("Catalog has unexpected {listed}").format(listed=", ".join(extra))] if extra else []
    return "; ".join(parts)


def _play(wvp: Wvp, device_id: str, channel: str, info: dict[str, Any]) -> str | None:
    started = time.perf_counter()
    try:
        data = wvp.get(f"/api/play/start/{device_id}/{channel}", timeout=PLAY_LIMIT_S)
    except PlatformError as exc:
        return f"INVITE {channel}: {exc}"
    except requests.Timeout:
        return f"INVITE {channel}: no answer within {PLAY_LIMIT_S:.0f} s"
    finally:
        info["play_seconds"] = round(time.perf_counter() - started, 3)
    media = (data or {}).get("mediaInfo") or {}
    info["video"] = f"{media.get('videoCodec')} {media.get('width')}x{media.get('height')}"
    try:
        wvp.get(f"/api/play/stop/{device_id}/{channel}")
    except PlatformError as exc:
        return f"BYE {channel}: {exc}"
    if not media.get("width") or info["play_seconds"] > PLAY_LIMIT_S:
        return _("INVITE {channel}: no decodable video within {limit:.0f} s").format(
            channel=channel, limit=PLAY_LIMIT_S
        )
    return None


def _one(wvp: Wvp, server: SipServer, cam: Camera) -> Finding:
    info: dict[str, Any] = {"device_id": cam.gb28181_id}
    device_id = cam.gb28181_id or ""
    device = wvp.get(f"/api/device/query/devices/{device_id}")
    if device is None:
        return Finding(cam.name, FAIL, _refusal(wvp, device_id, server), info)
    info["registered_ms"] = device["registerTimeStamp"]
    info["keepalive_ms"] = device.get("keepaliveTimeStamp")
    verdict, said = _alive(device, server, time.time())
    problems = [p for p in (_edition(device, server),) if p]
    if verdict == FAIL:
        return Finding(cam.name, FAIL, "; ".join([said, *problems]), info)
    problems += [p for p in (_catalog(wvp, device_id, cam.gb28181_channels),) if p]
    if cam.gb28181_channels:
        played = _play(wvp, device_id, cam.gb28181_channels[0], info)
        problems += [played] if played else []
    if problems:
        return Finding(cam.name, FAIL, "; ".join([said, *problems]), info)
    video = (
        _("; {video} in {seconds:.2f} s").format(video=info["video"], seconds=info["play_seconds"])
        if "video" in info
        else ""
    )
    return Finding(
        cam.name, verdict, _("{said}; Catalog matches{video}").format(said=said, video=video), info
    )


def _registering(school: School) -> list[Camera]:
    return [c for c in school.cameras if registers(c) and c.gb28181_id]


def check(ctx: CheckContext) -> CheckResult:
    server = sip_server(ctx.city, ctx.school)
    cameras = _registering(ctx.school) if server else []
    if server is None or not cameras:
        return CheckResult.of("gb28181", [], _("no camera forwarded over GB/T 28181"))
    with requests.Session() as session:
        session.trust_env = False  # device traffic never goes through an environment proxy
        session.verify = ctx.connector.verify
        try:
            wvp = Wvp(ctx, session)
            findings = [_one(wvp, server, c) for c in cameras]
        except (requests.RequestException, PlatformError, ValueError) as exc:
            api = ctx.city.precincts[ctx.school.precinct].video_platform.api
            problem = _wire_problem(exc) if isinstance(exc, requests.RequestException) else exc
            why = _("the platform API at {api} does not answer as WVP-PRO: {exc}").format(
                api=api, exc=problem
            )
            findings = [Finding(c.name, FAIL, why) for c in cameras]
    good = sum(f.verdict != FAIL for f in findings)
    evidence = {"gb28181": {f.subject: f.data for f in findings}}
    summary = _("{good}/{total} cameras registered, alive, catalogued and playing").format(
        good=good, total=len(cameras)
    )
    return CheckResult.of("gb28181", findings, summary, evidence)


def _wire_problem(exc: requests.RequestException) -> str:
    """What failed on the wire (e.g. "[Errno 111] Connection refused"), never the URL:
    WVP's login carries the password's MD5, which is its credential, in the query."""
    found = _ERRNO.search(str(exc))
    return found.group(0).strip() if found else type(exc).__name__


CHECK = Check("gb28181", check)
