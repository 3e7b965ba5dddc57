"""Shared by the driver tests (no tests here): a connector that routes inventory addresses to
simulators started on ephemeral ports, so driver tests never collide with a running lab."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from labsupport import LabLoop

from provision.drivers.connect import Connector

__all__ = ["LabLoop", "RoutedConnector"]


@dataclasses.dataclass(frozen=True)
class RoutedConnector(Connector):
    """The field connector with inventory addresses routed to simulators on ephemeral ports."""

    routes: Mapping[tuple[str, int], tuple[str, int]] = dataclasses.field(default_factory=dict)

    def address(self, host: str, port: int) -> tuple[str, int]:
        return self.routes[(host, port)]
