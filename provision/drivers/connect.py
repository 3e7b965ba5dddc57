"""How drivers reach devices: the field (inventory addresses, secrets from the environment)
or the lab (`--lab`: loopback addresses derived from the inventory, lab credentials).

Drivers never build addresses or read secrets themselves; they ask the connector, so one code
path serves both, and the lab is exercised exactly as the field would be.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from provision.errors import SecretError
from provision.inventory.secrets import SecretRef
from provision.lab import netmap
from provision.lab.credentials import lab_secret

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Connector:
    """Field connector: addresses as the inventory says, secrets from the environment."""

    timeout: float = DEFAULT_TIMEOUT_S
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @property
    def lab(self) -> bool:
        return False

    def address(self, host: str, port: int) -> tuple[str, int]:
        return host, port

    def secret(self, ref: SecretRef | None) -> str:
        """Resolve a secret at the moment a device is contacted; unset is an error here."""
        if ref is None:
            raise SecretError("the inventory gives no password for this device")
        value = self.env.get(ref.name)
        if not value:
            raise SecretError(f"secret {ref} is not set: export {ref.name}")
        return value


@dataclass(frozen=True)
class LabConnector(Connector):
    """`--lab`: every inventory address is routed to its simulator on loopback."""

    @property
    def lab(self) -> bool:
        return True

    def address(self, host: str, port: int) -> tuple[str, int]:
        return netmap.lab_route(host, port)

    def secret(self, ref: SecretRef | None) -> str:
        return lab_secret(ref) if ref is not None else "admin"
