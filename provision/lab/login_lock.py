"""Failed-login locks as the lab's Hikvision and Dahua devices keep them.

Hikvision calls it the "illegal login lock": enabled by default on current firmware, it locks
the client's IP address after a number of consecutive wrong passwords (5, as Eagle Eye
Networks' support note "Camera Locked - Illegal Login Lock and other settings" says of
Hikvision cameras; a speed dome's manual, IDS-2VS435-F840-EY section 7.4.3, gives 7 for admin
and 5 for other users: the lab keeps the one figure, 5) and then refuses every login from
that address, even the right password, until the lock expires. Dahua locks the account
instead ("9.3.2 Account Lockout", DH-SD22AX user's manual: "If you consecutively enter a wrong
password more than the configured value, the account will be locked"), configured by
`General.LockLoginEnable`, `General.LockLoginTimes` and `General.LoginFailLockTime` (seconds;
the General table as ItsNotGoodName/ipcmanview's pkg/dahuarpc/modules/configmanager/config
reads it). The lock time, 30 minutes, is the lab's default for settings the devices make
configurable, not a figure from a vendor document (the lab's AX PRO panel uses the same).

A `LoginLock` counts failures per key (an address or an account name); a success resets the
count. The lab's auth_failure fault refuses without counting: it stands for a credential
problem, not for guesses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

LOCK_AFTER = 5
LOCK_S = 1800.0


@dataclass(slots=True)
class LoginLock:
    """Consecutive failed logins per key, and the keys locked out until when."""

    lock_after: int = LOCK_AFTER
    lock_s: float = LOCK_S
    enabled: bool = True
    _failures: dict[str, int] = field(default_factory=dict)
    _until: dict[str, float] = field(default_factory=dict)

    def locked_for(self, key: str) -> float:
        """Seconds `key` stays locked; 0 when it may log in."""
        left = self._until.get(key, 0.0) - time.monotonic()
        if left <= 0:
            self._until.pop(key, None)
            return 0.0
        return left

    def failed(self, key: str) -> tuple[int, float]:
        """Count a wrong password: (tries left before the lock, seconds locked now)."""
        if not self.enabled:
            return self.lock_after, 0.0
        failures = self._failures.get(key, 0) + 1
        if failures >= self.lock_after:
            self._failures.pop(key, None)
            self._until[key] = time.monotonic() + self.lock_s
            return 0, self.lock_s
        self._failures[key] = failures
        return self.lock_after - failures, 0.0

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


def user_check(retries_left: int, locked_for: float) -> bytes:
    """Hikvision's `userCheck` answer to a refused login: how many tries are left, or that the
    address is locked and for how many seconds (the document the AX PRO answers too)."""
    lock = "lock" if locked_for > 0 else "unlock"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<userCheck version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">'
        "<statusValue>401</statusValue><statusString>Unauthorized</statusString>"
        f"<lockStatus>{lock}</lockStatus><unlockTime>{int(locked_for)}</unlockTime>"
        f"<retryLoginTime>{retries_left}</retryLoginTime></userCheck>"
    ).encode()
