"""The ONVIF Profile G recorder driver: every camera the recorder keeps is one recording, fed by
one receiver that pulls the camera's main stream, written by one recording job in Active mode.

Over the services a Profile G recording device offers (github.com/onvif/specs release 26.06;
the ver10 WSDLs onvif-zeep ships: recording.wsdl 2.4.2, search.wsdl, receiver.wsdl):
- Device service: GetDeviceInformation (identity), GetServices to find the Recording, Search
  and Receiver XAddrs (paths only, as for cameras: drivers/onvif_client.py). A recorder that
  lists no Recording or Search service is refused plainly: it is not Profile G.
- Receiver service (doc/Receiver.xml, CreateReceiver, GetReceivers, ConfigureReceiver,
  DeleteReceiver): a receiver in AlwaysConnect mode pulls `rtsp://user:password@camera:554/
  <main stream>` over RTP/RTSP/TCP. ONVIF defines no credential field; the URI's userinfo
  (RFC 3986 section 3.2.1) is how recorders take the camera account.
- Recording Control (doc/RecordingControl.xml): GetRecordings, CreateRecording (the device
  makes VIDEO001, AUDIO001, META001 itself, section "CreateRecording", so no CreateTrack),
  SetRecordingConfiguration, CreateRecordingJob with Mode Active, priority 1, recording the
  receiver's video into VIDEO001; GetRecordingJobs, SetRecordingJobMode, GetRecordingJobState;
  DeleteRecording (which deletes its jobs) and DeleteReceiver for a rollback.
- Recording Search (doc/RecordingSearch.xml): FindRecordings + GetRecordingSearchResults (paged
  until SearchState Completed), whose RecordingInformation gives EarliestRecording and
  LatestRecording per recording; GetRecordingSummary for the recorder as a whole; FindEvents +
  GetEventSearchResults over the last RECENT_DAYS days with the start state, whose
  `tns1:RecordingHistory/Track/State` events (IsDataPresent true/false, section "Recording
  Event Descriptions") give the video track's spans, so the audit sees gaps.

Settings, per camera:
    recordings.<camera>  {address, username, password}: the receiver's stream URI without
                         userinfo, the account it pulls with, and the password as its inventory
                         reference ("${PROVISION_CAMERA_PASSWORD}") while a receiver exists: it
                         is resolved only to be sent, never read back or printed.
    schedule.<camera>    "continuous 24x7" when a job in Active mode records the recording:
                         Profile G has no weekly schedule (the 2.4.2 WSDL's job has none), so an
                         Active job records continuously; "idle" for jobs all Idle, "no job"
                         for a recording no job writes.
A recording is found by its source's Name, the camera's inventory name.

For verify, `inspect()` reports what the audit can know over ONVIF: oldest and newest video per
camera, the recent spans and its job's state. ONVIF reports no disk health, so the facts say so
(`disks_reported` False) and the audit says so in words; a recorder that refuses FindEvents
leaves the gaps unread (`gaps_read` False), and the audit says that too.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.onvif_client import OnvifError, OnvifSession
from provision.drivers.onvif_wsdl import OnvifService, child, children, text
from provision.drivers.recorder_isapi import CONTINUOUS
from provision.drivers.recorder_recordings import RECENT_DAYS
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Camera, Recorder
from provision.sizing import recorded_by

ONVIF_PORT = 80
RTSP_PORT = 554
_NS = "http://www.onvif.org/ver10/{}/wsdl"
# The paths are the lab's and many recorders'; calls go where GetServices says.
RECORDING = OnvifService(
    "recording",
    "recording.wsdl",
    f"{{{_NS.format('recording')}}}RecordingBinding",
    "/onvif/recording_service",
)
SEARCH = OnvifService(
    "search", "search.wsdl", f"{{{_NS.format('search')}}}SearchBinding", "/onvif/search_service"
)
RECEIVER = OnvifService(
    "receiver",
    "receiver.wsdl",
    f"{{{_NS.format('receiver')}}}ReceiverBinding",
    "/onvif/receiver_service",
)
RECEIVER_TYPE = "http://www.onvif.org/ver10/schema/Receiver"
RECORDINGS, SCHEDULE = "recordings.", "schedule."
IDLE, NO_JOB = "idle", "no job"
# Each camera's main stream by the protocol provision configures it with (the Dahua API's
# fixed realmonitor URL; Hikvision's channel 101, which the lab's ONVIF cameras serve too).
MAIN_STREAM = {"dahua": "/cam/realmonitor?channel=1&subtype=0"}
DEFAULT_STREAM = "/Streaming/Channels/101"
PAGE = 50
MAX_PAGES = 20  # a search that never completes stops here and says so


class OnvifRecorderDriver(Driver):
    kind = "recorder"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, Recorder):
            raise TypeError(f"OnvifRecorderDriver needs a recorder, not {target.device!r}")
        self.recorder = target.device
        self.label = f"{target.school.id}/{self.recorder.name}"
        self.cameras = {c.name: c for c in recorded_by(target.school, self.recorder)}
        self._onvif: OnvifSession | None = None

    # --- the contract -------------------------------------------------------------------------

    def desired(self) -> Settings:
        wanted: Settings = {}
        for name, cam in self.cameras.items():
            wanted[RECORDINGS + name] = self._recording_wanted(cam)
            wanted[SCHEDULE + name] = CONTINUOUS
        return wanted

    def _recording_wanted(self, cam: Camera) -> dict[str, Any]:
        creds = cam.credentials
        return {
            "address": stream_uri(cam),
            "username": creds.username if creds else "admin",
            "password": str(creds.password) if creds and creds.password else None,
        }

    def read(self) -> Settings:
        held = self._held()
        settings: Settings = {}
        for name, cam in self.cameras.items():
            entry = held.get(name)
            settings[RECORDINGS + name] = self._recording_setting(cam, entry)
            settings[SCHEDULE + name] = _schedule(entry) if entry is not None else None
        return settings

    def _recording_setting(self, cam: Camera, entry: dict[str, Any] | None) -> Any:
        if entry is None:
            return None
        receiver = entry["receiver"]
        if receiver is None:  # a recording no job feeds: where its source says it comes from
            return {"address": entry["address"], "username": None, "password": None}
        address, username = _split_uri(receiver["uri"])
        password = self._recording_wanted(cam)["password"]  # write-only: see the docstring
        return {"address": address, "username": username, "password": password}

    def apply(self, changes: list[Change]) -> None:
        held = self._held()
        by_camera: dict[str, dict[str, Change]] = {}
        for change in changes:
            prefix, _dot, name = change.setting.partition(".")
            if name not in self.cameras or f"{prefix}." not in (RECORDINGS, SCHEDULE):
                raise DeviceError(
                    _("{label}: cannot apply {setting}: no such camera").format(
                        label=self.label, setting=change.setting
                    )
                )
            by_camera.setdefault(name, {})[f"{prefix}."] = change
        for name, parts in by_camera.items():
            self._apply_camera(name, held.get(name), parts)

    def identity(self) -> dict[str, Any]:
        info = self._session().device("GetDeviceInformation")
        return {
            "manufacturer": text(info, "Manufacturer"),
            "model": text(info, "Model"),
            "firmware": text(info, "FirmwareVersion"),
            "serial": text(info, "SerialNumber"),
        }

    def inspect(self) -> dict[str, Any]:
        """{"now", "channels": {camera: oldest, newest, recent spans, job state, "gaps_read":
        False}, "summary", "disks_reported": False} for the recording audit."""
        onvif, now = self._session(), time.time()
        held, found = self._held(), self._search()
        summary = child(onvif.call(SEARCH, "GetRecordingSummary"), "Summary")
        history = self._history(now)
        channels = {}
        for name in self.cameras:
            entry, info = held.get(name), found.get(name, {})
            oldest, newest = info.get("oldest"), info.get("newest")
            spans = history.get(entry["token"]) if entry is not None else None
            channels[name] = {
                "oldest": oldest,
                "newest": newest,
                # Without its history events only the span's edges are known: no inner gaps.
                "recent_spans": spans
                if spans is not None
                else ([[oldest, newest]] if oldest is not None and newest else []),
                "recorded_kbps": None,
                "link": None,
                "job": self._job_state(entry),
                "gaps_read": spans is not None,
            }
        return {
            "now": now,
            "channels": channels,
            "summary": {
                "recordings": int(text(summary, "NumberRecordings") or 0),
                "from": _epoch(text(summary, "DataFrom")),
                "until": _epoch(text(summary, "DataUntil")),
            },
            "disks": [],
            "arrays": [],
            "disks_reported": False,
        }

    def close(self) -> None:
        if self._onvif is not None:
            self._onvif.close()
            self._onvif = None

    # --- reading ------------------------------------------------------------------------------

    def _held(self) -> dict[str, dict[str, Any]]:
        """camera name → {token, address, jobs: [(token, mode)], receiver: {token, uri}|None}
        for every recording whose source names one of this recorder's cameras."""
        onvif = self._session()
        self._require_profile_g()
        recordings = onvif.call(RECORDING, "GetRecordings")
        jobs = onvif.call(RECORDING, "GetRecordingJobs")
        receivers = {
            text(r, "Token"): {
                "token": text(r, "Token"),
                "uri": text(r, "Configuration", "MediaUri"),
            }
            for r in children(onvif.call(RECEIVER, "GetReceivers"), "Receivers")
        }
        held: dict[str, dict[str, Any]] = {}
        for item in children(recordings, "RecordingItem"):
            source = child(item, "Configuration", "Source")
            name = text(source, "Name") or ""
            if name in self.cameras and name not in held:
                held[name] = {
                    "token": text(item, "RecordingToken"),
                    "address": text(source, "Address"),
                    "jobs": [],
                    "receiver": None,
                }
        by_token = {entry["token"]: entry for entry in held.values()}
        for job in children(jobs, "JobItem"):
            config = child(job, "JobConfiguration")
            entry = by_token.get(text(config, "RecordingToken"))
            if entry is None:
                continue
            entry["jobs"].append((text(job, "JobToken"), text(config, "Mode")))
            source = text(config, "Source", "SourceToken", "Token")
            if entry["receiver"] is None and source in receivers:
                entry["receiver"] = receivers[source]
        return held

    def _require_profile_g(self) -> None:
        listed = self._session().services()
        missing = [
            s.name
            for s in (RECORDING, SEARCH, RECEIVER)
            if etree.QName(s.binding).namespace not in listed
        ]
        if missing:
            raise DeviceError(
                _(
                    "{label}: the recorder lists no ONVIF {services} service in GetServices: it "
                    "does not offer Profile G recording control; configure it with its vendor's "
                    "protocol instead"
                ).format(label=self.label, services=", ".join(missing))
            )

    def _search(self) -> dict[str, dict[str, float | None]]:
        """Source name → oldest and newest video, from one FindRecordings session."""
        onvif = self._session()
        token = text(
            onvif.call(SEARCH, "FindRecordings", Scope={}, KeepAliveTime="PT10S"), "SearchToken"
        )
        found: dict[str, dict[str, float | None]] = {}
        for _page in range(MAX_PAGES):
            answer = onvif.call(
                SEARCH,
                "GetRecordingSearchResults",
                SearchToken=token,
                MaxResults=PAGE,
                WaitTime="PT5S",
            )
            results = child(answer, "ResultList")
            for info in children(results, "RecordingInformation"):
                name = text(info, "Source", "Name") or ""
                found[name] = {
                    "oldest": _epoch(text(info, "EarliestRecording")),
                    "newest": _epoch(text(info, "LatestRecording")),
                }
            if text(results, "SearchState") == "Completed":
                return found
        onvif.call(SEARCH, "EndSearch", SearchToken=token)
        raise DeviceError(
            _("{label}: the recording search had not completed after {pages} pages").format(
                label=self.label, pages=MAX_PAGES
            )
        )

    def _history(self, now: float) -> dict[str, list[list[float]]]:
        """Recording token → the spans its video track holds in the last RECENT_DAYS days,
        from its `tns1:RecordingHistory/Track/State` events (FindEvents with the state at the
        start point, then each IsDataPresent change); {} from a recorder that keeps none."""
        onvif, start = self._session(), now - RECENT_DAYS * 86400
        try:
            token = text(
                onvif.call(
                    SEARCH,
                    "FindEvents",
                    StartPoint=_iso(start),
                    EndPoint=_iso(now),
                    Scope={},
                    SearchFilter={},
                    IncludeStartState=True,
                    KeepAliveTime="PT10S",
                ),
                "SearchToken",
            )
        except OnvifError as exc:
            if exc.kind != "fault" or "NotAuthorized" in exc.subcodes:
                raise
            return {}  # FindEvents refused: gaps stay unread, and the audit says so
        changes: dict[str, list[tuple[float, bool]]] = {}
        for _page in range(MAX_PAGES):
            answer = onvif.call(
                SEARCH, "GetEventSearchResults", SearchToken=token, MaxResults=PAGE * 10
            )
            results = child(answer, "ResultList")
            for result in children(results, "Result"):
                change = _track_state(result)
                if change is not None:
                    changes.setdefault(change[0], []).append(change[1:])
            if text(results, "SearchState") == "Completed":
                return {rec: _spans(sorted(c), start, now) for rec, c in changes.items()}
        raise DeviceError(
            _("{label}: the recording search had not completed after {pages} pages").format(
                label=self.label, pages=MAX_PAGES
            )
        )

    def _job_state(self, entry: dict[str, Any] | None) -> dict[str, Any] | None:
        """The state of the recording's Active job (or its first), and its error if any."""
        if entry is None or not entry["jobs"]:
            return None
        token = next((t for t, mode in entry["jobs"] if mode == "Active"), entry["jobs"][0][0])
        state = child(
            self._session().call(RECORDING, "GetRecordingJobState", JobToken=token), "State"
        )
        errors = [e.text for e in state.iter("{*}Error") if e.text] if state is not None else []
        return {"state": text(state, "State"), "error": errors[0] if errors else None}

    # --- applying -----------------------------------------------------------------------------

    def _apply_camera(
        self, name: str, entry: dict[str, Any] | None, parts: dict[str, Change]
    ) -> None:
        recording, schedule = parts.get(RECORDINGS), parts.get(SCHEDULE)
        if recording is not None and recording.after is None:
            if entry is not None:
                self._delete(entry)
            return
        if entry is None:
            if recording is None:
                raise DeviceError(
                    _("{label}: {name} has no recording to schedule").format(
                        label=self.label, name=name
                    )
                )
            active = schedule is None or schedule.after == CONTINUOUS
            self._create(name, active)
            return
        if recording is not None:
            self._reconfigure(name, entry)
        if schedule is not None:
            self._set_mode(name, entry, schedule.after)

    def _receiver_config(self, name: str) -> dict[str, Any]:
        cam = self.cameras[name]
        wanted = self._recording_wanted(cam)
        onvif = self._session()
        password = self.target.connector.secret(
            cam.credentials.password if cam.credentials else None
        )
        onvif.hide(password)
        return {
            "Mode": "AlwaysConnect",
            "MediaUri": _with_userinfo(wanted["address"], wanted["username"], password),
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
        }

    def _recording_config(self, name: str) -> dict[str, Any]:
        cam = self.cameras[name]
        return {
            "Source": {
                "SourceId": f"http://{cam.host}/onvif/device_service",
                "Name": name,
                "Location": self.target.school.id,
                "Description": cam.area or "",
                "Address": stream_uri(cam),
            },
            "Content": f"{self.target.school.id}/{name}",
            "MaximumRetentionTime": "PT0S",  # 0: kept until the disks are full (the standard's)
        }

    def _create(self, name: str, active: bool) -> None:
        onvif = self._session()
        made = onvif.call(RECEIVER, "CreateReceiver", Configuration=self._receiver_config(name))
        receiver = text(made, "Receiver", "Token")
        token = None
        try:
            token = text(
                onvif.call(
                    RECORDING,
                    "CreateRecording",
                    RecordingConfiguration=self._recording_config(name),
                ),
                "RecordingToken",
            )
            self._create_job(token or "", receiver or "", active)
        except DeviceError:
            # A camera's receiver, recording and job go together: take back what this camera
            # got so far (a recording no job writes would pass for one), then say why.
            entry = {"token": token, "receiver": {"token": receiver}}
            with contextlib.suppress(DeviceError):
                self._delete(entry)
            raise

    def _create_job(self, recording: str, receiver: str, active: bool) -> None:
        self._session().call(
            RECORDING,
            "CreateRecordingJob",
            JobConfiguration={
                "RecordingToken": recording,
                "Mode": "Active" if active else "Idle",
                "Priority": 1,
                "Source": [
                    {
                        "SourceToken": {"Token": receiver, "Type": RECEIVER_TYPE},
                        "Tracks": [{"SourceTag": "video", "Destination": "VIDEO001"}],
                    }
                ],
            },
        )

    def _reconfigure(self, name: str, entry: dict[str, Any]) -> None:
        onvif = self._session()
        onvif.call(
            RECORDING,
            "SetRecordingConfiguration",
            RecordingToken=entry["token"],
            RecordingConfiguration=self._recording_config(name),
        )
        config = self._receiver_config(name)
        if entry["receiver"] is not None:
            token = entry["receiver"]["token"]
            onvif.call(RECEIVER, "ConfigureReceiver", ReceiverToken=token, Configuration=config)
            return
        made = onvif.call(RECEIVER, "CreateReceiver", Configuration=config)
        for job, _mode in entry["jobs"]:  # jobs that fed from no receiver go; one that does comes
            onvif.call(RECORDING, "DeleteRecordingJob", JobToken=job)
        entry["jobs"] = []
        self._create_job(entry["token"], text(made, "Receiver", "Token") or "", active=True)

    def _set_mode(self, name: str, entry: dict[str, Any], after: Any) -> None:
        onvif = self._session()
        if after == CONTINUOUS and not entry["jobs"]:
            receiver = entry["receiver"]
            if receiver is None:
                made = onvif.call(
                    RECEIVER, "CreateReceiver", Configuration=self._receiver_config(name)
                )
                receiver = {"token": text(made, "Receiver", "Token")}
            self._create_job(entry["token"], receiver["token"] or "", active=True)
        elif after == CONTINUOUS:
            job = entry["jobs"][0][0]
            onvif.call(RECORDING, "SetRecordingJobMode", JobToken=job, Mode="Active")
        elif after == IDLE:
            for job, _mode in entry["jobs"]:
                onvif.call(RECORDING, "SetRecordingJobMode", JobToken=job, Mode="Idle")
        elif after == NO_JOB:
            for job, _mode in entry["jobs"]:
                onvif.call(RECORDING, "DeleteRecordingJob", JobToken=job)
        elif after is not None:
            raise DeviceError(
                _(
                    "{label}: cannot apply {setting} = {after!r}: a recording job is "
                    "{continuous!r}, {idle!r} or {none!r}"
                ).format(
                    label=self.label,
                    setting=SCHEDULE + name,
                    after=after,
                    continuous=CONTINUOUS,
                    idle=IDLE,
                    none=NO_JOB,
                )
            )

    def _delete(self, entry: dict[str, Any]) -> None:
        """A rollback of a recording it added: the recording (its jobs go with it, Recording
        Control "DeleteRecording"), then the receiver those jobs used."""
        onvif = self._session()
        if entry["token"] is not None:
            onvif.call(RECORDING, "DeleteRecording", RecordingToken=entry["token"])
        if entry["receiver"] is not None:
            onvif.call(RECEIVER, "DeleteReceiver", ReceiverToken=entry["receiver"]["token"])

    def _session(self) -> OnvifSession:
        if self._onvif is None:
            connector, creds = self.target.connector, self.recorder.credentials
            self._onvif = OnvifSession(
                self.label,
                connector.address(self.recorder.host, ONVIF_PORT),
                creds.username if creds else "admin",
                connector.secret(creds.password if creds else None),
                timeout=connector.timeout,
            )
        return self._onvif


# --- values -----------------------------------------------------------------------------------


def stream_uri(cam: Camera) -> str:
    """The camera's main stream, as the recorder's receiver pulls it (no credentials)."""
    return f"rtsp://{cam.host}:{RTSP_PORT}{MAIN_STREAM.get(cam.protocol, DEFAULT_STREAM)}"


def _with_userinfo(uri: str, username: str, password: str) -> str:
    parts = urlsplit(uri)
    netloc = f"{username}:{password}@{parts.netloc}" if password else f"{username}@{parts.netloc}"
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


def _split_uri(uri: str | None) -> tuple[str | None, str | None]:
    """(the URI without userinfo, the user it names)."""
    if not uri:
        return None, None
    parts = urlsplit(uri)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, *parts[2:])), parts.username


def _schedule(entry: dict[str, Any]) -> str:
    modes = {mode for _token, mode in entry["jobs"]}
    if "Active" in modes:
        return CONTINUOUS
    return IDLE if modes else NO_JOB


def _track_state(result: etree._Element) -> tuple[str, float, bool] | None:
    """(recording, time, data present) of a video track's RecordingHistory/Track/State event;
    None for any other event."""
    topic = text(result, "Event", "Topic") or ""
    track = text(result, "TrackToken") or ""
    at = _epoch(text(result, "Time"))
    if not topic.endswith("RecordingHistory/Track/State") or at is None:
        return None
    if track and not track.upper().startswith("VIDEO"):
        return None
    data = child(result, "Event", "Message", "Message", "Data")
    present = next(
        (i.get("Value") for i in children(data, "SimpleItem") if i.get("Name") == "IsDataPresent"),
        None,
    )
    if present is None:
        return None
    return text(result, "RecordingToken") or "", at, present.lower() == "true"


def _spans(changes: list[tuple[float, bool]], start: float, end: float) -> list[list[float]]:
    """The stretches of [start, end] with data, from the ordered state changes."""
    spans: list[list[float]] = []
    since: float | None = None
    for at, present in changes:
        if present and since is None:
            since = max(at, start)
        elif not present and since is not None:
            spans.append([since, at])
            since = None
    if since is not None:
        spans.append([since, end])
    return spans


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
