"""One Dahua camera's CGI API over HTTP Digest, with every failure said plainly for that camera.

The Dahua driver (drivers/camera_dahua.py) asks through this: `config(name)` reads a table,
`set_config(values)` writes keys, `magic(action)` reads an identity field, `user_manager(...)`
lists and changes accounts, `snapshot()` fetches the picture. The wire forms are in
protocols/dahua_cgi.py; "Dahua HTTP API for IPC" V1.67 is the source.

Every failure is a DeviceError that names the camera and the request, never its query string:
the API carries account passwords in the query (`addUser&user.Password=...`), so no error may
show one (the transport, drivers/device_http.py, logs nothing and scrubs the password). A 401
after the session worked once means the account's password changed under us, and the error
says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlencode

from provision.drivers.device_http import DeviceHttp, HttpReply
from provision.drivers.http import HttpError
from provision.errors import DeviceError
from provision.i18n import _
from provision.protocols.dahua_cgi import (
    AnswerError,
    error_reason,
    is_error,
    lines,
    parse_table,
)

Params = Sequence[tuple[str, str]]


class DahuaSession:
    """The CGI API of the camera at `address` (host, port), logged in as `username`."""

    def __init__(
        self, label: str, address: tuple[str, int], username: str, password: str, timeout: float
    ) -> None:
        self.label, self.username, self.timeout = label, username, timeout
        host, port = address
        netloc = f"[{host}]" if ":" in host else host
        self._http = DeviceHttp(
            label, f"http://{netloc}:{port}", timeout=timeout, username=username, password=password
        )
        self.exchanges = 0  # requests answered (a Digest challenge and its retry count once)
        self._answered = False  # whether these credentials have worked in this session

    def close(self) -> None:
        self._http.close()

    # --- requests -----------------------------------------------------------------------------

    def request(self, cgi: str, action: str | None, params: Params = ()) -> HttpReply:
        """GET /cgi-bin/<cgi>?action=<action>&<params>; the answer, once it is a success."""
        what = cgi if action is None else f"{cgi}?action={action}"
        pairs = list(params) if action is None else [("action", action), *params]
        query = urlencode(pairs, quote_via=quote)
        try:
            reply = self._http.request("GET", f"/cgi-bin/{cgi}?{query}", what)
        except HttpError as exc:  # its reason names no path, so no query either
            raise DeviceError(
                _("{device}: {what}: {reason}").format(
                    device=self.label, what=what, reason=exc.reason
                )
            ) from None
        self.exchanges += 1
        if reply.status == 401:
            raise DeviceError(self._refused_login(what, reply))
        body = reply.text if reply.headers.get("content-type", "").startswith("text") else ""
        if reply.status != 200 or is_error(body):
            reason = error_reason(body) if is_error(body) else ""
            status = f"HTTP {reply.status} " if reply.status != 200 else ""
            raise DeviceError(
                _("{device}: the camera refused {what}: {status}Error {reason}")
                .format(device=self.label, what=what, status=status, reason=reason)
                .rstrip()
            )
        self._answered = True
        return reply

    def _refused_login(self, what: str, reply: HttpReply) -> str:
        if "locked" in reply.text.lower():  # Dahua locks the account, not the address
            return _(
                "{device}: {what}: the camera has locked the account {user!r} after repeated "
                "wrong passwords (HTTP 401, for General.LoginFailLockTime: 30 minutes unless "
                "changed); do not retry before then, correct the inventory's credentials"
            ).format(device=self.label, what=what, user=self.username)
        if self._answered:
            return _(
                "{device}: {what}: the camera now refuses the login {user!r} (HTTP 401) "
                "although it took it earlier in this run: its password was changed meanwhile; "
                "set the inventory's secret to the new one"
            ).format(device=self.label, what=what, user=self.username)
        return _(
            "{device}: {what}: the camera refuses the login {user!r} (HTTP 401): wrong user "
            "name or password, or the account is locked after failed logins"
        ).format(device=self.label, what=what, user=self.username)

    def text(self, cgi: str, action: str, params: Params = ()) -> str:
        return self.request(cgi, action, params).text

    # --- what the driver asks -----------------------------------------------------------------

    def config(self, name: str, needed: tuple[str, ...] = ()) -> dict[str, str]:
        """Table `name` as {key: value}; the keys in `needed` must be in the answer."""
        body = self.text("configManager.cgi", "getConfig", [("name", name)])
        table = self._parse(body, f"getConfig&name={name}", "table.")
        missing = [key for key in needed if key not in table]
        if missing:
            raise DeviceError(
                _(
                    "{device}: the answer to getConfig&name={name} lacks {keys} "
                    "(truncated, or a firmware without these settings)"
                ).format(device=self.label, name=name, keys=", ".join(missing))
            )
        return table

    def set_config(self, values: dict[str, str]) -> None:
        body = self.text("configManager.cgi", "setConfig", list(values.items()))
        if lines(body) != ["OK"]:
            raise DeviceError(
                _("{device}: setConfig of {keys} answered {answer!r}, not OK").format(
                    device=self.label, keys=", ".join(values), answer=body.strip()[:60]
                )
            )

    def magic(self, action: str) -> str:
        """The value of a magicBox read: "type=IPC-HFW2441S-S" → "IPC-HFW2441S-S"."""
        found = lines(self.text("magicBox.cgi", action))
        if not found or "=" not in found[0]:
            raise DeviceError(
                _("{device}: magicBox.cgi?action={action} answered nothing usable").format(
                    device=self.label, action=action
                )
            )
        return found[0].partition("=")[2].strip()

    def users(self) -> dict[str, str]:
        """getUserInfoAll as {"users[i].<field>": value}."""
        body = self.text("userManager.cgi", "getUserInfoAll")
        return self._parse(body, "userManager.cgi?action=getUserInfoAll", "")

    def user_manager(self, action: str, params: Params) -> None:
        body = self.text("userManager.cgi", action, params)
        if lines(body) != ["OK"]:
            raise DeviceError(
                _("{device}: userManager.cgi?action={action} did not answer OK").format(
                    device=self.label, action=action
                )
            )

    def snapshot(self) -> bytes:
        return self.request("snapshot.cgi", None, [("channel", "1")]).body

    def _parse(self, body: str, what: str, prefix: str) -> dict[str, str]:
        try:
            return parse_table(body, prefix)
        except AnswerError as exc:
            raise DeviceError(
                _("{device}: the answer to {what} is garbled: {error}").format(
                    device=self.label, what=what, error=exc
                )
            ) from None
