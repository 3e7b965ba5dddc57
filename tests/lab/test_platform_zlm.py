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
from provision.lab.platform_zlm_wire import login_digest
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


def media_list(platform: VideoPlatform, schema: str = "rtsp") -> list[dict[str, Any]]:
    params = {"secret": platform.secret, "schema": schema}
    return api(platform, "getMediaList", params=params).get("data", [])


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
    every = media_list(platform, schema="")
    assert sorted(m["schema"] for m in every) == ["fmp4", "hls", "rtmp", "rtsp", "ts"]

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
    assert (wrong["code"], wrong["msg"]) == (-100, "Please login first")
    assert len(wrong["cookie"]) == 32  # the challenge to log in with
    missing = api(platform, "listStreamProxy")
    assert (missing["code"], missing["msg"]) == (-100, "Please login first")
    no_url = api(platform, "addStreamProxy", params={"secret": platform.secret, "app": "a"})
    missed = 'Required parameter missed: "vhost","app","stream","url"'  # CHECK_ARGS's own words
    assert no_url == {"code": -300, "msg": missed}
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


def test_login_with_the_secrets_digest_then_calls_need_no_secret(platform: VideoPlatform) -> None:
    base = f"http://127.0.0.1:{platform.endpoints()['zlm_api']}/index/api"
    with requests.Session() as session:
        refused = session.post(f"{base}/login", data={"digest": "guess"}, timeout=5)
        body = refused.json()
        assert (body["code"], body["msg"]) == (-100, "Digest does not match, incorrect secret?")
        assert refused.headers["Set-Cookie"].startswith(f"ZLM_UNLOGIN={body['cookie']};expires=")
        digest = login_digest(platform.secret, body["cookie"])
        cookies = {"ZLM_UNLOGIN": body["cookie"]}
        ok = session.post(f"{base}/login", data={"digest": digest}, cookies=cookies, timeout=5)
        assert ok.json() == {"code": 0} and ok.headers["Set-Cookie"].startswith("ZLM_LOGINED=")
        logined = ok.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        cookie = {"ZLM_LOGINED": logined}
        listed = session.get(f"{base}/getApiList", cookies=cookie, timeout=5).json()
        assert listed["code"] == 0 and "/index/api/getMediaInfo" in listed["data"]
        out = session.post(f"{base}/logout", cookies=cookie, timeout=5).json()
        assert out["code"] == 0 and "msg" not in out
        again = session.get(f"{base}/getApiList", cookies=cookie, timeout=5).json()
        assert again["code"] == -100  # logged out: the cookie no longer opens the API


def test_legacy_release_takes_only_the_secret(lab: Lab, platform: VideoPlatform) -> None:
    set_fault(lab, platform, platform.faults, zlm_legacy_auth=True)
    assert api(platform, "getMediaList", params={"secret": "guess"}) == {
        "code": -100,
        "msg": "Incorrect secret",
    }
    assert api(platform, "getMediaList") == {
        "code": -300,
        "msg": 'Required parameter missed: "secret"',
    }
    port = platform.endpoints()["zlm_api"]
    url = f"http://127.0.0.1:{port}/index/api/login"
    login = requests.post(url, data={"digest": "x"}, timeout=5)
    assert login.status_code == 404 and "text/html" in login.headers["Content-Type"]
    assert api(platform, "getMediaList", params={"secret": platform.secret}) == {"code": 0}


def test_list_stream_proxy_honours_key(camera: RtspServer, platform: VideoPlatform) -> None:
    assert add_proxy(platform, camera)["code"] == 0
    assert add_proxy(platform, camera, stream="cam02")["code"] == 0
    assert len(proxies(platform)) == 2
    params = {"secret": platform.secret, "key": "__defaultVhost__/school/cam02"}
    [one] = api(platform, "listStreamProxy", params=params)["data"]
    assert one["key"] == params["key"] and one["src"]["stream"] == "cam02"
    assert (one["status"], one["status_str"]) == (0, "playing")
    assert one["tracks"][0]["codec_id_name"] == "H264"
    params["key"] = "__defaultVhost__/school/none"
    assert api(platform, "listStreamProxy", params=params) == {"code": 0}


def test_media_info_close_streams_statistic(camera: RtspServer, platform: VideoPlatform) -> None:
    assert add_proxy(platform, camera)["code"] == 0
    wait_until(lambda: media_list(platform))
    where = {"secret": platform.secret, "vhost": "__defaultVhost__", "app": "school"}
    info = api(platform, "getMediaInfo", params={**where, "schema": "rtmp", "stream": "cam01"})
    assert info["code"] == 0 and "data" not in info  # the source itself, at the top level
    assert (info["schema"], info["stream"], info["originTypeStr"]) == ("rtmp", "cam01", "pull")
    assert info["tracks"][0]["loss"] == 0.0
    absent = api(platform, "getMediaInfo", params={**where, "schema": "rtsp", "stream": "x"})
    assert absent == {"code": -500, "msg": "can not find the stream"}
    stats = api(platform, "getStatistic", params={"secret": platform.secret})["data"]
    assert (stats["MediaSource"], stats["MultiMediaSourceMuxer"]) == (5, 1)
    closed = api(platform, "close_streams", params={**where, "stream": "cam01", "force": "1"})
    assert closed == {"code": 0, "count_hit": 5, "count_closed": 5}
    assert proxies(platform) == []  # closing a pulled source ends its proxy


def test_server_config_and_version(platform: VideoPlatform) -> None:
    [config] = api(platform, "getServerConfig", params={"secret": platform.secret})["data"]
    assert config["api.secret"] == platform.secret and config["protocol.enable_rtmp"] == "1"
    assert config["rtsp.port"] == "554" and len(config) > 150  # every key of config.ini
    version = api(platform, "version", params={"secret": platform.secret})
    assert set(version["data"]) == {"buildTime", "branchName", "commitHash"}


def test_restart_loses_proxies_and_logins(
    lab: Lab, camera: RtspServer, platform: VideoPlatform
) -> None:
    assert add_proxy(platform, camera)["code"] == 0
    wait_until(lambda: camera.playing == 1)
    set_fault(lab, platform, platform.faults, platform_restart=True)
    assert proxies(platform) == [] and media_list(platform) == []
    wait_until(lambda: camera.sessions == 0)  # the pull ended with the process
    assert platform.faults.active() == {}  # an event: it happened once
    assert add_proxy(platform, camera)["code"] == 0  # and the API takes proxies again
