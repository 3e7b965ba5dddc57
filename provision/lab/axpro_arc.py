"""An AX PRO's alarm receiving centre (ARC) settings: where and how it reports over DC-09.

The resources are the panel's: `GET /ISAPI/SecurityCP/Configuration/ARC?format=json` (the
list) and `GET|PUT /ISAPI/SecurityCP/Configuration/ARC/<id>?format=json` (1 = main centre,
2 = backup), as a Hik-Connect client calls them (the URL table of a public integration,
"URLCommunication.GetAlarmRecivingCenter / SetARC1 / SetARC2"). No published schema of the
document was found, so its field names are the lab's reading of the AX PRO web client's ARC
page (Hikvision AX PRO User Manual, "Alarm Receiving Center (ARC)": protocol ADM-CID or
SIA-DCS, address, port, account code, transmission mode, encryption, periodic test):

    {"ARC": {"id": 1, "enabled": true, "protocolType": "ADM-CID", "addressType": "ipaddress",
             "ipAddress": "10.0.0.9", "domain": "", "portNo": 7001, "accountCode": "1234",
             "transmissionMode": "TCP", "receiverNo": "0", "lineNo": "0",
             "encryptionEnabled": false, "periodicTestEnabled": true,
             "periodicTestInterval": 24}}

`encryptionKey` (AES-128/192/256 as hexadecimal) is write-only, as the panel keeps keys. The
values are validated by the generic lab panel's rules (`alarm_panel.validate_config`), so the
two panels refuse the same bad account or key alike; a refusal names the ARC field. Only ARC 1
drives the transmitter, and only over TCP: the lab's DC-09 sender has no UDP path, so
"UDP" is refused as not supported rather than silently sent over TCP.
"""

from __future__ import annotations

from typing import Any

from provision.lab.alarm_panel import ConfigError, validate_config
from provision.protocols import dc09

# ARC field → the transmitter setting it feeds (alarm_panel.SETTINGS)
FIELDS = {
    "portNo": "receiver_port",
    "accountCode": "account",
    "receiverNo": "receiver_number",
    "lineNo": "line_number",
    "protocolType": "protocol",
    "periodicTestInterval": "test_interval_h",
    "encryptionEnabled": "encryption",
    "encryptionKey": "key",
}
SETTING_FIELD = {setting: name for name, setting in FIELDS.items()}
ADDRESS_TYPES = ("ipaddress", "domain")
ARC_IDS = (1, 2)


class ArcError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def factory_arc(arc_id: int) -> dict[str, Any]:
    return {
        "id": arc_id,
        "enabled": False,
        "protocolType": dc09.ADM_CID,
        "addressType": "ipaddress",
        "ipAddress": "",
        "domain": "",
        "portNo": 7001,
        "accountCode": "FFFF",
        "transmissionMode": "TCP",
        "receiverNo": "0",
        "lineNo": "0",
        "encryptionEnabled": False,
        "periodicTestEnabled": True,
        "periodicTestInterval": 24,
    }


def receiver_host(arc: dict[str, Any]) -> str | None:
    if not arc["enabled"]:
        return None
    return (arc["ipAddress"] if arc["addressType"] == "ipaddress" else arc["domain"]) or None


def apply_arc(
    arc: dict[str, Any], body: Any, config: dict[str, Any], key: bytes | None
) -> tuple[dict[str, Any], dict[str, Any], bytes | None]:
    """(new ARC document, new transmitter config, new key) for a PUT, all or nothing."""
    doc = body.get("ARC") if isinstance(body, dict) else None
    if not isinstance(doc, dict):
        raise ArcError("ARC", 'expected {"ARC": {...}}')
    if doc.get("id", arc["id"]) != arc["id"]:
        raise ArcError("id", f"{doc.get('id')!r} does not match ARC {arc['id']}")
    unknown = set(doc) - set(arc) - {"encryptionKey"}
    if unknown:
        raise ArcError(sorted(unknown)[0], "no such field")
    new = {**arc, **{k: v for k, v in doc.items() if k != "encryptionKey"}}
    for flag in ("enabled", "periodicTestEnabled", "encryptionEnabled"):
        if not isinstance(new[flag], bool):
            raise ArcError(flag, "true or false")
    if new["addressType"] not in ADDRESS_TYPES:
        raise ArcError("addressType", " or ".join(ADDRESS_TYPES))
    if new["transmissionMode"] != "TCP":
        raise ArcError("transmissionMode", f"{new['transmissionMode']!r} is not supported (TCP)")
    changes = {setting: new[name] for name, setting in FIELDS.items() if name in new}
    if "encryptionKey" in doc:
        changes["key"] = doc["encryptionKey"]
        # The document is written whole: encryption is on when it says so and a key is given.
        changes["encryption"] = doc["encryptionKey"] is not None and new["encryptionEnabled"]
    changes["receiver_host"] = receiver_host(new)
    if new["enabled"] and changes["receiver_host"] is None:
        raise ArcError("ipAddress" if new["addressType"] == "ipaddress" else "domain", "required")
    try:
        config, key = validate_config(config, key, changes)
    except ConfigError as exc:
        raise ArcError(
            SETTING_FIELD.get(exc.field, exc.field), str(exc).partition(": ")[2]
        ) from None
    for name, setting in FIELDS.items():  # echo the values as the panel stores them
        if setting in config and name != "encryptionKey":
            new[name] = config[setting]
    return new, config, key
