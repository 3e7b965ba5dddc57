"""A Hikvision AX PRO's ISAPI, logged in as its web client and `hikaxpro` log in.

The panel takes a session login, not HTTP auth on each request (petrleocompel/hikaxpro 2.3.1,
src/hikaxpro.py): GET /ISAPI/Security/sessionLogin/capabilities?username=U gives a challenge,
salt(s) and an iteration count; POST /ISAPI/Security/sessionLogin answers the hashed password
with a WebSession cookie that every later request carries. The password is hashed as the
panel says in `sessionIDVersion` and `isIrreversible` (the three variants hikaxpro
implements), so it never crosses the network. A session that has expired (401) is logged in
again once.

A refused login is said as the panel says it in its `userCheck` answer: how many tries are
left before the panel locks this address, or that it is locked and for how long; provision
then stops trying (each try would count towards, or prolong, the lock). SecurityCP resources
are JSON (`?format=json`); a write answers a JSON ResponseStatus whose statusCode must be 1.
The wire is drivers/device_http.py's keep-alive client (the cookie, not HTTP auth, proves the
session); the password is scrubbed from anything raised.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from lxml import etree

from provision.drivers.device_http import DeviceHttp, HttpReply
from provision.drivers.http import HttpError
from provision.drivers.isapi_client import STATUS_CODES, UNKNOWN_STATUS, parse, text
from provision.i18n import _

CAPABILITIES = "/ISAPI/Security/sessionLogin/capabilities"
LOGIN = "/ISAPI/Security/sessionLogin"
LOGOUT = "/ISAPI/Security/sessionLogout"


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def encode_password(user: str, password: str, cap: etree._Element) -> str:
    """The login hash a panel's `SessionLoginCap` asks for (hikaxpro's `encode_password`)."""
    challenge = text(cap, "challenge") or ""
    iterations = int(text(cap, "iterations") or "1")
    salt, salt2 = text(cap, "salt") or "", text(cap, "salt2") or ""
    irreversible = text(cap, "isIrreversible") == "true"
    if irreversible and text(cap, "sessionIDVersion") == "2":
        result = _sha(f"{_sha(f'{user}{salt}{password}')}{challenge}")
        rounds = range(2, iterations)
    elif irreversible:
        result = _sha(f"{user}{salt2}{_sha(f'{user}{salt}{password}')}")
        result = _sha(f"{result}{challenge}")
        rounds = range(2, iterations)
    else:
        result, rounds = f"{_sha(password)}{challenge}", range(1, iterations)
    for _round in rounds:
        result = _sha(result)
    return result


class AxProSession:
    """One panel's ISAPI at `base_url`, logged in as `username` when first needed."""

    def __init__(
        self, label: str, base_url: str, username: str, password: str, *, timeout: float
    ) -> None:
        self.label, self.username, self._password = label, username, password
        self.http = DeviceHttp(label, base_url, timeout=timeout, secrets=(password,))
        self._cookie: str | None = None

    def json(self, method: str, path: str, operation: str, body: Any = None) -> Any:
        """A SecurityCP resource as JSON (a write: its ResponseStatus, checked)."""
        joiner = "&" if "?" in path else "?"
        resp = self._call(method, f"{path}{joiner}format=json", operation, body)
        try:
            answer = resp.json()
        except ValueError:
            shown = resp.text[:120]
            raise self.http.fail(
                operation, _("the answer is not JSON: {body!r}").format(body=shown)
            ) from None
        written = method != "GET" and isinstance(answer, dict) and "statusCode" in answer
        if written and answer["statusCode"] != 1:
            raise self.http.fail(operation, describe(answer), resp.status)
        return answer

    def xml(self, path: str, operation: str) -> etree._Element:
        resp = self._call("GET", path, operation, None)
        try:
            return parse(resp.body)
        except etree.XMLSyntaxError as exc:
            raise self.http.fail(
                operation, _("the answer is not XML: {error}").format(error=exc.msg)
            ) from None

    def close(self) -> None:
        if self._cookie is not None:
            # Free the panel's session slot; a panel already gone is no error here.
            with contextlib.suppress(HttpError):
                self.http.request(
                    "PUT", f"{LOGOUT}?format=json", _("log out"), headers=self._auth()
                )
            self._cookie = None
        self.http.close()

    # --- session ----------------------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        return {"Cookie": self._cookie} if self._cookie else {}

    def _call(self, method: str, path: str, operation: str, body: Any) -> HttpReply:
        if self._cookie is None:
            self._login(operation)
        data = json.dumps(body).encode() if body is not None else b""
        for attempt in (1, 2):
            headers = self._auth() | ({"Content-Type": "application/json"} if data else {})
            resp = self.http.request(method, path, operation, data, headers)
            if resp.status != 401 or attempt == 2:
                break
            self._login(operation)  # the session expired (or the panel restarted)
        if resp.status == 401:
            raise self.http.fail(operation, _("the panel refused the session (HTTP 401)"), 401)
        if resp.status >= 300:
            raise self.http.fail(operation, f"HTTP {resp.status}: {_reason(resp)}")
        return resp

    def _login(self, operation: str) -> None:
        user = quote(self.username, safe="")
        cap_resp = self.http.request("GET", f"{CAPABILITIES}?username={user}", operation)
        if cap_resp.status != 200:
            reason = _("login: HTTP {status}: {reason}").format(
                status=cap_resp.status, reason=_reason(cap_resp)
            )
            raise self.http.fail(operation, reason, cap_resp.status)
        try:
            cap = parse(cap_resp.body)
        except etree.XMLSyntaxError as exc:
            raise self.http.fail(
                operation, _("login: the answer is not XML: {error}").format(error=exc.msg)
            ) from None
        body = (
            f"<SessionLogin><userName>{escape(self.username)}</userName>"
            f"<password>{encode_password(self.username, self._password, cap)}</password>"
            f"<sessionID>{escape(text(cap, 'sessionID') or '')}</sessionID>"
            f"<sessionIDVersion>{escape(text(cap, 'sessionIDVersion') or '')}</sessionIDVersion>"
            "</SessionLogin>"
        )
        resp = self.http.request(
            "POST",
            f"{LOGIN}?timeStamp={int(time.time())}",
            operation,
            body.encode(),
            {"Content-Type": "application/xml"},
        )
        if resp.status != 200:
            raise self.http.fail(operation, self._refused_login(resp), resp.status)
        cookie = resp.headers.get("set-cookie", "").split("\n")[0].split(";")[0]
        if not cookie:
            raise self.http.fail(operation, _("login: the panel set no session cookie"))
        self._cookie = cookie

    def _refused_login(self, resp: HttpReply) -> str:
        try:
            check = parse(resp.body)
        except etree.XMLSyntaxError:
            check = None
        if text(check, "lockStatus") == "lock":
            return _(
                "authentication failed (HTTP {status}): the panel refused user {user!r} and has "
                "locked this address out after repeated wrong passwords (unlocks in {seconds} "
                "s); check the inventory's credentials"
            ).format(
                status=resp.status, user=self.username, seconds=text(check, "unlockTime") or "?"
            )
        left = text(check, "retryLoginTime")
        if left:
            return _(
                "authentication failed (HTTP {status}): the panel refused user {user!r} "
                "({count} tries left before it locks this address)"
            ).format(status=resp.status, user=self.username, count=left)
        return _("authentication failed (HTTP {status}): the panel refused user {user!r}").format(
            status=resp.status, user=self.username
        )


def describe(status: dict[str, Any]) -> str:
    code = status.get("statusCode")
    said = status.get("statusString") or _(STATUS_CODES.get(code or 0, UNKNOWN_STATUS))
    return _("{status} ({detail}; statusCode {code})").format(
        status=said, detail=status.get("subStatusCode", "?"), code=code
    )


def _reason(resp: HttpReply) -> str:
    try:
        answer = resp.json()
    except ValueError:
        return resp.text[:200].strip() or resp.reason
    if isinstance(answer, dict) and "statusCode" in answer:
        detail = describe(answer)
        if "field" in answer:
            return _("{detail} (field {field!r})").format(detail=detail, field=answer["field"])
        return detail
    return str(answer)[:200]
