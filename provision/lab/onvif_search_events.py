"""The simulated recorder's recording history events: FindEvents and GetEventSearchResults of
the ONVIF Recording Search service (tse, ver10).

As the Recording Search Specification gives them (github.com/onvif/specs doc/RecordingSearch.xml,
release 26.06, sections FindEvents, GetEventSearchResults and "Recording Event Descriptions"):
the recorder keeps `tns1:RecordingHistory/Track/State` events, IsDataPresent true where a
track's data begins and false where it ends, for the video track of each recording, at the
times of the recording index's spans (lab/nvr_history.py). A search runs forward from
StartPoint to EndPoint (backwards when EndPoint is earlier), over the recordings of its scope;
with IncludeStartState a virtual event (StartStateEvent true) gives each track's state at the
start point. Results come in time order, in pages of MaxResults while SearchState is Searching,
then Completed, which ends the session. A SearchFilter whose TopicExpression names another
topic finds nothing (these are the only events the lab records); an unknown search token
answers env:Sender/ter:InvalidArgVal/ter:InvalidToken.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from provision.lab.onvif_recorder_state import Operations, RecorderState
from provision.lab.onvif_search import NS_TSE, iso, next_page
from provision.lab.onvif_soap import child, children, invalid_arg, sender_fault, text, x

NS_WSNT = "http://docs.oasis-open.org/wsn/b-2"
NS_TNS1 = "http://www.onvif.org/ver10/topics"
DIALECT = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
TOPIC = "tns1:RecordingHistory/Track/State"
TRACK = "VIDEO001"


def _epoch(value: str | None, field: str) -> float:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise sender_fault("InvalidArgVal", reason=f"{field} {value!r} is not a dateTime") from None


def _result(recording: str, at: float, present: bool, start_state: bool) -> str:
    value = "true" if present else "false"
    operation = "Initialized" if start_state else "Changed"
    return (
        f"<tt:Result><tt:RecordingToken>{x(recording)}</tt:RecordingToken><tt:TrackToken>{TRACK}"
        f"</tt:TrackToken><tt:Time>{iso(at)}</tt:Time><tt:Event>"
        f'<wsnt:Topic Dialect="{DIALECT}">{TOPIC}</wsnt:Topic><wsnt:Message>'
        f'<tt:Message UtcTime="{iso(at)}" PropertyOperation="{operation}"><tt:Source>'
        f'<tt:SimpleItem Name="RecordingToken" Value="{x(recording)}"/>'
        f'<tt:SimpleItem Name="Track" Value="{TRACK}"/></tt:Source><tt:Data>'
        f'<tt:SimpleItem Name="IsDataPresent" Value="{value}"/></tt:Data></tt:Message>'
        f"</wsnt:Message></tt:Event><tt:StartStateEvent>{'true' if start_state else 'false'}"
        "</tt:StartStateEvent></tt:Result>"
    )


def _events(
    state: RecorderState, token: str, window: tuple[float, float], with_start: bool
) -> list[tuple[float, str]]:
    """(time, Result) of the recording's track-state changes inside `window`."""
    low, high = window
    spans, now = state.spans(state.recordings[token]), state.now()
    out = []
    if with_start:
        present = any(s <= low < e for s, e in spans)
        out.append((low, _result(token, low, present, start_state=True)))
    for start, end in spans:
        if low < start <= high:
            out.append((start, _result(token, start, True, start_state=False)))
        if low < end <= high and end < now:  # a span ending now is still recording
            out.append((end, _result(token, end, False, start_state=False)))
    return out


def _wanted_topic(req: etree._Element) -> bool:
    topic = text(child(req, "SearchFilter"), "TopicExpression")
    return not topic or "RecordingHistory" in topic


def find_events(state: RecorderState, req: etree._Element) -> str:
    start = _epoch(text(req, "StartPoint"), "StartPoint")
    end_text = text(req, "EndPoint")
    end = _epoch(end_text, "EndPoint") if end_text else state.now()
    scope = child(req, "Scope")
    wanted = [(el.text or "").strip() for el in children(scope, "IncludedRecordings")]
    unknown = [t for t in wanted if t not in state.recordings]
    if unknown:
        raise invalid_arg("InvalidToken", reason=f"no recording {unknown[0]!r}")
    window = (min(start, end), max(start, end))
    with_start = (text(req, "IncludeStartState") or "").lower() in ("true", "1")
    found: list[tuple[float, str]] = []
    if _wanted_topic(req):
        for token in wanted or list(state.recordings):
            found += _events(state, token, window, with_start)
    found.sort(key=lambda e: e[0], reverse=end < start)
    limit = text(req, "MaxMatches")
    results = [r for _t, r in found][: int(limit) if limit else None]
    token = state.token("EVENTS")
    state.event_searches[token] = results
    return (
        f'<tse:FindEventsResponse xmlns:tse="{NS_TSE}"><tse:SearchToken>{token}'
        "</tse:SearchToken></tse:FindEventsResponse>"
    )


def get_event_search_results(state: RecorderState, req: etree._Element) -> str:
    page, rest = next_page(state.event_searches, req)
    done = "Searching" if rest else "Completed"
    return (
        f'<tse:GetEventSearchResultsResponse xmlns:tse="{NS_TSE}" xmlns:wsnt="{NS_WSNT}"'
        f' xmlns:tns1="{NS_TNS1}"><tse:ResultList><tt:SearchState>{done}</tt:SearchState>'
        f"{''.join(page)}</tse:ResultList></tse:GetEventSearchResultsResponse>"
    )


EVENT_SEARCH_OPERATIONS: Operations = {
    "FindEvents": ("User", find_events),
    "GetEventSearchResults": ("User", get_event_search_results),
}
