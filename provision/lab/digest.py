"""Server side of HTTP Digest and Basic authentication (RFC 2617 / RFC 7616, MD5), for the lab's
RTSP (RFC 2326 section 16.48 reuses it) and HTTP endpoints.

Cameras answer an unauthenticated or wrongly authenticated request with `401 Unauthorized`
and one `WWW-Authenticate` line per scheme they accept: Hikvision sends
`Digest realm="...", nonce="...", stale="FALSE"` and, on firmware that still allows it,
`Basic realm="..."`; Dahua the same shape with realm "Login to <serial>". `Challenge`
produces those lines and checks the `Authorization` header that comes back.

Nonces are stateless: hex(time) + an HMAC of it under a per-process key, so a server holding
thousands of cameras keeps no table, any nonce it issued verifies, and one older than
`NONCE_LIFETIME_S` is answered with `stale=TRUE` (the client retries with the new nonce
without asking the user, RFC 2617 3.2.1). Passwords are compared in constant time and never
logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

NONCE_LIFETIME_S = 300
_KEY = os.urandom(16)
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def new_nonce(now: float | None = None) -> str:
    stamp = f"{int(now if now is not None else time.time()):08x}"
    mac = hmac.new(_KEY, stamp.encode(), hashlib.sha256).hexdigest()[:24]
    return stamp + mac


def nonce_age(nonce: str, now: float | None = None) -> float | None:
    """Seconds since we issued `nonce`; None if we never did (forged or from another run)."""
    stamp, mac = nonce[:8], nonce[8:]
    good = hmac.new(_KEY, stamp.encode(), hashlib.sha256).hexdigest()[:24]
    if len(nonce) != 32 or not hmac.compare_digest(mac, good):
        return None
    try:
        issued = int(stamp, 16)
    except ValueError:
        return None
    return (now if now is not None else time.time()) - issued


def parse_params(value: str) -> dict[str, str]:
    return {k.lower(): quoted or bare for k, quoted, bare in _PARAM.findall(value)}


@dataclass(frozen=True)
class Challenge:
    """What a protected resource accepts: its realm, its users, whether Basic is offered.

    `users` is read on every check (username → password), so accounts created or changed
    through the device's own API take effect at once, as on the device.
    """

    realm: str
    users: Callable[[], Mapping[str, str]]
    basic: bool = False
    qop: bool = False  # offer qop="auth" (HTTP cameras do; RTSP servers usually do not)

    def headers(self, *, stale: bool = False) -> list[str]:
        """The WWW-Authenticate values of a 401, strongest first."""
        digest = (
            f'Digest realm="{self.realm}", nonce="{new_nonce()}", '
            f'stale="{"TRUE" if stale else "FALSE"}"'
        )
        if self.qop:
            digest += ', qop="auth"'

        return [digest, f'Basic realm="{self.realm}"'] if self.basic else [digest]

    def check(self, method: str, authorization: str | None) -> tuple[str | None, bool]:
        """(the authenticated user or None, whether the nonce was merely stale)."""
        if not authorization:
            return None, False
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() == "basic" and self.basic:
            return self._basic(rest.strip()), False
        if scheme.lower() != "digest":
            return None, False
        return self._digest(method, parse_params(rest))

    def _basic(self, token: str) -> str | None:
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = self.users().get(user)
        if known is not None and hmac.compare_digest(known.encode(), password.encode()):
            return user
        return None

    def _digest(self, method: str, p: dict[str, str]) -> tuple[str | None, bool]:
        user, nonce = p.get("username", ""), p.get("nonce", "")
        password = self.users().get(user)
        age = nonce_age(nonce)
        if password is None or age is None or p.get("realm") != self.realm:
            return None, False
        ha1 = _md5(f"{user}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{p.get('uri', '')}")
        if p.get("qop"):
            expected = _md5(f"{ha1}:{nonce}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}")
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        if not hmac.compare_digest(expected, p.get("response", "").lower()):
            return None, False
        if age > NONCE_LIFETIME_S:
            return None, True  # right password, old nonce: ask again with stale=TRUE
        return user, False
