"""A one-button alarm column that reports over GB/T 28181 (protocol `gb28181`), configured
over Hikvision ISAPI.

Chinese schools' one-button alarms are often audio/video alarm columns (Hikvision's DS-PEA
emergency alarm terminals and their peers) that reach the police through the precinct's
video platform: the column registers with the platform's SIP server under its own 20-digit
ID (type 134, alarm input device: standards.GB28181_TYPES_OF_KIND) and a press of its button
is an Alarm Notify MESSAGE (GB/T 28181-2016 §9.4) that the platform records (WVP-PRO's
AlarmNotifyMessageHandler). There is no DC-09 account and no receiving centre on this path.

What apply converges is the column's GB/T 28181 access, the same settings a camera holds
(templates/gb28181_settings.py, minus `channels`: the column raises its alarm under its own
ID), in the same ISAPI document, `/ISAPI/System/Network/SIP` (SIP server 1's `<GB28181>`),
read and written by drivers/isapi_sip.py:

    gb28181.enabled, server_id, domain, server_address, server_port, transport, edition,
    device_id, password (by secret reference, write-only), register_expiry_s,
    heartbeat_s, heartbeat_max_missed

Not confirmed from a source: that the DS-PEA terminals serve GB/T 28181 access at the
cameras' ISAPI resource. Hikvision documents ISAPI per device family and no public copy of
the emergency terminals' ISAPI guide was found; their web client offers the same "platform
access" page as the cameras', so the cameras' resource (isapi_sip.py says which of its
fields are confirmed and which are named by analogy) is assumed. A firmware that differs
answers 404 notSupport or refuses the PUT, which apply reports for that column alone.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from provision.drivers import isapi_sip
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.isapi_client import IsapiSession, device_session, text
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import AlarmPanel

HTTP_PORT = 80
# SIPInfo (video input IDs) is not the column's: an empty document stands in for it.
_NO_INFO = etree.Element("SIPInfo")
DEVICE_INFO = "/ISAPI/System/deviceInfo"


class AlarmColumnDriver(Driver):
    kind = "alarm"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, AlarmPanel):
            raise TypeError(f"{type(self).__name__} needs an alarm device, got {target.device!r}")
        self.column: AlarmPanel = target.device
        self.label = f"{target.school.id}/{self.column.name}"
        self._isapi: IsapiSession | None = None

    def _session(self) -> IsapiSession:
        if self._isapi is None:
            self._isapi = device_session(
                self.label,
                self.target.connector,
                self.column.host,
                self.column.credentials,
                HTTP_PORT,
            )
        return self._isapi

    def close(self) -> None:
        if self._isapi is not None:
            self._isapi.close()
            self._isapi = None

    def owns(self, setting: str) -> bool:
        return isapi_sip.is_sip_setting(setting) and setting != isapi_sip.CHANNELS

    def desired(self) -> Settings:
        """The column's gb28181.* settings ({} outside a GB/T 28181 precinct: validate says
        so), the password as its reference's text."""
        return isapi_sip.wanted(self.target, self.column)

    def read(self) -> Settings:
        want = self.desired()
        servers = self._session().get(
            isapi_sip.SIP_SERVERS, _("read {resource}").format(resource=isapi_sip.SIP_SERVERS)
        )
        settings = isapi_sip.read_settings(servers, _NO_INFO, want.get(isapi_sip.PASSWORD))
        settings.pop(isapi_sip.CHANNELS, None)
        return settings

    def apply(self, changes: list[Change]) -> None:
        values: dict[str, Any] = {}
        for change in changes:
            if not self.owns(change.setting):
                raise DeviceError(
                    _("{label}: cannot apply {setting} = {value!r}: no such setting").format(
                        label=self.label, setting=change.setting, value=change.after
                    )
                )
            values[change.setting] = change.after
        if values:
            isapi_sip.write(self._session(), self.target, self.label, values)

    def identity(self) -> dict[str, Any]:
        info = self._session().get(DEVICE_INFO, _("read identity"))
        return {
            "manufacturer": text(info, "manufacturer") or "Hikvision",
            "model": text(info, "model"),
            "firmware": text(info, "firmwareVersion"),
            "serial": text(info, "serialNumber"),
        }
