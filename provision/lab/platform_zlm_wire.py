"""ZLMediaKit's API conventions as the precinct platform simulator speaks them: error codes,
arguments, and who may call.

Followed from ZLMediaKit's server/WebApi.cpp and WebApi.h at commit fdaec260 (master,
2026-08-21; github.com/ZLMediaKit/ZLMediaKit):
- `code` is the ApiErr enum: Success 0, OtherFailed -1, AuthFailed -100, SqlFailed -200,
  InvalidArgs -300, Exception -400, NotFound -500; HTTP status is always 200.
- Arguments (getAllArgs): a form or JSON body, then the URL's arguments on top.
- CHECK_ARGS stringifies its arguments: `Required parameter missed: "vhost","app"`.
- check_secret (since commit 3a351442, 2026-02-19; both ways at once since 22dcde4b,
  2026-03-19): a valid ZLM_LOGINED cookie passes; otherwise a ZLM_UNLOGIN cookie is issued
  (Set-Cookie, and its value as `cookie` in the body) and the `secret` argument is compared;
  a missing or wrong secret answers -100 "Please login first" with that cookie. The Set-Cookie
  stays on a call the secret let through, as in the source.
- /index/api/login: `digest` = MD5("zlmediakit:" + secret + ":" + the ZLM_UNLOGIN cookie);
  a match sets ZLM_LOGINED (24 h), a mismatch answers -100 "Digest does not match, incorrect
  secret?" with a fresh challenge cookie (60 s) and logs the session out.

`legacy=True` answers as releases before that login existed (check_secret was the
CHECK_SECRET macro, at 3a351442^): a missing secret is -300 'Required parameter missed:
"secret"', a wrong one -100 "Incorrect secret", and /index/api/login and logout are unknown
URLs (ZLM's static file server answers them 404).

Not modelled: the IP allow-list ("Your ip is not allowed..."), the connection ZLM shuts after
any refused call, the second Set-Cookie that expires the challenge cookie on login.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from provision.lab.http import Request

SUCCESS, OTHER_FAILED, AUTH_FAILED, INVALID_ARGS, NOT_FOUND = 0, -1, -100, -300, -500
LOGINED, UNLOGIN = "ZLM_LOGINED", "ZLM_UNLOGIN"
LOGINED_LIFE_S, UNLOGIN_LIFE_S = 24 * 3600, 60


class ApiError(Exception):
    """A refused call: `code` and `msg`, plus the body fields and headers ZLM adds to it."""

    def __init__(
        self,
        code: int,
        msg: str,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg
        self.headers, self.body = headers or {}, body or {}


def arguments(req: Request) -> dict[str, str]:
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


def require(args: dict[str, str], *names: str) -> None:
    """CHECK_ARGS: every name present and non-empty, else -300 naming them as the macro does."""
    if any(not args.get(n) for n in names):
        listed = ",".join(f'"{n}"' for n in names)
        raise ApiError(INVALID_ARGS, f"Required parameter missed: {listed}")


def login_digest(secret: str, cookie: str) -> str:
    """What a client sends to /index/api/login for the challenge `cookie`."""
    return hashlib.md5(f"zlmediakit:{secret}:{cookie}".encode()).hexdigest()


def _cookies(req: Request) -> dict[str, str]:
    jar: dict[str, str] = {}
    for part in req.headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            jar[name] = value
    return jar


def _set_cookie(name: str, value: str, life_s: int) -> str:
    # HttpServerCookie::getCookie(path): no spaces after ';', ZLM's own date format.
    expires = time.strftime("%a, %b %d %Y %H:%M:%S GMT", time.gmtime(time.time() + life_s))
    return f"{name}={value};expires={expires};path=/"


class ZlmAuth:
    """The platform's cookie store and secret, deciding who may call."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.legacy = False
        self._cookies: dict[tuple[str, str], float] = {}  # (name, value) → expiry (monotonic)

    def forget(self) -> None:
        """A restart: cookies live in memory only."""
        self._cookies.clear()

    def _valid(self, req: Request, name: str) -> str | None:
        value = _cookies(req).get(name)
        expiry = self._cookies.get((name, value or ""))
        return value if expiry is not None and expiry > time.monotonic() else None

    def _issue(self, name: str, life_s: int) -> tuple[str, str]:
        value = secrets.token_hex(16)
        self._cookies[(name, value)] = time.monotonic() + life_s
        return value, _set_cookie(name, value, life_s)

    def _challenge(self, req: Request, headers: dict[str, str]) -> str:
        cookie = self._valid(req, UNLOGIN)
        if cookie is None:
            cookie, headers["Set-Cookie"] = self._issue(UNLOGIN, UNLOGIN_LIFE_S)
        return cookie

    def check(self, req: Request, args: dict[str, str]) -> dict[str, str]:
        """check_secret: the headers to add to the answer, or ApiError."""
        if self.legacy:
            require(args, "secret")
            if args["secret"] != self.secret:
                raise ApiError(AUTH_FAILED, "Incorrect secret")
            return {}
        headers: dict[str, str] = {}
        if self._valid(req, LOGINED) is not None:
            return headers
        cookie = self._challenge(req, headers)
        if args.get("secret") and args["secret"] == self.secret:
            return headers
        raise ApiError(AUTH_FAILED, "Please login first", headers, {"cookie": cookie})

    def login(self, req: Request, args: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        require(args, "digest")
        headers: dict[str, str] = {}
        challenge = self._valid(req, UNLOGIN)
        if challenge is None or login_digest(self.secret, challenge) != args["digest"]:
            cookie = self._challenge(req, headers)
            logined = self._valid(req, LOGINED)
            if logined is not None:
                self._cookies.pop((LOGINED, logined), None)
            raise ApiError(
                AUTH_FAILED, "Digest does not match, incorrect secret?", headers, {"cookie": cookie}
            )
        if self._valid(req, LOGINED) is None:
            _value, headers["Set-Cookie"] = self._issue(LOGINED, LOGINED_LIFE_S)
        self._cookies.pop((UNLOGIN, challenge), None)
        return {}, headers

    def logout(self, req: Request, args: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        headers: dict[str, str] = {}
        body: dict[str, Any] = {}
        logined = self._valid(req, LOGINED)
        if logined is not None:
            self._cookies.pop((LOGINED, logined), None)
            headers["Set-Cookie"] = _set_cookie(LOGINED, logined, 0)
        else:
            body["msg"] = "You are not logined"
        body["cookie"] = self._challenge(req, headers)
        return body, headers
