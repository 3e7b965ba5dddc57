"""The contract every device driver keeps, and the values it trades in.

A device's state is a flat mapping of setting names to JSON values ("encoder.main.fps": 25,
"ntp": ["10.0.0.1"], "config/interface GigabitEthernet0/1/description": "..."). Flat settings
make every kind diff, journal, plan and roll back the same way. A setting absent from the
device is None. Secrets never appear in settings: a password that cannot be read back is
represented by what can be observed (an account exists, with its level); a key that is set
is represented by its reference, e.g. "${PROVISION_ALARM_KEY}".
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from provision.drivers.connect import Connector
from provision.inventory.model import City, Device, School

Settings = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    setting: str
    before: Any  # None: absent on the device
    after: Any  # None: to be removed

    def reversed(self) -> Change:
        return Change(self.setting, self.after, self.before)

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "before": self.before, "after": self.after}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Change:
        return cls(raw["setting"], raw["before"], raw["after"])

    def describe(self) -> str:
        return f"{self.setting}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Target:
    """What a driver works on: one device of one school, reached through a connector."""

    city: City
    school: School
    device: Device | None  # None for school-level targets (the precinct's stream proxies)
    connector: Connector


class Driver(ABC):
    """One device kind's read → diff → apply contract. Instances serve one device."""

    kind: ClassVar[str]
    # Whether a failed apply puts back what had landed. True for devices whose settings go
    # together (a camera's encoder, a switch config). A driver whose settings stand alone
    # (one stream proxy per camera) sets False: one camera the platform cannot pull must
    # not take the school's other feeds off the precinct's screens.
    rollback_on_failure: ClassVar[bool] = True

    def __init__(self, target: Target) -> None:
        self.target = target

    @abstractmethod
    def desired(self) -> Settings:
        """What the inventory wants the device to hold; pure, no I/O."""

    @abstractmethod
    def read(self) -> Settings:
        """What the device holds now, for every setting `desired` names (and, for kinds that
        own a namespace such as stream proxies or config sections, what else is there)."""

    @abstractmethod
    def apply(self, changes: list[Change]) -> None:
        """Make the device hold each change's `after` (None: remove the setting), in order.

        Raises on the first failure; the caller re-reads to learn what did land."""

    def owns(self, setting: str) -> bool:
        """Whether a setting the device holds but the inventory does not name is ours to
        remove (e.g. this school's stale stream proxies). Default: never."""
        return False

    def diff(self, current: Settings, desired: Settings) -> list[Change]:
        changes = [
            Change(name, current.get(name), want)
            for name, want in desired.items()
            if current.get(name) != want
        ]
        changes += [
            Change(name, value, None)
            for name, value in current.items()
            if name not in desired and value is not None and self.owns(name)
        ]
        return changes

    def identity(self) -> dict[str, Any]:
        """Model, serial and firmware as the device reports them (verify records them)."""
        return {}

    def inspect(self) -> dict[str, Any]:
        """Live facts beyond settings that audits need (e.g. whether a camera's picture is
        obstructed). Read-only, like everything verify calls."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook: drivers without sessions skip it
        """Release connections (called once per device per run)."""
