"""The ISAPI camera driver against lab Hikvision cameras over real HTTP with Digest auth
(127.0.0.1, port 0), through the field connector with sentinel secrets in its environment.

One lab loop per module; each test gets a fresh factory-state camera, so tests pass alone
and in any order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from driversupport import LabLoop, RoutedConnector

from provision.drivers.base import Target
from provision.drivers.camera_isapi import (
    IsapiCameraDriver,
    hikvision_from_posix,
    posix_from_hikvision,
)
from provision.drivers.isapi_client import IsapiSession, text
from provision.errors import DeviceError
from provision.inventory.model import City, Video
from provision.lab.camera_isapi import IsapiCamera
from provision.lab.faults import Faults

SCHOOL = "dl-xg-k003"
ADMIN = "SENTINEL-isapi-admin-5b1e"
SECRETS = {
    "PROVISION_CAMERA_PASSWORD": ADMIN,
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "SENTINEL-isapi-operator-77c0",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "SENTINEL-isapi-auditor-e3a9",
}
Rig = tuple[IsapiCameraDriver, IsapiCamera]


@pytest.fixture
def rig(city: City, loop: LabLoop) -> Iterator[Callable[..., Rig]]:
    """Factory: a fresh factory-state lab ISAPI camera and a driver for an example camera."""
    made: list[Rig] = []

    def make(password: str = ADMIN, timeout: float = 2.0, **camera: Any) -> Rig:
        school = city.school(SCHOOL)
        spec = dataclasses.replace(school.cameras[len(made)], protocol="isapi", **camera)
        sim = IsapiCamera(
            spec.name,
            "127.0.0.1",
            faults=Faults(),
            http_port=0,
            rtsp_port=0,
            admin=("admin", password),
        )
        loop.run(sim.start())
        routes = {(spec.host, 80): ("127.0.0.1", sim.endpoints()["http"])}
        connector = RoutedConnector(timeout=timeout, env=SECRETS, routes=routes)
        made.append((IsapiCameraDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())


def test_plan_apply_converges_every_setting(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    want = driver.desired()
    changes = driver.diff(driver.read(), want)
    assert {c.setting for c in changes} >= {"hostname", "ntp", "osd", "encoder.main.codec"}
    driver.apply(changes)
    assert driver.diff(driver.read(), want) == []
    state = sim.settings
    assert state.device_name == want["hostname"]
    assert state.time_zone == "CST-8:00:00" and state.time_mode == "NTP"
    main = state.channels[101]
    video = want["encoder.main.resolution"].split("x")
    assert (main.width, main.height) == (int(video[0]), int(video[1]))
    assert main.max_frame_rate == want["encoder.main.fps"] * 100
    assert main.vbr_upper_cap == want["encoder.main.bitrate_kbps"]  # factory VBR: the cap
    assert [o.text for o in state.overlays if o.enabled] == [want["osd"]]
    assert {u.name: u.level for u in state.users.values()} == {
        "admin": "Administrator",
        "operator": "Operator",
        "auditor": "Viewer",
    }


def test_rollback_restores_factory_settings(rig: Callable[..., Rig]) -> None:
    driver, _sim = rig()
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    driver.apply(changes)
    driver.apply([c.reversed() for c in reversed(changes)])
    assert driver.read() == before


def test_refused_value_is_the_cameras_words_and_changes_nothing(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    current = driver.read()
    bad = driver.diff(current, {**current, "encoder.main.resolution": "4000x3000"})
    with pytest.raises(DeviceError) as err:
        driver.apply(bad)
    message = str(err.value)
    assert "dl-xg-k003/" in message and "HTTP 400" in message
    assert "badParameters" in message and "statusCode 6" in message
    assert sim.settings.channels[101].width == 1920


def test_wrong_password_is_a_plain_401(rig: Callable[..., Rig]) -> None:
    driver, _sim = rig(password="changed-on-the-camera")
    with pytest.raises(DeviceError) as err:
        driver.read()
    assert "HTTP 401" in str(err.value) and "'admin'" in str(err.value)
    assert ADMIN not in str(err.value)


def test_five_wrong_passwords_lock_the_address_and_the_driver_says_for_how_long(
    rig: Callable[..., Rig],
) -> None:
    driver, sim = rig(password="changed-on-the-camera")
    base = f"http://127.0.0.1:{sim.endpoints()['http']}"
    right = IsapiSession("probe", base, "admin", "changed-on-the-camera", timeout=2)
    lock = right.get("/ISAPI/Security/illegalLoginLock", "read the login lock")
    assert (text(lock, "enabled"), text(lock, "maxIllegalLoginTimes")) == ("true", "5")
    said = []
    for _ in range(5):  # five runs, each one session with one wrong answer
        with pytest.raises(DeviceError) as err:
            driver.read()
        said.append(str(err.value))
        driver.close()
    assert (
        "HTTP 401" in said[0] and "(4 tries left before the camera locks this address)" in said[0]
    )
    assert "(1 tries left" in said[3] and ADMIN not in " ".join(said)
    assert "has locked logins from this address for 30 minutes after repeated wrong" in said[4]
    with pytest.raises(DeviceError, match="locked logins from this address"):
        right.get("/ISAPI/System/deviceInfo", "read identity")  # even the right password
    right.close()


def test_device_error_status_on_one_resource(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    sim.faults.update({"api_error": ["/ISAPI/Security/users"]})
    with pytest.raises(DeviceError, match=r"Device Error \(deviceError; statusCode 3\)"):
        driver.read()


def test_truncated_xml_is_a_located_error(
    rig: Callable[..., Rig], monkeypatch: pytest.MonkeyPatch
) -> None:
    driver, sim = rig()
    from provision.lab import isapi_resources

    def truncated(*_args: Any) -> bytes:
        return b'<?xml version="1.0"?><Time><timeMode>NTP</time'

    monkeypatch.setitem(isapi_resources.ROUTES[2].methods, "GET", ("Viewer", truncated))
    with pytest.raises(DeviceError, match="not well-formed XML") as err:
        driver.read()
    assert str(err.value).startswith(f"{SCHOOL}/")
    del sim


def test_identity_snapshot_and_stream_uris(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    ident = driver.identity()
    assert ident["model"] == "DS-2CD2T47G2-L" and ident["manufacturer"] == "Hikvision"
    assert ident["serial"] == sim.settings.identity.serial
    assert driver.inspect()["snapshot"]["uniform"] is False
    sim.faults.update({"obstructed": True})
    assert driver.inspect()["snapshot"]["uniform"] is True
    host = driver.camera.host
    assert driver.stream_uri() == f"rtsp://{host}:554/Streaming/Channels/101"
    assert driver.stream_uri("sub") == f"rtsp://{host}:554/Streaming/Channels/102"


@pytest.mark.parametrize(
    ("posix", "hikvision"),
    [
        ("CST-8", "CST-8:00:00"),
        ("IST-5:30", "IST-5:30:00"),
        ("UTC0", "UTC+0:00:00"),
        ("EST5", "EST+5:00:00"),
    ],
)
def test_time_zones_round_trip(posix: str, hikvision: str) -> None:
    assert hikvision_from_posix(posix) == hikvision
    assert posix_from_hikvision(hikvision) == posix


def test_sub_stream_and_rate_control_converge_when_the_inventory_wants_them(
    rig: Callable[..., Rig], city: City
) -> None:
    main = dataclasses.replace(city.school(SCHOOL).cameras[0].video, rate_control="CBR")
    sub = Video(640, 360, "H.264", 15, 30, 384, "CBR")
    driver, sim = rig(video=main, sub_video=sub)
    want = driver.desired()
    assert want["encoder.main.rate_control"] == "CBR" and want["encoder.sub.fps"] == 15
    driver.apply(driver.diff(driver.read(), want))
    assert driver.diff(driver.read(), want) == []
    main_ch, sub_ch = sim.settings.channels[101], sim.settings.channels[102]
    assert main_ch.quality_control == "CBR" and main_ch.constant_bitrate == main.bitrate_kbps
    assert (sub_ch.width, sub_ch.height, sub_ch.max_frame_rate) == (640, 360, 1500)
    assert (sub_ch.quality_control, sub_ch.constant_bitrate, sub_ch.gov_length) == ("CBR", 384, 30)
