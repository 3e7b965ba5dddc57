"""The precinct platform's MediaMTX v3 API, driven over HTTP with requests while the lab runs its
asyncio loop in a background thread, against a clip-serving camera."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
import requests
from labsupport import LabLoop as Lab
from labsupport import wait_until

from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform
from provision.lab.rtsp_server import RtspServer
from provision.protocols.rtsp import probe

T = TypeVar("T")
CAMERA_PATH = "/Streaming/Channels/101"
NAME = "school/dl-zs-m012-cam01"


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
            mediamtx_retry_pause=0.05,  # MediaMTX's 5 s, shrunk for the test
        )
        await p.start()
        return p

    p = lab.run(make())
    yield p
    lab.run(p.stop())


def call(platform: VideoPlatform, method: str, path: str, **kw: Any) -> requests.Response:
    url = f"http://127.0.0.1:{platform.endpoints()['mediamtx_api']}/v3/{path}"
    return requests.request(method, url, timeout=10, **kw)


def runtime(platform: VideoPlatform, name: str = NAME) -> dict[str, Any]:
    resp = call(platform, "GET", f"paths/get/{name}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def replace(platform: VideoPlatform, camera: RtspServer, name: str = NAME) -> None:
    body = {"source": camera.url(CAMERA_PATH), "sourceOnDemand": False}
    resp = call(platform, "POST", f"config/paths/replace/{name}", json=body)
    assert (resp.status_code, resp.json()) == (200, {"status": "ok"})


def test_replace_pulls_the_camera_and_re_serves_it(
    camera: RtspServer, platform: VideoPlatform
) -> None:
    replace(platform, camera)
    conf = call(platform, "GET", f"config/paths/get/{NAME}").json()
    assert (conf["name"], conf["source"], conf["sourceOnDemand"]) == (
        NAME,
        camera.url(CAMERA_PATH),
        False,
    )
    assert conf["rtspTransport"] == "automatic"  # defaults filled in
    listed = call(platform, "GET", "config/paths/list").json()
    assert (listed["itemCount"], listed["pageCount"], listed["items"][0]["name"]) == (1, 1, NAME)

    wait_until(lambda: runtime(platform)["ready"])
    path = runtime(platform)
    assert path["source"] == {"type": "rtspSource", "id": ""}
    assert path["tracks"] == ["H264"] and path["readyTime"] and path["bytesReceived"] > 0
    paths = call(platform, "GET", "paths/list").json()
    assert paths["itemCount"] == 1 and paths["items"][0]["name"] == NAME

    result = asyncio.run(probe(platform.relay_url(NAME), packets=5, timeout=3))
    assert result.packets >= 5 and result.description.height == 180
    assert platform.state()["mediamtx_paths"] == [
        {"name": NAME, "source": camera.url(CAMERA_PATH), "ready": True}
    ]


def test_camera_loss_and_return(lab: Lab, camera: RtspServer, platform: VideoPlatform) -> None:
    replace(platform, camera)
    wait_until(lambda: runtime(platform)["ready"])

    async def set_down(down: bool) -> None:
        camera.faults.rtsp_down = down
        await camera.sync_faults()

    lab.run(set_down(True))
    wait_until(lambda: not runtime(platform)["ready"])
    assert runtime(platform)["tracks"] == []
    lab.run(set_down(False))
    wait_until(lambda: runtime(platform)["ready"])


def test_delete_stops_the_pull(camera: RtspServer, platform: VideoPlatform) -> None:
    replace(platform, camera)
    wait_until(lambda: runtime(platform)["ready"])
    resp = call(platform, "DELETE", f"config/paths/delete/{NAME}")
    assert (resp.status_code, resp.json()) == (200, {"status": "ok"})
    wait_until(lambda: camera.sessions == 0)
    assert call(platform, "GET", f"paths/get/{NAME}").status_code == 404
    assert call(platform, "GET", "config/paths/list").json() == {
        "itemCount": 0,
        "pageCount": 0,
        "items": [],
    }


def test_errors(camera: RtspServer, platform: VideoPlatform) -> None:
    def expect(resp: requests.Response, status: int, error: str) -> None:
        assert (resp.status_code, resp.json()) == (status, {"status": "error", "error": error})

    expect(call(platform, "GET", "config/paths/get/nope"), 404, "path configuration not found")
    expect(call(platform, "DELETE", "config/paths/delete/nope"), 404, "path not found")
    expect(call(platform, "GET", "paths/get/nope"), 404, "path not found")
    expect(call(platform, "PATCH", "config/paths/patch/nope", json={}), 404, "path not found")
    bogus = call(platform, "POST", "config/paths/replace/x", json={"bogus": 1})
    expect(bogus, 400, 'json: unknown field "bogus"')
    assert call(platform, "POST", "config/paths/add/x", json={"record": "yes"}).status_code == 400
    assert call(platform, "POST", "config/paths/add/bad name", json={}).status_code == 400
    ftp = call(platform, "POST", "config/paths/add/x", json={"source": "ftp://a"})
    expect(ftp, 400, "invalid source: 'ftp://a'")
    assert call(platform, "POST", "config/paths/add/x", json={}).status_code == 200
    expect(call(platform, "POST", "config/paths/add/x", json={}), 400, "path already exists")
    wrong_method = call(platform, "GET", "config/paths/replace/x")
    assert (wrong_method.status_code, wrong_method.text) == (404, "404 page not found")


def test_patch_and_pagination(platform: VideoPlatform) -> None:
    for name in ("c", "a", "b"):
        assert call(platform, "POST", f"config/paths/add/{name}", json={}).status_code == 200
    page = call(platform, "GET", "config/paths/list", params={"itemsPerPage": 2, "page": 1})
    assert page.json()["itemCount"] == 3 and page.json()["pageCount"] == 2
    assert [i["name"] for i in page.json()["items"]] == ["c"]  # sorted by name
    assert call(platform, "PATCH", "config/paths/patch/a", json={"record": True}).status_code == 200
    patched = call(platform, "GET", "config/paths/get/a").json()
    assert patched["record"] is True and patched["source"] == "publisher"
    idle = runtime(platform, "a")  # a publisher path nobody publishes to
    assert (idle["ready"], idle["source"], idle["readers"]) == (False, None, [])
