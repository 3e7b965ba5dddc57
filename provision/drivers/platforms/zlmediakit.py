"""ZLMediaKit's HTTP API (`/index/api/*`) as a `StreamPlatform`.

ZLM answers every call with HTTP 200 and reports the outcome in the body's `code` (0 success,
-1 other failure, -100 not authenticated, -300 bad arguments). Arguments go in a form body,
never the query string: the secret and the camera credentials in a source URL would otherwise
sit in request lines that proxies and error messages repeat.

Authentication follows the release the platform runs (server/WebApi.cpp): since February 2026
ZLM has /index/api/login, where a client proves it knows the secret with
MD5("zlmediakit:" + secret + ":" + challenge cookie) and gets a ZLM_LOGINED cookie, so the
secret itself never crosses the network; a missing or wrong secret answers -100 "Please login
first". Older releases have no login (the URL is their static file server's 404) and take the
secret on every call, answering -100 "Incorrect secret". We try the login first and fall back
to the secret; a login that expired (a restarted platform forgets its cookies) is renewed once.

`addStreamProxy` answers only after the first pull attempt, so a camera the platform cannot
reach is known at once (code -1).
An empty list has no `data` key at all (jsoncpp drops empty arrays).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from functools import partial
from typing import Any

from provision.drivers.connect import Connector
from provision.drivers.http import HttpClient, HttpError, endpoint_from_url
from provision.drivers.platforms import StreamPlatform
from provision.i18n import _
from provision.inventory.model import VideoPlatform

DEFAULT_VHOST = "__defaultVhost__"
SUCCESS, OTHER_FAILED, AUTH_FAILED = 0, -1, -100
LOGINED, UNLOGIN = "ZLM_LOGINED", "ZLM_UNLOGIN"
AUTH_REASON = "authentication failed (code -100): check the platform secret"


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
        self._legacy: bool | None = None  # unknown until the first call

    def _call(
        self,
        name: str,
        operation: str,
        read_timeout: float | None = None,
        client: HttpClient | None = None,
        **args: Any,
    ) -> dict[str, Any]:
        client = client or self.client
        if self._legacy is None:
            self._log_in(operation, client)
        try:
            return self._request(client, name, operation, read_timeout, **args)
        except ZlmError as exc:
            if exc.code != AUTH_FAILED or self._legacy:
                raise
        self._log_in(operation, client)  # the platform forgot our login (restarted, expired)
        return self._request(client, name, operation, read_timeout, **args)

    def _request(
        self,
        client: HttpClient,
        name: str,
        operation: str,
        read_timeout: float | None,
        **args: Any,
    ) -> dict[str, Any]:
        form = {"secret": self._secret, **args} if self._legacy else args
        body = client.json(
            "POST", f"/index/api/{name}", operation, data=form, read_timeout=read_timeout
        )
        return self._checked(body, name, operation)

    def _checked(self, body: Any, name: str, operation: str) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise self.client.fail(operation, f"unexpected answer to {name}: no code")
        code = body["code"]
        if code == SUCCESS:
            return body
        if code == AUTH_FAILED:
            reason = AUTH_REASON
        else:
            reason = self.client.redact(f"code {code}: {body.get('msg', '')}")
        raise ZlmError(
            _("{label}: {operation} failed: {reason}").format(
                label=self.label, operation=operation, reason=reason
            ),
            code,
            reason,
        )

    def _log_in(self, operation: str, client: HttpClient) -> None:
        """Log in with the secret's digest, or note a release that only takes the secret.
        The login is the client's (its cookie): a lane of `add_proxies` renews its own."""
        cookies = client.session.cookies
        cookies.clear()
        resp = client.call(
            "POST", "/index/api/login", operation, data={"digest": "challenge"}, expect=(200, 404)
        )
        challenge = _json(resp).get("cookie")
        if resp.status_code == 404 or not isinstance(challenge, str):
            self._legacy = True  # no login before 2026: the secret goes with every call
            return
        cookies.clear()
        cookies.set(UNLOGIN, challenge)
        digest = hashlib.md5(f"zlmediakit:{self._secret}:{challenge}".encode()).hexdigest()
        resp = client.call("POST", "/index/api/login", operation, data={"digest": digest})
        self._checked(_json(resp), "login", operation)
        logined = _set_cookie(resp, LOGINED)
        cookies.clear()
        if logined:
            cookies.set(LOGINED, logined)
        self._legacy = False

    def _key(self, stream: str) -> str:
        return f"{DEFAULT_VHOST}/{self.app}/{stream}"

    def list_proxies(self) -> dict[str, str]:
        body = self._call("listStreamProxy", _("list proxies"))
        found: dict[str, str] = {}
        for item in body.get("data") or []:  # absent when there are none
            src = item.get("src") or {}
            if src.get("vhost", DEFAULT_VHOST) == DEFAULT_VHOST and src.get("app") == self.app:
                found[str(src.get("stream"))] = str(item.get("url", ""))
        return found

    def add_proxies(
        self, proxies: Mapping[str, str], present: Collection[str] | None = None
    ) -> dict[str, str]:
        # ZLM answers an add only after its first pull of the camera (a few round trips of
        # RTSP on the school's link): the streams are added at once, each on a connection of
        # its own, so a school's pulls overlap instead of adding up.
        return self._add_at_once(proxies, partial(self._add_proxy, present=present))

    def _add_proxy(self, stream: str, url: str, present: Collection[str] | None) -> str | None:
        """Add one proxy on a connection of its own; None, or why the platform cannot pull."""
        client = self.client.twin()
        try:
            if present is None or stream in present:
                # ZLM refuses to add over an existing proxy, so re-pointing is delete + add;
                # the delete of a proxy that is not there answers flag false, not an error.
                self._call(
                    "delStreamProxy",
                    _("add proxy {stream}").format(stream=stream),
                    client=client,
                    key=self._key(stream),
                )
            self._call(
                "addStreamProxy",
                _("add proxy {stream}").format(stream=stream),
                # ZLM answers after its first pull: wait for that, then for the answer.
                read_timeout=self.connector.timeout * 2,
                client=client,
                vhost=DEFAULT_VHOST,
                app=self.app,
                stream=stream,
                url=url,
                timeout_sec=self.connector.timeout,
            )
        except ZlmError as exc:
            if exc.code != OTHER_FAILED:
                raise
            return exc.reason
        finally:
            client.close()
        return None

    def remove_proxy(self, stream: str) -> None:
        self._call(
            "delStreamProxy",
            _("remove proxy {stream}").format(stream=stream),
            key=self._key(stream),
        )


def _json(resp: Any) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _set_cookie(resp: Any, name: str) -> str | None:
    """The value the answer's Set-Cookie gives `name` (read directly: ZLM's `expires` date is
    not in the format cookie jars parse)."""
    for header in resp.raw.headers.getlist("Set-Cookie") if resp.raw else []:
        key, _, rest = header.partition("=")
        if key.strip() == name:
            return str(rest.partition(";")[0])
    return None
