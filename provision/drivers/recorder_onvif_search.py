"""What an ONVIF Profile G recorder holds and has recorded, read over its services for the
recorder driver (drivers/recorder_onvif.py) and the recording audit. Read-only.

- Which recordings are this recorder's cameras' (GetRecordings: a recording's source Name is the
  camera's inventory name), the jobs that write them (GetRecordingJobs) and the receivers those
  jobs record from (GetReceivers), after checking GetServices lists the Recording, Search and
  Receiver services (Profile G's recording control; a recorder without them is refused).
- The oldest and newest video of each recording: FindRecordings + GetRecordingSearchResults,
  paged until SearchState Completed, their RecordingInformation's EarliestRecording and
  LatestRecording (Recording Search Specification, onvif/specs doc/RecordingSearch.xml release
  26.06, sections FindRecordings, GetRecordingSearchResults, RecordingInformation Structure).
- The spans of the last RECENT_DAYS days: FindEvents with IncludeStartState and
  GetEventSearchResults; each `tns1:RecordingHistory/Track/State` event of a video track says
  IsDataPresent true or false from that time on (section "Recording Event Descriptions"). A
  recorder that refuses FindEvents gives none, and the audit says the gaps are unread.
- A job's state (GetRecordingJobState): Active, Idle or Error with the device's reason.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from provision.drivers.onvif_client import OnvifError, OnvifSession
from provision.drivers.onvif_wsdl import OnvifService, child, children, text
from provision.drivers.recorder_recordings import RECENT_DAYS
from provision.errors import DeviceError
from provision.i18n import _

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
PAGE = 50
MAX_PAGES = 20  # a search that never completes stops here and says so
Held = dict[str, dict[str, Any]]


def facts(onvif: OnvifSession, label: str, cameras: list[str], held: Held) -> dict[str, Any]:
    """{"now", "channels": {camera: oldest, newest, recent spans, job state, "gaps_read"},
    "summary", "disks_reported": False} for the recording audit."""
    now = time.time()
    found = search_edges(onvif, label)
    summary = child(onvif.call(SEARCH, "GetRecordingSummary"), "Summary")
    spans_of = history(onvif, label, now)
    channels = {}
    for name in cameras:
        entry, info = held.get(name), found.get(name, {})
        oldest, newest = info.get("oldest"), info.get("newest")
        spans = spans_of.get(entry["token"]) if entry is not None else None
        edges = [[oldest, newest]] if oldest is not None and newest else []
        channels[name] = {
            "oldest": oldest,
            "newest": newest,
            # Without its history events only the span's edges are known: no inner gaps.
            "recent_spans": spans if spans is not None else edges,
            "recorded_kbps": None,
            "link": None,
            "job": job_state(onvif, entry),
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


def held_recordings(onvif: OnvifSession, label: str, cameras: list[str]) -> Held:
    """camera name → {token, address, jobs: [(token, mode)], receiver: {token, uri}|None}
    for every recording whose source names one of this recorder's cameras."""
    require_profile_g(onvif, label)
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
        if name in cameras and name not in held:
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


def require_profile_g(onvif: OnvifSession, label: str) -> None:
    listed = onvif.services()
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
            ).format(label=label, services=", ".join(missing))
        )


def search_edges(onvif: OnvifSession, label: str) -> dict[str, dict[str, float | None]]:
    """Source name → oldest and newest video, from one FindRecordings session."""
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
            label=label, pages=MAX_PAGES
        )
    )


def history(onvif: OnvifSession, label: str, now: float) -> dict[str, list[list[float]]]:
    """Recording token → the spans its video track holds in the last RECENT_DAYS days,
    from its `tns1:RecordingHistory/Track/State` events (FindEvents with the state at the
    start point, then each IsDataPresent change); {} from a recorder that keeps none."""
    start = now - RECENT_DAYS * 86400
    try:
        token = text(
            onvif.call(
                SEARCH,
                "FindEvents",
                StartPoint=iso(start),
                EndPoint=iso(now),
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
            label=label, pages=MAX_PAGES
        )
    )


def job_state(onvif: OnvifSession, entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """The state of the recording's Active job (or its first), and its error if any."""
    if entry is None or not entry["jobs"]:
        return None
    token = next((t for t, mode in entry["jobs"] if mode == "Active"), entry["jobs"][0][0])
    state = child(onvif.call(RECORDING, "GetRecordingJobState", JobToken=token), "State")
    errors = [e.text for e in state.iter("{*}Error") if e.text] if state is not None else []
    return {"state": text(state, "State"), "error": errors[0] if errors else None}


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


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
