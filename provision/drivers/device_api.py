"""The part every driver of a device with an HTTP JSON API and Basic auth shares (alarm
panels, LED boards): one lazily opened client per device, its identity, closing it."""

from __future__ import annotations

from typing import Any, ClassVar

from provision.drivers.base import Driver, Target
from provision.drivers.http import HttpClient, basic_auth_client, device_info
from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.model import Device


class DeviceApiDriver(Driver):
    # The inventory gives these devices no port: the API's usual one, routed by the connector.
    api_port: ClassVar[int] = 80

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if target.device is None:
            raise ProvisionError(_("a {kind} driver needs a device").format(kind=self.kind))
        self.device: Device = target.device
        self.label = f"{target.school.id}/{self.device.name}"
        self._client: HttpClient | None = None

    def _api(self) -> HttpClient:
        if self._client is None:
            self._client = basic_auth_client(
                self.label,
                self.target.connector,
                self.device.host,
                self.api_port,
                self.device.credentials,
            )
        return self._client

    def identity(self) -> dict[str, Any]:
        return device_info(self._api())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
