"""Who the lab alarm centre takes events from: its account book and its own receiver/line.

A receiving centre answers only for panels it has been told about. An event from an account
it never issued, or addressed to another receiver or line, is refused with a NAK (never
stored, never ACKed), so a misprogrammed panel keeps its event queued and shows as failing
instead of looking healthy. pysiaalarm, the independent receiver this lab is compared with,
does the same: `BaseSIAServer.parse_and_check_event` (pysiaalarm 3.x, base_server.py) answers
a line whose account it does not know with its generic `"NAK"0000L0R0A0[]_<time>`, and the
event's `response` property (event.py) is NAK for an unknown account and for a timestamp outside
the window, DUH only for an event code it cannot read. The NAK carries the receiver's time
(ANSI/SIA DC-09-2013 §5.5.3.2), which is all a panel can learn from it.

The receiver number (`R`) is optional in a DC-09 header: a frame without one is taken. The
line number (`L`) is always present and must be the centre's own when the centre has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from provision.protocols import dc09

UNKNOWN_ACCOUNT, WRONG_RECEIVER, WRONG_LINE = "unknown_account", "wrong_receiver", "wrong_line"


def key_bytes(key: bytes | str) -> bytes:
    raw = bytes.fromhex(key) if isinstance(key, str) else key
    if len(raw) not in (16, 24, 32):
        raise ValueError("an AES key is 16, 24 or 32 bytes")
    return raw


@dataclass(slots=True)
class AccountBook:
    """`accounts`: every account the centre serves; None is an open receiver that takes any
    account (the framing tests' set-up; the lab built from an inventory always passes the
    city's accounts). `keys`: the AES key of each account that reports encrypted."""

    accounts: frozenset[str] | None
    keys: dict[str, bytes]
    receiver: str | None = None
    line: str | None = None

    @classmethod
    def of(
        cls,
        accounts: Mapping[str, bytes | str | None] | None,
        keys: Mapping[str, bytes | str] | None = None,
        receiver: str | None = None,
        line: str | None = None,
    ) -> AccountBook:
        """`accounts` maps account → key (None: unencrypted); `keys` adds keys alone."""
        every = {a.upper(): k for a, k in (accounts or {}).items()}
        every |= {a.upper(): k for a, k in (keys or {}).items()}
        return cls(
            None if accounts is None else frozenset(a.upper() for a in accounts),
            {a: key_bytes(k) for a, k in every.items() if k is not None},
            receiver.upper() if receiver else None,
            line.upper() if line else None,
        )

    def knows(self, account: str | None) -> bool:
        return self.accounts is None or (account or "").upper() in self.accounts

    def refusal(self, frame: dc09.Frame, data_account: str | None = None) -> str | None:
        """Why the centre NAKs this frame (one of the constants above), or None to take it.
        The header's account decides; the one in the event data when the header has none."""
        if not self.knows(frame.account or data_account):
            return UNKNOWN_ACCOUNT
        if self.receiver and frame.receiver and frame.receiver.upper() != self.receiver:
            return WRONG_RECEIVER
        if self.line and frame.line.upper() != self.line:
            return WRONG_LINE
        return None

    def describe(self) -> dict[str, object]:
        return {
            "accounts": None if self.accounts is None else sorted(self.accounts),
            "receiver_number": self.receiver,
            "line": self.line,
        }
