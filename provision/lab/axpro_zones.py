"""An AX PRO's zones and its area (subsystem): configuration, status, arming, the panic button.

Shapes and vocabularies are Hikvision's, as its Hik-Partner Pro OpenAPI V2.14.0 Developer
Guide (October 2025) documents the panel's ISAPI in annex A: JSON_ZoneList (A.5.13, the
zone status `GET /ISAPI/SecurityCP/status/zones?format=json`: id from 0, name, status,
bypassed, armed, alarm, detectorType, zoneType), JSON_SubSysList (A.5.9), arm/disarm/
clearAlarm per area (A.4.10, A.4.13, A.4.14). Zone types: "Instant", "Delay", "Follow",
"Perimeter", "24hNoSound", "Emergency" (the panic zone), "Fire", "Gas", "Medical", "Timeout",
"Non-Alarm", "Key". The zone configuration (`GET /ISAPI/SecurityCP/Configuration/zones`,
`PUT .../zones/<id>`, `{"List": [{"Zone": {...}}]}` with zoneName, detectorType, zoneType,
stayAwayEnabled, ...) is shaped as the Home Assistant integration reads it
(petrleocompel/hikaxpro_hacs, custom_components/hikvision_axpro/model.py `ZonesConf`).

Behaviour, as the guide's zone types say and GB 50394-2007 §5.2.3 item 1 wants of the button:
a 24-hour zone ("Emergency", "24hNoSound", "Fire", "Gas", "Medical") is armed whatever the
area's state, so disarming never silences it; its alarm holds (latches) until someone clears
it (`clearAlarm`), where an Instant or Delay zone's alarm ends with disarming. A bypassed zone
ignores its detector. The panic button leaves the factory enrolled as an ordinary Instant zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ZONE_TYPES = (
    "Instant",
    "Delay",
    "Follow",
    "Perimeter",
    "24hNoSound",
    "Emergency",
    "Fire",
    "Gas",
    "Medical",
    "Timeout",
    "Non-Alarm",
    "Key",
)
TWENTY_FOUR_HOUR = frozenset({"24hNoSound", "Emergency", "Fire", "Gas", "Medical"})
ARMING = ("away", "stay", "disarm")
PANIC_BUTTON = "panicButton"
_WRITABLE = {"zoneName": str, "zoneType": str, "stayAwayEnabled": bool, "chimeEnabled": bool}


class ZoneError(ValueError):
    """A zone write the panel refuses (HTTP 400, ResponseStatus badParameters)."""


@dataclass(slots=True)
class Zone:
    id: int
    name: str
    detector_type: str
    zone_type: str
    stay_away: bool = False
    chime: bool = False
    bypassed: bool = False
    alarm: bool = False

    @property
    def always_armed(self) -> bool:
        return self.zone_type in TWENTY_FOUR_HOUR


def factory_zones() -> list[Zone]:
    return [
        Zone(0, "One-button alarm", PANIC_BUTTON, "Instant"),
        Zone(1, "Main entrance", "magneticContact", "Delay"),
        Zone(2, "Duty room corridor", "passiveInfraredDetector", "Instant", stay_away=True),
    ]


@dataclass(slots=True)
class Area:
    """Area 1 (the AX PRO's subsystem 1), holding every zone of the lab panel."""

    zones: list[Zone] = field(default_factory=factory_zones)
    arming: str = "disarm"
    name: str = "Area 1"

    def zone(self, zone_id: int) -> Zone:
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        raise KeyError(zone_id)

    def armed(self, zone: Zone) -> bool:
        if zone.always_armed:
            return True
        return self.arming == "away" or (self.arming == "stay" and not zone.stay_away)

    def arm(self, ways: str) -> None:
        if ways not in ("away", "stay"):
            raise ZoneError(f"ways must be away or stay, not {ways!r}")
        self.arming = ways

    def disarm(self) -> None:
        self.arming = "disarm"
        for zone in self.zones:  # an ordinary zone's alarm ends with disarming; 24 h ones hold
            if not zone.always_armed:
                zone.alarm = False

    def clear_alarm(self) -> None:
        for zone in self.zones:
            zone.alarm = False

    def trigger(self, zone: Zone) -> bool:
        """The zone's detector fires; True when that is an alarm (armed, not bypassed)."""
        if zone.bypassed or zone.zone_type == "Non-Alarm" or not self.armed(zone):
            return False
        zone.alarm = True
        return True

    @property
    def alarm(self) -> bool:
        return any(zone.alarm for zone in self.zones)

    # -- documents ---------------------------------------------------------------------------
    def status_doc(self) -> dict[str, Any]:
        return {
            "ZoneList": [
                {
                    "Zone": {
                        "id": z.id,
                        "name": z.name,
                        "status": "trigger" if z.alarm else "online",
                        "tamperEvident": False,
                        "shielded": False,
                        "bypassed": z.bypassed,
                        "armed": self.armed(z),
                        "isArming": self.armed(z),
                        "alarm": z.alarm,
                        "subSystemNo": 1,
                        "linkageSubSystem": [1],
                        "detectorType": z.detector_type,
                        "stayAway": z.stay_away,
                        "zoneType": z.zone_type,
                        "zoneAttrib": "wireless",
                        "deviceNo": z.id + 1,
                        "charge": "normal",
                        "signal": 180,
                    }
                }
                for z in self.zones
            ]
        }

    def subsystems_doc(self) -> dict[str, Any]:
        sub = {"id": 1, "arming": self.arming, "alarm": self.alarm, "enabled": True}
        return {"SubSysList": [{"SubSys": {**sub, "name": self.name, "delayTime": 30}}]}

    def config_doc(self, zone: Zone) -> dict[str, Any]:
        return {
            "id": zone.id,
            "zoneName": zone.name,
            "detectorType": zone.detector_type,
            "zoneType": zone.zone_type,
            "stayAwayEnabled": zone.stay_away,
            "chimeEnabled": zone.chime,
            "silentEnabled": zone.zone_type == "24hNoSound",
            "timeout": 0,
            "subSystemNo": 1,
            "linkageSubSystem": [1],
            "enterDelay": 30 if zone.zone_type == "Delay" else 0,
            "exitDelay": 30 if zone.zone_type == "Delay" else 0,
        }

    def configs_doc(self) -> dict[str, Any]:
        return {"List": [{"Zone": self.config_doc(z)} for z in self.zones]}

    def configure(self, zone: Zone, body: Any) -> None:
        """Apply a `{"Zone": {...}}` write all or nothing; read-only fields must not change."""
        doc = body.get("Zone") if isinstance(body, dict) else None
        if not isinstance(doc, dict):
            raise ZoneError('expected {"Zone": {...}}')
        if doc.get("id", zone.id) != zone.id:
            raise ZoneError(f"id {doc.get('id')!r} does not match zone {zone.id}")
        if doc.get("detectorType", zone.detector_type) != zone.detector_type:
            raise ZoneError("detectorType is read-only: it is the enrolled detector's")
        changes = {k: v for k, v in doc.items() if k in _WRITABLE}
        for name, value in changes.items():
            if not isinstance(value, _WRITABLE[name]):
                raise ZoneError(f"{name}: expected {_WRITABLE[name].__name__}")
        if "zoneType" in changes and changes["zoneType"] not in ZONE_TYPES:
            raise ZoneError(f"zoneType: {changes['zoneType']!r} is not one of the zone types")
        if "zoneName" in changes and not 1 <= len(changes["zoneName"]) <= 32:
            raise ZoneError("zoneName: 1 to 32 characters")
        zone.name = changes.get("zoneName", zone.name)
        zone.zone_type = changes.get("zoneType", zone.zone_type)
        zone.stay_away = changes.get("stayAwayEnabled", zone.stay_away)
        zone.chime = changes.get("chimeEnabled", zone.chime)
