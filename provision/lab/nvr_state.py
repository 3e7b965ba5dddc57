"""What a simulated Hikvision NVR remembers, in ISAPI's own terms: its digital (IP camera)
input channels, each channel's recording track and schedule, its disks and their index.

Channels are `InputProxyChannel`s (id, name, proxyProtocol HIKVISION | ONVIF, address, port,
user, write-only password, stream type); track N01 records channel N's main stream. A track
holds a weekly schedule of `ScheduleAction`s (day, start, end, mode: CMR continuous, MOTION,
ALARM, ...) and `enableSchedule`. A channel the NVR adds starts with its schedule switched off
(lab choice: the driver must switch it on; firmware defaults vary by release). The recording
index on the disks is nvr_history.RecordingIndex; the faults that bend it are read here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from provision.lab.faults import Faults
from provision.lab.isapi_state import DeviceIdentity, SipAccess
from provision.lab.nvr_history import Conditions, RecordingIndex
from provision.lab.nvr_links import CONNECT, Link

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RECORD_MODES = ("CMR", "MOTION", "ALARM", "AlarmOrMotion", "AlarmAndMotion", "EDR", "AllEvent")
PROXY_PROTOCOLS = ("HIKVISION", "ONVIF")
STREAM_TYPES = ("auto", "main", "sub")


@dataclass(slots=True)
class InputChannel:
    id: int
    name: str
    protocol: str
    address: str
    port: int
    username: str
    password: str  # write-only: never in an answer or in `state()`
    stream: str = "main"


@dataclass(slots=True)
class ScheduleAction:
    day: str
    start: str  # "HH:MM:SS"
    end: str  # "HH:MM:SS", "24:00:00" for the end of the day
    mode: str  # one of RECORD_MODES


@dataclass(slots=True)
class Track:
    id: int  # channel * 100 + 1
    schedule_enabled: bool = False
    actions: list[ScheduleAction] = field(default_factory=list)

    @property
    def channel(self) -> int:
        return self.id // 100


@dataclass(slots=True)
class NvrState:
    """Everything the NVR's ISAPI reads or changes. Starts with no channels configured."""

    identity: DeviceIdentity
    index: RecordingIndex
    faults: Faults
    accounts: dict[str, str]  # user → password (the admin the inventory names)
    host: str = "127.0.0.1"
    max_channels: int = 64
    device_name: str = "Network Video Recorder"
    channels: dict[int, InputChannel] = field(default_factory=dict)
    tracks: dict[int, Track] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    # GB/T 28181 access (lab/isapi_sip.py serves it as on a camera; nvr.py holds the agent)
    sip: SipAccess = field(default_factory=SipAccess)
    sip_registered: bool = False
    links: dict[int, Link] = field(default_factory=dict)  # channel → its last probe (nvr_links)
    raid_level: str = "none"  # sizing.RAID_LEVELS: "none" uses the disks one by one

    @property
    def sip_video_inputs(self) -> int:
        return self.max_channels  # SIPInfo's video inputs are the NVR's input channels

    def now(self) -> float:
        return self.clock()

    def conditions(self) -> Conditions:
        """The faults, in the recording index's terms."""
        stopped: dict[int, float] = {}
        for entry in self.faults.recording_gap:
            who, _, hours = entry.rpartition(":")
            channel = self.channel_id(who)
            if channel is not None:
                stopped[channel] = float(hours or 0)
        for channel, link in self.links.items():  # a channel that lost its camera records nothing
            if not link.online and channel in self.channels:
                lost_h = max(0.0, self.now() - link.since) / 3600
                stopped[channel] = max(stopped.get(channel, 0.0), lost_h)
        return Conditions(
            stopped_h=stopped,
            failed_disks=frozenset({1}) if self.faults.hdd_fail else frozenset(),
            disk_full=self.faults.disk_full,
            motion_only=self.faults.schedule_motion_only,
        )

    def link(self, channel: int) -> Link:
        return self.links.setdefault(channel, Link(since=self.now()))

    def record_probe(self, channel: int, detect: str, checked: float) -> None:
        """A probe of `channel` found `detect` (nvr_links); losing the camera starts a gap in
        its recordings, getting it back ends the gap, which stays in the history."""
        link, now = self.link(channel), self.now()
        online = detect == CONNECT
        if link.online and not online:
            link.since = now
        elif online and not link.online:
            self.index.outages.setdefault(channel, []).append((link.since, now))
            self.index.outages[channel].sort()
            link.since = now
        link.online, link.detect, link.checked = online, detect, checked

    def channel_id(self, who: str) -> int | None:
        """A channel by its id ("3") or its name ("gate-face")."""
        if who.isdigit():
            return int(who)
        return next((c.id for c in self.channels.values() if c.name == who), None)

    def track(self, track_id: int) -> Track | None:
        """The track of a configured channel (created with the channel)."""
        if track_id % 100 != 1 or track_id // 100 not in self.channels:
            return None
        return self.tracks.setdefault(track_id, Track(track_id))

    def record_on_motion_only(self) -> None:
        """What someone set on the NVR (the schedule_motion_only fault, applied when it is
        switched on): every configured track records on motion only, all week."""
        for channel in self.channels:
            track = self.track(channel * 100 + 1)
            if track is None:
                continue
            track.schedule_enabled = True
            track.actions = [ScheduleAction(day, "00:00:00", "24:00:00", "MOTION") for day in DAYS]

    def as_dict(self) -> dict[str, Any]:
        cond = self.conditions()
        return {
            "device_name": self.device_name,
            "channels": {
                str(c.id): {k: v for k, v in asdict(c).items() if k != "password"}
                for c in self.channels.values()
            },
            "tracks": {str(t.id): asdict(t) for t in self.tracks.values()},
            "oldest_recording": self.index.oldest(cond, self.now()),
            "pool_bytes": self.index.pool_bytes(cond),
        }
