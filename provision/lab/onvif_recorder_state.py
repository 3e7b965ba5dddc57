"""What a simulated ONVIF Profile G recorder remembers: its receivers, recordings and recording
jobs (ONVIF Recording Control and Receiver service objects), and the recording index on its
disks (nvr_history.RecordingIndex, shared with the lab's ISAPI NVR, not copied).

Objects follow the ONVIF Recording Control Service Specification (github.com/onvif/specs
doc/RecordingControl.xml, release 26.06; WSDL ver10 recording.wsdl 2.4.2 as onvif-zeep ships
it): CreateRecording makes the tracks VIDEO001, AUDIO001 and META001 (section "CreateRecording",
table "Track configurations"); DeleteRecording also deletes the jobs that record into it. A
receiver (Receiver Service Specification, doc/Receiver.xml) holds the RTSP URI the recorder
pulls; the camera account travels as the URI's userinfo (RFC 3986 section 3.2.1, as recorders
take it) and the password is write-only here: GetReceivers answers the URI without it (lab
choice; firmware differs).

Which lab camera a recording holds is read from the host of its source address (the RTSP URI
the driver writes there): that camera's channel of the index. The index's past is the lab's
fiction, as for the ISAPI NVR: a recording created now finds the camera's simulated history.
From then on a recording gets new video only while an Active job feeds it; a job set Idle, a
job deleted or (hdd_fail) a failed disk stops it, and the time it stopped is remembered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from provision.lab.faults import Faults
from provision.lab.nvr_history import Conditions, RecordingIndex, Span
from provision.lab.onvif_state import Identity

TRACKS = (("VIDEO001", "Video"), ("AUDIO001", "Audio"), ("META001", "Metadata"))


@dataclass(slots=True)
class SourceInfo:
    """tt:RecordingSourceInformation, in schema order."""

    source_id: str = ""
    name: str = ""
    location: str = ""
    description: str = ""
    address: str = ""


@dataclass(slots=True)
class Recording:
    token: str
    source: SourceInfo
    content: str = ""
    retention: str = "PT0S"
    stopped_at: float | None = None  # when new video stopped coming; None while recording


@dataclass(slots=True)
class Receiver:
    token: str
    mode: str  # AutoConnect | AlwaysConnect | NeverConnect
    uri: str  # without userinfo
    username: str
    password: str  # write-only
    stream: str = "RTP-Unicast"
    protocol: str = "RTSP"


@dataclass(slots=True)
class Job:
    token: str
    recording: str
    mode: str  # Idle | Active
    priority: int
    receiver: str | None  # the source's receiver token
    tracks: list[tuple[str, str]] = field(default_factory=list)  # (source tag, destination)


@dataclass(slots=True)
class RecorderState:
    """Everything the recorder's ONVIF services read or change. Starts with nothing set up."""

    identity: Identity
    index: RecordingIndex
    faults: Faults
    users: dict[str, tuple[str, str]]  # name → (password, level)
    channels: dict[str, int]  # camera address → its channel in the index
    host: str = "127.0.0.1"
    http_port: int = 80
    max_recordings: int = 64
    clock: Callable[[], float] = time.time
    recordings: dict[str, Recording] = field(default_factory=dict)
    receivers: dict[str, Receiver] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    searches: dict[str, list[str]] = field(default_factory=dict)  # token → recordings left
    event_searches: dict[str, list[str]] = field(default_factory=dict)  # token → results left
    disk_failed_at: float | None = None
    _serial: int = 0

    def now(self) -> float:
        return self.clock()

    def token(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:04d}"

    def channel(self, recording: Recording) -> int | None:
        host = urlsplit(recording.source.address).hostname
        return self.channels.get(host or "")

    def jobs_of(self, recording: str) -> list[Job]:
        return [j for j in self.jobs.values() if j.recording == recording]

    def job_state(self, job: Job) -> tuple[str, str | None]:
        """(state, error): Active while the job runs and the disks take it; Error with the
        reason under hdd_fail (what an ONVIF client sees of a failed disk); else Idle."""
        if job.mode != "Active":
            return "Idle", None
        if self.faults.hdd_fail:
            return "Error", "Recording stopped: storage medium 1 failed"
        return "Active", None

    def refresh(self, recording: Recording) -> None:
        """Keep `stopped_at` true to the jobs and disks: set when the last Active job stops,
        cleared when one runs again, the stretch between becoming an outage of the index."""
        running = any(self.job_state(j)[0] == "Active" for j in self.jobs_of(recording.token))
        channel = self.channel(recording)
        if running and recording.stopped_at is not None and channel is not None:
            # The time without video stays in the history, as the ISAPI NVR's lost links do.
            self.index.outages.setdefault(channel, []).append((recording.stopped_at, self.now()))
            self.index.outages[channel].sort()
        if running:
            recording.stopped_at = None
        elif recording.stopped_at is None:
            recording.stopped_at = self.now()

    def sync_faults(self) -> None:
        """After the faults change: a disk that just failed stops every recording."""
        if self.faults.hdd_fail and self.disk_failed_at is None:
            self.disk_failed_at = self.now()
        elif not self.faults.hdd_fail:
            self.disk_failed_at = None
        for recording in self.recordings.values():
            self.refresh(recording)

    def conditions(self) -> Conditions:
        """The faults and the stopped recordings, in the index's terms."""
        now, stopped = self.now(), {}
        for recording in self.recordings.values():
            channel = self.channel(recording)
            if channel is not None and recording.stopped_at is not None:
                stopped[channel] = max(0.0, now - recording.stopped_at) / 3600
        for entry in self.faults.recording_gap:
            who, _, hours = entry.rpartition(":")
            channel = self._channel_named(who)
            if channel is not None:
                stopped[channel] = max(stopped.get(channel, 0.0), float(hours or 0))
        return Conditions(
            stopped_h=stopped,
            failed_disks=frozenset({1}) if self.faults.hdd_fail else frozenset(),
            disk_full=self.faults.disk_full,
        )

    def _channel_named(self, who: str) -> int | None:
        """A channel by its index number ("3") or its recording's source name ("gate-face")."""
        if who.isdigit():
            return int(who)
        for recording in self.recordings.values():
            if recording.source.name == who:
                return self.channel(recording)
        return None

    def spans(self, recording: Recording) -> list[Span]:
        """The times `recording`'s video track holds data, oldest first."""
        channel = self.channel(recording)
        if channel is None:
            return []
        return self.index.spans(channel, self.conditions(), self.now())


Handler = Callable[[RecorderState, etree._Element], str]
Operations = dict[str, tuple[str | None, Handler]]  # name → (user level needed, handler)
