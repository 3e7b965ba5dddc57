"""ZLMediaKit's HTTP API (`/index/api/*`) as the precinct platform simulator serves it.

Follows ZLMediaKit's server/WebApi.cpp at commit fdaec260 (master, 2026-08-21); the wire
conventions (codes, arguments, the cookie login and the older secret-only check that
`legacy_auth` presents) are in platform_zlm_wire, the stream and server descriptions in
platform_zlm_media. Every answer is HTTP 200 with a JSON body whose `code` says how it went;
like jsoncpp, an empty list leaves `data` out entirely (`{"code":0}`), so clients must not
assume the key exists. Unknown URLs fall to ZLM's static file server: an HTML 404.

addStreamProxy answers only after the first play attempt: on failure the proxy is dropped and
the answer is code -1 with the player's error, as in ZLM. Later drops are retried with ZLM's
delay max(min, min(failures*step, max)); reconnect_delay_min/step/max may be passed per proxy.
listStreamProxy honours `key`; close_streams closes (and so removes) the proxies whose sources
match, unless they have readers and `force` is not set. Proxies and login cookies live in
memory: `restart()` (the `platform_restart` fault) loses them all, as a ZLM restart does.
Only RTSP pulls over TCP are implemented (`rtp_type` is accepted and recorded).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from provision.lab.http import Request, Response
from provision.lab.platform_zlm_media import (
    SCHEMAS,
    VERSION,
    media_source,
    statistic,
    status_str,
    stock_config,
    tracks,
)
from provision.lab.platform_zlm_wire import (
    INVALID_ARGS,
    NOT_FOUND,
    OTHER_FAILED,
    SUCCESS,
    ApiError,
    ZlmAuth,
    arguments,
)
from provision.lab.platform_zlm_wire import require as _require

if TYPE_CHECKING:
    from provision.lab.relay import PulledStream, StreamPuller

DEFAULT_VHOST = "__defaultVhost__"
Route = Callable[[dict[str, str]], Awaitable[dict[str, Any]]]


def zlm_delay(minimum: float, step: float, maximum: float) -> Callable[[int], float]:
    """PlayerProxy::rePlay: wait max(min, min(failures * step, max)) seconds before re-pulling."""
    return lambda failures: max(minimum, min(failures * step, maximum))


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
    def __init__(self, platform: StreamPuller, legacy: Callable[[], bool] = lambda: False) -> None:
        self.platform = platform
        self.auth = ZlmAuth(platform.secret)
        self._legacy = legacy  # answer as the releases before the cookie login
        self.proxies: dict[str, ZlmProxy] = {}
        self.routes: dict[str, Route] = {
            "/index/api/addStreamProxy": self.add_stream_proxy,
            "/index/api/delStreamProxy": self.del_stream_proxy,
            "/index/api/listStreamProxy": self.list_stream_proxy,
            "/index/api/getMediaList": self.get_media_list,
            "/index/api/getMediaInfo": self.get_media_info,
            "/index/api/isMediaOnline": self.is_media_online,
            "/index/api/close_streams": self.close_streams,
            "/index/api/getServerConfig": self.get_server_config,
            "/index/api/getStatistic": self.get_statistic,
            "/index/api/version": self.version,
            "/index/api/getApiList": self.get_api_list,
        }

    async def handle(self, req: Request) -> Response:
        self.auth.legacy = self._legacy()
        session = {"/index/api/login": self.auth.login, "/index/api/logout": self.auth.logout}
        route = self.routes.get(req.path)
        login = session.get(req.path) if not self.auth.legacy else None
        if route is None and login is None:  # ZLM hands unknown URLs to its static file server
            return Response.text(
                "<html><body><h1>404 Not Found</h1></body></html>", 404, "text/html"
            )
        args = arguments(req)
        headers: dict[str, str] = {}
        try:
            if login is not None:
                extra, headers = login(req, args)
                body = {"code": SUCCESS, **extra}
            else:
                assert route is not None
                headers = self.auth.check(req, args)
                body = {"code": SUCCESS, **await route(args)}
        except ApiError as exc:
            body = {**exc.body, "code": exc.code, "msg": exc.msg}
            headers = {**headers, **exc.headers}
        resp = Response.json(body)
        resp.content_type = "application/json; charset=utf-8"
        resp.headers.update(headers)
        return resp

    async def restart(self) -> None:
        """The media server restarts: proxies and login sessions live in memory only."""
        await self.stop_all()
        self.auth.forget()

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
            if args.get("key") and key != args["key"]:  # for_each(cb, key): one, when named
                continue
            s = p.pulled
            live = s.live_secs + s.alive_seconds()
            items.append(
                {
                    "url": p.url,
                    "status": 0 if s.online else 1,  # PlayerProxy::_live_status
                    "status_str": status_str(s),
                    "liveSecs": int(live),
                    "rePullCount": s.repull_count,
                    "totalReaderCount": len(s.relay.subscribers) if s.relay else 0,
                    "bytesSpeed": int(s.total_bytes / live) if live >= 1 else 0,
                    "totalBytes": s.total_bytes,
                    "src": {"vhost": p.vhost, "app": p.app, "stream": p.stream, "params": ""},
                    "tracks": tracks(s),
                    "key": key,
                }
            )
        return {"data": items} if items else {}

    def _sources(self, args: dict[str, str]) -> list[tuple[str, ZlmProxy]]:
        """MediaSource::for_each_media: (schema, proxy) of each online source the args match."""
        wanted = {k: args[k] for k in ("schema", "vhost", "app", "stream") if args.get(k)}
        found = []
        for schema in SCHEMAS:
            for p in self.proxies.values():
                fields = {"schema": schema, "vhost": p.vhost, "app": p.app, "stream": p.stream}
                if p.pulled.online and all(fields[k] == v for k, v in wanted.items()):
                    found.append((schema, p))
        return found

    def _source_json(self, schema: str, p: ZlmProxy, *, with_loss: bool) -> dict[str, Any]:
        tuple_ = {"vhost": p.vhost, "app": p.app, "stream": p.stream, "params": ""}
        return media_source(
            schema, tuple_, p.url, p.pulled, self.platform.host, with_loss=with_loss
        )

    async def get_media_list(self, args: dict[str, str]) -> dict[str, Any]:
        found = self._sources(args)
        single = len(found) == 1
        items = [self._source_json(schema, p, with_loss=single) for schema, p in found]
        return {"data": items} if items else {}

    async def get_media_info(self, args: dict[str, str]) -> dict[str, Any]:
        _require(args, "schema", "vhost", "app", "stream")
        found = self._sources(args)
        if not found:
            raise ApiError(NOT_FOUND, "can not find the stream")
        schema, proxy = found[0]
        return self._source_json(schema, proxy, with_loss=True)  # at the top, not in `data`

    async def is_media_online(self, args: dict[str, str]) -> dict[str, Any]:
        _require(args, "schema", "vhost", "app", "stream")
        return {"online": bool(self._sources(args))}

    async def close_streams(self, args: dict[str, str]) -> dict[str, Any]:
        """Close the matching sources; closing a pulled source ends its proxy (onClose)."""
        found = self._sources(args)
        force = args.get("force", "").lower() in ("1", "true")
        for proxy in {p.key: p for _schema, p in found}.values():
            readers = proxy.pulled.relay.subscribers if proxy.pulled.relay else []
            if (force or not readers) and self.proxies.get(proxy.key) is proxy:
                del self.proxies[proxy.key]
                await proxy.pulled.stop()
        return {"count_hit": len(found), "count_closed": len(found)}

    async def get_server_config(self, args: dict[str, str]) -> dict[str, Any]:
        config = {**stock_config(), "api.secret": self.platform.secret}
        return {"data": [config]}

    async def get_statistic(self, args: dict[str, str]) -> dict[str, Any]:
        online = sum(p.pulled.online for p in self.proxies.values())
        return {"data": statistic(len(self._sources({})), online)}

    async def version(self, args: dict[str, str]) -> dict[str, Any]:
        return {"data": dict(VERSION)}

    async def get_api_list(self, args: dict[str, str]) -> dict[str, Any]:
        session = [] if self.auth.legacy else ["/index/api/login", "/index/api/logout"]
        names = [*self.routes, *session]
        return {"data": sorted(names, key=str.lower)}
