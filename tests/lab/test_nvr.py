"""The lab Hikvision NVR over the wire, with requests' own Digest client: input channels,
track schedules, the recording search and daily distribution, the storage report, the
refusals a real NVR gives and the four recording faults. One NVR per module on a frozen
clock; each test puts back what it changes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from labsupport import LabLoop
from lxml import etree
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from provision.lab.faults import Faults
from provision.lab.http_digest import parse_authorization
from provision.lab.nvr import IsapiNvr
from provision.lab.nvr_history import DISK_FULL_DAYS

PASSWORD = "SENTINEL-lab-nvr-51b2"
CAMERA_PASSWORD = "SENTINEL-camera-on-nvr-77aa"
NOW = datetime(2026, 12, 6, 4, 30, tzinfo=UTC).timestamp()
DAY = 86400
# Three cameras at 4 Mbit/s on 2 × 4 TB: 129.6 GB a day, the disks hold 61.7 days, so the
# 40-day history is all there; a 1 TB NVR would have overwritten all but 7.7 days.
BITRATES = {1: 4096, 2: 4096, 3: 4096}


def _channel(cid: int, address: str, password: str | None = CAMERA_PASSWORD) -> bytes:
    secret = f"<password>{password}</password>" if password else ""
    return (
        '<InputProxyChannel version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">'
        f"<id>{cid}</id><name>cam-{cid}</name><sourceInputPortDescriptor>"
        "<proxyProtocol>HIKVISION</proxyProtocol><addressingFormatType>ipaddress"
        f"</addressingFormatType><ipAddress>{address}</ipAddress><managePortNo>8000"
        f"</managePortNo><userName>admin</userName>{secret}<streamType>main</streamType>"
        "</sourceInputPortDescriptor></InputProxyChannel>"
    ).encode()


@pytest.fixture(scope="module")
def lab_loop() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def nvr(lab_loop: LabLoop) -> Iterator[IsapiNvr]:
    loop = lab_loop
    sim = IsapiNvr(
        "lab/nvr",
        "127.0.0.1",
        faults=Faults(),
        bitrates_kbps=BITRATES,
        disks_tb=(4.0, 4.0),
        http_port=0,
        admin=("admin", PASSWORD),
        now=NOW,
    )
    sim.settings.clock = lambda: NOW
    loop.run(sim.start())
    for cid in BITRATES:
        assert call(
            sim, "POST", "/ISAPI/ContentMgmt/InputProxy/channels", _channel(cid, f"10.0.0.{cid}")
        ).ok
    yield sim
    loop.run(sim.stop())


def call(
    nvr: IsapiNvr, method: str, path: str, body: bytes = b"", password: str = PASSWORD
) -> requests.Response:
    return requests.request(
        method,
        f"http://127.0.0.1:{nvr.endpoints()['http']}{path}",
        data=body,
        auth=HTTPDigestAuth("admin", password),
        timeout=5,
    )


def xml(resp: requests.Response) -> etree._Element:
    assert resp.status_code == 200, resp.text
    return etree.fromstring(resp.content)


def texts(root: etree._Element, tag: str) -> list[str]:
    return [e.text or "" for e in root.iter(f"{{*}}{tag}")]


def search(
    nvr: IsapiNvr, track: int, start: float, end: float, position: int = 0
) -> etree._Element:
    iso = lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    body = (
        "<CMSearchDescription><searchID>t</searchID><trackIDList><trackID>"
        f"{track}</trackID></trackIDList><timeSpanList><timeSpan><startTime>{iso(start)}"
        f"</startTime><endTime>{iso(end)}</endTime></timeSpan></timeSpanList>"
        f"<maxResults>50</maxResults><searchResultPostion>{position}</searchResultPostion>"
        "</CMSearchDescription>"
    )
    return xml(call(nvr, "POST", "/ISAPI/ContentMgmt/search", body.encode()))


def spans(result: etree._Element) -> list[tuple[float, float]]:
    def epoch(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    starts, ends = texts(result, "startTime"), texts(result, "endTime")
    return [(epoch(s), epoch(e)) for s, e in zip(starts, ends, strict=True)]


def test_wrong_or_basic_credentials_get_the_digest_challenge(nvr: IsapiNvr) -> None:
    for auth in (HTTPBasicAuth("admin", PASSWORD), HTTPDigestAuth("admin", "not-it")):
        resp = requests.get(
            f"http://127.0.0.1:{nvr.endpoints()['http']}/ISAPI/System/deviceInfo",
            auth=auth,
            timeout=5,
        )
        assert resp.status_code == 401 and "Document Error: Unauthorized" in resp.text
        challenge = parse_authorization(resp.headers["WWW-Authenticate"])
        assert challenge is not None and challenge["qop"] == "auth"
    info = xml(call(nvr, "GET", "/ISAPI/System/deviceInfo"))
    assert texts(info, "deviceType") == ["NVR"] and texts(info, "model") == ["DS-9664NI-M8"]


def test_channels_are_listed_without_their_passwords(nvr: IsapiNvr) -> None:
    listed = call(nvr, "GET", "/ISAPI/ContentMgmt/InputProxy/channels")
    assert texts(xml(listed), "ipAddress") == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert CAMERA_PASSWORD not in listed.text and "password" not in listed.text
    assert CAMERA_PASSWORD not in str(nvr.state())


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (_channel(1, "10.0.0.9"), "channel 1 exists"),
        (_channel(4, "10.0.0.1"), "already records 10.0.0.1"),
        (_channel(4, "10.0.0.4", password=None), "password is missing"),
        (_channel(99, "10.0.0.4"), "channel id 99"),
        (_channel(4, "10.0.0.4").replace(b"HIKVISION", b"RTMP"), "proxyProtocol 'RTMP'"),
        (b"<InputProxyChannel><id>4</id>", "Invalid XML Format"),
    ],
)
def test_a_channel_the_nvr_cannot_take_is_refused_and_nothing_changes(
    nvr: IsapiNvr, body: bytes, said: str
) -> None:
    resp = call(nvr, "POST", "/ISAPI/ContentMgmt/InputProxy/channels", body)
    assert resp.status_code == 400 and said in resp.text
    assert sorted(nvr.settings.channels) == [1, 2, 3]


def _schedule(mode: str = "CMR", end: str = "24:00:00") -> bytes:
    actions = "".join(
        f"<ScheduleAction><id>{i}</id><ScheduleActionStartTime><DayOfWeek>{day}</DayOfWeek>"
        f"<TimeOfDay>00:00:00</TimeOfDay></ScheduleActionStartTime><ScheduleActionEndTime>"
        f"<DayOfWeek>{day}</DayOfWeek><TimeOfDay>{end}</TimeOfDay></ScheduleActionEndTime>"
        f"<Actions><Record>true</Record><ActionRecordingMode>{mode}</ActionRecordingMode>"
        "</Actions></ScheduleAction>"
        for i, day in enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"), 1)
    )
    return (
        f"<Track><id>201</id><TrackSchedule><ScheduleBlockList><ScheduleBlock>{actions}"
        "</ScheduleBlock></ScheduleBlockList></TrackSchedule><CustomExtensionList>"
        "<CustomExtension><enableSchedule>true</enableSchedule></CustomExtension>"
        "</CustomExtensionList></Track>"
    ).encode()


def test_a_track_schedule_is_written_read_and_validated(nvr: IsapiNvr) -> None:
    track = "/ISAPI/ContentMgmt/record/tracks/201"
    before = xml(call(nvr, "GET", track))
    assert texts(before, "enableSchedule") == ["false"] and not texts(before, "ScheduleAction")
    try:
        assert call(nvr, "PUT", track, _schedule()).ok
        after = xml(call(nvr, "GET", track))
        assert texts(after, "enableSchedule") == ["true"]
        assert set(texts(after, "ActionRecordingMode")) == {"CMR"}
        assert texts(after, "TimeOfDay")[:2] == ["00:00:00", "24:00:00"]
        for bad, said in (
            (_schedule(end="25:00:00"), "past 24:00:00"),
            (_schedule("NOPE"), "NOPE"),
        ):
            resp = call(nvr, "PUT", track, bad)
            assert resp.status_code == 400 and said in resp.text
        assert set(texts(xml(call(nvr, "GET", track)), "ActionRecordingMode")) == {"CMR"}
        assert call(nvr, "GET", "/ISAPI/ContentMgmt/record/tracks/901").status_code == 404
    finally:
        nvr.settings.tracks[201].actions, nvr.settings.tracks[201].schedule_enabled = [], False


def _listed(root: str, *entries: bytes) -> bytes:
    inner = b"".join(entries)
    return f'<{root} version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">'.encode() + (
        inner + f"</{root}>".encode()
    )


def test_a_list_of_channels_is_set_at_once_and_a_malformed_one_changes_nothing(
    nvr: IsapiNvr,
) -> None:
    path, held = "/ISAPI/ContentMgmt/InputProxy/channels", nvr.settings.channels
    before = {cid: (c.address, c.password) for cid, c in held.items()}
    moved = _channel(1, "10.0.1.1", password=None)  # the password is kept when not sent
    try:
        for bad, said in (
            (_listed("InputProxyChannelList", moved, _channel(9, "10.0.1.9")), "channel 9"),
            (_listed("InputProxyChannelList", moved, moved), "twice"),
            (_listed("InputProxyChannelList", moved, _channel(2, "10.0.0.3")), "same"),
            (_listed("InputProxyChannelList"), "holds no InputProxyChannel"),
            (_channel(1, "10.0.1.1"), "badXmlFormat"),
            (
                _listed("InputProxyChannelList", moved.replace(b"HIKVISION", b"RTSP")),
                "proxyProtocol",
            ),
        ):
            resp = call(nvr, "PUT", path, bad)
            assert resp.status_code == 400 and said in resp.text, resp.text
            assert {cid: (c.address, c.password) for cid, c in held.items()} == before
        both = _listed("InputProxyChannelList", moved, _channel(2, "10.0.1.2"))
        assert call(nvr, "PUT", path, both).ok
        assert texts(xml(call(nvr, "GET", path)), "ipAddress") == [
            "10.0.1.1",
            "10.0.1.2",
            "10.0.0.3",
        ]
        assert held[1].password == held[2].password == CAMERA_PASSWORD
    finally:
        for cid, (address, password) in before.items():
            held[cid].address, held[cid].password = address, password


def test_a_list_of_schedules_is_set_at_once_and_a_malformed_one_changes_nothing(
    nvr: IsapiNvr,
) -> None:
    path, tracks = "/ISAPI/ContentMgmt/record/tracks", nvr.settings.tracks
    on_301 = _schedule().replace(b"<id>201</id>", b"<id>301</id>")
    late_301 = _schedule(end="25:00:00").replace(b"<id>201</id>", b"<id>301</id>")
    try:
        for bad, said in (
            (_listed("TrackList", _schedule(), late_301), "past 24:00:00"),
            (_listed("TrackList", _schedule(), _schedule()), "twice"),
            (_listed("TrackList", _schedule().replace(b"201", b"901")), "track 901"),
            (_listed("TrackList"), "holds no Track"),
            (_schedule(), "badXmlFormat"),
        ):
            resp = call(nvr, "PUT", path, bad)
            assert resp.status_code == 400 and said in resp.text, resp.text
            assert not any(t.schedule_enabled or t.actions for t in tracks.values())
        assert call(nvr, "PUT", path, _listed("TrackList", _schedule(), on_301)).ok
        listed = xml(call(nvr, "GET", path))
        assert texts(listed, "enableSchedule") == ["false", "true", "true"]
    finally:
        for track in tracks.values():
            track.actions, track.schedule_enabled = [], False


def test_search_pages_through_hourly_files_from_the_oldest(nvr: IsapiNvr) -> None:
    first = search(nvr, 101, NOW - 60 * DAY, NOW)
    assert texts(first, "responseStatusStrg") == ["MORE"] and len(spans(first)) == 50
    oldest = spans(first)[0][0]
    assert oldest == pytest.approx(NOW - 40 * DAY)  # the whole history fits on the disks
    last = search(nvr, 101, NOW - 3 * 3600, NOW)
    assert texts(last, "responseStatusStrg") == ["OK"] and spans(last)[-1][1] == NOW
    assert all(e - s <= 3600 for s, e in spans(first))
    uri = texts(first, "playbackURI")[0]
    size = int(uri.rpartition("size=")[2])
    seconds = spans(first)[0][1] - spans(first)[0][0]
    assert size * 8 / seconds / 1000 == pytest.approx(4096, rel=0.01)  # the camera's bitrate
    nothing = search(nvr, 101, NOW - 90 * DAY, NOW - 80 * DAY)
    assert texts(nothing, "responseStatusStrg") == ["NO MATCHES"]


def test_daily_distribution_marks_the_days_with_video(nvr: IsapiNvr) -> None:
    body = b"<trackDailyParam><year>2026</year><monthOfYear>11</monthOfYear></trackDailyParam>"
    days = xml(call(nvr, "POST", "/ISAPI/ContentMgmt/record/tracks/101/dailyDistribution", body))
    recorded = texts(days, "record")
    assert len(recorded) == 30
    # The history began on 27 October (40 days before 6 December): all of November has video.
    assert recorded == ["true"] * 30


def test_storage_reports_disks_in_mib_and_their_health(nvr: IsapiNvr) -> None:
    disks = xml(call(nvr, "GET", "/ISAPI/ContentMgmt/Storage"))
    assert texts(disks, "status") == ["ok", "ok"]
    assert [int(c) for c in texts(disks, "capacity")] == [4 * 10**12 // 2**20] * 2
    used = 40 * DAY * 3 * 4096 * 125 / 2**20
    free = sum(int(f) for f in texts(disks, "freeSpace"))
    assert free == pytest.approx(2 * 4 * 10**12 / 2**20 - used, rel=0.001)
    nvr.faults.update({"hdd_fail": True})
    try:
        failed = xml(call(nvr, "GET", "/ISAPI/ContentMgmt/Storage"))
        assert texts(failed, "status") == ["error", "ok"] and texts(failed, "freeSpace")[0] == "0"
        # The failed disk's share of the ring is gone: 4 TB now hold 30.9 days.
        oldest = spans(search(nvr, 101, NOW - 60 * DAY, NOW))[0][0]
        assert (NOW - oldest) / DAY == pytest.approx(4e12 / (3 * 4096 * 125) / DAY)
    finally:
        nvr.faults.clear()


def test_hdd_fail_degrades_a_raid5_array_and_loses_nothing(lab_loop: LabLoop) -> None:
    # 3 × 4 TB in raid5 hold 8 TB: 3 cameras at 4 Mbit/s fill it in 61.7 days, so the whole
    # 40-day history is there, with one disk failed as with none.
    sim = IsapiNvr(
        "lab/nvr-raid",
        "127.0.0.1",
        faults=Faults(),
        bitrates_kbps=BITRATES,
        disks_tb=(4.0, 4.0, 4.0),
        usable_fraction=2 / 3,
        http_port=0,
        admin=("admin", PASSWORD),
        now=NOW,
        raid_level="raid5",
    )
    sim.settings.clock = lambda: NOW
    lab_loop.run(sim.start())
    try:
        healthy = xml(call(sim, "GET", "/ISAPI/ContentMgmt/Storage"))
        assert texts(healthy, "workMode") == ["raid"]
        [raid] = healthy.iter("{*}raid")
        assert texts(raid, "status") == ["Functional"] and texts(raid, "raidLevel") == ["raid5"]
        capacity = texts(raid, "capacity")
        oldest = spans(search(sim, 101, NOW - 60 * DAY, NOW))[0][0]
        sim.faults.update({"hdd_fail": True})
        failed = xml(call(sim, "GET", "/ISAPI/ContentMgmt/Storage"))
        [raid] = failed.iter("{*}raid")
        assert texts(raid, "status") == ["Degraded"] and texts(raid, "failedList") == [""]
        assert texts(raid, "hddID")[-1] == "1"  # the failed member, after the three members
        assert texts(raid, "capacity") == capacity  # nothing lost: the array is whole
        assert [d.findtext("{*}status") for d in failed.iter("{*}hdd")] == ["error", "ok", "ok"]
        assert spans(search(sim, 101, NOW - 60 * DAY, NOW))[0][0] == oldest
    finally:
        lab_loop.run(sim.stop())


def test_disk_full_shortens_retention_and_shows_the_higher_bitrate(nvr: IsapiNvr) -> None:
    nvr.faults.update({"disk_full": True})
    try:
        result = search(nvr, 101, NOW - 60 * DAY, NOW)
        assert (NOW - spans(result)[0][0]) / DAY == pytest.approx(DISK_FULL_DAYS)
        size = int(texts(result, "playbackURI")[0].rpartition("size=")[2])
        start, end = spans(result)[0]
        kbps = size * 8 / (end - start) / 1000
        assert kbps == pytest.approx(8e12 / (DISK_FULL_DAYS * DAY) / 3 * 8 / 1000, rel=0.01)
        free = texts(xml(call(nvr, "GET", "/ISAPI/ContentMgmt/Storage")), "freeSpace")
        assert free == ["0", "0"]
    finally:
        nvr.faults.clear()


def test_recording_gap_stops_one_channel(nvr: IsapiNvr) -> None:
    nvr.faults.update({"recording_gap": ["cam-2:6"]})
    try:
        assert spans(search(nvr, 201, NOW - DAY, NOW))[-1][1] == NOW - 6 * 3600
        assert spans(search(nvr, 101, NOW - DAY, NOW))[-1][1] == NOW
    finally:
        nvr.faults.clear()


def test_motion_only_reads_as_motion_and_leaves_nights_empty(
    nvr: IsapiNvr, lab_loop: LabLoop
) -> None:
    assert call(nvr, "PUT", "/ISAPI/ContentMgmt/record/tracks/301", _schedule()).ok
    nvr.faults.update({"schedule_motion_only": True})
    lab_loop.run(nvr.sync_faults())  # as the lab does when the fault is switched on
    try:
        track = xml(call(nvr, "GET", "/ISAPI/ContentMgmt/record/tracks/301"))
        assert set(texts(track, "ActionRecordingMode")) == {"MOTION"}
        found = spans(search(nvr, 101, NOW - 2 * DAY, NOW))
        gaps = [b - a for (_, a), (b, _) in itertools.pairwise(found)]
        assert max(gaps) == pytest.approx(12 * 3600)  # 19:00-07:00 China time
    finally:
        nvr.faults.clear()
        for track in nvr.settings.tracks.values():  # every track was set to motion only
            track.actions, track.schedule_enabled = [], False


@pytest.mark.parametrize("entry", ["gate-face", "gate-face:six", ":6", "1:-2"])
def test_a_recording_gap_that_is_not_channel_colon_hours_is_refused(entry: str) -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="expected CHANNEL:HOURS"):
        faults.update({"recording_gap": [entry]})
    assert faults.recording_gap == []
