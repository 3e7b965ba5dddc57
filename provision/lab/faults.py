"""Faults a lab device can be told to show, switchable at run time.

Every simulator holds one `Faults` object and consults it on each request, so a test (or the
demo) flips a flag through the lab API and the very next exchange shows the symptom a real
client would see from a real broken device.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

FAULT_KINDS = (
    "latency_ms",  # added delay before every answer
    "timeout",  # accept the connection, never answer
    "refuse",  # close the listener: connection refused
    "auth_failure",  # reject every credential
    "soap_fault",  # operation names that answer with a SOAP fault (camera)
    "ssh_drop",  # drop the SSH session in the middle of a command (switch)
    "obstructed",  # snapshot is a uniform grey frame (camera)
    "rtsp_down",  # RTSP server refuses (camera)
    "drop_acks",  # alarm centre swallows frames without ACK (alarm centre)
    "receiver_down",  # alarm centre not listening (alarm centre)
    "dead",  # the device is powered off: every listener refuses
    "sip_wrong_password",  # GB/T 28181 agent answers the Digest challenge wrongly (camera, NVR)
    "sip_wrong_server_id",  # GB/T 28181 agent registers to another server ID (camera, NVR)
    "sip_keepalive_stop",  # GB/T 28181 agent sends no keepalives (camera, NVR)
    "sip_invite_fail",  # GB/T 28181 agent answers INVITE with 488 (camera, NVR)
    "sip_catalog_drop",  # GB/T 28181 agent's Catalog lacks its last channel (camera, NVR)
    "api_error",  # resource paths that answer with the vendor API's error status (ISAPI camera)
    "test_mode_refused",  # alarm centre will not put accounts on test (alarm centre)
    "platform_restart",  # the video platform restarts now, losing its proxies (one-shot)
    "zlm_legacy_auth",  # the ZLMediaKit API answers as before its 2026 login (secret only)
    "recording_gap",  # "CHANNEL:HOURS" entries: that channel recorded nothing lately (NVR)
    "hdd_fail",  # disk 1 reports an error and its recordings are gone (NVR)
    "disk_full",  # bitrate rose until the disks keep only 12 days (NVR)
    "schedule_motion_only",  # recording on motion only; nights without video (NVR)
    "alarm_notify_lost",  # a button press sends no GB/T 28181 Alarm notify (alarm column)
    "alarm_refused",  # the GB/T 28181 platform answers alarms 403 and records none (platform)
)

_LIST_FAULTS = ("soap_fault", "api_error", "recording_gap")


@dataclass(slots=True)
class Faults:
    latency_ms: int = 0
    timeout: bool = False
    refuse: bool = False
    auth_failure: bool = False
    soap_fault: list[str] = field(default_factory=list)
    ssh_drop: bool = False
    obstructed: bool = False
    rtsp_down: bool = False
    drop_acks: bool = False
    receiver_down: bool = False
    dead: bool = False
    sip_wrong_password: bool = False
    sip_wrong_server_id: bool = False
    sip_keepalive_stop: bool = False
    sip_invite_fail: bool = False
    sip_catalog_drop: bool = False
    api_error: list[str] = field(default_factory=list)
    test_mode_refused: bool = False
    platform_restart: bool = False
    zlm_legacy_auth: bool = False
    recording_gap: list[str] = field(default_factory=list)
    hdd_fail: bool = False
    disk_full: bool = False
    schedule_motion_only: bool = False
    alarm_notify_lost: bool = False
    alarm_refused: bool = False

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; an unknown fault name is an error listing the valid ones."""
        known = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown fault {key!r}; valid faults: {', '.join(FAULT_KINDS)}")
            if key in _LIST_FAULTS:
                value = [value] if isinstance(value, str) else list(value or [])
                if key == "recording_gap":
                    _check_gaps(value)
            elif key == "latency_ms":
                value = int(value)
            else:
                value = bool(value)
            setattr(self, key, value)

    def clear(self) -> None:
        for f in fields(self):
            setattr(
                self,
                f.name,
                [] if f.name in _LIST_FAULTS else (0 if f.name == "latency_ms" else False),
            )

    def active(self) -> dict[str, Any]:
        """Only the faults that are switched on, for status listings."""
        return {k: v for k, v in asdict(self).items() if v}


def _check_gaps(entries: list[str]) -> None:
    """recording_gap entries are "CHANNEL:HOURS" (a channel id or name, hours >= 0)."""
    for entry in entries:
        who, _, hours = str(entry).rpartition(":")
        try:
            good = bool(who) and float(hours) >= 0
        except ValueError:
            good = False
        if not good:
            raise ValueError(f"recording_gap {entry!r}: expected CHANNEL:HOURS, e.g. gate-face:6")
