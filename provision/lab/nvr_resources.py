"""The ISAPI resources a simulated Hikvision NVR serves: XML documents in, XML out.

Paths and documents follow Hikvision's "Intelligent Security API" developer guide, chapter 15
"Request URL" (15.2.7-15.2.8 /ISAPI/ContentMgmt/InputProxy/channels[/<ID>]: GET the list,
PUT an `InputProxyChannelList` to set several channels at once (Table 15-9, "Set parameters
of all digital channels"), POST an `InputProxyChannel` to add one (Table 15-10), GET/PUT/DELETE
one; GET .../channels/status, each channel online or not, see nvr_links.py; 15.2.36
/ISAPI/ContentMgmt/record/tracks: GET the `TrackList`, PUT a `TrackList` to set several
schedules at once (Table 15-52, "Set all recording schedules"); 15.2.39 POST
/ISAPI/ContentMgmt/record/tracks/<ID>/dailyDistribution with `trackDailyParam` answering
`trackDailyDistribution`; 15.2.40 GET or POST /ISAPI/ContentMgmt/search with
`CMSearchDescription` answering `CMSearchResult`) and the field names integrators' clients
read and write (`sourceInputPortDescriptor` proxyProtocol/ipAddress/managePortNo/userName/
password/streamType; a track's `TrackSchedule/ScheduleBlockList/ScheduleBlock` of
`ScheduleAction`s with `ActionRecordingMode` CMR | MOTION and the custom extension's
`enableSchedule`; `searchResultPostion`, Hikvision's own spelling, with the corrected
`searchResultPosition` also taken; `responseStatusStrg` OK | MORE | NO MATCHES; the storage's
`hddList/hdd` id, hddName, status ok | error, capacity and freeSpace in MB, which real units
count in MiB). Refusals are the camera's: ResponseStatus with statusCode 4 notSupport (404),
5 badXmlFormat or 6 badParameters (400); nothing changes on a refusal.

The list PUTs (the Hik-Partner Pro OpenAPI guide V2.14.0 lists them too: "Get or set all digital
channels: PUT /ISAPI/ContentMgmt/InputProxy/channels", with XML_InputProxyChannelList in its
appendix A.5.18 as a list of `InputProxyChannel`) take each entry by the rules of the one-item
write and are all or nothing: one bad entry refuses the whole list. Lab choices where the guide
is silent: a list naming a channel or track the NVR does not have is refused (badParameters:
channels are added by POST, one at a time, as the guide's "Add a digital channel" says), so
is a list naming one twice or none at all; what the list leaves out is left as it is (provision
always sends every channel or track the NVR holds, so it relies on neither reading).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape as x

from lxml import etree

from provision.lab.isapi_resources import READ, WRITE, IsapiError, bad_value, parse
from provision.lab.nvr_state import (
    DAYS,
    PROXY_PROTOCOLS,
    RECORD_MODES,
    STREAM_TYPES,
    InputChannel,
    NvrState,
    ScheduleAction,
    Track,
)

NS = "http://www.hikvision.com/ver20/XMLSchema"
STATUS_PATH = "/ISAPI/ContentMgmt/InputProxy/channels/status"
MAX_RESULTS = 100  # matches per search page (lab choice; clients page with the position)
_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})$")
NvrHandler = Callable[[NvrState, re.Match[str], bytes], "bytes | None"]


def _doc(root: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} version="2.0" xmlns="{NS}">\n'
        f"{body}\n</{root}>\n"
    ).encode()


def _text(element: etree._Element, path: str, default: str | None = None) -> str:
    found = element.find("/".join(f"{{*}}{p}" for p in path.split("/")))
    if found is None or found.text is None or not found.text.strip():
        if default is None:
            raise bad_value(f"{path} is missing")
        return default
    return found.text.strip()


def _int(element: etree._Element, path: str, default: int | None = None) -> int:
    value = _text(element, path, None if default is None else str(default))
    if not value.lstrip("-").isdigit():
        raise bad_value(f"{path} {value!r} is not a number")
    return int(value)


def isapi_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(text: str) -> float:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_value(f"time {text!r} is not YYYY-MM-DDTHH:MM:SSZ") from None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


# --- system -----------------------------------------------------------------------------------


def get_device_info(state: NvrState, _m: re.Match[str], _body: bytes) -> bytes:
    ident = state.identity
    return _doc(
        "DeviceInfo",
        f"<deviceName>{x(state.device_name)}</deviceName><deviceID>{x(ident.serial)}</deviceID>"
        f"<model>{x(ident.model)}</model><serialNumber>{x(ident.serial)}</serialNumber>"
        f"<macAddress>{ident.mac}</macAddress><firmwareVersion>{x(ident.firmware)}"
        f"</firmwareVersion><firmwareReleasedDate>{x(ident.firmware_date)}"
        "</firmwareReleasedDate><deviceType>NVR</deviceType>"
        f"<manufacturer>Hikvision</manufacturer><analogChannelNum>0</analogChannelNum>"
        f"<digitalChannelNum>{state.max_channels}</digitalChannelNum>",
    )


def get_status(state: NvrState, _m: re.Match[str], _body: bytes) -> bytes:
    """What clients probe a login with (hikvisionapi's Client GETs it first)."""
    now = datetime.fromtimestamp(state.now(), UTC).isoformat(timespec="seconds")
    return _doc(
        "DeviceStatus",
        f"<currentDeviceTime>{now}</currentDeviceTime><deviceUpTime>86400</deviceUpTime>",
    )


# --- input channels ---------------------------------------------------------------------------


def _channel_xml(c: InputChannel) -> str:
    return (
        f"<id>{c.id}</id><name>{x(c.name)}</name>"
        f"<sourceInputPortDescriptor><proxyProtocol>{c.protocol}</proxyProtocol>"
        f"<addressingFormatType>ipaddress</addressingFormatType><ipAddress>{x(c.address)}"
        f"</ipAddress><managePortNo>{c.port}</managePortNo><srcInputPort>1</srcInputPort>"
        f"<userName>{x(c.username)}</userName><streamType>{c.stream}</streamType>"
        "</sourceInputPortDescriptor><enableAnr>false</enableAnr>"
    )


def get_channels(state: NvrState, _m: re.Match[str], _body: bytes) -> bytes:
    body = "".join(
        f"<InputProxyChannel>{_channel_xml(state.channels[i])}</InputProxyChannel>"
        for i in sorted(state.channels)
    )
    return _doc("InputProxyChannelList", body)


def get_channels_status(state: NvrState, _m: re.Match[str], _body: bytes) -> bytes:
    """Each channel online or not, and why (nvr_links.py: the probes behind it)."""
    items = []
    for i in sorted(state.channels):
        c, link = state.channels[i], state.link(i)
        items.append(
            f'<InputProxyChannelStatus version="2.0"><id>{c.id}</id><sourceInputPortDescriptor>'
            f"<proxyProtocol>{c.protocol}</proxyProtocol><addressingFormatType>ipaddress"
            f"</addressingFormatType><ipAddress>{x(c.address)}</ipAddress><managePortNo>"
            f"{c.port}</managePortNo><srcInputPort>1</srcInputPort></sourceInputPortDescriptor>"
            f"<online>{'true' if link.online else 'false'}</online><chanDetectResult>"
            f"{link.detect}</chanDetectResult></InputProxyChannelStatus>"
        )
    return _doc("InputProxyChannelStatusList", "".join(items))


def _channel_of(state: NvrState, m: re.Match[str]) -> InputChannel:
    channel = state.channels.get(int(m["id"]))
    if channel is None:
        raise IsapiError(404, 4, "notSupport", "Invalid Operation: no such channel")
    return channel


def get_channel(state: NvrState, m: re.Match[str], _body: bytes) -> bytes:
    return _doc("InputProxyChannel", _channel_xml(_channel_of(state, m)))


def _parse_channel(body: bytes, previous: InputChannel | None) -> InputChannel:
    return _channel_from(parse(body, "InputProxyChannel"), previous)


def _channel_from(doc: etree._Element, previous: InputChannel | None) -> InputChannel:
    src = "sourceInputPortDescriptor"
    protocol = _text(doc, f"{src}/proxyProtocol")
    if protocol not in PROXY_PROTOCOLS:
        raise bad_value(f"proxyProtocol {protocol!r} (supported: {', '.join(PROXY_PROTOCOLS)})")
    stream = _text(doc, f"{src}/streamType", "main")
    if stream not in STREAM_TYPES:
        raise bad_value(f"streamType {stream!r}")
    port = _int(doc, f"{src}/managePortNo", 8000 if protocol == "HIKVISION" else 80)
    if not 1 <= port <= 65535:
        raise bad_value(f"managePortNo {port}")
    password = _text(doc, f"{src}/password", previous.password if previous else "")
    if not password:
        raise bad_value("password is missing: a channel needs the camera's password")
    return InputChannel(
        id=_int(doc, "id"),
        name=_text(doc, "name", f"IPCamera {_int(doc, 'id'):02d}")[:32],
        protocol=protocol,
        address=_text(doc, f"{src}/ipAddress"),
        port=port,
        username=_text(doc, f"{src}/userName"),
        password=password,
        stream=stream,
    )


def post_channel(state: NvrState, _m: re.Match[str], body: bytes) -> None:
    channel = _parse_channel(body, None)
    if not 1 <= channel.id <= state.max_channels:
        raise bad_value(f"channel id {channel.id} (this NVR has 1-{state.max_channels})")
    if channel.id in state.channels:
        raise bad_value(f"channel {channel.id} exists; PUT it to change it")
    if any(c.address == channel.address for c in state.channels.values()):
        raise bad_value(f"a channel already records {channel.address}")
    state.channels[channel.id] = channel
    state.tracks[channel.id * 100 + 1] = Track(channel.id * 100 + 1)


def put_channel(state: NvrState, m: re.Match[str], body: bytes) -> None:
    previous = _channel_of(state, m)
    channel = _parse_channel(body, previous)
    if channel.id != previous.id:
        raise bad_value(f"id {channel.id} in a PUT to channel {previous.id}")
    state.channels[channel.id] = channel


def put_channels(state: NvrState, _m: re.Match[str], body: bytes) -> None:
    """Set every channel of an `InputProxyChannelList`, all or nothing (module docstring)."""
    entries = parse(body, "InputProxyChannelList").findall("{*}InputProxyChannel")
    if not entries:
        raise bad_value("the InputProxyChannelList holds no InputProxyChannel")
    staged: dict[int, InputChannel] = {}
    for entry in entries:
        cid = _int(entry, "id")
        previous = state.channels.get(cid)
        if previous is None:
            raise bad_value(f"channel {cid} does not exist; POST it to add it")
        if cid in staged:
            raise bad_value(f"channel {cid} is in the list twice")
        staged[cid] = _channel_from(entry, previous)
    held = {**state.channels, **staged}
    addresses = [c.address for c in held.values()]
    if len(set(addresses)) != len(addresses):
        raise bad_value("two channels would record the same address")
    state.channels.update(staged)


def delete_channel(state: NvrState, m: re.Match[str], _body: bytes) -> None:
    channel = _channel_of(state, m)
    del state.channels[channel.id]
    state.tracks.pop(channel.id * 100 + 1, None)


# --- tracks and schedules ---------------------------------------------------------------------


def _track_of(state: NvrState, m: re.Match[str]) -> Track:
    track = state.track(int(m["id"]))
    if track is None:
        raise IsapiError(404, 4, "notSupport", "Invalid Operation: no such track")
    return track


def _track_xml(track: Track) -> str:
    actions = "".join(
        f"<ScheduleAction><id>{i}</id><ScheduleActionStartTime><DayOfWeek>{a.day}</DayOfWeek>"
        f"<TimeOfDay>{a.start}</TimeOfDay></ScheduleActionStartTime><ScheduleActionEndTime>"
        f"<DayOfWeek>{a.day}</DayOfWeek><TimeOfDay>{a.end}</TimeOfDay></ScheduleActionEndTime>"
        "<ScheduleDSTEnable>false</ScheduleDSTEnable><Description>nothing</Description>"
        "<Actions><Record>true</Record><ActionRecordingMode>"
        f"{a.mode}</ActionRecordingMode></Actions></ScheduleAction>"
        for i, a in enumerate(track.actions, 1)
    )
    return (
        f"<id>{track.id}</id><Channel>{track.channel}</Channel><Enable>true</Enable>"
        "<Description>trackType=standard,trackType=video,codecType=H.265-BP,resolution=,"
        "framerate=,rotation=,ROI=,watermark=</Description><DefaultRecordingMode>CMR"
        "</DefaultRecordingMode><LoopEnable>true</LoopEnable><TrackSchedule><ScheduleBlockList>"
        f'<ScheduleBlock ScheduleActionSize="{len(track.actions)}"><ScheduleBlockGUID>'
        "{00000000-0000-0000-0000-000000000000}</ScheduleBlockGUID><ScheduleBlockType>"
        f"www.std-cgi.com/racm/schedule/ver10</ScheduleBlockType>{actions}</ScheduleBlock>"
        "</ScheduleBlockList></TrackSchedule><CustomExtensionList><CustomExtension>"
        "<CustomExtensionName>www.std-cgi.com/racm/trackCustomExtension/ver10"
        "</CustomExtensionName><enableSchedule>"
        f"{'true' if track.schedule_enabled else 'false'}</enableSchedule><SaveAudio>false"
        "</SaveAudio><PreRecordTimeSeconds>5</PreRecordTimeSeconds><PostRecordTimeSeconds>5"
        "</PostRecordTimeSeconds></CustomExtension></CustomExtensionList>"
    )


def get_tracks(state: NvrState, _m: re.Match[str], _body: bytes) -> bytes:
    tracks = (state.track(c * 100 + 1) for c in sorted(state.channels))
    return _doc("TrackList", "".join(f"<Track>{_track_xml(t)}</Track>" for t in tracks if t))


def get_track(state: NvrState, m: re.Match[str], _body: bytes) -> bytes:
    return _doc("Track", _track_xml(_track_of(state, m)))


def _seconds(text: str) -> int:
    found = _TIME.match(text)
    if found is None or int(found[2]) > 59 or int(found[3]) > 59:
        raise bad_value(f"TimeOfDay {text!r} is not HH:MM:SS")
    total = int(found[1]) * 3600 + int(found[2]) * 60 + int(found[3])
    if total > 86400:
        raise bad_value(f"TimeOfDay {text!r} is past 24:00:00")
    return total


def _parse_action(action: etree._Element) -> ScheduleAction:
    day = _text(action, "ScheduleActionStartTime/DayOfWeek")
    if day not in DAYS or _text(action, "ScheduleActionEndTime/DayOfWeek", day) != day:
        raise bad_value(f"DayOfWeek {day!r} (an action starts and ends on one of {DAYS})")
    start = _text(action, "ScheduleActionStartTime/TimeOfDay")
    end = _text(action, "ScheduleActionEndTime/TimeOfDay")
    if _seconds(start) >= _seconds(end):
        raise bad_value(f"{day} {start}-{end} ends before it starts")
    mode = _text(action, "Actions/ActionRecordingMode", "CMR")
    if mode not in RECORD_MODES:
        raise bad_value(f"ActionRecordingMode {mode!r} (supported: {', '.join(RECORD_MODES)})")
    return ScheduleAction(day, start, end, mode)


def _schedule_of(doc: etree._Element) -> tuple[list[ScheduleAction], bool | None]:
    """A track document's actions and enableSchedule (None: not given, left as it is)."""
    actions = [_parse_action(a) for a in doc.iterfind(".//{*}ScheduleAction")]
    if len(actions) > 8 * len(DAYS):
        raise bad_value("more than 8 schedule actions a day")
    enabled = doc.find(".//{*}enableSchedule")
    return actions, None if enabled is None else (enabled.text or "").strip() == "true"


def _set_schedule(track: Track, schedule: tuple[list[ScheduleAction], bool | None]) -> None:
    track.actions, enabled = schedule
    if enabled is not None:
        track.schedule_enabled = enabled


def put_track(state: NvrState, m: re.Match[str], body: bytes) -> None:
    track = _track_of(state, m)
    _set_schedule(track, _schedule_of(parse(body, "Track")))


def put_tracks(state: NvrState, _m: re.Match[str], body: bytes) -> None:
    """Set the schedule of every track of a `TrackList`, all or nothing (module docstring)."""
    entries = parse(body, "TrackList").findall("{*}Track")
    if not entries:
        raise bad_value("the TrackList holds no Track")
    staged: dict[int, tuple[Track, tuple[list[ScheduleAction], bool | None]]] = {}
    for entry in entries:
        tid = _int(entry, "id")
        track = state.track(tid)
        if track is None:
            raise bad_value(f"track {tid} does not exist")
        if tid in staged:
            raise bad_value(f"track {tid} is in the list twice")
        staged[tid] = (track, _schedule_of(entry))
    for track, schedule in staged.values():
        _set_schedule(track, schedule)


# --- recordings -------------------------------------------------------------------------------


def _record_type(state: NvrState, start: float) -> str:
    motion = state.faults.schedule_motion_only and start >= state.now() - 7 * 86400
    return "motion" if motion else "timing"


def search(state: NvrState, _m: re.Match[str], body: bytes) -> bytes:
    doc = parse(body, "CMSearchDescription")
    search_id = _text(doc, "searchID", "")
    tracks = [int(t.text) for t in doc.iterfind(".//{*}trackID") if (t.text or "").isdigit()]
    if not tracks:
        raise bad_value("trackIDList names no track")
    window = (
        _epoch(_text(doc, "timeSpanList/timeSpan/startTime")),
        _epoch(_text(doc, "timeSpanList/timeSpan/endTime")),
    )
    if window[1] <= window[0]:
        raise bad_value("endTime is not after startTime")
    wanted = max(1, min(MAX_RESULTS, _int(doc, "maxResults", 40)))
    position = _int(doc, "searchResultPostion", _int(doc, "searchResultPosition", 0))
    cond, now = state.conditions(), state.now()
    matches: list[str] = []
    found = 0
    for track in tracks:
        for (start, end), size in state.index.segments(track // 100, cond, now, window):
            found += 1
            if position < found <= position + wanted:
                matches.append(_match(state, track, start, end, size))
    status = "NO MATCHES" if not matches else ("MORE" if found > position + wanted else "OK")
    return _doc(
        "CMSearchResult",
        f"<searchID>{x(search_id)}</searchID><responseStatus>true</responseStatus>"
        f"<responseStatusStrg>{status}</responseStatusStrg><numOfMatches>{len(matches)}"
        f"</numOfMatches><matchList>{''.join(matches)}</matchList>",
    )


def _match(state: NvrState, track: int, start: float, end: float, size: int) -> str:
    stamp = lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    uri = (
        f"rtsp://{x(state.host)}/Streaming/tracks/{track}/?starttime={stamp(start)}"
        f"&amp;endtime={stamp(end)}&amp;name=ch{track // 100:02d}_{int(start)}&amp;size={size}"
    )
    return (
        "<searchMatchItem><sourceID>{00000000-0000-0000-0000-000000000000}</sourceID>"
        f"<trackID>{track}</trackID><timeSpan><startTime>{isapi_time(start)}</startTime>"
        f"<endTime>{isapi_time(end)}</endTime></timeSpan><mediaSegmentDescriptor>"
        "<contentType>video</contentType><codecType>H.265-BP</codecType>"
        f"<playbackURI>{uri}</playbackURI></mediaSegmentDescriptor><metadataMatches>"
        f"<metadataDescriptor>recordType.meta.hikvision.com/{_record_type(state, start)}"
        "</metadataDescriptor></metadataMatches></searchMatchItem>"
    )


def daily_distribution(state: NvrState, m: re.Match[str], body: bytes) -> bytes:
    if state.track(int(m["id"])) is None:
        raise IsapiError(404, 4, "notSupport", "Invalid Operation: no such track")
    doc = parse(body, "trackDailyParam")
    year, month = _int(doc, "year"), _int(doc, "monthOfYear")
    if not (1970 <= year <= 2100 and 1 <= month <= 12):
        raise bad_value(f"year {year} month {month}")
    first = datetime(year, month, 1, tzinfo=UTC)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    spans = state.index.spans(int(m["id"]) // 100, state.conditions(), state.now())
    days = []
    for day in range(1, (following - first).days + 1):
        begin = first.timestamp() + (day - 1) * 86400
        recorded = any(s < begin + 86400 and e > begin for s, e in spans)
        days.append(
            f"<day><id>{day}</id><dayOfMonth>{day}</dayOfMonth><record>"
            f"{'true' if recorded else 'false'}</record><recordType>time</recordType></day>"
        )
    return _doc("trackDailyDistribution", f"<dayList>{''.join(days)}</dayList>")


# --- storage ----------------------------------------------------------------------------------

MIB = 1 << 20


def storage(state: NvrState, _m: re.Match[str], _body: bytes) -> bytes:
    cond, index = state.conditions(), state.index
    used = index.used_bytes(cond, state.now())
    disks = []
    for i, raw in enumerate(index.disks_bytes, 1):
        failed = i in cond.failed_disks
        usable = 0.0 if failed else raw * index.usable_fraction
        taken = min(usable, used)
        used -= taken
        disks.append(
            f"<hdd><id>{i}</id><hddName>hdd{i}</hddName><hddPath></hddPath><hddType>SATA"
            f"</hddType><status>{'error' if failed else 'ok'}</status><capacity>"
            f"{int(raw // MIB)}</capacity><freeSpace>{int((usable - taken) // MIB)}</freeSpace>"
            "<property>RW</property></hdd>"
        )
    return _doc(
        "storage",
        f'<hddList size="{len(disks)}">{"".join(disks)}</hddList><nasList size="0"/>'
        f"<workMode>{'raid' if state.raid_level != 'none' else 'group'}</workMode>" + _array(state),
    )


def _array(state: NvrState) -> str:
    """The disks' array, when they form one: its level and state as the NVR's RAID > Array
    page shows it ("Functional", "Degraded" with members lost but nothing it holds, "Offline"
    once more have failed than the level survives). Lab choice of element names: the ISAPI
    guide we follow does not cover the RAID resources."""
    if state.raid_level == "none":
        return ""
    cond, index = state.conditions(), state.index
    failed = sorted(cond.failed_disks)
    status = "Functional" if not failed else ("Degraded" if index.degraded(cond) else "Offline")
    members = "".join(f"<hddID>{i}</hddID>" for i in range(1, len(index.disks_bytes) + 1))
    return (
        f'<raidList size="1"><raid><id>1</id><raidLevel>{state.raid_level}</raidLevel>'
        f"<status>{status}</status><capacity>{int(index.pool_bytes(cond) // MIB)}</capacity>"
        f"<memberList>{members}</memberList><failedList>"
        + "".join(f"<hddID>{i}</hddID>" for i in failed)
        + "</failedList></raid></raidList>"
    )


@dataclass(frozen=True, slots=True)
class NvrRoute:
    pattern: re.Pattern[str]
    methods: dict[str, tuple[str, NvrHandler]]  # method → (level needed, handler)


def _route(path: str, **methods: tuple[str, Any]) -> NvrRoute:
    return NvrRoute(re.compile(f"^{path}$", re.IGNORECASE), methods)


NVR_ROUTES = (
    _route("/ISAPI/System/status", GET=(READ, get_status)),
    _route("/ISAPI/System/deviceInfo", GET=(READ, get_device_info)),
    _route(
        "/ISAPI/ContentMgmt/InputProxy/channels",
        GET=(READ, get_channels),
        PUT=(WRITE, put_channels),
        POST=(WRITE, post_channel),
    ),
    _route(STATUS_PATH, GET=(READ, get_channels_status)),
    _route(
        r"/ISAPI/ContentMgmt/InputProxy/channels/(?P<id>\d+)",
        GET=(READ, get_channel),
        PUT=(WRITE, put_channel),
        DELETE=(WRITE, delete_channel),
    ),
    _route("/ISAPI/ContentMgmt/record/tracks", GET=(READ, get_tracks), PUT=(WRITE, put_tracks)),
    _route(
        r"/ISAPI/ContentMgmt/record/tracks/(?P<id>\d+)",
        GET=(READ, get_track),
        PUT=(WRITE, put_track),
    ),
    _route(
        r"/ISAPI/ContentMgmt/record/tracks/(?P<id>\d+)/dailyDistribution",
        POST=(READ, daily_distribution),
    ),
    _route("/ISAPI/ContentMgmt/search", GET=(READ, search), POST=(READ, search)),
    _route("/ISAPI/ContentMgmt/Storage", GET=(READ, storage)),
)
