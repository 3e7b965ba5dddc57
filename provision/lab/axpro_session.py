"""Session login as a Hikvision AX PRO panel does it: a SHA-256 challenge, a WebSession cookie,
and the illegal-login lock.

The exchange follows what the PyPI client `hikaxpro` 2.3.1 (petrleocompel/hikaxpro,
src/hikaxpro.py `get_session_params`, `encode_password`, `connect`) speaks to real panels, and
the capability document is shaped as the captures in its tests/test_hikaxpro.py:

1. GET /ISAPI/Security/sessionLogin/capabilities?username=U → `SessionLoginCap`: sessionID,
   challenge, iterations 100, isIrreversible true, sessionIDVersion 2.1, salt and salt2.
2. POST /ISAPI/Security/sessionLogin?timeStamp=T with `SessionLogin` (sessionID, userName,
   password, sessionIDVersion), where password = SHA-256 chained: h1 = sha(U + salt + P),
   h2 = sha(U + salt2 + h1), then sha(h2 + challenge) hashed again up to `iterations` times in
   all. The panel keeps only h2 (the "irreversible" form), never the password.
3. 200 with `Set-Cookie: WebSession_<id>=<token>`; later requests carry that cookie.

A wrong password is answered 401 with Hikvision's `userCheck` document (statusValue 401,
retryLoginTime left, lockStatus, unlockTime), the fields Hikvision clients read to tell a
wrong password from a lock. After `LOCK_AFTER` wrong tries from one address the panel locks
that address for `LOCK_S` seconds and refuses even the right password until then: Hikvision's
"illegal login lock"; the two figures are the lab's defaults for settings the device makes
configurable, not figures from a Hikvision document. A challenge is good for one login. The
lab's auth_failure fault refuses every login without counting it towards the lock.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field

from provision.lab.isapi_resources import NS, parse

ITERATIONS = 100
SESSION_ID_VERSION = "2.1"
LOCK_AFTER = 5
LOCK_S = 1800.0
COOKIE = "WebSession"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _salt(*parts: str) -> str:
    return sha("/".join(parts)).upper()


@dataclass(slots=True)
class _Attempts:
    failures: int = 0
    locked_until: float = 0.0


@dataclass(slots=True)
class SessionLogin:
    """Users, pending challenges, live sessions and the per-address lock of one panel."""

    device: str
    users: dict[str, str]  # user name → password (the lab's inventory secret)
    lock_after: int = LOCK_AFTER
    lock_s: float = LOCK_S
    _challenges: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (user, chal)
    _sessions: dict[str, str] = field(default_factory=dict)  # token → user
    _attempts: dict[str, _Attempts] = field(default_factory=dict)  # by client address
    cookie_name: str = ""

    def __post_init__(self) -> None:
        self.cookie_name = f"{COOKIE}_{sha(self.device)[:6].upper()}"

    def _salts(self, user: str) -> tuple[str, str]:
        return _salt(self.device, user, "salt"), _salt(self.device, user, "salt2")

    def capabilities(self, user: str) -> bytes:
        """A fresh challenge for `user` (an unknown user gets one too: the panel does not
        say which user names exist)."""
        session_id, challenge = secrets.token_hex(32), secrets.token_hex(16)
        self._challenges[session_id] = (user, challenge)
        while len(self._challenges) > 64:  # abandoned challenges must not pile up
            self._challenges.pop(next(iter(self._challenges)))
        salt, salt2 = self._salts(user)
        return _doc(
            "SessionLoginCap",
            f"<sessionID>{session_id}</sessionID><challenge>{challenge}</challenge>"
            f"<iterations>{ITERATIONS}</iterations>"
            "<isSupportRTSPWithSession>true</isSupportRTSPWithSession>"
            "<isIrreversible>true</isIrreversible>"
            f"<sessionIDVersion>{SESSION_ID_VERSION}</sessionIDVersion>"
            f"<salt>{salt}</salt><salt2>{salt2}</salt2>",
        )

    def expected(self, user: str, challenge: str) -> str | None:
        if user not in self.users:
            return None
        salt, salt2 = self._salts(user)
        stored = sha(f"{user}{salt2}{sha(f'{user}{salt}{self.users[user]}')}")
        result = sha(f"{stored}{challenge}")
        for _ in range(2, ITERATIONS):
            result = sha(result)
        return result

    def login(self, body: bytes, peer: str, *, refuse_all: bool = False) -> tuple[int, bytes, str]:
        """(HTTP status, body, token or "") for one POST sessionLogin from `peer`."""
        attempts = self._attempts.setdefault(peer, _Attempts())
        now = time.monotonic()
        if attempts.locked_until > now:
            return 401, self._user_check(0, attempts.locked_until - now), ""
        doc = parse(body, "SessionLogin")
        fields = {
            name: (doc.findtext(f"{{{NS}}}{name}") or doc.findtext(name) or "").strip()
            for name in ("sessionID", "userName", "password")
        }
        pending = self._challenges.pop(fields["sessionID"], None)
        good = (
            pending is not None
            and pending[0] == fields["userName"]
            and secrets.compare_digest(
                self.expected(pending[0], pending[1]) or "", fields["password"].lower()
            )
        )
        if good and not refuse_all:
            attempts.failures = 0
            token = secrets.token_hex(32)
            self._sessions[token] = fields["userName"]
            return 200, _doc("SessionLogin", _OK + f"<sessionTag>{token[:16]}</sessionTag>"), token
        if refuse_all:  # the lab's auth_failure fault: refused, but no guess to count
            return 401, self._user_check(self.lock_after - attempts.failures, 0), ""
        attempts.failures += 1
        if attempts.failures >= self.lock_after:
            attempts.failures, attempts.locked_until = 0, now + self.lock_s
            return 401, self._user_check(0, self.lock_s), ""
        return 401, self._user_check(self.lock_after - attempts.failures, 0), ""

    def _user_check(self, retries_left: int, locked_for: float) -> bytes:
        lock = "lock" if locked_for > 0 else "unlock"
        return _doc(
            "userCheck",
            "<statusValue>401</statusValue><statusString>Unauthorized</statusString>"
            "<isDefaultPassword>false</isDefaultPassword><isActivated>true</isActivated>"
            f"<lockStatus>{lock}</lockStatus><unlockTime>{int(locked_for)}</unlockTime>"
            f"<retryLoginTime>{retries_left}</retryLoginTime>",
        )

    def user_of(self, cookie_header: str) -> str | None:
        """The logged-in user a request's Cookie header names, or None."""
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name.startswith(COOKIE) and value in self._sessions:
                return self._sessions[value]
        return None

    def logout(self, cookie_header: str) -> None:
        for part in cookie_header.split(";"):
            self._sessions.pop(part.strip().partition("=")[2], None)

    def set_cookie(self, token: str) -> str:
        return f"{self.cookie_name}={token}; path=/; HttpOnly"


_OK = "<statusValue>200</statusValue><statusString>OK</statusString><isActivated>true</isActivated>"


def _doc(root: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} version="2.0" xmlns="{NS}">{body}'
        f"</{root}>\n"
    ).encode()
