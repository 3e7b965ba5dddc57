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
- Recording Search (doc/RecordingSearch.xml; read in recorder_onvif_search.py, with which
  recordings, jobs and receivers are held): FindRecordings + GetRecordingSearchResults (paged
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
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from provision.drivers import recorder_onvif_search as search
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.onvif_client import OnvifSession
from provision.drivers.onvif_wsdl import text
from provision.drivers.recorder_isapi import CONTINUOUS
from provision.drivers.recorder_onvif_search import RECEIVER, RECORDING
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Camera, Recorder
from provision.sizing import recorded_by

ONVIF_PORT = 80
RTSP_PORT = 554
RECEIVER_TYPE = "http://www.onvif.org/ver10/schema/Receiver"
RECORDINGS, SCHEDULE = "recordings.", "schedule."
IDLE, NO_JOB = "idle", "no job"
# Each camera's main stream by the protocol provision configures it with (the Dahua API's
# fixed realmonitor URL; Hikvision's channel 101, which the lab's ONVIF cameras serve too).
MAIN_STREAM = {"dahua": "/cam/realmonitor?channel=1&subtype=0"}
DEFAULT_STREAM = "/Streaming/Channels/101"


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
        """What the recording audit reads: recorder_onvif_search.facts."""
        return search.facts(self._session(), self.label, list(self.cameras), self._held())

    def _held(self) -> search.Held:
        return search.held_recordings(self._session(), self.label, list(self.cameras))

    def close(self) -> None:
        if self._onvif is not None:
            self._onvif.close()
            self._onvif = None

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
