"""ZLMediaKit's HTTP API (`/index/api/*`) as a `StreamPlatform`.

ZLM answers every call with HTTP 200 and reports the outcome in the body's `code` (0 success,
-1 other failure, -100 wrong secret, -300 bad arguments). Arguments go in a form body, never
the query string: the secret and the camera credentials in a source URL would otherwise sit
in request lines that proxies and error messages repeat. `addStreamProxy` answers only after
the first pull attempt, so a camera the platform cannot reach is known at once (code -1).
An empty list has no `data` key at all (jsoncpp drops empty arrays).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provision.drivers.connect import Connector
from provision.drivers.http import HttpClient, HttpError, endpoint_from_url
from provision.drivers.platforms import StreamPlatform
from provision.inventory.model import VideoPlatform

DEFAULT_VHOST = "__defaultVhost__"
SUCCESS, OTHER_FAILED, AUTH_FAILED = 0, -1, -100


class ZlmError(HttpError):
    """ZLM answered with a non-zero `code`."""

    def __init__(self, message: str, code: int, reason: str) -> None:
        super().__init__(message, 200)
        self.code, self.reason = code, reason


class ZlmPlatform(StreamPlatform):
    kind = "zlmediakit"

    def __init__(self, platform: VideoPlatform, connector: Connector, label: str) -> None:
        super().__init__(platform, connector, label)
        self._secret = connector.secret(platform.secret)
        self.client = HttpClient(
            label,
            endpoint_from_url(connector, platform.api),
            timeout=connector.timeout,
            secrets=[self._secret],
        )

    def _call(
        self, name: str, operation: str, read_timeout: float | None = None, **args: Any
    ) -> dict[str, Any]:
        body = self.client.json(
            "POST",
            f"/index/api/{name}",
            operation,
            data={"secret": self._secret, **args},
            read_timeout=read_timeout,
        )
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise self.client.fail(operation, f"unexpected answer to {name}: no code")
        code = body["code"]
        if code == SUCCESS:
            return body
        if code == AUTH_FAILED:
            reason = "authentication failed (code -100): check the platform secret"
        else:
            reason = self.client.redact(f"code {code}: {body.get('msg', '')}")
        raise ZlmError(f"{self.label}: {operation} failed: {reason}", code, reason)

    def _key(self, stream: str) -> str:
        return f"{DEFAULT_VHOST}/{self.app}/{stream}"

    def list_proxies(self) -> dict[str, str]:
        body = self._call("listStreamProxy", "list proxies")
        found: dict[str, str] = {}
        for item in body.get("data") or []:  # absent when there are none
            src = item.get("src") or {}
            if src.get("vhost", DEFAULT_VHOST) == DEFAULT_VHOST and src.get("app") == self.app:
                found[str(src.get("stream"))] = str(item.get("url", ""))
        return found

    def add_proxies(self, proxies: Mapping[str, str]) -> dict[str, str]:
        failed: dict[str, str] = {}
        pull_timeout = self.connector.timeout
        for stream, url in proxies.items():
            # ZLM refuses to add over an existing proxy, so re-pointing is delete + add; the
            # delete of a proxy that is not there answers flag false, not an error.
            self._call("delStreamProxy", f"add proxy {stream}", key=self._key(stream))
            try:
                self._call(
                    "addStreamProxy",
                    f"add proxy {stream}",
                    # ZLM answers after its first pull: wait for that, then for the answer.
                    read_timeout=pull_timeout + self.connector.timeout,
                    vhost=DEFAULT_VHOST,
                    app=self.app,
                    stream=stream,
                    url=url,
                    timeout_sec=pull_timeout,
                )
            except ZlmError as exc:
                if exc.code != OTHER_FAILED:
                    raise  # the API itself refused (bad secret, bad arguments): stop here
                failed[stream] = exc.reason
        return failed

    def remove_proxy(self, stream: str) -> None:
        self._call("delStreamProxy", f"remove proxy {stream}", key=self._key(stream))
