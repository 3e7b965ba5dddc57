"""The platform pulls a camera that checks credentials: with the camera's password the feed comes
online, with a wrong one ZLMediaKit's addStreamProxy fails and MediaMTX's path never gets ready,
as the real platforms do on a 401. The camera is an `RtspServer` with per-path Digest rules,
one path Dahua-style with a query string."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from labsupport import LabLoop as Lab
from labsupport import wait_until

from provision.lab.digest import Challenge
from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform
from provision.lab.rtsp_server import RtspServer
from provision.protocols.rtsp import RtspError, describe

HIK = "/Streaming/Channels/101"
DAHUA = "/cam/realmonitor?channel=1&subtype=0"
OPEN = "/open"
USERS = {"viewer": "pa:ss@word"}


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    lab = Lab()
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def camera(lab: Lab) -> Iterator[RtspServer]:
    source = ClipSource()
    challenge = Challenge("Login to 4K02DAFPAJ0A1C0", lambda: USERS, basic=True)

    async def make() -> RtspServer:
        server = RtspServer(
            "127.0.0.1",
            0,
            Faults(),
            {HIK: source, DAHUA: source, OPEN: source}.get,
            auth=lambda target: None if target == OPEN else challenge,
        )
        await server.start()
        return server

    server = lab.run(make())
    yield server
    lab.run(server.stop())


@pytest.fixture(scope="module")
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
            reconnect_delay=(0.05, 0.05, 0.2),
        )
        await p.start()
        return p

    p = lab.run(make())
    yield p
    lab.run(p.stop())


def url(camera: RtspServer, path: str, password: str | None = None) -> str:
    userinfo = "" if password is None else f"viewer:{password.replace('@', '%40')}@"
    return f"rtsp://{userinfo}127.0.0.1:{camera.port}{path}"


def zlm_add(platform: VideoPlatform, stream: str, source: str) -> dict[str, Any]:
    api = f"http://127.0.0.1:{platform.endpoints()['zlm_api']}/index/api/addStreamProxy"
    params = {"secret": platform.secret, "vhost": "__defaultVhost__", "app": "school"}
    params |= {"stream": stream, "url": source}
    resp = requests.get(api, params=params, timeout=10)
    assert resp.status_code == 200
    return dict(resp.json())


def test_describe_needs_credentials_per_path_and_takes_a_query(camera: RtspServer) -> None:
    async def status(path: str, password: str | None) -> int:
        try:
            await describe(url(camera, path, password), timeout=3)
        except RtspError as exc:
            return exc.status or 0
        return 200

    assert asyncio.run(status(OPEN, None)) == 200
    for path in (HIK, DAHUA):
        assert asyncio.run(status(path, None)) == 401
        assert asyncio.run(status(path, "wrong")) == 401
        assert asyncio.run(status(path, "pa:ss@word")) == 200
    assert asyncio.run(status("/cam/realmonitor?channel=9", "pa:ss@word")) == 404


def test_zlmediakit_proxy_with_a_wrong_camera_password_fails(
    camera: RtspServer, platform: VideoPlatform
) -> None:
    good = zlm_add(platform, "good", url(camera, DAHUA, "pa:ss@word"))
    assert good["code"] == 0
    bad = zlm_add(platform, "bad", url(camera, HIK, "wrong"))
    assert bad["code"] != 0 and "401" in bad["msg"]


def test_mediamtx_path_with_a_wrong_camera_password_never_gets_ready(
    camera: RtspServer, platform: VideoPlatform
) -> None:
    base = f"http://127.0.0.1:{platform.endpoints()['mediamtx_api']}/v3"

    def add(name: str, source: str) -> None:
        body = {"source": source, "sourceOnDemand": False}
        resp = requests.post(f"{base}/config/paths/add/{name}", json=body, timeout=10)
        assert resp.status_code == 200, resp.text

    def ready(name: str) -> bool:
        return bool(requests.get(f"{base}/paths/get/{name}", timeout=10).json()["ready"])

    add("right", url(camera, HIK, "pa:ss@word"))
    add("wrong", url(camera, HIK, "wrong"))
    wait_until(lambda: ready("right"))
    assert not ready("wrong")  # it has had as long as the right one, and more
