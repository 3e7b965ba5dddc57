"""Both precinct platform drivers (ZLMediaKit, MediaMTX) behind one interface, against the lab
platform on ephemeral loopback ports pulling real RTSP from clip-serving cameras."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import requests
from driversupport import LabLoop, RoutedConnector

from provision.drivers.platforms import StreamPlatform, open_platform
from provision.errors import DeviceError
from provision.inventory.model import VideoPlatform
from provision.inventory.secrets import SecretRef
from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform as PlatformSim
from provision.lab.rtsp_server import RtspServer

T = TypeVar("T")
SECRET = "SENTINEL-zlm-secret-c0ffee"
CAMERA_PASSWORD = "SENTINEL-cam:pass/@word"  # characters that must be escaped in a URL
CAMERA_PATH = "/Streaming/Channels/101"
API_HOST = "10.200.9.10"
APIS = {"zlmediakit": 8080, "mediamtx": 9997}
# Longer than requests arriving together take on a loaded machine; shorter than the client's
# wait for an answer (platform(): 5 s, twice that for a ZLM add).
GIVE_UP_S = 4.0


@dataclasses.dataclass
class Rig:
    loop: LabLoop
    sim: PlatformSim
    cameras: list[RtspServer]

    def source(self, index: int, password: str = CAMERA_PASSWORD) -> str:
        from urllib.parse import quote

        port = self.cameras[index].port
        return f"rtsp://auditor:{quote(password, safe='')}@127.0.0.1:{port}{CAMERA_PATH}"

    def connector(self, timeout: float = 5.0) -> RoutedConnector:
        ports = self.sim.endpoints()
        routes = {
            (API_HOST, APIS["zlmediakit"]): ("127.0.0.1", ports["zlm_api"]),
            (API_HOST, APIS["mediamtx"]): ("127.0.0.1", ports["mediamtx_api"]),
        }
        return RoutedConnector(timeout=timeout, routes=routes)

    def set_faults(self, server: Any, faults: Faults, **changes: Any) -> None:
        faults.update(changes)
        self.loop.run(server.sync_faults())


@pytest.fixture
def rig(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.setenv("PROVISION_TEST_ZLM_SECRET", SECRET)
    loop = LabLoop()
    clip = ClipSource()

    async def start() -> Rig:
        sim = PlatformSim(
            "precinct",
            "127.0.0.1",
            faults=Faults(),
            secret=SECRET,
            api_port=0,
            mediamtx_port=0,
            rtsp_port=0,
            pull_timeout=2.0,
            reconnect_delay=(0.05, 0.05, 0.2),
            mediamtx_retry_pause=0.2,
        )
        await sim.start()
        cameras = [RtspServer("127.0.0.1", 0, Faults(), {CAMERA_PATH: clip}.get) for _ in "abc"]
        for camera in cameras:
            await camera.start()
        return Rig(loop, sim, cameras)

    built = loop.run(start())
    yield built
    for camera in built.cameras:
        loop.run(camera.stop())
    loop.run(built.sim.stop())
    loop.close()


def model(kind: str) -> VideoPlatform:
    secret = SecretRef("PROVISION_TEST_ZLM_SECRET") if kind == "zlmediakit" else None
    return VideoPlatform(kind, f"http://{API_HOST}:{APIS[kind]}", secret, "school", None)


def platform(rig: Rig, kind: str, timeout: float = 5.0) -> StreamPlatform:
    return open_platform(model(kind), rig.connector(timeout), f"test {kind}")


def pulled(rig: Rig, kind: str) -> set[str]:
    """Streams the platform is really receiving, asked through its own API."""
    ports = rig.sim.endpoints()
    if kind == "zlmediakit":
        url = f"http://127.0.0.1:{ports['zlm_api']}/index/api/getMediaList"
        media = requests.get(url, params={"secret": SECRET}, timeout=5).json().get("data", [])
        return {m["stream"] for m in media if m["app"] == "school"}
    url = f"http://127.0.0.1:{ports['mediamtx_api']}/v3/paths/list"
    items = requests.get(url, timeout=5).json()["items"]
    return {p["name"].removeprefix("school/") for p in items if p["ready"]}


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0) -> None:
    # a deadline, not a measure (labsupport.WAIT_S): a loaded machine pulls in seconds
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        time.sleep(0.02)


KINDS = pytest.mark.parametrize("kind", ["zlmediakit", "mediamtx"])


@KINDS
def test_list_add_repoint_remove(rig: Rig, kind: str) -> None:
    api = platform(rig, kind)
    assert api.list_proxies() == {}  # ZLM's empty answer has no "data" at all
    wanted = {"x-1-gate": rig.source(0), "x-1-yard": rig.source(1)}
    assert api.add_proxies(wanted) == {}
    assert api.list_proxies() == wanted  # as given, credentials included: caller strips
    wait_until(lambda: pulled(rig, kind) == {"x-1-gate", "x-1-yard"})

    assert api.add_proxies({"x-1-gate": rig.source(2)}) == {}  # re-point
    assert api.list_proxies() == {"x-1-gate": rig.source(2), "x-1-yard": rig.source(1)}
    wait_until(lambda: rig.cameras[2].sessions == 1 and rig.cameras[0].sessions == 0)

    api.remove_proxy("x-1-yard")
    api.remove_proxy("x-1-yard")  # already gone: fine
    assert api.list_proxies() == {"x-1-gate": rig.source(2)}
    wait_until(lambda: pulled(rig, kind) == {"x-1-gate"})
    api.close()


@KINDS
def test_a_camera_that_cannot_be_pulled_is_reported_and_the_others_added(
    rig: Rig, kind: str
) -> None:
    down = rig.cameras[1]
    rig.set_faults(down, down.faults, rtsp_down=True)
    api = platform(rig, kind, timeout=0.5)
    failed = api.add_proxies({"x-1-gate": rig.source(0), "x-1-yard": rig.source(1)})
    assert list(failed) == ["x-1-yard"]
    if kind == "zlmediakit":  # ZLM tried at once, said why, and kept nothing
        assert "refused" in failed["x-1-yard"]
        assert set(api.list_proxies()) == {"x-1-gate"}
    else:  # MediaMTX keeps the path and retries: it is not ready within the timeout
        assert failed["x-1-yard"] == "the platform has not pulled it within 0.5 s"
        assert set(api.list_proxies()) == {"x-1-gate", "x-1-yard"}
    assert CAMERA_PASSWORD not in repr(failed)
    assert pulled(rig, kind) == {"x-1-gate"}


def test_zlm_wrong_secret_is_a_device_error_without_the_secret(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVISION_TEST_ZLM_SECRET", "SENTINEL-wrong-secret")
    with pytest.raises(DeviceError) as failure:
        platform(rig, "zlmediakit").list_proxies()
    assert str(failure.value) == (
        "test zlmediakit: list proxies failed: authentication failed (code -100): "
        "check the platform secret"
    )
    with pytest.raises(DeviceError, match="add proxy x-1-gate failed: authentication"):
        platform(rig, "zlmediakit").add_proxies({"x-1-gate": rig.source(0)})


@KINDS
def test_an_unreachable_platform_is_a_device_error(rig: Rig, kind: str) -> None:
    rig.set_faults(rig.sim, rig.sim.faults, refuse=True)
    with pytest.raises(DeviceError, match=rf"test {kind}: list proxies failed: cannot connect"):
        platform(rig, kind).list_proxies()


def test_mediamtx_list_reads_every_page_and_only_the_app(rig: Rig) -> None:
    base = f"http://127.0.0.1:{rig.sim.endpoints()['mediamtx_api']}/v3/config/paths/add"
    with requests.Session() as http:
        for i in range(130):  # "publisher" paths: configured, nothing to pull
            assert http.post(f"{base}/school/x-{i:03d}", json={}, timeout=5).ok
        assert http.post(f"{base}/other/x-000", json={}, timeout=5).ok
    found = platform(rig, "mediamtx").list_proxies()
    assert sorted(found) == [f"x-{i:03d}" for i in range(130)]
    assert set(found.values()) == {"publisher"}


def test_a_platform_echoing_a_source_url_cannot_leak_the_camera_password(rig: Rig) -> None:
    api = platform(rig, "mediamtx")
    api.hide(CAMERA_PASSWORD)  # as the streams driver does before sending a source URL
    bad = rig.source(0).replace("rtsp://", "ftp://")  # MediaMTX quotes a bad source back
    with pytest.raises(DeviceError) as failure:
        api.add_proxies({"x-1-gate": bad})
    message = str(failure.value)
    assert message.startswith("test mediamtx: add proxy x-1-gate failed: HTTP 400: invalid source")
    assert "ftp://auditor:***@127.0.0.1" in message
    assert "SENTINEL" not in message


@pytest.mark.parametrize("legacy", [False, True], ids=["login", "secret-only"])
def test_zlm_driver_speaks_both_the_login_and_the_older_secret_release(
    rig: Rig, legacy: bool
) -> None:
    rig.set_faults(rig.sim, rig.sim.faults, zlm_legacy_auth=legacy)
    seen: list[bool] = []  # per API call: did the request carry the secret?
    check = rig.sim.zlm.auth.check

    def spy(req: Any, args: dict[str, str]) -> dict[str, str]:
        seen.append("secret" in args)
        return check(req, args)

    rig.sim.zlm.auth.check = spy  # type: ignore[method-assign]
    api = platform(rig, "zlmediakit")
    assert api.add_proxies({"x-1-gate": rig.source(0)}) == {}
    assert api.list_proxies() == {"x-1-gate": rig.source(0)}
    # The current release gets the secret's digest once, at login, and never the secret.
    assert seen and set(seen) == {legacy}
    api.close()


def test_zlm_driver_logs_in_again_after_a_platform_restart(rig: Rig) -> None:
    api = platform(rig, "zlmediakit")
    assert api.add_proxies({"x-1-gate": rig.source(0)}) == {}
    rig.set_faults(rig.sim, rig.sim.faults, platform_restart=True)  # cookies and proxies lost
    assert api.list_proxies() == {}
    assert api.add_proxies({"x-1-gate": rig.source(0)}) == {}
    assert set(api.list_proxies()) == {"x-1-gate"}
    api.close()


@KINDS
def test_a_schools_proxies_are_added_at_once(rig: Rig, kind: str) -> None:
    # Each add waits in the platform until all three have arrived: added one after another,
    # the first would wait out GIVE_UP_S alone and the check below would fail.
    arrived: list[str] = []
    everyone = asyncio.Event()
    alone: list[str] = []  # the adds that gave up waiting for the others
    deletes: list[str] = []

    async def all_there(stream: str) -> None:
        arrived.append(stream)
        if len(arrived) == 3:
            everyone.set()
        try:
            await asyncio.wait_for(everyone.wait(), GIVE_UP_S)
        except TimeoutError:
            alone.append(stream)

    if kind == "zlmediakit":
        routes = rig.sim.zlm.routes
        add, delete = routes["/index/api/addStreamProxy"], routes["/index/api/delStreamProxy"]

        async def adding(args: dict[str, str]) -> dict[str, Any]:
            await all_there(args["stream"])
            return await add(args)

        async def deleting(args: dict[str, str]) -> dict[str, Any]:
            deletes.append(args["key"])
            return await delete(args)

        routes["/index/api/addStreamProxy"] = adding
        routes["/index/api/delStreamProxy"] = deleting
    else:
        write = rig.sim.mediamtx._write

        async def writing(action: str, name: str, body: dict[str, Any]) -> None:
            await all_there(name)
            await write(action, name, body)

        rig.sim.mediamtx._write = writing  # type: ignore[method-assign]
    api = platform(rig, kind)
    wanted = {f"x-1-{n}": rig.source(n) for n in range(3)}
    assert api.add_proxies(wanted, present={}) == {}
    assert alone == [], f"{alone} waited alone in the platform"
    assert api.list_proxies() == wanted
    # The platform held none of them (`present`): ZLM's delete-before-add was not sent.
    assert deletes == []
    api.close()


def test_zlm_re_pointing_a_proxy_deletes_only_the_one_the_platform_holds(rig: Rig) -> None:
    deletes: list[str] = []
    routes = rig.sim.zlm.routes
    delete = routes["/index/api/delStreamProxy"]

    async def deleting(args: dict[str, str]) -> dict[str, Any]:
        deletes.append(args["key"])
        return await delete(args)

    routes["/index/api/delStreamProxy"] = deleting
    api = platform(rig, "zlmediakit")
    assert api.add_proxies({"x-1-gate": rig.source(0)}) == {}  # not known: deleted first
    assert deletes == ["__defaultVhost__/school/x-1-gate"]
    moved = {"x-1-gate": rig.source(1), "x-1-yard": rig.source(2)}
    assert api.add_proxies(moved, present=set(api.list_proxies())) == {}
    assert deletes == ["__defaultVhost__/school/x-1-gate"] * 2
    assert api.list_proxies() == moved
    api.close()
