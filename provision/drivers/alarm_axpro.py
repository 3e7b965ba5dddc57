"""The one-button alarm on a Hikvision AX PRO panel, over its ISAPI (protocol `isapi`).

It converges the same alarm settings vocabulary as the generic panel's driver
(`drivers/alarm.py`: `alarm_settings`), each setting where the AX PRO keeps it:

    receiver_host, receiver_port   /ISAPI/SecurityCP/Configuration/ARC/1   enabled, addressType,
                                                                          ipAddress|domain, portNo
    account                        ARC/1 accountCode
    receiver_number, line_number   ARC/1 receiverNo, lineNo
    report_format                  ARC/1 protocolType (ADM-CID | SIA-DCS)
    test_interval_h                ARC/1 periodicTestEnabled, periodicTestInterval (hours)
    encryption                     ARC/1 encryptionEnabled, encryptionKey (write-only)
    panic_zone_*                   /ISAPI/SecurityCP/Configuration/zones/<id> zoneType, and the
                                   zone's bypass (/ISAPI/SecurityCP/control/bypass|Recoverbypass)

ARC 1 is the main receiving centre (`lab/axpro_arc.py` says where its URLs and fields come
from). The button's zone is the one whose detector is a `panicButton`. The AX PRO has no
separate "disarmable" or "latching" switch: its zone type carries both. The panic zone type
("Emergency") is a 24-hour zone, armed whatever the area's state and holding its alarm until
cleared, which is what GB 50394-2007 §5.2.3 item 1 asks of the button; an Instant or Delay
zone is disarmed with the area and restores by itself. A bypassed zone ignores its detector,
so a bypassed panic zone reads as disarmable and converging recovers it.

The ARC document is written whole (read, edited, PUT), so the panel keeps every field it
reported; the key is resolved through the connector only for that PUT and never shown.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from provision.drivers.alarm import ENCRYPTION, FOREIGN_KEY, alarm_settings, key_for
from provision.drivers.axpro_client import AxProSession
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.http import endpoint
from provision.drivers.isapi_client import text
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import AlarmPanel

ARC = "/ISAPI/SecurityCP/Configuration/ARC/1"
ZONES = "/ISAPI/SecurityCP/Configuration/zones"
ZONE_STATUS = "/ISAPI/SecurityCP/status/zones"
DEVICE_INFO = "/ISAPI/System/deviceInfo"
PANIC_BUTTON = "panicButton"
PANIC_ZONE_TYPE = "Emergency"
TWENTY_FOUR_HOUR = frozenset({"24hNoSound", "Emergency", "Fire", "Gas", "Medical"})
# Hik-Partner Pro OpenAPI V2.14.0 Developer Guide, A.5.13 JSON_ZoneList `zoneType`.
ZONE_TYPES = {
    t.lower(): t for t in ("Instant", "Delay", "Follow", "Perimeter", "Timeout", "Non-Alarm", "Key")
}
ARC_SETTINGS = {
    "receiver_port": "portNo",
    "account": "accountCode",
    "receiver_number": "receiverNo",
    "line_number": "lineNo",
    "report_format": "protocolType",
}
ZONE_SETTINGS = ("panic_zone_type", "panic_zone_disarmable", "panic_zone_latching")


class AxProAlarmDriver(Driver):
    kind = "alarm"
    api_port = 80

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, AlarmPanel):
            raise TypeError(f"{type(self).__name__} needs an AlarmPanel, got {target.device!r}")
        self.panel: AlarmPanel = target.device
        self.label = f"{target.school.id}/{self.panel.name}"
        self._session: AxProSession | None = None

    def api(self) -> AxProSession:
        if self._session is None:
            creds = self.panel.credentials
            self._session = AxProSession(
                self.label,
                endpoint(self.target.connector, self.panel.host, self.api_port),
                creds.username if creds else "admin",
                self.target.connector.secret(creds.password if creds else None),
                timeout=self.target.connector.timeout,
            )
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def desired(self) -> Settings:
        return alarm_settings(self.target, self.panel)

    def identity(self) -> dict[str, Any]:
        info = self.api().xml(DEVICE_INFO, _("read identity"))
        return {
            "model": text(info, "model"),
            "serial": text(info, "serialNumber"),
            "firmware": text(info, "firmwareVersion"),
        }

    # --- read ------------------------------------------------------------------------------
    def read(self) -> Settings:
        arc = self._arc()
        settings: Settings = {name: arc.get(field) for name, field in ARC_SETTINGS.items()}
        host = arc.get("ipAddress") if arc.get("addressType") == "ipaddress" else arc.get("domain")
        settings["receiver_host"] = (host or None) if arc.get("enabled") else None
        periodic = arc.get("periodicTestEnabled")
        settings["test_interval_h"] = arc.get("periodicTestInterval") if periodic else None
        key = self.panel.key
        settings[ENCRYPTION] = (
            (str(key) if key is not None else FOREIGN_KEY) if arc.get("encryptionEnabled") else None
        )
        zone_id, zone_type = self._panic_zone()
        bypassed = self._bypassed(zone_id)
        always = zone_type in TWENTY_FOUR_HOUR
        settings["panic_zone_type"] = "24h" if always else zone_type.lower()
        settings["panic_zone_disarmable"] = not always or bypassed
        settings["panic_zone_latching"] = always
        return settings

    def _arc(self) -> dict[str, Any]:
        doc = self.api().json("GET", ARC, _("read ARC settings"))
        arc = doc.get("ARC") if isinstance(doc, dict) else None
        if not isinstance(arc, dict):
            raise DeviceError(
                _("{label}: read ARC settings failed: no ARC document").format(label=self.label)
            )
        return arc

    def _panic_zone(self) -> tuple[int, str]:
        doc = self.api().json("GET", ZONES, _("read zones"))
        for item in doc.get("List", []) if isinstance(doc, dict) else []:
            zone = item.get("Zone", {}) if isinstance(item, dict) else {}
            if zone.get("detectorType") == PANIC_BUTTON:
                return int(zone["id"]), str(zone.get("zoneType", ""))
        raise DeviceError(
            _(
                "{label}: read zones failed: no panic button is enrolled on the panel (no zone "
                "with detectorType panicButton)"
            ).format(label=self.label)
        )

    def _bypassed(self, zone_id: int) -> bool:
        doc = self.api().json("GET", ZONE_STATUS, _("read zone status"))
        for item in doc.get("ZoneList", []) if isinstance(doc, dict) else []:
            zone = item.get("Zone", {}) if isinstance(item, dict) else {}
            if zone.get("id") == zone_id:
                return bool(zone.get("bypassed"))
        return False

    # --- apply -----------------------------------------------------------------------------
    def apply(self, changes: list[Change]) -> None:
        if not changes:
            return
        wanted: dict[str, Any] = {}
        for change in changes:  # in order: a later change of the same setting wins
            wanted[change.setting] = change.after
        unknown = set(wanted) - set(ARC_SETTINGS) - set(ZONE_SETTINGS)
        unknown -= {"receiver_host", "test_interval_h", ENCRYPTION}
        if unknown:
            raise DeviceError(
                _("{label}: write config failed: an alarm panel has no setting {setting!r}").format(
                    label=self.label, setting=sorted(unknown)[0]
                )
            )
        if set(wanted) - set(ZONE_SETTINGS):
            self._write_arc(wanted)
        if set(wanted) & set(ZONE_SETTINGS):
            self._write_panic_zone(wanted)

    def _write_arc(self, wanted: dict[str, Any]) -> None:
        arc = self._arc()
        for name, field in ARC_SETTINGS.items():
            if name in wanted:
                arc[field] = wanted[name]
        if "receiver_host" in wanted:
            host = wanted["receiver_host"]
            arc["enabled"] = host is not None
            if host is not None:
                arc["addressType"] = "ipaddress" if _is_ip(host) else "domain"
                arc["ipAddress" if _is_ip(host) else "domain"] = host
        if "test_interval_h" in wanted:
            arc["periodicTestEnabled"] = wanted["test_interval_h"] is not None
            if wanted["test_interval_h"] is not None:
                arc["periodicTestInterval"] = wanted["test_interval_h"]
        if ENCRYPTION in wanted:
            key = key_for(self.target, self.label, wanted[ENCRYPTION])
            if key is not None:
                self.api().http.hide(key)
            arc["encryptionEnabled"] = key is not None
            arc["encryptionKey"] = key
        self.api().json("PUT", ARC, _("write ARC settings"), {"ARC": arc})

    def _write_panic_zone(self, wanted: dict[str, Any]) -> None:
        zone_id, zone_type = self._panic_zone()
        always = zone_type in TWENTY_FOUR_HOUR
        current = {
            "panic_zone_type": "24h" if always else zone_type.lower(),
            "panic_zone_disarmable": not always or self._bypassed(zone_id),
            "panic_zone_latching": always,
        }
        target = current | {k: v for k, v in wanted.items() if k in ZONE_SETTINGS}
        new_type = _zone_type(self.label, target)
        if new_type != zone_type:  # the zone's document, read and written whole
            doc = self.api().json("GET", f"{ZONES}/{zone_id}", _("read panic zone"))
            zone = doc.get("Zone") if isinstance(doc, dict) else None
            if not isinstance(zone, dict):
                raise DeviceError(
                    _("{label}: read panic zone failed: no Zone document").format(label=self.label)
                )
            zone["zoneType"] = new_type
            self.api().json("PUT", f"{ZONES}/{zone_id}", _("write panic zone"), {"Zone": zone})
        bypass = new_type in TWENTY_FOUR_HOUR and bool(target["panic_zone_disarmable"])
        if bypass != self._bypassed(zone_id):
            action = "bypass" if bypass else "Recoverbypass"
            self.api().json("PUT", f"/ISAPI/SecurityCP/control/{action}/{zone_id}", f"{action}")


def _zone_type(label: str, target: dict[str, Any]) -> str:
    """The AX PRO zone type that behaves as `target` says, or why there is none."""
    if target["panic_zone_type"] == "24h":
        if not target["panic_zone_latching"]:
            raise DeviceError(
                _(
                    "{label}: write panic zone failed: an AX PRO 24-hour zone always holds its "
                    "alarm until cleared; it cannot be 24 h and not latching"
                ).format(label=label)
            )
        return PANIC_ZONE_TYPE
    if target["panic_zone_latching"] or not target["panic_zone_disarmable"]:
        raise DeviceError(
            _(
                "{label}: write panic zone failed: only an AX PRO 24-hour zone latches and ignores "
                "disarming, not a {zone_type!r} zone"
            ).format(label=label, zone_type=target["panic_zone_type"])
        )
    found = ZONE_TYPES.get(str(target["panic_zone_type"]))
    if found is None:
        raise DeviceError(
            _("{label}: write panic zone failed: the AX PRO has no zone type {zone_type!r}").format(
                label=label, zone_type=target["panic_zone_type"]
            )
        )
    return found


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True
