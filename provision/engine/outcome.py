"""What a run says about each device: a status from one Enum, the changes, the error.

Every status knows whether it is a failure or a change, so reports, exit codes and the
journal's run summary count from one place instead of comparing strings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from provision.drivers.base import Change, Settings


class Status(StrEnum):
    """A device's outcome in plan, apply or rollback. The values are the words reports and
    saved plans use, so they are part of the stable JSON output."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    PLANNED = "would change"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    STALE = "stale"  # a saved plan no longer matches what the device holds
    NOT_STARTED = "not started"  # the run was stopped before this device was written to
    READ = "read"  # transient: read, not yet decided (never in a finished run)

    @property
    def failed(self) -> bool:
        return self in (Status.FAILED, Status.UNREACHABLE, Status.STALE)

    @property
    def changed(self) -> bool:
        """Changed, or would change (plan)."""
        return self in (Status.CHANGED, Status.PLANNED)


@dataclass(slots=True)
class DeviceOutcome:
    device: str
    kind: str
    status: Status
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    rolled_back: list[Change] = field(default_factory=list)
    state_digest: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": self.kind,
            "status": str(self.status),
            "changes": [c.to_dict() for c in self.changes],
            "error": self.error,
            "rolled_back": [c.to_dict() for c in self.rolled_back],
            "state_digest": self.state_digest,
        }


def state_digest(settings: Settings) -> str:
    """A fingerprint of what a device held when it was read: a saved plan is stale if the
    device no longer holds exactly this."""
    text = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
