"""Reading a recorder's search answer (ISAPI CMSearchResult): the files it lists, whichever
namespace the recorder wrote its elements in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from provision.drivers.recorder_recordings import _files

HIK = "http://www.hikvision.com/ver20/XMLSchema"
OTHER = "http://www.isapi.org/ver20/XMLSchema"


def _item(start: str, end: str, uri: str, ns: str | None) -> str:
    xmlns = f' xmlns="{ns}"' if ns is not None else ""
    return (
        f"<searchMatchItem{xmlns}><sourceID>{{x}}</sourceID><trackID>101</trackID>"
        f"<timeSpan><startTime>{start}</startTime><endTime>{end}</endTime></timeSpan>"
        f"<mediaSegmentDescriptor><contentType>video</contentType>"
        f"<playbackURI>{uri}</playbackURI></mediaSegmentDescriptor></searchMatchItem>"
    )


ITEMS = [
    ("2026-12-01T00:00:00Z", "2026-12-01T01:00:00Z", "rtsp://nvr/Streaming/tracks/101?size=900"),
    (" 2026-12-01T01:00:00Z\n", "2026-12-01T02:00:00", "rtsp://nvr/Streaming/tracks/101"),
    ("not a time", "2026-12-01T03:00:00Z", "rtsp://nvr/x?size=5"),  # skipped: no start
]
HOUR = 3600.0
MIDNIGHT = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
# The second file's end has no zone: UTC, as the recorder's ISAPI times are read.
EXPECTED = [(MIDNIGHT, MIDNIGHT + HOUR, 900), (MIDNIGHT + HOUR, MIDNIGHT + 2 * HOUR, None)]


@pytest.mark.parametrize(
    ("root_ns", "item_ns"),
    [(HIK, None), (None, None), (HIK, OTHER)],
    ids=["hikvision namespace", "no namespace", "items in another namespace"],
)
def test_the_files_of_a_search_answer(root_ns: str | None, item_ns: str | None) -> None:
    xmlns = f' xmlns="{root_ns}"' if root_ns else ""
    items = "".join(_item(s, e, u, item_ns) for s, e, u in ITEMS)
    answer = (
        f'<CMSearchResult version="2.0"{xmlns}><searchID>1</searchID>'
        f"<responseStatus>true</responseStatus><responseStatusStrg>OK</responseStatusStrg>"
        f"<numOfMatches>3</numOfMatches><matchList>{items}</matchList></CMSearchResult>"
    )
    assert _files(etree.fromstring(answer.encode())) == EXPECTED
