"""A simulated one-button alarm column that reports over GB/T 28181 (inventory protocol
`gb28181`): a Hikvision ISAPI device with a GB/T 28181 agent and a button.

The column follows Hikvision's DS-PEA emergency alarm terminals, as schools mount them: an
ISAPI device (Digest auth, deviceInfo, the GB/T 28181 "platform access" settings at
`/ISAPI/System/Network/SIP`) with a camera and a button. It is the lab's ISAPI camera
(lab/camera_isapi.py, whose docstring and lab/isapi_sip.py cite what its resources follow)
under the terminal's model name: the same SIP resources, the same agent that registers with
the precinct's lab platform once the settings are written (GB/T 28181-2016 §9.1), keeps
alive (§9.5) and, when the button is pressed, sends the Alarm Notify MESSAGE (§9.4:
AlarmPriority 1, AlarmMethod 2 "device alarm", AlarmTime in whole seconds; see
gb28181/manscdp.py `alarm_notify`) under the column's own ID.

Not confirmed from a source: the terminals' exact model strings and that their firmware
serves the cameras' SIP resource unchanged (drivers/alarm_column.py says so too); the button
is pressed through the lab's control API (`POST /api/devices/<id>/alarm_button`), standing in
for a person at the column.

Faults: those of the ISAPI camera and its agent (`sip_*`, `latency_ms`, `dead`, ...), plus
`alarm_notify_lost`: a press sends nothing (a column whose button wiring or alarm linkage is
broken: the platform never hears of it).
"""

from __future__ import annotations

from provision.lab.camera_isapi import IsapiCamera

MODEL = "DS-PEA1-21"  # a DS-PEA series terminal; the exact model string is not confirmed


class AlarmColumn(IsapiCamera):
    """One simulated alarm column on `host`; `agent` is its GB/T 28181 side."""

    @property
    def serial(self) -> str:
        """The serial deviceInfo reports (unique per column: derived from its lab id)."""
        return self.settings.identity.serial
