"""What a Hikvision NVR has recorded and on what disks, read over ISAPI for the recording audit.

Read-only. Per track: the oldest recording (a search from long before with one result), and
every file of the last `RECENT_DAYS` days (`POST /ISAPI/ContentMgmt/search`, paged with
`searchResultPostion` while `responseStatusStrg` says MORE), merged into the spans that have
video; the bitrate the files really hold, from the `size=` of each `playbackURI` over its
duration (the NVR's own measure of what it stored, not the camera's configured cap). The disks
from `GET /ISAPI/ContentMgmt/Storage`: status and capacity/free space in MB, which Hikvision
counts in MiB (2^20 bytes), turned into decimal TB here, and the RAID array they form, if any,
with its state (a degraded array has lost a member but none of its video). Whether each input
channel reaches its camera from `GET /ISAPI/ContentMgmt/InputProxy/channels/status` (`online`,
and `chanDetectResult` saying why not); a firmware without it (404 notSupport) says nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from provision.drivers.http import HttpError
from provision.drivers.isapi_client import IsapiSession, integer, text
from provision.errors import DeviceError
from provision.i18n import _

SEARCH = "/ISAPI/ContentMgmt/search"
CHANNEL_STATUS = "/ISAPI/ContentMgmt/InputProxy/channels/status"
STORAGE = "/ISAPI/ContentMgmt/Storage"
RECENT_DAYS = 7  # how far back gaps are looked for and drawn (our choice)
LOOKBACK_DAYS = 400  # an oldest recording is looked for this far back (our choice)
PAGE = 100
MAX_PAGES = 50  # a runaway pager stops here and says so
MIB = 1 << 20
_SIZE = re.compile(r"[?&]size=(\d+)")


def isapi_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _search_body(track: int, start: float, end: float, wanted: int, position: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><CMSearchDescription version="2.0" '
        'xmlns="http://www.hikvision.com/ver20/XMLSchema">'
        f"<searchID>{uuid.uuid4()}</searchID><trackIDList><trackID>{track}</trackID>"
        f"</trackIDList><timeSpanList><timeSpan><startTime>{isapi_time(start)}</startTime>"
        f"<endTime>{isapi_time(end)}</endTime></timeSpan></timeSpanList>"
        f"<maxResults>{wanted}</maxResults><searchResultPostion>{position}"
        "</searchResultPostion><metadataList><metadataDescriptor>//recordType.meta.std-cgi.com"
        "</metadataDescriptor></metadataList></CMSearchDescription>"
    ).encode()


def _files(result: etree._Element) -> list[tuple[float, float, int | None]]:
    """(start, end, bytes or None) of each file a search answer lists.

    A recorder answers a month of a track in hundreds of items: the paths are looked up in
    the answer's own namespace, where its items are (lxml's `{*}` wildcard compares every
    child's name and was a tenth of an audit's CPU, bench/city.py), and in any namespace
    only for an answer that mixes them."""
    ns = etree.QName(result).namespace
    named = [f"{{{ns}}}{tag}" if ns else tag for tag in ("startTime", "endTime", "playbackURI")]
    items = list(result.iter(f"{{{ns}}}searchMatchItem" if ns else "searchMatchItem"))
    if not items:
        items = list(result.iterfind(".//{*}searchMatchItem"))
    out = []
    for item in items:
        found: list[str | None] = [None, None, None]
        for element in item.iter(*named):  # one walk of the item, in C
            if element.text is not None:
                found[named.index(element.tag)] = element.text.strip()
        if None in found[:2]:  # not in the answer's namespace: look in any
            found = [
                text(item, "timeSpan", "startTime"),
                text(item, "timeSpan", "endTime"),
                text(item, "mediaSegmentDescriptor", "playbackURI"),
            ]
        start, end = _epoch(found[0]), _epoch(found[1])
        size = _SIZE.search(found[2] or "")
        if start is not None and end is not None:
            out.append((start, end, int(size[1]) if size else None))
    return out


def search_files(
    isapi: IsapiSession, track: int, start: float, end: float, limit: int | None = None
) -> list[tuple[float, float, int | None]]:
    """(start, end, bytes or None) of every file of `track` in [start, end), oldest first."""
    files: list[tuple[float, float, int | None]] = []
    for _page in range(MAX_PAGES):
        wanted = PAGE if limit is None else min(PAGE, limit - len(files))
        body = _search_body(track, start, end, wanted, len(files))
        result = isapi.post_xml(
            SEARCH, body, _("search recordings of track {track}").format(track=track)
        )
        page = _files(result)
        files += page
        more = (text(result, "responseStatusStrg") or "").upper() == "MORE"
        if not more or not page or (limit is not None and len(files) >= limit):
            return files
    raise DeviceError(
        _("track {track}: the NVR still answered MORE after {pages} pages").format(
            track=track, pages=MAX_PAGES
        )
    )


def _merged(files: list[tuple[float, float, int | None]]) -> list[list[float]]:
    spans: list[list[float]] = []
    for start, end, _size in sorted(files):
        if spans and start <= spans[-1][1] + 1:  # back-to-back files are one recording
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return spans


def track_facts(isapi: IsapiSession, track: int, now: float) -> dict[str, Any]:
    """oldest/newest (epoch or None), the recent spans, and the bitrate the files hold."""
    first = search_files(isapi, track, now - LOOKBACK_DAYS * 86400, now, limit=1)
    recent = search_files(isapi, track, now - RECENT_DAYS * 86400, now)
    sized = [(e - s, b) for s, e, b in recent if b is not None and e > s]
    seconds = sum(d for d, _ in sized)
    return {
        "track": track,
        "oldest": first[0][0] if first else None,
        "newest": max((e for _, e, _ in recent), default=None),
        "recent_spans": _merged(recent),
        "recorded_kbps": round(sum(b for _, b in sized) * 8 / seconds / 1000) if seconds else None,
    }


def disks(storage: etree._Element) -> list[dict[str, Any]]:
    """Each disk: id, status as the NVR says it, capacity and free space in decimal TB."""
    out = []
    for hdd in storage.iterfind(".//{*}hddList/{*}hdd"):
        capacity, free = integer(hdd, "capacity") or 0, integer(hdd, "freeSpace") or 0
        out.append(
            {
                "id": text(hdd, "id"),
                "status": text(hdd, "status") or "unknown",
                "capacity_tb": round(capacity * MIB / 1e12, 3),
                "free_tb": round(free * MIB / 1e12, 3),
            }
        )
    return out


def channel_links(isapi: IsapiSession) -> dict[int, dict[str, Any]]:
    """channel id → {"online": bool, "detect": chanDetectResult}; {} where not offered."""
    try:
        answer = isapi.get(CHANNEL_STATUS, _("read input channel status"))
    except HttpError as exc:
        if exc.status in (403, 404):  # an older firmware: the channels' state is not told
            return {}
        raise
    out = {}
    for item in answer.iterfind("{*}InputProxyChannelStatus"):
        cid = integer(item, "id")
        if cid is not None:
            online = (text(item, "online") or "").strip().lower() == "true"
            out[cid] = {"online": online, "detect": text(item, "chanDetectResult")}
    return out


def arrays(storage: etree._Element) -> list[dict[str, Any]]:
    """Each RAID array the disks form: id, level, state ("Functional", "Degraded",
    "Offline"), capacity in decimal TB and the failed members; [] for disks used one by one."""
    out = []
    for raid in storage.iterfind(".//{*}raidList/{*}raid"):
        out.append(
            {
                "id": text(raid, "id"),
                "level": text(raid, "raidLevel"),
                "status": text(raid, "status") or "unknown",
                "capacity_tb": round((integer(raid, "capacity") or 0) * MIB / 1e12, 3),
                "failed": [e.text for e in raid.iterfind("{*}failedList/{*}hddID") if e.text],
            }
        )
    return out
