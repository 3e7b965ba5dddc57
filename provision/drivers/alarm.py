"""The one-button alarm panel: where it reports (the precinct's DC-09 receiver) and as whom.

A generic driver: the JSON API it speaks is the lab's generic panel's, documented here, not
a vendor's (a real product's panel: Hikvision AX PRO, `alarm_axpro.py`, which converges the
same settings through `alarm_settings`). It sets the receiver, account, receiver and line
numbers, the DC-09 message protocol (ADM-CID or SIA-DCS), test interval, key, and the
button's zone as GB 50394-2007 §5.2.3 item 1 requires (24 h, non-disarmable, latching).

The panel's HTTP JSON API (GET/PUT /api/config, HTTP Basic) takes partial updates all or
nothing, so `apply` sends every change in one PUT: either all of them land or none does, which
keeps rollback simple. The receiver is written as the inventory names it (the precinct's
address, not the lab's): the panel opens that connection itself, and in the lab the lab's
network routes it.

The AES key is write-only: the panel only says whether encryption is on. A key the inventory
sets is represented by its reference ("${PROVISION_ALARM_KEY}"); the value is resolved through
the connector only for the PUT that writes it and never appears in settings or errors.
"""

from __future__ import annotations

from typing import Any

from provision.drivers.base import Change, Settings, Target
from provision.drivers.device_api import DeviceApiDriver
from provision.errors import DeviceError, SecretError
from provision.i18n import _
from provision.inventory.model import AlarmPanel
from provision.inventory.secrets import SecretRef

# Settings that map 1:1 to fields of the panel's config.
PLAIN_SETTINGS = (
    "receiver_host",
    "receiver_port",
    "account",
    "receiver_number",
    "line_number",
    "test_interval_h",
    "panic_zone_type",
    "panic_zone_disarmable",
    "panic_zone_latching",
)
# The button's zone as GB 50394-2007 §5.2.3 item 1 requires an emergency alarm device to be:
# never disarmed (24 h) and latching once triggered (standards.PANIC_ZONE_CLAUSE).
PANIC_ZONE = {"panic_zone_type": "24h", "panic_zone_disarmable": False, "panic_zone_latching": True}
# The DC-09 message protocol (ADM-CID or SIA-DCS): the panel's config calls it `protocol`,
# a word the inventory keeps for how provision talks to the panel.
REPORT_FORMAT, REPORT_FORMAT_FIELD = "report_format", "protocol"
ENCRYPTION = "encryption"
# Encryption is on with a key the inventory does not name: we cannot know or restore it.
FOREIGN_KEY = "(on, with a key not named by the inventory)"


class AlarmDriver(DeviceApiDriver):
    kind = "alarm"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, AlarmPanel):
            raise TypeError(f"{type(self).__name__} needs an AlarmPanel, got {target.device!r}")
        self.panel: AlarmPanel = target.device

    def desired(self) -> Settings:
        return alarm_settings(self.target, self.panel)

    def read(self) -> Settings:
        config = self._api().json("GET", "/api/config", _("read config"))
        if not isinstance(config, dict):
            raise DeviceError(
                _("{label}: read config failed: expected a JSON object").format(label=self.label)
            )
        settings: Settings = {name: config.get(name) for name in PLAIN_SETTINGS}
        settings[REPORT_FORMAT] = config.get(REPORT_FORMAT_FIELD)
        settings[ENCRYPTION] = self._observed_encryption(config.get("encryption"))
        return settings

    def _observed_encryption(self, on: Any) -> str | None:
        if not on:
            return None
        return str(self.panel.key) if self.panel.key is not None else FOREIGN_KEY

    def apply(self, changes: list[Change]) -> None:
        if not changes:
            return
        body: dict[str, Any] = {}
        client = self._api()
        for change in changes:  # in order: a later change of the same setting wins
            if change.setting in PLAIN_SETTINGS:
                body[change.setting] = change.after
            elif change.setting == REPORT_FORMAT:
                body[REPORT_FORMAT_FIELD] = change.after
            elif change.setting == ENCRYPTION:
                # Writing a key turns encryption on; writing null turns it off.
                key = self._key_for(change.after)
                if key is not None:
                    client.hide(key)
                body["key"] = key
            else:
                raise DeviceError(
                    _(
                        "{label}: write config failed: an alarm panel has no setting {setting!r}"
                    ).format(label=self.label, setting=change.setting)
                )
        client.json("PUT", "/api/config", _("write config"), json=body)

    def _key_for(self, wanted: Any) -> str | None:
        return key_for(self.target, self.label, wanted)


def alarm_settings(target: Target, panel: AlarmPanel) -> Settings:
    """The alarm settings vocabulary every alarm panel driver converges: where the panel
    reports (its precinct's centre), as whom and in which DC-09 message protocol, how often it
    tests, the button's zone and the encryption key (by reference)."""
    centre = target.city.precincts[target.school.precinct].alarm_center
    # Panels store hex fields upper-case; asking for what they will echo keeps the second
    # diff empty.
    return {
        "receiver_host": centre.host,
        "receiver_port": centre.port,
        "account": panel.account.upper(),
        "receiver_number": centre.receiver_number.upper(),
        "line_number": centre.line.upper(),
        "test_interval_h": panel.test_interval_h,
        REPORT_FORMAT: panel.report_format,
        **PANIC_ZONE,
        ENCRYPTION: str(panel.key) if panel.key is not None else None,
    }


def key_for(target: Target, label: str, wanted: Any) -> str | None:
    """The key value behind an `encryption` setting, resolved through the connector."""
    if wanted is None:
        return None
    if wanted == FOREIGN_KEY:
        raise DeviceError(
            _(
                "{label}: write config failed: cannot restore an encryption key that the inventory "
                "does not name (it was never read from the panel)"
            ).format(label=label)
        )
    try:
        ref = SecretRef.parse(str(wanted))
    except SecretError as exc:
        raise DeviceError(
            _("{label}: write config failed: encryption: {error}").format(label=label, error=exc)
        ) from None
    return target.connector.secret(ref)
