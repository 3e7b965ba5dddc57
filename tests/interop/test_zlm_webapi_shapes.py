"""The lab's ZLMediaKit API held to ZLMediaKit's own source: the fields and messages its
server/WebApi.cpp writes (kept verbatim in tests/interop/specs/zlmediakit, commit fdaec260) are
read out of the C++ here, not copied by hand, and every lab answer must carry exactly those
fields and say exactly those messages. ZLMediaKit publishes no schema of its answers; its
source is the document.

One lab for the module: a platform with one proxy pulling a clip camera.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from labsupport import LabLoop, wait_until

from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform
from provision.lab.platform_zlm_media import stock_config
from provision.lab.rtsp_server import RtspServer

SOURCE = Path(__file__).parent / "specs" / "zlmediakit" / "WebApi.cpp"
CAMERA_PATH = "/Streaming/Channels/101"
KEY = "__defaultVhost__/school/cam01"
TUPLE_KEYS = {"vhost", "app", "stream", "params"}  # dumpMediaTuple (VHOST_KEY is "vhost")


@cache
def source() -> str:
    return SOURCE.read_text("utf-8-sig")


def body_of(signature: str) -> str:
    """The braces-balanced body of the first function or lambda after `signature`."""
    start = source().index(signature)
    depth, i = 0, source().index("{", start)
    for j in range(i, len(source())):
        depth += {"{": 1, "}": -1}.get(source()[j], 0)
        if depth == 0:
            return source()[i : j + 1]
    raise AssertionError(f"unbalanced body after {signature!r}")


def keys(body: str, var: str) -> set[str]:
    """Every `var["key"]` the body writes or reads."""
    return set(re.findall(rf'\b{re.escape(var)}\["(\w+)"\]', body))


def without(body: str, start: str, end: str) -> str:
    """`body` less the part from `start` to `end` (a case or #ifdef the lab is not)."""
    return re.sub(re.escape(start) + r".*?" + re.escape(end), "", body, flags=re.S)


def check_args_message(api: str) -> str:
    """The -300 message the API's CHECK_ARGS writes: its arguments, stringified."""
    found = re.search(r"CHECK_ARGS\(([^)]*)\)", body_of(f'api_regist("{api}"'))
    assert found is not None
    return "Required parameter missed: " + found.group(1)


def track_keys() -> set[str]:
    return keys(without(body_of("Json::Value dumpTracks("), "case TrackAudio", "break;"), "obj")


@dataclass
class Rig:
    loop: LabLoop
    platform: VideoPlatform

    def api(self, name: str, **params: Any) -> dict[str, Any]:
        port = self.platform.endpoints()["zlm_api"]
        params.setdefault("secret", self.platform.secret)
        url = f"http://127.0.0.1:{port}/index/api/{name}"
        resp = requests.post(url, data=params, timeout=10)
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith(
            "application/json"
        )
        body: dict[str, Any] = resp.json()
        return body


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    loop = LabLoop()

    async def start() -> tuple[VideoPlatform, RtspServer]:
        camera = RtspServer("127.0.0.1", 0, Faults(), {CAMERA_PATH: ClipSource()}.get)
        await camera.start()
        platform = VideoPlatform(
            "precinct", "127.0.0.1", faults=Faults(), api_port=0, mediamtx_port=0, rtsp_port=0
        )
        await platform.start()
        return platform, camera

    platform, camera = loop.run(start())
    built = Rig(loop, platform)
    where = {"vhost": "__defaultVhost__", "app": "school", "stream": "cam01"}
    assert built.api("addStreamProxy", url=camera.url(CAMERA_PATH), **where)["code"] == 0
    wait_until(lambda: built.api("getMediaList", schema="rtsp").get("data"), what="the pull")
    yield built
    loop.run(platform.stop())
    loop.run(camera.stop())
    loop.close()


def test_list_stream_proxy_fields(rig: Rig) -> None:
    [item] = rig.api("listStreamProxy", key=KEY)["data"]
    expected = keys(body_of("Value ToJson(const PlayerProxy::Ptr& p)"), "item") | {"key"}
    assert set(item) == expected
    assert set(item["src"]) == TUPLE_KEYS
    assert set(item["tracks"][0]) == track_keys()


def test_media_source_fields(rig: Rig) -> None:
    items = rig.api("getMediaList")["data"]
    source_keys = keys(body_of("Value makeMediaSourceJson(MediaSource &media)"), "item")
    sock_keys = keys(body_of("void fillSockInfo(Value& val, SockInfo* info)"), "val")
    for item in items:  # several sources: ZLM skips the loss rate
        assert set(item) == source_keys | TUPLE_KEYS
        assert set(item["originSock"]) == sock_keys
        assert set(item["tracks"][0]) == track_keys()
    info = rig.api("getMediaInfo", schema="rtsp", vhost="__defaultVhost__", app="school")
    assert info["code"] == -300 and info["msg"] == check_args_message("/index/api/getMediaInfo")
    one = rig.api(
        "getMediaInfo", schema="rtsp", vhost="__defaultVhost__", app="school", stream="cam01"
    )
    assert set(one) == source_keys | TUPLE_KEYS | {"code"}
    assert set(one["tracks"][0]) == track_keys() | {"loss"}  # one source: its own poller


def test_statistic_version_config_close_fields(rig: Rig) -> None:
    stats = rig.api("getStatistic")["data"]
    body = without(body_of("void getStatisticJson("), "#ifdef ENABLE_MEM_DEBUG", "#else")
    assert set(stats) == keys(body, "val")
    version = rig.api("version")["data"]
    assert set(version) == keys(body_of('api_regist("/index/api/version"'), "ver")
    [config] = rig.api("getServerConfig")["data"]
    assert set(config) == set(stock_config())
    closed = rig.api("close_streams", stream="nothing-matches")
    assert set(closed) == keys(body_of('api_regist("/index/api/close_streams"'), "val") | {"code"}


def test_messages_are_the_sources(rig: Rig) -> None:
    messages = set(re.findall(r'(?:Exception|ApiRetException)\("([^"]+)"', source()))
    refused = rig.api("getMediaList", secret="wrong")
    assert refused["msg"] in messages and refused["code"] == -100
    assert set(refused) == {"code", "msg", "cookie"}  # check_secret's val["cookie"]
    login = rig.api("login", digest="wrong")
    assert login["msg"] in messages
    add = rig.api("addStreamProxy", app="school")
    assert add["msg"] == check_args_message("/index/api/addStreamProxy")
    absent = rig.api(
        "getMediaInfo", schema="rtsp", vhost="__defaultVhost__", app="school", stream="x"
    )
    assert absent["msg"] in messages and absent["code"] == -500
    listed = set(rig.api("getApiList")["data"])
    registered = set(re.findall(r'api_regist\("(/index/api/\w+)"', source()))
    assert listed <= registered  # the lab serves a subset of the real routes, no invented one
