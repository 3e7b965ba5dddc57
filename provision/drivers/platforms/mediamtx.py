"""MediaMTX's control API (v3) as a `StreamPlatform`.

A proxy is a path named "<app>/<stream>" whose source is the camera's RTSP URL. `replace`
creates or overwrites a path in one call (and keeps the running pull when the source did not
change), so re-pointing needs no delete. Unlike ZLMediaKit, MediaMTX accepts a path without
trying the camera and keeps retrying in the background, so after writing paths we watch the
runtime state until each is ready, or report the ones that are not within the timeout: a
forwarded feed that never arrives is what provisioning exists to catch.

Not supported: the API's own authentication (MediaMTX's authInternalUsers); a platform that
asks for it answers 401, which surfaces as a DeviceError.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote

from provision.drivers.connect import Connector
from provision.drivers.http import HttpClient, endpoint_from_url
from provision.drivers.pacing import waiting
from provision.drivers.platforms import StreamPlatform
from provision.i18n import _
from provision.inventory.model import VideoPlatform

PAGE_SIZE = 100
READY_POLL_S = 0.05


class MediaMtxPlatform(StreamPlatform):
    kind = "mediamtx"

    def __init__(self, platform: VideoPlatform, connector: Connector, label: str) -> None:
        super().__init__(platform, connector, label)
        self.client = HttpClient(
            label, endpoint_from_url(connector, platform.api), timeout=connector.timeout
        )

    def _path(self, stream: str) -> str:
        return quote(f"{self.app}/{stream}", safe="/")

    def list_proxies(self) -> dict[str, str]:
        prefix = f"{self.app}/"
        found: dict[str, str] = {}
        page, pages = 0, 1
        while page < pages:
            body = self.client.json(
                "GET",
                "/v3/config/paths/list",
                _("list proxies"),
                params={"itemsPerPage": PAGE_SIZE, "page": page},
            )
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise self.client.fail(_("list proxies"), "unexpected answer: no items")
            for conf in body["items"]:
                name = str(conf.get("name", ""))
                if name.startswith(prefix):
                    found[name[len(prefix) :]] = str(conf.get("source", ""))
            pages = int(body.get("pageCount") or 0)
            page += 1
        return found

    def add_proxies(
        self, proxies: Mapping[str, str], present: Collection[str] | None = None
    ) -> dict[str, str]:
        # `replace` needs no delete, so what is present now does not matter. Each stream is
        # written and watched on a connection of its own: a school's pulls overlap.
        return self._add_at_once(proxies, self._add_proxy)

    def _add_proxy(self, stream: str, url: str) -> str | None:
        """Write one path, then poll its runtime state until it is ready or the connector's
        timeout passes: None, or why it is not ready."""
        client = self.client.twin()
        try:
            client.json(
                "POST",
                f"/v3/config/paths/replace/{self._path(stream)}",
                _("add proxy {stream}").format(stream=stream),
                json={"source": url},
            )
            deadline = time.monotonic() + self.connector.timeout
            while not self._ready(client, stream):
                if time.monotonic() >= deadline:
                    text = _("the platform has not pulled it within {seconds:g} s")
                    return text.format(seconds=self.connector.timeout)
                with waiting():
                    time.sleep(READY_POLL_S)
            return None
        finally:
            client.close()

    def _ready(self, client: HttpClient, stream: str) -> bool:
        operation = _("check proxy {stream}").format(stream=stream)
        resp = client.call(
            "GET", f"/v3/paths/get/{self._path(stream)}", operation, expect=(200, 404)
        )
        if resp.status_code == 404:  # not in the runtime yet: not ready
            return False
        try:
            state: Any = resp.json()
        except ValueError:
            raise client.fail(operation, "the answer is not JSON") from None
        return isinstance(state, dict) and bool(state.get("ready"))

    def remove_proxy(self, stream: str) -> None:
        # 404: already gone, which is what we want.
        self.client.call(
            "DELETE",
            f"/v3/config/paths/delete/{self._path(stream)}",
            _("remove proxy {stream}").format(stream=stream),
            expect=(200, 404),
        )
