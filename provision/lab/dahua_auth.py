"""HTTP Digest authentication (RFC 7616, MD5 with qop=auth) as a Dahua camera asks for it.

Dahua cameras answer every CGI request without valid credentials with `401 Unauthorized` and
a Digest challenge whose realm names the unit (`Digest realm="Login to <serial>", qop="auth",
nonce=..., opaque=...`); HTTP Basic is refused on current firmware, which is why amcrest
falls back from Basic to Digest on the first 401 (python-amcrest `Http._generate_token`,
github.com/tchellomello/python-amcrest, src/amcrest/http.py). Nonces are stateless (a time
stamp signed with a per-camera key), so thousands of lab cameras keep no table of them; a
nonce older than `NONCE_LIFETIME_S` is answered `stale=true`, as RFC 7616 section 3.3 says,
and clients retry with the fresh one without asking the user again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from dataclasses import dataclass, field

NONCE_LIFETIME_S = 300.0
_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def parse_digest(header: str) -> dict[str, str] | None:
    """The parameters of an `Authorization: Digest ...` header, or None for another scheme."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    return {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(rest)
    }


@dataclass(slots=True)
class DigestRealm:
    """One camera's Digest realm: issues challenges and checks answers against its users."""

    realm: str
    _key: bytes = field(default_factory=lambda: os.urandom(16))
    opaque: str = field(default_factory=lambda: os.urandom(8).hex())

    def _nonce(self, issued: int) -> str:
        stamp = f"{issued:x}"
        return stamp + hmac.new(self._key, stamp.encode(), "sha256").hexdigest()[:24]

    def challenge(self, stale: bool = False) -> str:
        nonce = self._nonce(int(time.time()))
        extra = ", stale=true" if stale else ""
        return (
            f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", '
            f'opaque="{self.opaque}"{extra}'
        )

    def _nonce_state(self, nonce: str) -> str:
        """ "ok", "stale" (ours but too old) or "bad" (not issued by this camera)."""
        stamp = nonce[:-24]
        try:
            issued = int(stamp, 16)
        except ValueError:
            return "bad"
        if not hmac.compare_digest(self._nonce(issued), nonce):
            return "bad"
        return "ok" if time.time() - issued <= NONCE_LIFETIME_S else "stale"

    def check(self, header: str, method: str, passwords: dict[str, str]) -> tuple[str | None, bool]:
        """(the user the header proves, whether the nonce was merely stale).

        `passwords` maps user name → password. Any failure gives (None, ...): the caller
        answers 401 with a fresh challenge, as the camera does."""
        params = parse_digest(header)
        if params is None:
            return None, False
        user, nonce = params.get("username", ""), params.get("nonce", "")
        state = self._nonce_state(nonce)
        password = passwords.get(user)
        if state == "bad" or password is None or params.get("realm") != self.realm:
            return None, False
        ha1 = _md5(f"{user}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{params.get('uri', '')}")
        if params.get("qop") == "auth":
            parts = (ha1, nonce, params.get("nc", ""), params.get("cnonce", ""), "auth", ha2)
            expected = _md5(":".join(parts))
        else:  # RFC 2069 compatibility, which the RFC still allows a server to accept
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        if not hmac.compare_digest(expected, params.get("response", "")):
            return None, False
        if state == "stale":
            return None, True
        return user, False
