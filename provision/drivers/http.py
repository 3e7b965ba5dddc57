"""One small HTTP client per device for the drivers that speak JSON over HTTP.

It keeps what every such driver needs in one place: a timeout on every request, TLS
verification as the connector says (on by default), the device's auth, and every failure
(refused, silent, an untrusted certificate, 401, a 4xx with the device's reason, an answer that
is not JSON) turned into a `DeviceError` that names the device and the operation. Secret values
the client sends are scrubbed from every message it raises, so a device that echoes a request
back cannot leak a password into a plan or a log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests

from provision.drivers.connect import Connector
from provision.drivers.pacing import exchange
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Credentials

_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")
_TLS_REASON = re.compile(r"certificate verify failed: ([^'\")(]+)|(hostname '[^']+' doesn't match)")
_SSL_ERROR = re.compile(r"\[SSL[^\]]*\][^'\")(]*")
_SHOWN_BODY = 200  # characters of a device's error answer worth putting in a message


class HttpError(DeviceError):
    """A device's HTTP API failed; `status` is the HTTP status when there was an answer,
    `reason` the plain cause without device and operation (for a driver's own wording)."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason if reason is not None else message


class Endpoint(str):
    """A device API's base URL that also carries the connector's TLS setting (`verify`), so a
    client built from it checks certificates as this run was told to, whoever builds it."""

    verify: bool | str

    def __new__(cls, url: str, verify: bool | str = True) -> Endpoint:
        self = super().__new__(cls, url)
        self.verify = verify
        return self


def endpoint(connector: Connector, host: str, port: int, scheme: str = "http") -> Endpoint:
    """The base URL of a device's API at its inventory address, routed by the connector."""
    address, routed_port = connector.address(host, port)
    if ":" in address:  # an IPv6 literal needs brackets in a URL
        address = f"[{address}]"
    return Endpoint(f"{scheme}://{address}:{routed_port}", connector.verify)


def endpoint_from_url(connector: Connector, url: str) -> Endpoint:
    """`endpoint` for an API the inventory gives as a URL (scheme, host, port, path prefix)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise DeviceError(_("API URL {url!r} names no host").format(url=url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    base = endpoint(connector, parts.hostname, port, parts.scheme or "http")
    return Endpoint(base + parts.path.rstrip("/"), base.verify)


class SecretScrubber:
    """The secrets a client sent, scrubbed from every message it raises: a device that echoes
    a request back cannot leak a password into a plan or a log."""

    _secrets: set[str]

    def hide(self, *secrets: str) -> None:
        """Values to scrub from every message this client raises (as sent and URL-encoded)."""
        for secret in secrets:
            if secret:
                self._secrets |= {secret, quote(secret, safe=""), quote_plus(secret)}

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):  # longest first
            text = text.replace(secret, "***")
        return text


class HttpClient(SecretScrubber):
    """A keep-alive session to one device API; every call has a timeout and maps errors.

    TLS verification is `verify` when given, else the setting an `Endpoint` carries, else on.
    """

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        timeout: float,
        auth: tuple[str, str] | None = None,
        verify: bool | str | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self.label, self.base_url, self.timeout = label, base_url.rstrip("/"), timeout
        self.session = requests.Session()
        # Device traffic stays on the school/precinct network: a web proxy from the
        # environment must not carry it, and ~/.netrc must not replace the device's auth
        # (nor REQUESTS_CA_BUNDLE the trust the connector was given).
        self.session.trust_env = False
        self.session.verify = verify if verify is not None else getattr(base_url, "verify", True)
        self.session.auth = auth
        self._secrets: set[str] = set()
        self.hide(*secrets)
        if auth is not None:
            self.hide(auth[1])

    def fail(self, operation: str, reason: str, status: int | None = None) -> HttpError:
        text = _("{device}: {operation} failed: {reason}")
        return HttpError(
            self.redact(text.format(device=self.label, operation=operation, reason=reason)), status
        )

    def call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        expect: Iterable[int] = (200,),
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request; any transport failure or unexpected status raises `HttpError`.

        `read_timeout` is for calls the device answers only after work of its own (a platform
        that first pulls the camera); connecting is always bounded by the connector's timeout.
        """
        timeout = (self.timeout, read_timeout or self.timeout)
        try:
            with exchange(timeout[1]) as left:  # other devices run while this one waits
                timeout = (min(timeout[0], left), left)
                resp = self.session.request(method, self.base_url + path, timeout=timeout, **kwargs)
        except requests.Timeout:
            text = _("no answer within {seconds:g} s").format(seconds=timeout[1])
            raise self.fail(operation, text) from None
        except requests.exceptions.SSLError as exc:  # before ConnectionError, its base class
            raise self.fail(operation, self._untrusted(exc)) from None
        except requests.ConnectionError as exc:
            text = _("cannot connect to {url}: {reason}").format(
                url=self.base_url, reason=_cause(exc)
            )
            raise self.fail(operation, text) from None
        except requests.RequestException as exc:
            raise self.fail(operation, f"{type(exc).__name__}: {exc}") from None
        if resp.status_code not in tuple(expect):
            raise self.fail(operation, _status_reason(resp), resp.status_code)
        return resp

    def _untrusted(self, exc: requests.exceptions.SSLError) -> str:
        """Why TLS failed and what to do: the CA to trust, never a silent downgrade."""
        found = _TLS_REASON.search(str(exc))
        if not found:  # a handshake failure, not a trust decision: show what the TLS layer said
            said = _SSL_ERROR.search(str(exc))
            detail = said.group(0).strip() if said else _cause(exc)
            return _("TLS handshake with {url} failed: {detail}").format(
                url=self.base_url, detail=detail
            )
        reason = next(g for g in found.groups() if g)
        verify = self.session.verify
        trusted = (
            _("the CAs in {bundle}").format(bundle=verify)
            if isinstance(verify, str)
            else _("the default CAs")
        )
        return _(
            "TLS certificate of {url} is not trusted ({reason}; checked against {trusted}): "
            "give the CA that signed it with --ca-bundle FILE (or, only for a test bench, "
            "--insecure)"
        ).format(url=self.base_url, reason=reason.strip(), trusted=trusted)

    def json(self, method: str, path: str, operation: str, **kwargs: Any) -> Any:
        resp = self.call(method, path, operation, **kwargs)
        try:
            return resp.json()
        except ValueError:
            shown = resp.text[:_SHOWN_BODY]
            raise self.fail(
                operation, _("the answer is not JSON: {body!r}").format(body=shown)
            ) from None

    def twin(self) -> HttpClient:
        """A client to the same API on a connection of its own, with this one's settings,
        secrets to scrub and cookies (a login), for requests sent at the same time as this
        one's (`pacing.in_parallel`): a requests session is not made to be shared by threads."""
        twin = HttpClient(
            self.label,
            self.base_url,
            timeout=self.timeout,
            auth=self.session.auth,  # type: ignore[arg-type]
            verify=self.session.verify,
        )
        twin.hide(*self._secrets)
        twin.session.cookies.update(self.session.cookies)
        return twin

    def close(self) -> None:
        self.session.close()


def basic_auth_client(
    label: str, connector: Connector, host: str, port: int, credentials: Credentials | None
) -> HttpClient:
    """A client to a device's HTTP API with Basic auth, its password resolved right now."""
    username = credentials.username if credentials is not None else "admin"
    password = connector.secret(credentials.password if credentials is not None else None)
    return HttpClient(
        label,
        endpoint(connector, host, port),
        timeout=connector.timeout,
        auth=(username, password),
    )


def _cause(exc: Exception) -> str:
    """The OS-level reason (e.g. "[Errno 111] Connection refused"), not urllib3's repr chain."""
    found = _ERRNO.search(str(exc))
    return found.group(0).strip() if found else type(exc).__name__


def _status_reason(resp: requests.Response) -> str:
    if resp.status_code in (401, 403):
        return _("authentication failed (HTTP {status}): check the device's credentials").format(
            status=resp.status_code
        )
    detail = resp.text[:_SHOWN_BODY].strip()
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):  # the device's own reason, whichever key it uses
        detail = str(body.get("error") or body.get("msg") or body.get("message") or detail)
        if "field" in body and not detail.startswith(str(body["field"])):
            detail = _("{detail} (field {field!r})").format(detail=detail, field=body["field"])
        elif "index" in body:
            detail = _("{detail} (item {index})").format(detail=detail, index=body["index"])
    return f"HTTP {resp.status_code}: {detail}" if detail else f"HTTP {resp.status_code}"


def device_info(client: HttpClient) -> dict[str, Any]:
    """Model, serial and firmware from a device's /api/info (panels and LED boards)."""
    info = client.json("GET", "/api/info", _("read identity"))
    if not isinstance(info, dict):
        return {}
    return {key: info.get(key) for key in ("model", "serial", "firmware")}
