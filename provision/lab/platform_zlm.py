"""ZLMediaKit's HTTP API (`/index/api/*`) as the precinct platform simulator serves it.

Shapes follow ZLMediaKit's server/WebApi.cpp: every answer is HTTP 200 with a JSON body whose
`code` is the ApiErr enum (Success 0, OtherFailed -1, AuthFailed -100, SqlFailed -200,
InvalidArgs -300, Exception -400). Arguments come from the query string, a form body or a JSON
body (query wins). The secret is checked first: missing → -300 'Required parameter missed:
"secret"', wrong → -100 "Incorrect secret" (current ZLM; versions before 2022 said "secret错误").
Like jsoncpp, an empty list leaves `data` out entirely (`{"code":0}`), so clients must not
assume the key exists.

addStreamProxy answers only after the first play attempt: on failure the proxy is dropped and
the answer is code -1 with the player's error, as in ZLM. Later drops are retried with ZLM's
delay max(min, min(failures*step, max)); reconnect_delay_min/step/max may be passed per proxy.
Only RTSP pulls over TCP are implemented (`rtp_type` is accepted and recorded), and only the
rtsp schema is registered in getMediaList (real ZLM also lists rtmp/ts/fmp4/hls copies).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from provision.lab.http import Request, Response

if TYPE_CHECKING:
    from provision.lab.relay import PulledStream, StreamPuller

DEFAULT_VHOST = "__defaultVhost__"
SUCCESS, OTHER_FAILED, AUTH_FAILED, INVALID_ARGS = 0, -1, -100, -300
CODEC_H264, TRACK_VIDEO, ORIGIN_PULL = 0, 0, 4  # ZLM's CodecId, TrackType, MediaOriginType


def zlm_delay(minimum: float, step: float, maximum: float) -> Callable[[int], float]:
    """PlayerProxy::rePlay: wait max(min, min(failures * step, max)) seconds before re-pulling."""
    return lambda failures: max(minimum, min(failures * step, maximum))


class ApiError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _arguments(req: Request) -> dict[str, str]:
    """ZLM's getAllArgs: form or JSON body first, then URL arguments on top."""
    args: dict[str, str] = {}
    ctype = req.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        args.update({k: v[-1] for k, v in form.items()})
    elif ctype.startswith("application/json"):
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            body = {}
        if isinstance(body, dict):
            for key, value in body.items():  # jsoncpp asString(): true → "true", 5 → "5"
                args[key] = json.dumps(value) if isinstance(value, bool) else str(value)
    args.update(req.query)
    return args


def _require(args: dict[str, str], *names: str) -> None:
    if any(not args.get(n) for n in names):
        listed = ", ".join(f'"{n}"' for n in names)
        raise ApiError(INVALID_ARGS, f"Required parameter missed: {listed}")


@dataclass(eq=False)
class ZlmProxy:
    vhost: str
    app: str
    stream: str
    url: str
    rtp_type: str
    pulled: PulledStream

    @property
    def key(self) -> str:
        return f"{self.vhost}/{self.app}/{self.stream}"


class ZlmApi:
    def __init__(self, platform: StreamPuller) -> None:
        self.platform = platform
        self.proxies: dict[str, ZlmProxy] = {}
        self.routes = {
            "/index/api/addStreamProxy": self.add_stream_proxy,
            "/index/api/delStreamProxy": self.del_stream_proxy,
            "/index/api/listStreamProxy": self.list_stream_proxy,
            "/index/api/getMediaList": self.get_media_list,
            "/index/api/isMediaOnline": self.is_media_online,
            "/index/api/getApiList": self.get_api_list,
        }

    async def handle(self, req: Request) -> Response:
        route = self.routes.get(req.path)
        if route is None:  # ZLM hands unknown URLs to its static file server
            return Response.text(
                "<html><body><h1>404 Not Found</h1></body></html>", 404, "text/html"
            )
        args = _arguments(req)
        try:
            _require(args, "secret")
            if args["secret"] != self.platform.secret:
                raise ApiError(AUTH_FAILED, "Incorrect secret")
            body = {"code": SUCCESS, **await route(args)}
        except ApiError as exc:
            body = {"code": exc.code, "msg": exc.msg}
        return Response.json(body)

    def stream(self, path: str) -> PulledStream | None:
        """The pulled stream re-served at /<app>/<stream> (default vhost), if online."""
        app, _, stream = path.partition("/")
        proxy = self.proxies.get(f"{DEFAULT_VHOST}/{app}/{stream}")
        return proxy.pulled if proxy is not None and proxy.pulled.online else None

    async def stop_all(self) -> None:
        for proxy in list(self.proxies.values()):
            await proxy.pulled.stop()
        self.proxies.clear()

    def summary(self) -> list[dict[str, Any]]:
        return [
            {"key": p.key, "url": p.url, "online": p.pulled.online, "error": p.pulled.last_error}
            for p in self.proxies.values()
        ]

    # -- API calls ---------------------------------------------------------------------------

    async def add_stream_proxy(self, args: dict[str, str]) -> dict[str, Any]:
        _require(args, "vhost", "app", "stream", "url")
        proxy_args = {k: args.get(k, "") for k in ("vhost", "app", "stream", "url")}
        key = "/".join(proxy_args[k] for k in ("vhost", "app", "stream"))
        if key in self.proxies:
            raise ApiError(OTHER_FAILED, "This stream already exists")
        try:
            retry_count = int(args.get("retry_count") or -1)
            timeout = float(args.get("timeout_sec") or self.platform.pull_timeout)
            names = ("reconnect_delay_min", "reconnect_delay_step", "reconnect_delay_max")
            lo, step, hi = (
                float(args.get(n) or default)
                for n, default in zip(names, self.platform.reconnect_delay, strict=True)
            )
        except ValueError as exc:
            raise ApiError(INVALID_ARGS, f"invalid argument: {exc}") from None

        def give_up() -> None:
            if self.proxies.get(key) is proxy:
                del self.proxies[key]

        pulled = self.platform.pull(
            proxy_args["url"],
            timeout=timeout,
            retry_count=retry_count,
            delay=zlm_delay(lo, step, hi),
            on_give_up=give_up,
        )
        proxy = ZlmProxy(**proxy_args, rtp_type=args.get("rtp_type", "0"), pulled=pulled)
        self.proxies[key] = proxy
        error = await pulled.first_result
        if error is not None:
            give_up()
            await pulled.stop()
            raise ApiError(OTHER_FAILED, error)
        return {"data": {"key": key}}

    async def del_stream_proxy(self, args: dict[str, str]) -> dict[str, Any]:
        _require(args, "key")
        proxy = self.proxies.pop(args["key"], None)
        if proxy is not None:
            await proxy.pulled.stop()
        return {"data": {"flag": proxy is not None}}

    async def list_stream_proxy(self, args: dict[str, str]) -> dict[str, Any]:
        items = []
        for key, p in self.proxies.items():
            s = p.pulled
            live = s.live_secs + s.alive_seconds()
            items.append(
                {
                    "key": key,
                    "url": p.url,
                    "status": 0 if s.online else 1,  # PlayerProxy::_live_status
                    "liveSecs": int(live),
                    "rePullCount": s.repull_count,
                    "totalReaderCount": len(s.relay.subscribers) if s.relay else 0,
                    "bytesSpeed": int(s.total_bytes / live) if live >= 1 else 0,
                    "totalBytes": s.total_bytes,
                    "src": {"vhost": p.vhost, "app": p.app, "stream": p.stream, "params": ""},
                }
            )
        return {"data": items} if items else {}

    async def get_media_list(self, args: dict[str, str]) -> dict[str, Any]:
        wanted = {k: args[k] for k in ("schema", "vhost", "app", "stream") if args.get(k)}
        items = []
        for p in self.proxies.values():
            fields = {"schema": "rtsp", "vhost": p.vhost, "app": p.app, "stream": p.stream}
            if p.pulled.online and all(fields[k] == v for k, v in wanted.items()):
                items.append(self._media_item(p))
        return {"data": items} if items else {}

    async def is_media_online(self, args: dict[str, str]) -> dict[str, Any]:
        _require(args, "schema", "vhost", "app", "stream")
        proxy = self.proxies.get(f"{args['vhost']}/{args['app']}/{args['stream']}")
        online = args["schema"] == "rtsp" and proxy is not None and proxy.pulled.online
        return {"online": online}

    async def get_api_list(self, args: dict[str, str]) -> dict[str, Any]:
        return {"data": sorted(self.routes)}

    def _media_item(self, p: ZlmProxy) -> dict[str, Any]:
        s, relay = p.pulled, p.pulled.relay
        assert relay is not None and s.online_since is not None
        info = relay.media.video_info()
        alive = s.alive_seconds()
        upstream = urlsplit(p.url)
        readers = len(relay.subscribers)
        track = {
            "codec_id": CODEC_H264,
            "codec_id_name": relay.media.encoding,
            "codec_type": TRACK_VIDEO,
            "ready": True,
            "fps": round(info.fps) if info and info.fps else 0,
            "width": info.width if info else 0,
            "height": info.height if info else 0,
            "frames": relay.frames,
            "key_frames": relay.key_frames,
            "gop_size": relay.gop_size,
        }
        return {
            "schema": "rtsp",
            "vhost": p.vhost,
            "app": p.app,
            "stream": p.stream,
            "params": "",
            "createStamp": int(s.online_since),
            "aliveSecond": int(alive),
            "bytesSpeed": int(s.total_bytes / alive) if alive >= 1 else 0,
            "totalBytes": s.total_bytes,
            "readerCount": readers,
            "totalReaderCount": readers,
            "originType": ORIGIN_PULL,
            "originTypeStr": "pull",
            "originUrl": p.url,
            "originSock": {
                "local_ip": self.platform.host,
                "peer_ip": upstream.hostname or "",
                "peer_port": upstream.port or 554,
            },
            "isRecordingMP4": False,
            "isRecordingHLS": False,
            "tracks": [track],
        }
