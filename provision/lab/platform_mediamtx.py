"""MediaMTX's control API (v3) as the precinct platform simulator serves it.

Shapes follow MediaMTX's internal/api and internal/defs: path configurations under
/v3/config/paths/{list,get,add,patch,replace,delete}, runtime state under /v3/paths/{list,get}.
Names are everything after the action and may contain '/' (e.g. school/dl-zs-m012-cam01).
Writes answer 200 `{"status":"ok"}`, errors `{"status":"error","error":"..."}` with 400 (bad
body, invalid name/source, add of an existing path) or 404 (absent path); unmatched routes get
gin's plain "404 page not found". Lists paginate with itemsPerPage (default 100) and page.
Bodies are decoded strictly, like MediaMTX's jsonwrapper: an unknown field is a 400.

A path whose source is rtsp:// is pulled at once and re-pulled after a fixed pause while the
camera is away (MediaMTX's static-source retry). Not modelled: sourceOnDemand (the pull is
always on), publishing to "publisher" paths, regex (~) path names, the API's own auth.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from provision.lab.http import Request, Response

if TYPE_CHECKING:
    from provision.lab.relay import PulledStream, StreamPuller

# conf.Path fields (a representative subset) with MediaMTX's defaults.
PATH_DEFAULTS: dict[str, Any] = {
    "name": "",
    "source": "publisher",
    "sourceFingerprint": "",
    "sourceOnDemand": False,
    "sourceOnDemandStartTimeout": "10s",
    "sourceOnDemandCloseAfter": "10s",
    "maxReaders": 0,
    "fallback": "",
    "useAbsoluteTimestamp": False,
    "record": False,
    "recordPath": "./recordings/%path/%Y-%m-%d_%H-%M-%S-%f",
    "recordFormat": "fmp4",
    "recordPartDuration": "1s",
    "recordSegmentDuration": "1h0m0s",
    "recordDeleteAfter": "1d",
    "overridePublisher": True,
    "rtspTransport": "automatic",
    "rtspAnyPort": False,
    "rtspRangeType": "",
    "rtspRangeStart": "",
    "sourceRedirect": "",
    "runOnInit": "",
    "runOnDemand": "",
    "runOnReady": "",
    "runOnNotReady": "",
    "runOnRead": "",
    "runOnUnread": "",
}
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
    if not isinstance(data, dict):
        raise ApiError(400, "json: cannot unmarshal into Go value of type conf.OptionalPath")
    for key, value in data.items():
        if key not in PATH_DEFAULTS:
            raise ApiError(400, f'json: unknown field "{key}"')
        expected = type(PATH_DEFAULTS[key])
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise ApiError(400, f"json: cannot unmarshal {key} of type {expected.__name__}")
    return data


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
    def __init__(self, platform: StreamPuller) -> None:
        self.platform = platform
        self.paths: dict[str, MtxPath] = {}

    async def handle(self, req: Request) -> Response:
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
        base = existing.conf if action == "patch" and existing else PATH_DEFAULTS
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
        return {
            "name": name,
            "confName": name,
            "source": {"type": SOURCE_TYPES[scheme], "id": ""} if scheme in SOURCE_TYPES else None,
            "ready": relay is not None,
            "readyTime": since,
            "available": relay is not None,
            "availableTime": since,
            "online": relay is not None,
            "onlineTime": since,
            "tracks": [relay.media.encoding] if relay is not None else [],
            "bytesReceived": s.total_bytes if s is not None else 0,
            "bytesSent": 0,
            "readers": [{"type": "rtspSession", "id": r.id} for r in relay.subscribers]
            if relay is not None
            else [],
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
