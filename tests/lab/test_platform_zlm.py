"""The precinct platform's ZLMediaKit API, driven over HTTP with requests while the lab runs its
asyncio loop in a background thread (as the lab process does), against a clip-serving camera."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
import requests
from labsupport import LabLoop as Lab
from labsupport import wait_until
from tooling import require_program

from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform
from provision.lab.rtsp_server import RtspServer
from provision.protocols.rtsp import RtspPull, probe

T = TypeVar("T")
CAMERA_PATH = "/Streaming/Channels/101"
KEY = "__defaultVhost__/school/cam01"


@pytest.fixture
def lab() -> Iterator[Lab]:
    lab = Lab()
    yield lab
    lab.close()


@pytest.fixture
def camera(lab: Lab) -> Iterator[RtspServer]:
    source = ClipSource()

    async def make() -> RtspServer:
        server = RtspServer("127.0.0.1", 0, Faults(), {CAMERA_PATH: source}.get)
        await server.start()
        return server

    server = lab.run(make())
    yield server
    lab.run(server.stop())


@pytest.fixture
def platform(lab: Lab) -> Iterator[VideoPlatform]:
    async def make() -> VideoPlatform:
        p = VideoPlatform(
            "precinct",
            "127.0.0.1",
            faults=Faults(),
            api_port=0,
            mediamtx_port=0,
            rtsp_port=0,
            pull_timeout=2.0,
            reconnect_delay=(0.05, 0.05, 0.2),  # ZLM's 2/3/60 s, shrunk for the test
        )
        await p.start()
        return p

    p = lab.run(make())
    yield p
    lab.run(p.stop())


def api(platform: VideoPlatform, name: str, method: str = "GET", **kw: Any) -> dict[str, Any]:
    url = f"http://127.0.0.1:{platform.endpoints()['zlm_api']}/index/api/{name}"
    resp = requests.request(method, url, timeout=kw.pop("timeout", 10), **kw)
    assert resp.status_code == 200  # ZLM reports errors in the body, not the status
    return resp.json()


def add_proxy(platform: VideoPlatform, camera: RtspServer, **extra: Any) -> dict[str, Any]:
    params = {"secret": platform.secret, "vhost": "__defaultVhost__", "app": "school"}
    params |= {"stream": "cam01", "url": camera.url(CAMERA_PATH), **extra}
    return api(platform, "addStreamProxy", params=params)


def media_list(platform: VideoPlatform) -> list[dict[str, Any]]:
    return api(platform, "getMediaList", params={"secret": platform.secret}).get("data", [])


def proxies(platform: VideoPlatform) -> list[dict[str, Any]]:
    return api(platform, "listStreamProxy", params={"secret": platform.secret}).get("data", [])


def set_fault(lab: Lab, server: Any, faults: Faults, **changes: Any) -> None:
    async def apply() -> None:
        faults.update(changes)
        await server.sync_faults()

    lab.run(apply())


def test_added_proxy_goes_online_and_is_re_served(
    lab: Lab, camera: RtspServer, platform: VideoPlatform
) -> None:
    assert media_list(platform) == []  # factory state: nothing registered
    assert add_proxy(platform, camera) == {"code": 0, "data": {"key": KEY}}
    wait_until(lambda: len(media_list(platform)) == 1)
    item = media_list(platform)[0]
    assert (item["schema"], item["vhost"], item["app"], item["stream"]) == (
        "rtsp",
        "__defaultVhost__",
        "school",
        "cam01",
    )
    assert item["originUrl"] == camera.url(CAMERA_PATH) and item["originTypeStr"] == "pull"
    track = item["tracks"][0]
    assert (track["codec_id_name"], track["codec_type"], track["ready"]) == ("H264", 0, True)
    assert (track["width"], track["height"], track["fps"]) == (320, 180, 10)
    assert camera.playing == 1  # the platform really pulls the camera

    relay_url = platform.relay_url("school/cam01")
    result = asyncio.run(probe(relay_url, packets=5, timeout=3))
    assert result.packets >= 5 and result.description.width == 320

    async def watch() -> RtspPull:  # a precinct operator watching the relay
        viewer = RtspPull(relay_url, timeout=3)
        await viewer.start()
        await viewer.wait_first_packet(3)
        return viewer

    viewer = lab.run(watch())
    wait_until(lambda: media_list(platform)[0]["readerCount"] == 1)
    lab.run(viewer.stop())
    wait_until(lambda: media_list(platform)[0]["readerCount"] == 0)
    state = platform.state()
    assert state["zlm_proxies"][0]["online"] and json.dumps(state)


def test_camera_loss_goes_offline_and_is_pulled_again(
    lab: Lab, camera: RtspServer, platform: VideoPlatform
) -> None:
    assert add_proxy(platform, camera)["code"] == 0
    set_fault(lab, camera, camera.faults, rtsp_down=True)
    wait_until(lambda: media_list(platform) == [])
    assert proxies(platform)[0]["status"] == 1  # still registered, not live
    set_fault(lab, camera, camera.faults, rtsp_down=False)
    wait_until(lambda: len(media_list(platform)) == 1)
    entry = proxies(platform)[0]
    assert (entry["status"], entry["rePullCount"], entry["key"]) == (0, 1, KEY)


def test_secret_and_argument_errors(camera: RtspServer, platform: VideoPlatform) -> None:
    wrong = api(platform, "getMediaList", params={"secret": "guess"})
    assert wrong == {"code": -100, "msg": "Incorrect secret"}
    missing = api(platform, "listStreamProxy")
    assert missing["code"] == -300 and '"secret"' in missing["msg"]
    no_url = api(platform, "addStreamProxy", params={"secret": platform.secret, "app": "a"})
    assert no_url["code"] == -300 and '"url"' in no_url["msg"]
    assert proxies(platform) == []
    port = platform.endpoints()["zlm_api"]
    unknown = requests.get(f"http://127.0.0.1:{port}/index/api/nope", timeout=5)
    assert unknown.status_code == 404


def test_duplicate_then_delete(lab: Lab, camera: RtspServer, platform: VideoPlatform) -> None:
    assert add_proxy(platform, camera)["code"] == 0
    assert add_proxy(platform, camera) == {"code": -1, "msg": "This stream already exists"}
    deleted = api(platform, "delStreamProxy", params={"secret": platform.secret, "key": KEY})
    assert deleted == {"code": 0, "data": {"flag": True}}
    assert proxies(platform) == [] and media_list(platform) == []
    wait_until(lambda: camera.sessions == 0)  # the pull was stopped (TEARDOWN)
    again = api(platform, "delStreamProxy", params={"secret": platform.secret, "key": KEY})
    assert again["data"]["flag"] is False


def test_unreachable_camera_is_rejected(camera: RtspServer, platform: VideoPlatform) -> None:
    answer = add_proxy(platform, camera, url="rtsp://127.0.0.1:9/Streaming/Channels/101")
    assert answer["code"] == -1 and "refused" in answer["msg"]
    assert proxies(platform) == []  # ZLM drops a proxy whose first play failed


def test_form_and_json_bodies(camera: RtspServer, platform: VideoPlatform) -> None:
    form = {"secret": platform.secret, "vhost": "__defaultVhost__", "app": "school"}
    form |= {"stream": "cam01", "url": camera.url(CAMERA_PATH), "retry_count": "3"}
    assert api(platform, "addStreamProxy", "POST", data=form)["data"]["key"] == KEY
    body = {"secret": platform.secret, "key": KEY}
    assert api(platform, "delStreamProxy", "POST", json=body)["data"]["flag"] is True


def test_retry_count_exhausted_removes_the_proxy(
    lab: Lab, camera: RtspServer, platform: VideoPlatform
) -> None:
    assert add_proxy(platform, camera, retry_count=0)["code"] == 0
    set_fault(lab, camera, camera.faults, dead=True)
    wait_until(lambda: proxies(platform) == [])


def test_api_faults(lab: Lab, platform: VideoPlatform) -> None:
    params = {"secret": platform.secret}
    platform.faults.timeout = True
    with pytest.raises(requests.Timeout):
        api(platform, "getMediaList", params=params, timeout=0.3)
    platform.faults.timeout = False
    set_fault(lab, platform, platform.faults, refuse=True)
    with pytest.raises(requests.ConnectionError):
        api(platform, "getMediaList", params=params)
    set_fault(lab, platform, platform.faults, refuse=False)
    assert api(platform, "getMediaList", params=params) == {"code": 0}


def test_ffprobe_reads_the_re_served_stream(camera: RtspServer, platform: VideoPlatform) -> None:
    ffprobe = require_program("ffprobe", "ffmpeg")
    assert add_proxy(platform, camera)["code"] == 0
    cmd = [ffprobe, "-v", "error", "-analyzeduration", "1000000", "-rtsp_transport", "tcp"]
    cmd += ["-show_streams", "-of", "json", platform.relay_url("school/cam01")]
    out = subprocess.run(cmd, capture_output=True, timeout=15, check=True)
    (stream,) = json.loads(out.stdout)["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 320, 180)
