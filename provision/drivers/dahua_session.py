"""One Dahua camera's CGI API over HTTP Digest, with every failure said plainly for that camera.

The Dahua driver (drivers/camera_dahua.py) asks through this: `config(name)` reads a table,
`set_config(values)` writes keys, `magic(action)` reads an identity field, `user_manager(...)`
lists and changes accounts, `snapshot()` fetches the picture. The wire forms are in
protocols/dahua_cgi.py; "Dahua HTTP API for IPC" V1.67 is the source.

Every failure is a DeviceError that names the camera and the request, never its query string:
the API carries account passwords in the query (`addUser&user.Password=...`), so neither an
error nor urllib3's debug log (filtered below) may show one. A 401 after the session worked
once means the account's password changed under us, and the error says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import quote, urlencode

import requests
from requests.auth import HTTPDigestAuth

from provision.drivers.pacing import exchange
from provision.errors import DeviceError
from provision.protocols.dahua_cgi import (
    AnswerError,
    error_reason,
    is_error,
    lines,
    parse_table,
)

Params = Sequence[tuple[str, str]]


class _PathOnly(logging.Filter):
    """urllib3 logs each request line at DEBUG; keep its path and drop the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a.split("?", 1)[0] + "?..." if isinstance(a, str) and "?" in a else a
                for a in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_PathOnly())


class DahuaSession:
    """The CGI API of the camera at `address` (host, port), logged in as `username`."""

    def __init__(
        self, label: str, address: tuple[str, int], username: str, password: str, timeout: float
    ) -> None:
        self.label, self.username, self.timeout = label, username, timeout
        host, port = address
        self._base = f"http://{host}:{port}/cgi-bin/"
        self._http = requests.Session()
        self._http.trust_env = False  # device traffic never goes through an environment proxy
        self._http.auth = HTTPDigestAuth(username, password)
        self._answered = False  # whether these credentials have worked in this session

    def close(self) -> None:
        self._http.close()

    # --- requests -----------------------------------------------------------------------------

    def request(self, cgi: str, action: str | None, params: Params = ()) -> requests.Response:
        """GET /cgi-bin/<cgi>?action=<action>&<params>; the answer, once it is a success."""
        what = cgi if action is None else f"{cgi}?action={action}"
        pairs = list(params) if action is None else [("action", action), *params]
        query = urlencode(pairs, quote_via=quote)
        try:
            with exchange(self.timeout) as timeout:  # other devices run while this one waits
                reply = self._http.get(f"{self._base}{cgi}?{query}", timeout=timeout)
        except requests.Timeout:
            raise DeviceError(
                f"{self.label}: {what}: no answer within {self.timeout:g} s"
            ) from None
        except requests.RequestException as exc:
            raise DeviceError(f"{self.label}: {what}: {_transport_problem(exc)}") from None
        if reply.status_code == 401:
            raise DeviceError(self._refused_login(what))
        body = reply.text if reply.headers.get("content-type", "").startswith("text") else ""
        if reply.status_code != 200 or is_error(body):
            reason = error_reason(body) if is_error(body) else ""
            status = f"HTTP {reply.status_code} " if reply.status_code != 200 else ""
            raise DeviceError(
                f"{self.label}: the camera refused {what}: {status}Error {reason}".rstrip()
            )
        self._answered = True
        return reply

    def _refused_login(self, what: str) -> str:
        if self._answered:
            return (
                f"{self.label}: {what}: the camera now refuses the login {self.username!r} "
                "(HTTP 401) although it took it earlier in this run: its password was changed "
                "meanwhile; set the inventory's secret to the new one"
            )
        return (
            f"{self.label}: {what}: the camera refuses the login {self.username!r} (HTTP 401): "
            "wrong user name or password, or the account is locked after failed logins"
        )

    def text(self, cgi: str, action: str, params: Params = ()) -> str:
        reply = self.request(cgi, action, params)
        reply.encoding = reply.encoding or "utf-8"
        return reply.text

    # --- what the driver asks -----------------------------------------------------------------

    def config(self, name: str, needed: tuple[str, ...] = ()) -> dict[str, str]:
        """Table `name` as {key: value}; the keys in `needed` must be in the answer."""
        body = self.text("configManager.cgi", "getConfig", [("name", name)])
        table = self._parse(body, f"getConfig&name={name}", "table.")
        missing = [key for key in needed if key not in table]
        if missing:
            raise DeviceError(
                f"{self.label}: the answer to getConfig&name={name} lacks {', '.join(missing)} "
                "(truncated, or a firmware without these settings)"
            )
        return table

    def set_config(self, values: dict[str, str]) -> None:
        body = self.text("configManager.cgi", "setConfig", list(values.items()))
        if lines(body) != ["OK"]:
            raise DeviceError(
                f"{self.label}: setConfig of {', '.join(values)} answered {body.strip()[:60]!r}, "
                "not OK"
            )

    def magic(self, action: str) -> str:
        """The value of a magicBox read: "type=IPC-HFW2441S-S" → "IPC-HFW2441S-S"."""
        found = lines(self.text("magicBox.cgi", action))
        if not found or "=" not in found[0]:
            raise DeviceError(f"{self.label}: magicBox.cgi?action={action} answered nothing usable")
        return found[0].partition("=")[2].strip()

    def users(self) -> dict[str, str]:
        """getUserInfoAll as {"users[i].<field>": value}."""
        body = self.text("userManager.cgi", "getUserInfoAll")
        return self._parse(body, "userManager.cgi?action=getUserInfoAll", "")

    def user_manager(self, action: str, params: Params) -> None:
        body = self.text("userManager.cgi", action, params)
        if lines(body) != ["OK"]:
            raise DeviceError(f"{self.label}: userManager.cgi?action={action} did not answer OK")

    def snapshot(self) -> bytes:
        reply = self.request("snapshot.cgi", None, [("channel", "1")])
        return reply.content

    def _parse(self, body: str, what: str, prefix: str) -> dict[str, str]:
        try:
            return parse_table(body, prefix)
        except AnswerError as exc:
            raise DeviceError(f"{self.label}: the answer to {what} is garbled: {exc}") from None


def _transport_problem(exc: requests.RequestException) -> str:
    """What went wrong on the wire, without the URL (its query can hold a password)."""
    if isinstance(exc, requests.ConnectionError):
        cause = str(exc.args[0]) if exc.args else ""
        if "refused" in cause.lower():
            return "connection refused"
        if "reset" in cause.lower() or "aborted" in cause.lower():
            return "the connection was dropped"
        if "IncompleteRead" in cause or "ProtocolError" in cause:
            return "the answer was cut short"
        return "cannot connect"
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return "the answer was cut short"
    return type(exc).__name__
