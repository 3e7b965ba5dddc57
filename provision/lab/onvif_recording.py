"""The simulated recorder's ONVIF Recording Control (trc, ver10) and Receiver (trv, ver10)
services.

Operations, request fields, answers and faults as the ONVIF Recording Control Service
Specification (github.com/onvif/specs doc/RecordingControl.xml, release 26.06, sections
CreateRecording, DeleteRecording, GetRecordings, SetRecordingConfiguration, CreateRecordingJob,
DeleteRecordingJob, GetRecordingJobs, SetRecordingJobMode, GetRecordingJobState) and the
Receiver Service Specification (doc/Receiver.xml: CreateReceiver, GetReceivers,
ConfigureReceiver, DeleteReceiver) give them; element order as onvif.xsd (the one onvif-zeep
ships; tests validate every answer against it). Faults are the specifications': a full recorder
answers CreateRecording with env:Receiver/ter:Action/ter:MaxRecordings, an unknown recording
token env:Sender/ter:InvalidArgVal/ter:NoRecording, an unknown job ter:NoRecordingJob, an
unknown receiver ter:UnknownToken, a job Mode other than Idle or Active ter:BadConfiguration.
Access classes: reads need a User, changes an Operator (ACTUATE).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from provision.lab.onvif_recorder_state import (
    TRACKS,
    Job,
    Operations,
    Receiver,
    RecorderState,
    Recording,
    SourceInfo,
)
from provision.lab.onvif_soap import child, children, invalid_arg, receiver_fault, text, x

NS_TRC = "http://www.onvif.org/ver10/recording/wsdl"
NS_TRV = "http://www.onvif.org/ver10/receiver/wsdl"
RECEIVER_TYPE = "http://www.onvif.org/ver10/schema/Receiver"
MODES = ("AutoConnect", "AlwaysConnect", "NeverConnect")


def _trc(name: str, body: str = "") -> str:
    return f'<trc:{name} xmlns:trc="{NS_TRC}">{body}</trc:{name}>'


def _trv(name: str, body: str = "") -> str:
    return f'<trv:{name} xmlns:trv="{NS_TRV}">{body}</trv:{name}>'


def source_xml(source: SourceInfo) -> str:
    return (
        f"<tt:SourceId>{x(source.source_id)}</tt:SourceId><tt:Name>{x(source.name)}</tt:Name>"
        f"<tt:Location>{x(source.location)}</tt:Location><tt:Description>"
        f"{x(source.description)}</tt:Description><tt:Address>{x(source.address)}</tt:Address>"
    )


def _recording(state: RecorderState, token: str | None) -> Recording:
    recording = state.recordings.get(token or "")
    if recording is None:
        raise invalid_arg("NoRecording", reason=f"no recording {token!r}")
    return recording


def _parse_configuration(el: etree._Element | None) -> tuple[SourceInfo, str, str]:
    source = child(el, "Source")
    if el is None or source is None:
        raise invalid_arg("BadConfiguration", reason="RecordingConfiguration has no Source")
    info = SourceInfo(
        *(text(source, name) or "" for name in ("SourceId", "Name", "Location", "Description"))
    )
    info.address = text(source, "Address") or ""
    return info, text(el, "Content") or "", text(el, "MaximumRetentionTime") or "PT0S"


# --- recordings ------------------------------------------------------------------------------


def get_recordings(state: RecorderState, _req: etree._Element) -> str:
    items = "".join(
        f"<trc:RecordingItem><tt:RecordingToken>{x(r.token)}</tt:RecordingToken>"
        f"<tt:Configuration><tt:Source>{source_xml(r.source)}</tt:Source><tt:Content>"
        f"{x(r.content)}</tt:Content><tt:MaximumRetentionTime>{x(r.retention)}"
        "</tt:MaximumRetentionTime></tt:Configuration><tt:Tracks>"
        + "".join(
            f"<tt:Track><tt:TrackToken>{token}</tt:TrackToken><tt:Configuration><tt:TrackType>"
            f"{kind}</tt:TrackType><tt:Description></tt:Description></tt:Configuration></tt:Track>"
            for token, kind in TRACKS
        )
        + "</tt:Tracks></trc:RecordingItem>"
        for r in state.recordings.values()
    )
    return _trc("GetRecordingsResponse", items)


def create_recording(state: RecorderState, req: etree._Element) -> str:
    if len(state.recordings) >= state.max_recordings:
        raise receiver_fault(
            "Action",
            "MaxRecordings",
            reason=f"the device holds its maximum of {state.max_recordings} recordings",
        )
    source, content, retention = _parse_configuration(child(req, "RecordingConfiguration"))
    token = state.token("REC")
    recording = Recording(token, source, content, retention)
    state.recordings[token] = recording
    state.refresh(recording)  # no job yet: nothing new comes in
    return _trc("CreateRecordingResponse", f"<trc:RecordingToken>{token}</trc:RecordingToken>")


def set_recording_configuration(state: RecorderState, req: etree._Element) -> str:
    recording = _recording(state, text(req, "RecordingToken"))
    recording.source, recording.content, recording.retention = _parse_configuration(
        child(req, "RecordingConfiguration")
    )
    return _trc("SetRecordingConfigurationResponse")


def delete_recording(state: RecorderState, req: etree._Element) -> str:
    recording = _recording(state, text(req, "RecordingToken"))
    for job in state.jobs_of(recording.token):
        del state.jobs[job.token]
    del state.recordings[recording.token]
    return _trc("DeleteRecordingResponse")


# --- recording jobs --------------------------------------------------------------------------


def _job(state: RecorderState, token: str | None) -> Job:
    job = state.jobs.get(token or "")
    if job is None:
        raise invalid_arg("NoRecordingJob", reason=f"no recording job {token!r}")
    return job


def _mode(value: str | None) -> str:
    if value not in ("Idle", "Active"):
        raise invalid_arg("BadConfiguration", reason=f"job Mode {value!r} is not Idle or Active")
    return value


def _parse_job(state: RecorderState, token: str, el: etree._Element | None) -> Job:
    recording = _recording(state, text(el, "RecordingToken"))
    source = child(el, "Source")
    receiver = text(source, "SourceToken", "Token")
    if receiver is not None and receiver not in state.receivers:
        raise invalid_arg("BadConfiguration", reason=f"no receiver {receiver!r} to record from")
    tracks = [
        (text(t, "SourceTag") or "", text(t, "Destination") or "")
        for t in children(source, "Tracks")
    ]
    if any(dest not in dict(TRACKS) for _tag, dest in tracks):
        raise invalid_arg("BadConfiguration", reason="a job track's Destination is not a track")
    priority = int(text(el, "Priority") or 0)
    return Job(token, recording.token, _mode(text(el, "Mode")), priority, receiver, tracks)


def job_xml(job: Job) -> str:
    source = ""
    if job.receiver is not None:
        source = (
            f'<tt:Source><tt:SourceToken Type="{RECEIVER_TYPE}"><tt:Token>{x(job.receiver)}'
            "</tt:Token></tt:SourceToken>"
            + "".join(
                f"<tt:Tracks><tt:SourceTag>{x(tag)}</tt:SourceTag><tt:Destination>{x(dest)}"
                "</tt:Destination></tt:Tracks>"
                for tag, dest in job.tracks
            )
            + "</tt:Source>"
        )
    return (
        f"<tt:RecordingToken>{x(job.recording)}</tt:RecordingToken><tt:Mode>{job.mode}</tt:Mode>"
        f"<tt:Priority>{job.priority}</tt:Priority>{source}"
    )


def create_recording_job(state: RecorderState, req: etree._Element) -> str:
    token = state.token("JOB")
    job = _parse_job(state, token, child(req, "JobConfiguration"))
    state.jobs[token] = job
    state.refresh(state.recordings[job.recording])
    return _trc(
        "CreateRecordingJobResponse",
        f"<trc:JobToken>{token}</trc:JobToken><trc:JobConfiguration>{job_xml(job)}"
        "</trc:JobConfiguration>",
    )


def get_recording_jobs(state: RecorderState, _req: etree._Element) -> str:
    items = "".join(
        f"<trc:JobItem><tt:JobToken>{x(j.token)}</tt:JobToken><tt:JobConfiguration>"
        f"{job_xml(j)}</tt:JobConfiguration></trc:JobItem>"
        for j in state.jobs.values()
    )
    return _trc("GetRecordingJobsResponse", items)


def set_recording_job_mode(state: RecorderState, req: etree._Element) -> str:
    job = _job(state, text(req, "JobToken"))
    job.mode = _mode(text(req, "Mode"))
    state.refresh(state.recordings[job.recording])
    return _trc("SetRecordingJobModeResponse")


def delete_recording_job(state: RecorderState, req: etree._Element) -> str:
    job = _job(state, text(req, "JobToken"))
    del state.jobs[job.token]
    state.refresh(state.recordings[job.recording])
    return _trc("DeleteRecordingJobResponse")


def get_recording_job_state(state: RecorderState, req: etree._Element) -> str:
    job = _job(state, text(req, "JobToken"))
    status, error = state.job_state(job)
    tracks = "".join(
        f"<tt:Track><tt:SourceTag>{x(tag)}</tt:SourceTag><tt:Destination>{x(dest)}"
        f"</tt:Destination>{f'<tt:Error>{x(error)}</tt:Error>' if error else ''}"
        f"<tt:State>{status}</tt:State></tt:Track>"
        for tag, dest in job.tracks
    )
    source = ""
    if job.receiver is not None:
        source = (
            f'<tt:Sources><tt:SourceToken Type="{RECEIVER_TYPE}"><tt:Token>{x(job.receiver)}'
            f"</tt:Token></tt:SourceToken><tt:State>{status}</tt:State><tt:Tracks>{tracks}"
            "</tt:Tracks></tt:Sources>"
        )
    body = (
        f"<tt:RecordingToken>{x(job.recording)}</tt:RecordingToken><tt:State>{status}</tt:State>"
        f"{source}"
    )
    return _trc("GetRecordingJobStateResponse", f"<trc:State>{body}</trc:State>")


# --- receivers -------------------------------------------------------------------------------


def _parse_receiver(token: str, el: etree._Element | None) -> Receiver:
    mode, uri = text(el, "Mode"), text(el, "MediaUri") or ""
    if mode not in MODES:
        raise invalid_arg(
            "BadConfiguration", reason=f"receiver Mode {mode!r} is not one of {MODES}"
        )
    parts = urlsplit(uri)
    if parts.scheme != "rtsp" or not parts.hostname:
        raise invalid_arg("BadConfiguration", reason=f"MediaUri {uri!r} is not an rtsp:// URI")
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    setup = child(el, "StreamSetup")
    return Receiver(
        token,
        mode,
        bare,
        parts.username or "",
        parts.password or "",
        text(setup, "Stream") or "RTP-Unicast",
        text(setup, "Transport", "Protocol") or "RTSP",
    )


def receiver_xml(r: Receiver) -> str:
    parts = urlsplit(r.uri)
    shown = urlunsplit(  # the account's name, never its password
        (parts.scheme, f"{r.username}@{parts.netloc}" if r.username else parts.netloc, *parts[2:])
    )
    return (
        f"<tt:Token>{x(r.token)}</tt:Token><tt:Configuration><tt:Mode>{r.mode}</tt:Mode>"
        f"<tt:MediaUri>{x(shown)}</tt:MediaUri><tt:StreamSetup><tt:Stream>{r.stream}</tt:Stream>"
        f"<tt:Transport><tt:Protocol>{r.protocol}</tt:Protocol></tt:Transport></tt:StreamSetup>"
        "</tt:Configuration>"
    )


def _receiver(state: RecorderState, token: str | None) -> Receiver:
    receiver = state.receivers.get(token or "")
    if receiver is None:
        raise invalid_arg("UnknownToken", reason=f"no receiver {token!r}")
    return receiver


def create_receiver(state: RecorderState, req: etree._Element) -> str:
    receiver = _parse_receiver(state.token("RCV"), child(req, "Configuration"))
    state.receivers[receiver.token] = receiver
    return _trv("CreateReceiverResponse", f"<trv:Receiver>{receiver_xml(receiver)}</trv:Receiver>")


def get_receivers(state: RecorderState, _req: etree._Element) -> str:
    items = "".join(
        f"<trv:Receivers>{receiver_xml(r)}</trv:Receivers>" for r in state.receivers.values()
    )
    return _trv("GetReceiversResponse", items)


def configure_receiver(state: RecorderState, req: etree._Element) -> str:
    old = _receiver(state, text(req, "ReceiverToken"))
    state.receivers[old.token] = _parse_receiver(old.token, child(req, "Configuration"))
    return _trv("ConfigureReceiverResponse")


def delete_receiver(state: RecorderState, req: etree._Element) -> str:
    receiver = _receiver(state, text(req, "ReceiverToken"))
    if any(j.receiver == receiver.token for j in state.jobs.values()):
        raise receiver_fault("Action", "CannotDelete", reason="a recording job uses the receiver")
    del state.receivers[receiver.token]
    return _trv("DeleteReceiverResponse")


RECORDING_OPERATIONS: Operations = {
    "GetRecordings": ("User", get_recordings),
    "CreateRecording": ("Operator", create_recording),
    "SetRecordingConfiguration": ("Operator", set_recording_configuration),
    "DeleteRecording": ("Operator", delete_recording),
    "CreateRecordingJob": ("Operator", create_recording_job),
    "GetRecordingJobs": ("User", get_recording_jobs),
    "SetRecordingJobMode": ("Operator", set_recording_job_mode),
    "DeleteRecordingJob": ("Operator", delete_recording_job),
    "GetRecordingJobState": ("User", get_recording_job_state),
}
RECEIVER_OPERATIONS: Operations = {
    "CreateReceiver": ("Operator", create_receiver),
    "GetReceivers": ("User", get_receivers),
    "ConfigureReceiver": ("Operator", configure_receiver),
    "DeleteReceiver": ("Operator", delete_receiver),
}
