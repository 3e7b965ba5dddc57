"""MediaMTX's control API (v3) as the precinct platform simulator serves it.

Follows MediaMTX v1.20.1: its api/openapi.yaml (kept in provision/lab/specs/mediamtx, which
tests/interop validates every answer against) and internal/api, internal/defs. Path
configurations under /v3/config/paths/{list,get,add,patch,replace,delete}, runtime state under
/v3/paths/{list,get}, the instance under /v3/info, /v3/config/global/get and
/v3/config/pathdefaults/get, RTSP readers under /v3/rtspsessions/list and /v3/rtspconns/list.
Names are everything after the action and may contain '/' (e.g. school/dl-zs-m012-cam01).
Writes answer 200 `{"status":"ok"}`, errors `{"status":"error","error":"..."}` with 400 (bad
body, invalid name/source, add of an existing path) or 404 (absent path); unmatched routes get
gin's plain "404 page not found". Lists paginate with itemsPerPage (default 100) and page.
Every PathConf field of the spec is accepted and checked as MediaMTX decodes it
(platform_mediamtx_conf); an unknown field is a 400.

A path whose source is rtsp:// is pulled at once and re-pulled after a fixed pause while the
camera is away (MediaMTX's static-source retry). Not modelled: sourceOnDemand (the pull is
always on), publishing to "publisher" paths, regex (~) path names, the API's own auth, what
most PathConf fields would do (they are stored and shown, not acted on), byte counts of the
RTSP readers.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from provision.lab.http import Request, Response
from provision.lab.platform_mediamtx_conf import (
    MEDIAMTX_VERSION,
    ConfError,
    decode_path_conf,
    global_conf,
    path_defaults,
)

if TYPE_CHECKING:
    from provision.lab.relay import PulledStream, StreamPuller

SOURCE_TYPES = {
    "rtsp": "rtspSource",
    "rtsps": "rtspSource",
    "rtmp": "rtmpSource",
    "rtmps": "rtmpSource",
    "http": "hlsSource",
    "https": "hlsSource",
    "udp": "udpSource",
    "srt": "srtSource",
    "whep": "webRTCSource",
    "wheps": "webRTCSource",
}
NAME = re.compile(r"[0-9A-Za-z_.~/-]+")
INSTANCE = {  # GET-only routes about the instance itself
    "/v3/info",
    "/v3/config/global/get",
    "/v3/config/pathdefaults/get",
    "/v3/rtspsessions/list",
    "/v3/rtspconns/list",
}
ROUTE = re.compile(r"/v3/(config/paths|paths)/(list|get|add|patch|replace|delete)(/.*)?")
METHODS = {
    ("config/paths", "list"): "GET",
    ("config/paths", "get"): "GET",
    ("config/paths", "add"): "POST",
    ("config/paths", "patch"): "PATCH",
    ("config/paths", "replace"): "POST",
    ("config/paths", "delete"): "DELETE",
    ("paths", "list"): "GET",
    ("paths", "get"): "GET",
}


RTSP_SESSION_COUNTERS = (
    "inboundBytes",
    "inboundRTPPackets",
    "inboundRTPPacketsLost",
    "inboundRTPPacketsInError",
    "inboundRTCPPackets",
    "inboundRTCPPacketsInError",
    "outboundBytes",
    "outboundRTPPackets",
    "outboundRTPPacketsReportedLost",
    "outboundRTPPacketsDiscarded",
    "outboundRTCPPackets",
)
H264_PROFILES = {66: "Baseline", 77: "Main", 88: "Extended", 100: "High", 110: "High 10"}


def _uuid(key: str) -> str:
    """A lab id as the uuid MediaMTX gives sessions and connections (stable per id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lab-rtsp:{key}"))


def _path_of(rtsp_path: str, paths: dict[str, Any]) -> str:
    """The path a reader's RTSP URL path belongs to (a SETUP URL adds the track's control)."""
    for name in sorted(paths, key=len, reverse=True):
        if rtsp_path == name or rtsp_path.startswith(name + "/"):
            return name
    return ""


def _track(media: Any) -> dict[str, Any]:
    """defs.APIPathTrack: the codec and what its parameter sets say."""
    codec = str(media.encoding).upper()
    info = media.video_info()
    props = None
    if info is not None and codec in ("H264", "H265"):
        level = f"{info.level_idc // 10}" + (
            f".{info.level_idc % 10}" if info.level_idc % 10 else ""
        )
        profile = H264_PROFILES.get(info.profile_idc, str(info.profile_idc))
        props = {"width": info.width, "height": info.height, "profile": profile, "level": level}
    return {"codec": codec, "codecProps": props}


class ApiError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _paginate(items: list[Any], req: Request) -> dict[str, Any]:
    try:
        per_page = int(req.query.get("itemsPerPage") or 100)
        page = int(req.query.get("page") or 0)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    if per_page <= 0 or page < 0:
        raise ApiError(400, "invalid items per page")
    count = len(items)
    pages = (count + per_page - 1) // per_page
    return {"itemCount": count, "pageCount": pages, "items": items[page * per_page :][:per_page]}


def _decode(body: bytes) -> dict[str, Any]:
    """Strict decode into conf.OptionalPath: unknown fields and wrong types are 400s."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise ApiError(400, f"invalid JSON: {exc}") from None
    try:
        return decode_path_conf(data)
    except ConfError as exc:
        raise ApiError(400, str(exc)) from None


def _validate(name: str, conf: dict[str, Any]) -> None:
    if not NAME.fullmatch(name) or name.startswith("/") or name.endswith("/"):
        raise ApiError(
            400,
            f"invalid path name '{name}': can contain only alphanumeric characters, "
            "underscore, dot, tilde, minus or slash",
        )
    source = conf["source"]
    scheme = source.partition("://")[0] if "://" in source else None
    if source not in ("publisher", "redirect") and scheme not in SOURCE_TYPES:
        raise ApiError(400, f"invalid source: '{source}'")


@dataclass(eq=False)
class MtxPath:
    conf: dict[str, Any]
    pulled: PulledStream | None = None


class MediaMtxApi:
    def __init__(
        self,
        platform: StreamPuller,
        rtsp_sessions: Callable[[], list[dict[str, Any]]] = list,
    ) -> None:
        self.platform = platform
        self.paths: dict[str, MtxPath] = {}
        self._rtsp_sessions = rtsp_sessions  # the relay's RTSP server: who is reading
        self.started = time.time()

    async def handle(self, req: Request) -> Response:
        if req.path in INSTANCE:
            if req.method != "GET":
                return Response.text("404 page not found", 404)
            try:
                return Response.json(self._instance(req))
            except ApiError as exc:
                return Response.json({"status": "error", "error": exc.error}, exc.status)
        match = ROUTE.fullmatch(req.path)
        group, action = (match.group(1), match.group(2)) if match else ("", "")
        named = bool(match and match.group(3))
        if METHODS.get((group, action)) != req.method or named == (action == "list"):
            return Response.text("404 page not found", 404)
        name = unquote(match.group(3) or "")[1:] if match else ""
        try:
            if named and not name:
                raise ApiError(400, "invalid name")
            if group == "paths":
                return Response.json(self._runtime_list(req) if not named else self._runtime(name))
            if action == "list":
                confs = [self.paths[n].conf for n in sorted(self.paths)]
                return Response.json(_paginate(confs, req))
            if action == "get":
                if name not in self.paths:
                    raise ApiError(404, "path configuration not found")
                return Response.json(self.paths[name].conf)
            if action == "delete":
                await self._remove(name)
            else:
                await self._write(action, name, _decode(req.body))
            return Response.json({"status": "ok"})
        except ApiError as exc:
            return Response.json({"status": "error", "error": exc.error}, exc.status)

    async def _write(self, action: str, name: str, body: dict[str, Any]) -> None:
        existing = self.paths.get(name)
        if action == "add" and existing is not None:
            raise ApiError(400, "path already exists")
        if action == "patch" and existing is None:
            raise ApiError(404, "path not found")
        base = existing.conf if action == "patch" and existing else path_defaults()
        conf = {**base, **body, "name": name}
        _validate(name, conf)
        if existing is not None and existing.conf["source"] == conf["source"]:
            existing.conf = conf  # same source: MediaMTX keeps the running pull
            return
        if existing is not None and existing.pulled is not None:
            await existing.pulled.stop()
        pulled = None
        if conf["source"].startswith(("rtsp://", "rtsps://")):
            pause = self.platform.mediamtx_retry_pause
            pulled = self.platform.pull(
                conf["source"],
                timeout=self.platform.pull_timeout,
                retry_count=-1,
                delay=lambda _failures: pause,
            )
        self.paths[name] = MtxPath(conf, pulled)

    async def _remove(self, name: str) -> None:
        path = self.paths.pop(name, None)
        if path is None:
            raise ApiError(404, "path not found")
        if path.pulled is not None:
            await path.pulled.stop()

    def _runtime(self, name: str) -> dict[str, Any]:
        path = self.paths.get(name)
        if path is None:
            raise ApiError(404, "path not found")
        s = path.pulled
        relay = s.relay if s is not None else None
        since = _rfc3339(s.online_since) if s is not None and s.online_since else None
        scheme = path.conf["source"].partition("://")[0]
        received = s.total_bytes if s is not None else 0
        online = relay is not None
        tracks2 = [_track(relay.media)] if relay is not None else []
        return {
            "name": name,
            "confName": name,
            "source": {"type": SOURCE_TYPES[scheme], "id": ""} if scheme in SOURCE_TYPES else None,
            "available": online,
            "availableTime": since,
            "online": online,
            "onlineTime": since,
            "ready": online,  # deprecated names, still answered
            "readyTime": since,
            "tracks": [t["codec"] for t in tracks2],
            "tracks2": tracks2,
            "inboundBytes": received,
            "inboundFramesInError": 0,
            "outboundBytes": 0,
            "bytesReceived": received,
            "bytesSent": 0,
            "readers": [
                {"type": "rtspSession", "id": _uuid(r["id"])} for r in self._readers_of(name)
            ],
        }

    def _readers_of(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self._rtsp_sessions() if _path_of(r["path"], self.paths) == name]

    def _instance(self, req: Request) -> dict[str, Any]:
        if req.path == "/v3/info":
            return {"version": MEDIAMTX_VERSION, "started": _rfc3339(self.started)}
        if req.path == "/v3/config/global/get":
            return global_conf()
        if req.path == "/v3/config/pathdefaults/get":
            return path_defaults()
        sessions = self._rtsp_sessions()
        if req.path == "/v3/rtspsessions/list":
            return _paginate([self._session(r) for r in sessions], req)
        return _paginate([self._conn(r) for r in sessions], req)

    def _session(self, r: dict[str, Any]) -> dict[str, Any]:
        counters = dict.fromkeys(RTSP_SESSION_COUNTERS, 0)
        return {
            "id": _uuid(r["id"]),
            "created": _rfc3339(self.started),
            "remoteAddr": r["peer"],
            "state": "read" if r["playing"] else "idle",
            "path": _path_of(r["path"], self.paths) or r["path"],
            "query": "",
            "user": "",
            "userAgent": "",
            "transport": r["transport"],
            "profile": "AVP",
            "conns": [_uuid(r["conn"])],
            "inboundRTPPacketsJitter": 0.0,
            **counters,
        }

    def _conn(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": _uuid(r["conn"]),
            "created": _rfc3339(self.started),
            "remoteAddr": r["peer"],
            "session": _uuid(r["id"]),
            "tunnel": "none",
            "inboundBytes": 0,
            "outboundBytes": 0,
            "bytesReceived": 0,
            "bytesSent": 0,
        }

    def _runtime_list(self, req: Request) -> dict[str, Any]:
        return _paginate([self._runtime(n) for n in sorted(self.paths)], req)

    def stream(self, name: str) -> PulledStream | None:
        path = self.paths.get(name)
        pulled = path.pulled if path is not None else None
        return pulled if pulled is not None and pulled.online else None

    async def stop_all(self) -> None:
        for path in self.paths.values():
            if path.pulled is not None:
                await path.pulled.stop()
        self.paths.clear()

    def summary(self) -> list[dict[str, Any]]:
        return [
            {"name": n, "source": p.conf["source"], "ready": bool(p.pulled and p.pulled.online)}
            for n, p in self.paths.items()
        ]
