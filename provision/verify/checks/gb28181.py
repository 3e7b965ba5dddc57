"""GB/T 28181: each camera forwarded to a GB/T 28181 platform is registered, alive, catalogued
and plays, as the precinct's platform itself reports through WVP-PRO's REST API.

Per device, one finding: registered (and since when; a device still registering, as right
after apply, is waited for up to REGISTER_WAIT_S, and the wait is in the evidence); the last
keepalive's age against the heartbeat (older than `heartbeat_s × heartbeat_max_missed` is the
platform's own offline rule); the Catalog's channel IDs exactly the inventory's; a live
INVITE on the first channel (`/api/play/start`) yielding video the platform decoded the SPS
of, within PLAY_LIMIT_S, timed; then BYE (`/api/play/stop`). An NVR that registers (type
118) gets the same finding for itself (without an INVITE), and each key camera behind it one
of its own: INVITE to the NVR for that camera's channel ID, the video decoded and timed,
then BYE, so each key camera is proved watchable through the NVR (WVP-PRO lists an NVR as
one device whose channels are its cameras; `/api/play/start/<NVR ID>/<channel ID>` plays
one). A device the platform does not list is explained from
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
from provision.inventory.model import Camera, Recorder, School, SipServer
from provision.templates.gb28181_settings import (
    recorder_channels,
    registering_recorders,
    registers,
    sip_server,
)
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, WARN, CheckResult, Finding

PLAY_LIMIT_S = 15.0
# A device written by an apply a moment ago registers a few seconds later (Hikvision and
# Dahua devices send REGISTER at once after the write, and retry after a refusal or a lost
# answer); verify waits that long for every device of the school together, then judges.
REGISTER_WAIT_S = 10.0
POLL_S = 0.25
CATALOG_GRACE_S = 3.0
WAIT_WORTH_SAYING_S = 0.5
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


def platform_refusal(wvp: Wvp, device_id: str, server: SipServer) -> str:
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


def _ready(wvp: Wvp, device_id: str) -> bool:
    """Whether the platform lists the device with its Catalog (a platform queries it right
    after the REGISTER: an empty one is final CATALOG_GRACE_S later), or has refused it:
    either way, waiting longer changes nothing."""
    listed = wvp.get(f"/api/device/query/devices/{device_id}")
    if listed is not None:
        age = time.time() - listed["registerTimeStamp"] / 1000
        return bool(listed.get("channelCount")) or age > CATALOG_GRACE_S
    try:
        return bool(wvp.get(f"/lab/api/refusals/{device_id}"))
    except PlatformError:
        return False  # a platform without a refusal log: only the listing tells


def await_registration(wvp: Wvp, device_ids: list[str]) -> dict[str, float]:
    """Seconds each device took to be listed with its Catalog (or refused), waiting at most
    REGISTER_WAIT_S for all of them together: a device written by an apply a moment ago
    registers on its own a few seconds later, and is not "not registered" meanwhile."""
    started = time.monotonic()
    pending, waited = list(device_ids), {}
    while True:
        for device_id in list(pending):
            if _ready(wvp, device_id):
                pending.remove(device_id)
                waited[device_id] = round(time.monotonic() - started, 2)
        elapsed = time.monotonic() - started
        if not pending or elapsed >= REGISTER_WAIT_S:
            break
        time.sleep(min(POLL_S, REGISTER_WAIT_S - elapsed))  # polling the platform: a bound
    return {**waited, **{d: round(time.monotonic() - started, 2) for d in pending}}


def _one(
    wvp: Wvp, server: SipServer, device: Camera | Recorder, waited: float, *, play: bool
) -> Finding:
    """The device's registration, keepalive, Catalog and (`play`) its first channel."""
    info: dict[str, Any] = {"device_id": device.gb28181_id, "register_wait_s": waited}
    device_id = device.gb28181_id or ""
    listed = wvp.get(f"/api/device/query/devices/{device_id}")
    if listed is None:
        why = platform_refusal(wvp, device_id, server)
        waits = _("waited {seconds:.0f} s for it to register").format(seconds=waited)
        return Finding(device.name, FAIL, f"{why} ({waits})", info)
    info["registered_ms"] = listed["registerTimeStamp"]
    info["keepalive_ms"] = listed.get("keepaliveTimeStamp")
    verdict, said = _alive(listed, server, time.time())
    if waited >= WAIT_WORTH_SAYING_S:
        said += _("; it registered {seconds:.1f} s into verify").format(seconds=waited)
    problems = [p for p in (_edition(listed, server),) if p]
    if verdict == FAIL:
        return Finding(device.name, FAIL, "; ".join([said, *problems]), info)
    problems += [p for p in (_catalog(wvp, device_id, device.gb28181_channels),) if p]
    if play and device.gb28181_channels:
        played = _play(wvp, device_id, device.gb28181_channels[0], info)
        problems += [played] if played else []
    if problems:
        return Finding(device.name, FAIL, "; ".join([said, *problems]), info)
    video = (
        _("; {video} in {seconds:.2f} s").format(video=info["video"], seconds=info["play_seconds"])
        if "video" in info
        else ""
    )
    return Finding(
        device.name,
        verdict,
        _("{said}; Catalog matches{video}").format(said=said, video=video),
        info,
    )


def _through(wvp: Wvp, nvr: Recorder, nvr_finding: Finding, cam: str, channel: str) -> Finding:
    """A key camera watched through its NVR's channel: INVITE to the NVR for that channel."""
    info: dict[str, Any] = {"recorder": nvr.name, "channel_id": channel}
    if nvr_finding.verdict == FAIL:
        why = _("NVR {nvr} does not serve it: {why}").format(nvr=nvr.name, why=nvr_finding.message)
        return Finding(cam, FAIL, why, info)
    played = _play(wvp, nvr.gb28181_id or "", channel, info)
    if played:
        return Finding(cam, FAIL, _("through NVR {nvr}: {why}").format(nvr=nvr.name, why=played))
    said = _("watchable through NVR {nvr}, channel {channel}: {video} in {seconds:.2f} s").format(
        nvr=nvr.name, channel=channel, video=info["video"], seconds=info["play_seconds"]
    )
    return Finding(cam, PASS, said, info)


def _findings(wvp: Wvp, server: SipServer, school: School) -> list[Finding]:
    cameras = [c for c in school.cameras if registers(c, school) and c.gb28181_id]
    nvrs = registering_recorders(school)
    ids = [c.gb28181_id or "" for c in cameras] + [r.gb28181_id or "" for r in nvrs]
    waited = await_registration(wvp, ids)
    findings = [_one(wvp, server, c, waited[c.gb28181_id or ""], play=True) for c in cameras]
    for nvr in nvrs:
        nvr_finding = _one(wvp, server, nvr, waited[nvr.gb28181_id or ""], play=False)
        findings.append(nvr_finding)
        for cam, (_number, channel) in recorder_channels(school, nvr).items():
            if channel is not None:
                findings.append(_through(wvp, nvr, nvr_finding, cam, channel))
    return findings


def _subjects(school: School) -> list[str]:
    """Who gets a finding: each registering camera and NVR, and each camera behind an NVR."""
    out = [c.name for c in school.cameras if registers(c, school) and c.gb28181_id]
    for nvr in registering_recorders(school):
        out += [nvr.name, *(c for c, (_n, ch) in recorder_channels(school, nvr).items() if ch)]
    return out


def check(ctx: CheckContext) -> CheckResult:
    server = sip_server(ctx.city, ctx.school)
    subjects = _subjects(ctx.school) if server else []
    if server is None or not subjects:
        return CheckResult.of("gb28181", [], _("no camera forwarded over GB/T 28181"))
    with requests.Session() as session:
        session.trust_env = False  # device traffic never goes through an environment proxy
        session.verify = ctx.connector.verify
        try:
            wvp = Wvp(ctx, session)
            findings = _findings(wvp, server, ctx.school)
        except (requests.RequestException, PlatformError, ValueError) as exc:
            api = ctx.city.precincts[ctx.school.precinct].video_platform.api
            problem = wire_problem(exc) if isinstance(exc, requests.RequestException) else exc
            why = _("the platform API at {api} does not answer as WVP-PRO: {exc}").format(
                api=api, exc=problem
            )
            findings = [Finding(name, FAIL, why) for name in subjects]
    nvrs = {r.name for r in registering_recorders(ctx.school)}
    cameras = [f for f in findings if f.subject not in nvrs]
    good = sum(f.verdict != FAIL for f in cameras)
    evidence = {"gb28181": {f.subject: f.data for f in findings}}
    summary = _("{good}/{total} cameras registered, alive, catalogued and playing").format(
        good=good, total=len(cameras)
    )
    return CheckResult.of("gb28181", findings, summary, evidence)


def wire_problem(exc: requests.RequestException) -> str:
    """What failed on the wire (e.g. "[Errno 111] Connection refused"), never the URL:
    WVP's login carries the password's MD5, which is its credential, in the query."""
    found = _ERRNO.search(str(exc))
    return found.group(0).strip() if found else type(exc).__name__


CHECK = Check("gb28181", check)
