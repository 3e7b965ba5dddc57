"""The stream-forwarding driver against the lab's precinct platform (ZLMediaKit and MediaMTX
APIs) really pulling RTSP from lab cameras, for two example schools: one behind a ZLMediaKit
precinct, one behind a MediaMTX precinct. Sentinel secrets are in the environment.

Simulators listen on ephemeral loopback ports and the inventory addresses are routed to them
(the connector for the platform API, the lab's network map for the platform's pulls), rather
than on the lab's derived addresses: a `provision lab up` or another test's Lab for the same
precinct running at the same time would otherwise hold those addresses.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from driversupport import LabLoop, RoutedConnector

from provision.drivers.base import Change, Target
from provision.drivers.streams import StreamPullError, StreamsDriver
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City, School
from provision.lab import netmap
from provision.lab.camera import Camera as OnvifCamera
from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform as PlatformSim
from provision.lab.rtsp_server import RtspServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOLS = {"zlmediakit": "dl-zs-h024", "mediamtx": "dl-xg-m016"}
# Other schools whose proxies may sit on the same platform (dl-zs-p007 was nanshajie's too
# before its precinct became a GB/T 28181 one).
NEIGHBOURS = {"zlmediakit": "dl-zs-p007", "mediamtx": "dl-xg-k003"}
AUDITOR_PASSWORD = "SENTINEL-auditor-5b9d"
CAMERA_PASSWORD = "SENTINEL-camera-admin-1f0c"  # ONVIF cameras are asked for their stream URI
ZLM_SECRET = "SENTINEL-zlm-secret-77e1"
CAMERA_PATH = "/Streaming/Channels/101"
KINDS = pytest.mark.parametrize("kind", sorted(SCHOOLS))
T = TypeVar("T")


@dataclasses.dataclass
class Rig:
    loop: LabLoop
    city: City
    platforms: dict[str, PlatformSim]  # by kind
    cameras: dict[str, RtspServer]  # by inventory address
    routes: dict[tuple[str, int], tuple[str, int]]
    onvif: dict[str, OnvifCamera]  # ONVIF cameras by inventory address (RTSP in `cameras`)

    def camera(self, school: School, name: str) -> RtspServer:
        return self.cameras[next(c.host for c in school.cameras if c.name == name)]


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0) -> None:
    # a deadline, not a measure (labsupport.WAIT_S): a loaded machine pulls in seconds
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def running() -> Iterator[Rig]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PROVISION_CAMERA_AUDITOR_PASSWORD", AUDITOR_PASSWORD)
        env.setenv("PROVISION_ZLM_SECRET", ZLM_SECRET)
        env.setenv("PROVISION_CAMERA_PASSWORD", CAMERA_PASSWORD)
        city = load_inventory(EXAMPLE).city
        assert city is not None
        loop = LabLoop()
        rig = loop.run(_start(loop, city))
        # The platform pulls cameras at their inventory addresses: route those to the lab's
        # cameras, and anything else to a port where nothing listens (fail fast, stay local).
        cameras = {(host, 554): ("127.0.0.1", cam.port) for host, cam in rig.cameras.items()}
        netmap.install(lambda host, port: cameras.get((host, port), ("127.0.0.1", 1)))
        yield rig
        netmap.install(None)
        for camera in rig.cameras.values():
            loop.run(camera.stop())
        for onvif in rig.onvif.values():
            loop.run(onvif.stop())
        for platform in rig.platforms.values():
            loop.run(platform.stop())
        loop.close()


async def _start(loop: LabLoop, city: City) -> Rig:
    clip = ClipSource()
    platforms: dict[str, PlatformSim] = {}
    cameras: dict[str, RtspServer] = {}
    routes: dict[tuple[str, int], tuple[str, int]] = {}
    onvif: dict[str, OnvifCamera] = {}
    for kind, school_id in SCHOOLS.items():
        school = city.school(school_id)
        sim = PlatformSim(
            kind,
            "127.0.0.1",
            faults=Faults(),
            secret=ZLM_SECRET,
            api_port=0,
            mediamtx_port=0,
            rtsp_port=0,
            pull_timeout=2.0,
            mediamtx_retry_pause=0.2,
        )
        await sim.start()
        platforms[kind] = sim
        api = city.precincts[school.precinct].video_platform.api
        host, _, port = api.removeprefix("http://").partition(":")
        endpoint = "zlm_api" if kind == "zlmediakit" else "mediamtx_api"
        routes[(host, int(port))] = ("127.0.0.1", sim.endpoints()[endpoint])
        # The forwarded cameras and one that is not (for proxies added by hand).
        spare = next(c for c in school.cameras if not c.forward)
        for cam in [*(c for c in school.cameras if c.forward), spare]:
            if cam.protocol == "onvif":  # a whole camera: the driver asks it GetStreamUri
                sim = OnvifCamera(
                    cam.name,
                    "127.0.0.1",
                    faults=Faults(),
                    http_port=0,
                    rtsp_port=0,
                    # and the view-only account the platform pulls with (the camera driver
                    # creates it on a real run, before the streams are forwarded)
                    users={
                        "admin": (CAMERA_PASSWORD, "Administrator"),
                        "auditor": (AUDITOR_PASSWORD, "User"),
                    },
                )
                await sim.start()
                onvif[cam.host] = sim
                routes[(cam.host, 80)] = ("127.0.0.1", sim.endpoints()["http"])
                cameras[cam.host] = sim._rtsp  # its RTSP server: faults and pulls as a bare one
                continue
            server = RtspServer("127.0.0.1", 0, Faults(), {CAMERA_PATH: clip}.get)
            await server.start()
            cameras[cam.host] = server
    return Rig(loop, city, platforms, cameras, routes, onvif)


@pytest.fixture(autouse=True)
def clean(running: Rig) -> Iterator[None]:
    """Every test starts from factory platforms and healthy cameras."""
    yield
    for sim in running.platforms.values():
        running.loop.run(sim.zlm.stop_all())
        running.loop.run(sim.mediamtx.stop_all())
    for server in running.cameras.values():
        if server.faults.active():
            server.faults.clear()
            running.loop.run(server.sync_faults())


def school_of(rig: Rig, kind: str) -> School:
    return rig.city.school(SCHOOLS[kind])


def driver(rig: Rig, kind: str, timeout: float = 5.0, city: City | None = None) -> StreamsDriver:
    connector = RoutedConnector(timeout=timeout, routes=rig.routes)
    return StreamsDriver(Target(city or rig.city, school_of(rig, kind), None, connector))


def held(rig: Rig, kind: str) -> dict[str, str]:
    """Every proxy under the app as the platform holds it, asked through its own API."""
    sim = rig.platforms[kind]
    if kind == "zlmediakit":
        url = f"http://{sim.host}:{sim.endpoints()['zlm_api']}/index/api/listStreamProxy"
        data = requests.get(url, params={"secret": ZLM_SECRET}, timeout=5).json().get("data", [])
        return {p["src"]["stream"]: p["url"] for p in data if p["src"]["app"] == "school"}
    url = f"http://{sim.host}:{sim.endpoints()['mediamtx_api']}/v3/config/paths/list"
    items = requests.get(url, timeout=5).json()["items"]
    return {p["name"].removeprefix("school/"): p["source"] for p in items}


def pulled(rig: Rig, kind: str) -> set[str]:
    """The streams the platform really receives and re-serves."""
    sim = rig.platforms[kind]
    if kind == "zlmediakit":
        return {p["key"].rpartition("/")[2] for p in sim.zlm.summary() if p["online"]}
    return {p["name"].removeprefix("school/") for p in sim.mediamtx.summary() if p["ready"]}


def pulls(rig: Rig, kind: str) -> dict[str, int]:
    """Identity of each running pull: a proxy re-added or re-pointed gets a new one."""
    sim = rig.platforms[kind]
    if kind == "zlmediakit":
        return {key: id(p.pulled) for key, p in sim.zlm.proxies.items()}
    return {name: id(p.pulled) for name, p in sim.mediamtx.paths.items()}


def hand_set(rig: Rig, kind: str, stream: str, source: str) -> None:
    """Someone at the precinct adds or re-points a proxy by hand."""
    sim = rig.platforms[kind]
    if kind == "zlmediakit":
        base = f"http://{sim.host}:{sim.endpoints()['zlm_api']}/index/api"
        key = f"__defaultVhost__/school/{stream}"
        requests.post(f"{base}/delStreamProxy", data={"secret": ZLM_SECRET, "key": key}, timeout=5)
        form = {"secret": ZLM_SECRET, "vhost": "__defaultVhost__", "app": "school"}
        answer = requests.post(
            f"{base}/addStreamProxy", data={**form, "stream": stream, "url": source}, timeout=15
        ).json()
        assert answer["code"] == 0, answer
    else:
        base = f"http://{sim.host}:{sim.endpoints()['mediamtx_api']}/v3/config/paths/replace"
        assert requests.post(f"{base}/school/{stream}", json={"source": source}, timeout=5).ok


def unforwarded_source(school: School) -> str:
    camera = next(c for c in school.cameras if not c.forward)
    return f"rtsp://{camera.host}:554/Streaming/Channels/101"


def assert_no_secret(*things: Any) -> None:
    for thing in things:
        text = repr(thing) + str(thing)
        assert AUDITOR_PASSWORD not in text and ZLM_SECRET not in text


@KINDS
def test_factory_forwards_every_marked_camera_and_rollback_removes_them(
    running: Rig, kind: str
) -> None:
    rig = running
    school = school_of(rig, kind)
    streams = driver(rig, kind)
    current, desired = streams.read(), streams.desired()
    assert current == {}
    gate = next(c for c in school.cameras if c.name == "gate-face")
    assert desired[f"proxy/{school.id}-gate-face"] == (
        f"rtsp://{gate.host}:554/Streaming/Channels/101"
    )
    changes = streams.diff(current, desired)
    assert sorted(c.setting for c in changes) == sorted(
        f"proxy/{school.id}-{c.name}" for c in school.cameras if c.forward
    )
    assert all(c.before is None for c in changes)

    streams.apply(changes)
    assert streams.diff(streams.read(), desired) == []
    # The platform pulls with the auditor's credentials, which only it ever sees.
    expected = {
        s.removeprefix("proxy/"): url.replace("rtsp://", f"rtsp://auditor:{AUDITOR_PASSWORD}@")
        for s, url in desired.items()
    }
    assert held(rig, kind) == expected
    wait_until(lambda: pulled(rig, kind) == set(expected))
    before = pulls(rig, kind)
    streams.apply(changes)  # idempotent: nothing fails, and no running pull is restarted
    assert held(rig, kind) == expected and pulls(rig, kind) == before

    streams.apply([c.reversed() for c in reversed(changes)])
    assert held(rig, kind) == {}
    assert streams.read() == current
    assert_no_secret(current, desired, changes, streams.read())
    streams.close()


@KINDS
def test_stale_proxies_of_the_school_go_and_other_schools_stay(running: Rig, kind: str) -> None:
    rig = running
    school = school_of(rig, kind)
    source = unforwarded_source(school)
    stale, neighbour = f"{school.id}-old-cam", f"{NEIGHBOURS[kind]}-gate-face"
    hand_set(rig, kind, stale, source)
    hand_set(rig, kind, neighbour, source)

    streams = driver(rig, kind)
    current = streams.read()
    assert current == {f"proxy/{stale}": source}  # the neighbour's is not even read
    changes = streams.diff(current, streams.desired())
    assert Change(f"proxy/{stale}", source, None) in changes
    assert len(changes) == 5  # four forwarded cameras to add, one stale proxy to remove
    streams.apply(changes)
    assert streams.diff(streams.read(), streams.desired()) == []
    assert stale not in held(rig, kind) and held(rig, kind)[neighbour] == source

    ours = f"{school.id}-gate-face"
    with pytest.raises(DeviceError, match=rf"'proxy/{neighbour}' is not a proxy of this school"):
        streams.apply([Change(f"proxy/{ours}", "x", None), Change(f"proxy/{neighbour}", "y", None)])
    assert {ours, neighbour} <= set(held(rig, kind))  # refused before anything was written

    # Rollback brings the stale proxy back, pulling with the auditor's credentials again.
    streams.apply([c.reversed() for c in reversed(changes)])
    authenticated = source.replace("rtsp://", f"rtsp://auditor:{AUDITOR_PASSWORD}@")
    assert held(rig, kind) == {stale: authenticated, neighbour: source}
    assert streams.read() == current
    assert_no_secret(current, changes)


@KINDS
def test_drift_by_hand_is_exactly_that_change(running: Rig, kind: str) -> None:
    rig = running
    school = school_of(rig, kind)
    streams = driver(rig, kind)
    current = streams.read()  # first: it asks the ONVIF gate camera for its stream URI
    desired = streams.desired()
    streams.apply(streams.diff(current, desired))
    gate = f"{school.id}-gate-face"
    elsewhere = unforwarded_source(school)
    hand_set(rig, kind, gate, f"rtsp://someone:else@{elsewhere.removeprefix('rtsp://')}")
    drift = streams.diff(streams.read(), desired)
    assert drift == [Change(f"proxy/{gate}", elsewhere, desired[f"proxy/{gate}"])]
    streams.apply(drift)
    assert held(rig, kind)[gate] == desired[f"proxy/{gate}"].replace(
        "rtsp://", f"rtsp://auditor:{AUDITOR_PASSWORD}@"
    )


@KINDS
def test_a_camera_the_platform_cannot_pull_is_named_and_the_others_are_added(
    running: Rig, kind: str
) -> None:
    rig = running
    school = school_of(rig, kind)
    camera = rig.camera(school, "gate-face")
    camera.faults.update({"rtsp_down": True})
    rig.loop.run(camera.sync_faults())
    streams = driver(rig, kind, timeout=1.0)
    changes = streams.diff(streams.read(), streams.desired())
    with pytest.raises(StreamPullError) as failure:
        streams.apply(changes)
    gate = f"{school.id}-gate-face"
    assert set(failure.value.streams) == {gate}
    message = str(failure.value)
    assert message.startswith(f"{school.id} streams on {school.precinct} {kind}: add proxy ")
    assert f"failed for 1 of 4 stream(s) (the others were added): {gate}: " in message
    assert_no_secret(failure.value, failure.value.streams)
    others = {c.setting.removeprefix("proxy/") for c in changes} - {gate}
    wait_until(lambda: pulled(rig, kind) == others)
    if kind == "zlmediakit":  # ZLM dropped it: the next plan adds it again
        assert [c.setting for c in streams.diff(streams.read(), streams.desired())] == [
            f"proxy/{gate}"
        ]
    else:  # MediaMTX keeps the path and retries until the camera answers
        assert gate in held(rig, kind)


def test_a_wrong_platform_secret_is_a_device_error_without_secrets(
    running: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = running
    monkeypatch.setenv("PROVISION_ZLM_SECRET", "SENTINEL-wrong-zlm-secret")
    with pytest.raises(DeviceError) as failure:
        driver(rig, "zlmediakit").read()
    assert str(failure.value) == (
        "dl-zs-h024 streams on nanshajie zlmediakit: list proxies failed: "
        "authentication failed (code -100): check the platform secret"
    )


def test_a_school_whose_id_extends_another_is_not_owned(running: Rig) -> None:
    rig = running
    longer = dataclasses.replace(school_of(rig, "zlmediakit"), id="dl-zs-h024-annex")
    city = dataclasses.replace(rig.city, schools=[*rig.city.schools, longer])
    streams = driver(rig, "zlmediakit", city=city)
    assert streams.owns("proxy/dl-zs-h024-old-cam")
    assert not streams.owns("proxy/dl-zs-h024-annex-gate-face")
    assert not streams.owns("proxy/dl-zs-p007-gate-face")
    assert not streams.owns("dl-zs-h024-old-cam")  # not a proxy setting at all


@KINDS
def test_an_onvif_camera_that_cannot_say_its_uri_keeps_its_proxy_and_is_named(
    running: Rig, kind: str
) -> None:
    """The gate camera (ONVIF) is asked GetStreamUri at read time; while it refuses, its
    proxy is neither added nor removed, the others converge, and apply names it."""
    rig = running
    school = school_of(rig, kind)
    streams = driver(rig, kind)
    streams.apply(streams.diff(streams.read(), streams.desired()))
    gate = f"{school.id}-gate-face"
    onvif = rig.onvif[next(c.host for c in school.cameras if c.name == "gate-face")]
    onvif.faults.update({"auth_failure": True})
    try:
        again = driver(rig, kind)
        current = again.read()
        desired = again.desired()
        assert f"proxy/{gate}" in current and f"proxy/{gate}" not in desired
        assert again.diff(current, desired) == []  # not removed: not ours while unknown
        with pytest.raises(DeviceError, match=f"{gate}: .*GetStreamUri|{gate}: .*not author"):
            again.apply([])
    finally:
        onvif.faults.clear()
    assert gate in held(rig, kind)


def test_an_apply_right_after_its_read_lists_the_proxies_once(running: Rig) -> None:
    # The converge reads, then applies: the apply decides what to add and what to re-point
    # from the list its read got (one round trip fewer on a slow link); a later apply, with
    # no read just before it, lists afresh.
    routes = running.platforms["zlmediakit"].zlm.routes
    listing = routes["/index/api/listStreamProxy"]
    lists: list[int] = []

    async def counted(args: dict[str, str]) -> dict[str, Any]:
        lists.append(1)
        return await listing(args)

    routes["/index/api/listStreamProxy"] = counted
    try:
        streams = driver(running, "zlmediakit")
        changes = streams.diff(streams.read(), streams.desired())
        assert changes and len(lists) == 1
        streams.apply(changes)
        assert len(lists) == 1
        streams.apply([c.reversed() for c in reversed(changes)])
        assert len(lists) == 2
        assert held(running, "zlmediakit") == {}
    finally:
        routes["/index/api/listStreamProxy"] = listing
