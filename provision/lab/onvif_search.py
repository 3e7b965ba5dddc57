"""The simulated recorder's ONVIF Recording Search service (tse, ver10).

As the Recording Search Specification gives it (github.com/onvif/specs doc/RecordingSearch.xml,
release 26.06, sections GetRecordingSummary, GetRecordingInformation, FindRecordings,
GetRecordingSearchResults, EndSearch; search.wsdl ver10 as onvif-zeep ships it):
RecordingInformation carries the recording's EarliestRecording and LatestRecording and, per
track, DataFrom and DataTo, read from the recording index (lab/nvr_history.py). The video track
holds the index's spans; the audio and metadata tracks hold nothing (the lab's cameras send
video only), so they report no data. A search session hands out its results in pages of
MaxResults with SearchState Searching until the last, then Completed; EndSearch, or reading the
last page, ends it. Unknown tokens answer env:Sender/ter:InvalidArgVal/ter:InvalidToken, as the
specification lists for these operations. Reads need a User.

The recording history events (FindEvents) are in onvif_search_events.py. Not simulated:
GetMediaAttributes, the metadata and PTZ searches; they answer ter:ActionNotSupported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from lxml import etree

from provision.lab.onvif_recorder_state import Operations, RecorderState, Recording
from provision.lab.onvif_recording import source_xml
from provision.lab.onvif_soap import children, invalid_arg, text, x

T = TypeVar("T")

NS_TSE = "http://www.onvif.org/ver10/search/wsdl"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tse(name: str, body: str = "") -> str:
    return f'<tse:{name} xmlns:tse="{NS_TSE}">{body}</tse:{name}>'


def _track(token: str, kind: str, span: tuple[float, float] | None, now: float) -> str:
    start, end = span or (now, now)  # DataFrom/DataTo are required: an empty track is a point
    return (
        f"<tt:Track><tt:TrackToken>{token}</tt:TrackToken><tt:TrackType>{kind}</tt:TrackType>"
        f"<tt:Description></tt:Description><tt:DataFrom>{iso(start)}</tt:DataFrom>"
        f"<tt:DataTo>{iso(end)}</tt:DataTo></tt:Track>"
    )


def information_xml(state: RecorderState, recording: Recording) -> str:
    spans, now = state.spans(recording), state.now()
    span = (spans[0][0], spans[-1][1]) if spans else None
    edges = ""
    if span is not None:
        edges = (
            f"<tt:EarliestRecording>{iso(span[0])}</tt:EarliestRecording>"
            f"<tt:LatestRecording>{iso(span[1])}</tt:LatestRecording>"
        )
    status = "Stopped" if recording.stopped_at is not None else "Recording"
    return (
        f"<tt:RecordingToken>{x(recording.token)}</tt:RecordingToken><tt:Source>"
        f"{source_xml(recording.source)}</tt:Source>{edges}<tt:Content>{x(recording.content)}"
        f"</tt:Content>{_track('VIDEO001', 'Video', span, now)}"
        f"{_track('AUDIO001', 'Audio', None, now)}{_track('META001', 'Metadata', None, now)}"
        f"<tt:RecordingStatus>{status}</tt:RecordingStatus>"
    )


def get_recording_summary(state: RecorderState, _req: etree._Element) -> str:
    spans = [s for r in state.recordings.values() for s in state.spans(r)]
    now = state.now()
    start = min((s for s, _e in spans), default=now)
    end = max((e for _s, e in spans), default=now)
    return _tse(
        "GetRecordingSummaryResponse",
        f"<tse:Summary><tt:DataFrom>{iso(start)}</tt:DataFrom><tt:DataUntil>{iso(end)}"
        f"</tt:DataUntil><tt:NumberRecordings>{len(state.recordings)}</tt:NumberRecordings>"
        "</tse:Summary>",
    )


def get_recording_information(state: RecorderState, req: etree._Element) -> str:
    token = text(req, "RecordingToken")
    recording = state.recordings.get(token or "")
    if recording is None:
        raise invalid_arg("InvalidToken", reason=f"no recording {token!r}")
    return _tse(
        "GetRecordingInformationResponse",
        f"<tse:RecordingInformation>{information_xml(state, recording)}</tse:RecordingInformation>",
    )


def find_recordings(state: RecorderState, req: etree._Element) -> str:
    scope = next(children(req, "Scope"), None)
    wanted = [(el.text or "").strip() for el in children(scope, "IncludedRecordings")]
    unknown = [t for t in wanted if t not in state.recordings]
    if unknown:
        raise invalid_arg("InvalidToken", reason=f"no recording {unknown[0]!r}")
    found = wanted or list(state.recordings)
    limit = text(req, "MaxMatches")
    if limit:
        found = found[: max(0, int(limit))]
    token = state.token("SEARCH")
    state.searches[token] = found
    return _tse("FindRecordingsResponse", f"<tse:SearchToken>{token}</tse:SearchToken>")


def _session(state: RecorderState, req: etree._Element) -> tuple[str, list[str]]:
    token = text(req, "SearchToken") or ""
    left = state.searches.get(token)
    if left is None:
        raise invalid_arg("InvalidToken", reason=f"no search session {token!r}")
    return token, left


def next_page(sessions: dict[str, list[T]], req: etree._Element) -> tuple[list[T], bool]:
    """The next page (`MaxResults`, all when absent) of the search session `SearchToken` names
    in `sessions`, and whether more remain; the last page ends the session (Recording Search
    spec, GetRecordingSearchResults / GetEventSearchResults)."""
    token = text(req, "SearchToken") or ""
    left = sessions.get(token)
    if left is None:
        raise invalid_arg("InvalidToken", reason=f"no search session {token!r}")
    most = text(req, "MaxResults")
    count = len(left) if not most else max(1, int(most))
    page, rest = left[:count], left[count:]
    if rest:
        sessions[token] = rest
    else:
        del sessions[token]
    return page, bool(rest)


def get_recording_search_results(state: RecorderState, req: etree._Element) -> str:
    page, rest = next_page(state.searches, req)
    items = "".join(
        f"<tt:RecordingInformation>{information_xml(state, state.recordings[t])}"
        "</tt:RecordingInformation>"
        for t in page
        if t in state.recordings  # deleted since the search began
    )
    done = "Searching" if rest else "Completed"
    return _tse(
        "GetRecordingSearchResultsResponse",
        f"<tse:ResultList><tt:SearchState>{done}</tt:SearchState>{items}</tse:ResultList>",
    )


def end_search(state: RecorderState, req: etree._Element) -> str:
    token, _left = _session(state, req)
    del state.searches[token]
    return _tse("EndSearchResponse", f"<tse:Endpoint>{iso(state.now())}</tse:Endpoint>")


SEARCH_OPERATIONS: Operations = {
    "GetRecordingSummary": ("User", get_recording_summary),
    "GetRecordingInformation": ("User", get_recording_information),
    "FindRecordings": ("User", find_recordings),
    "GetRecordingSearchResults": ("User", get_recording_search_results),
    "EndSearch": ("User", end_search),
}
