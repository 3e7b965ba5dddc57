"""A lab Hikvision NVR judged by `hikvisionapi` (PyPI, MissiaL/hikvision-client), the client
integrators script ISAPI with: it logs in as on a real NVR (Basic first, Digest after the 401),
reads deviceInfo and the storage report, adds a channel and reads the channels' status (offline:
nothing answers RTSP at the channel's camera address), searches the recordings of a track
(CMSearchDescription in, CMSearchResult out) and asks for a month's daily distribution, and is
refused with wrong credentials. The client runs in its own venv; one lab NVR serves the module,
on a frozen clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from labsupport import LabLoop
from tooling import client, run_client

from provision.lab import netmap
from provision.lab.faults import Faults
from provision.lab.nvr import IsapiNvr

PASSWORD = "SENTINEL-hik-nvr-admin-0b7d"
NOW = datetime(2026, 12, 6, 4, 30, tzinfo=UTC).timestamp()
CLIENT = """
import json, sys
import requests
from hikvisionapi import Client

url, user, password, camera_password = sys.argv[1:5]
api = Client(url, user, password, timeout=5)
info = api.System.deviceInfo(method="get")["DeviceInfo"]
storage = api.ContentMgmt.Storage(method="get")["storage"]
channel = (
    '<InputProxyChannel version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">'
    "<id>1</id><name>gate-face</name><sourceInputPortDescriptor><proxyProtocol>HIKVISION"
    "</proxyProtocol><addressingFormatType>ipaddress</addressingFormatType><ipAddress>10.0.0.5"
    "</ipAddress><managePortNo>8000</managePortNo><userName>admin</userName><password>"
    + camera_password + "</password></sourceInputPortDescriptor></InputProxyChannel>"
)
added = api.ContentMgmt.InputProxy.channels(method="post", data=channel.encode())
channels = api.ContentMgmt.InputProxy.channels(method="get")["InputProxyChannelList"]
status = api.ContentMgmt.InputProxy.channels.status(method="get")
search = (
    "<CMSearchDescription><searchID>C6A3E8C1-0001</searchID><trackIDList><trackID>101"
    "</trackID></trackIDList><timeSpanList><timeSpan><startTime>2026-12-05T00:00:00Z"
    "</startTime><endTime>2026-12-05T06:00:00Z</endTime></timeSpan></timeSpanList>"
    "<maxResults>4</maxResults><searchResultPostion>0</searchResultPostion><metadataList>"
    "<metadataDescriptor>//recordType.meta.std-cgi.com</metadataDescriptor></metadataList>"
    "</CMSearchDescription>"
)
found = api.ContentMgmt.search(method="post", data=search.encode())["CMSearchResult"]
daily = api.ContentMgmt.record.tracks[101].dailyDistribution(
    method="post",
    data=b"<trackDailyParam><year>2026</year><monthOfYear>10</monthOfYear></trackDailyParam>",
)["trackDailyDistribution"]
try:
    Client(url, user, "not-the-password", timeout=5)
    refused = None
except requests.HTTPError as exc:
    refused = [exc.response.status_code, exc.response.headers.get("WWW-Authenticate", "")]
print(json.dumps({
    "info": info, "storage": storage, "added": added, "channels": channels, "found": found,
    "daily": daily, "refused": refused, "status": status,
}))
"""


@pytest.fixture(scope="module")
def nvr() -> Iterator[IsapiNvr]:
    loop = LabLoop()
    sim = IsapiNvr(
        "interop/nvr",
        "127.0.0.1",
        faults=Faults(),
        bitrates_kbps={1: 4096},
        disks_tb=(4.0, 4.0),
        http_port=0,
        admin=("admin", PASSWORD),
        now=NOW,
    )
    sim.settings.clock = lambda: NOW
    netmap.install(netmap.lab_route)  # the NVR dials its channels' cameras inside the lab
    loop.run(sim.start())
    yield sim
    loop.run(sim.stop())
    loop.close()
    netmap.install(None)


@pytest.fixture(scope="module")
def seen(nvr: IsapiNvr) -> dict[str, Any]:
    python = client("hikvisionapi")
    url = f"http://127.0.0.1:{nvr.endpoints()['http']}"
    out = run_client(python, CLIENT, url, "admin", PASSWORD, "SENTINEL-camera-0c1f")
    result: dict[str, Any] = json.loads(out)
    return result


def test_the_client_logs_in_and_reads_identity_and_disks(seen: dict[str, Any]) -> None:
    assert seen["info"]["deviceType"] == "NVR" and seen["info"]["model"] == "DS-9664NI-M8"
    disks = seen["storage"]["hddList"]["hdd"]
    assert [d["status"] for d in disks] == ["ok", "ok"]
    assert [int(d["capacity"]) for d in disks] == [4 * 10**12 // 2**20] * 2


def test_a_channel_added_by_the_client_is_listed_without_its_password(
    seen: dict[str, Any],
) -> None:
    assert seen["added"]["ResponseStatus"]["statusCode"] == "1"
    channel = seen["channels"]["InputProxyChannel"]
    assert channel["name"] == "gate-face"
    source = channel["sourceInputPortDescriptor"]
    assert source["ipAddress"] == "10.0.0.5" and "password" not in source


def test_the_client_reads_that_the_nvr_cannot_reach_the_channels_camera(
    seen: dict[str, Any],
) -> None:
    # The lab's network (netmap) is installed for the module: 10.0.0.5 is 127.0.0.5, where
    # no camera serves RTSP, so the NVR's DESCRIBE is refused.
    status = seen["status"]["InputProxyChannelStatusList"]["InputProxyChannelStatus"]
    assert status["id"] == "1" and status["sourceInputPortDescriptor"]["ipAddress"] == "10.0.0.5"
    assert status["online"] == "false" and status["chanDetectResult"] == "offline"


def test_the_search_answers_hourly_files_and_pages_on(seen: dict[str, Any]) -> None:
    found = seen["found"]
    assert found["searchID"] == "C6A3E8C1-0001" and found["responseStatusStrg"] == "MORE"
    items = found["matchList"]["searchMatchItem"]
    assert [i["timeSpan"]["startTime"] for i in items] == [
        f"2026-12-05T0{h}:00:00Z" for h in range(4)
    ]
    assert all(i["trackID"] == "101" for i in items)
    assert "size=" in items[0]["mediaSegmentDescriptor"]["playbackURI"]


def test_the_daily_distribution_starts_where_the_history_does(seen: dict[str, Any]) -> None:
    days = seen["daily"]["dayList"]["day"]
    recorded = [d["dayOfMonth"] for d in days if d["record"] == "true"]
    # 40 days before 6 December 04:30 UTC is 27 October 04:30: video from that day on.
    assert recorded == [str(d) for d in range(27, 32)]


def test_wrong_credentials_are_refused_with_a_digest_challenge(seen: dict[str, Any]) -> None:
    status, challenge = seen["refused"]
    assert status == 401 and challenge.startswith("Digest ") and 'qop="auth"' in challenge
