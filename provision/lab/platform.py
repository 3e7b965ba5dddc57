"""The police precinct's video platform, simulated: real RTSP pulls behind two real-shaped APIs.

Precincts run ZLMediaKit or MediaMTX; provisioning registers each school camera with whichever
is there. `VideoPlatform` serves both HTTP APIs (`platform_zlm`, `platform_mediamtx`) over one
registry of pulled streams. Registering a camera makes the platform really pull it with the
toolkit's RTSP client; the stream is online once RTP arrives and is re-served by the platform's
own RTSP server, at rtsp://host:rtsp_port/<app>/<stream> (ZLM) or /<name> (MediaMTX), through a
relay that fans one upstream out to any number of viewers. A camera that drops goes offline and
is re-pulled with bounded backoff until it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provision.lab.faults import Faults
from provision.lab.http import HttpServer
from provision.lab.platform_mediamtx import MediaMtxApi
from provision.lab.platform_zlm import ZlmApi
from provision.lab.relay import PulledStream
from provision.lab.rtsp_server import RtspServer, StreamSource

ZLM_DEFAULT_SECRET = "035c73f7-bb6b-4889-a715-d9eb2d1925cc"  # api.secret in ZLM's stock config.ini


class VideoPlatform:
    """ZLMediaKit (`api_port`) and MediaMTX (`mediamtx_port`) APIs plus the relay RTSP server.

    Factory state: the stock ZLM secret, no proxies, no paths. Faults: `timeout`, `latency_ms`,
    `refuse`/`dead` act on both HTTP APIs; `rtsp_down`/`dead` on the RTSP server;
    `platform_restart` restarts it once (proxies and paths lost); `zlm_legacy_auth` makes the
    ZLM API answer as its releases before the cookie login did.
    """

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        secret: str = ZLM_DEFAULT_SECRET,
        api_port: int = 8080,
        mediamtx_port: int = 9997,
        rtsp_port: int = 8554,
        pull_timeout: float = 10.0,
        reconnect_delay: tuple[float, float, float] = (2.0, 3.0, 60.0),
        mediamtx_retry_pause: float = 5.0,
    ) -> None:
        self.name, self.host, self.faults, self.secret = name, host, faults, secret
        self.pull_timeout = pull_timeout
        self.reconnect_delay = reconnect_delay  # ZLM (min, step, max) seconds
        self.mediamtx_retry_pause = mediamtx_retry_pause  # MediaMTX waits a fixed pause
        self.zlm = ZlmApi(self, legacy=lambda: faults.zlm_legacy_auth)
        self.mediamtx = MediaMtxApi(self, rtsp_sessions=lambda: self.rtsp.session_info())
        self.rtsp = RtspServer(host, rtsp_port, faults, self.resolve, server_name="ZLMediaKit")
        self._zlm_http = HttpServer(host, api_port, self.zlm.handle, faults)
        self._mediamtx_http = HttpServer(host, mediamtx_port, self.mediamtx.handle, faults)

    async def start(self) -> None:
        await self._zlm_http.start()
        await self._mediamtx_http.start()
        await self.rtsp.start()

    async def stop(self) -> None:
        await self.zlm.stop_all()
        await self.mediamtx.stop_all()
        await self._zlm_http.stop()
        await self._mediamtx_http.stop()
        await self.rtsp.stop()

    async def sync_faults(self) -> None:
        if self.faults.platform_restart:
            self.faults.platform_restart = False  # an event, not a state: it has happened
            await self.restart()
        await self._zlm_http.sync_faults()
        await self._mediamtx_http.sync_faults()
        await self.rtsp.sync_faults()

    async def restart(self) -> None:
        """A restart of the media server: what it was told over its API lived in memory, so
        every ZLM proxy and login, and every MediaMTX path added through the API, is gone."""
        await self.zlm.restart()
        await self.mediamtx.stop_all()

    def endpoints(self) -> dict[str, int]:
        return {
            "zlm_api": self._zlm_http.port,
            "mediamtx_api": self._mediamtx_http.port,
            "rtsp": self.rtsp.port,
        }

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "zlm_proxies": self.zlm.summary(),
            "mediamtx_paths": self.mediamtx.summary(),
            "rtsp_sessions": self.rtsp.sessions,
            "faults": self.faults.active(),
        }

    def pull(
        self,
        url: str,
        *,
        timeout: float,
        retry_count: int,
        delay: Callable[[int], float],
        on_give_up: Callable[[], None] | None = None,
    ) -> PulledStream:
        """Start pulling `url`; the APIs keep the returned stream in their registries."""
        stream = PulledStream(
            url, timeout=timeout, retry_count=retry_count, delay=delay, on_give_up=on_give_up
        )
        stream.start()
        return stream

    def relay_url(self, path: str) -> str:
        return self.rtsp.url("/" + path.lstrip("/"))

    def resolve(self, path: str) -> StreamSource | None:
        """RTSP path → online relay: MediaMTX path names first, then ZLM app/stream."""
        name = path.strip("/")
        stream = self.mediamtx.stream(name) or self.zlm.stream(name)
        return stream.relay if stream is not None else None
