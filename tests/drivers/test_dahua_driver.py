"""The Dahua camera driver against lab Dahua cameras over the real CGI API (127.0.0.1, port 0,
Digest auth), through the field connector with sentinel secrets in its environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from driversupport import LabLoop, RoutedConnector

from provision.drivers.base import Change, Settings, Target
from provision.drivers.camera_dahua import DahuaCameraDriver
from provision.drivers.dahua_session import DahuaSession
from provision.errors import DeviceError
from provision.inventory.model import City, Video
from provision.lab.camera_dahua import DahuaCamera
from provision.lab.faults import Faults
from provision.templates.camera_settings import camera_settings

SCHOOL = "dl-xg-k003"  # Xigang: two NTP servers, of which a Dahua camera holds the first
ADMIN = "SENTINEL-dahua-admin-19fe"
SECRETS = {
    "PROVISION_CAMERA_PASSWORD": ADMIN,
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "SENTINEL-dahua-operator-4c2d",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "SENTINEL-dahua-auditor-8b7a",
}
Rig = tuple[DahuaCameraDriver, DahuaCamera]


@pytest.fixture
def rig(city: City, loop: LabLoop) -> Iterator[Callable[..., Rig]]:
    """Factory: a fresh factory-state lab Dahua camera and a driver for an example camera."""
    made: list[Rig] = []

    def make(
        password: str = ADMIN,
        timeout: float = 2.0,
        spec_changes: dict[str, Any] | None = None,
        **camera: Any,
    ) -> Rig:
        school = city.school(SCHOOL)
        spec = dataclasses.replace(school.cameras[len(made)], **(spec_changes or {}))
        sim = DahuaCamera(
            spec.name,
            "127.0.0.1",
            faults=Faults(),
            http_port=0,
            rtsp_port=0,
            users={"admin": (password, "admin")},
            **camera,
        )
        loop.run(sim.start())
        routes = {(spec.host, 80): ("127.0.0.1", sim.endpoints()["http"])}
        connector = RoutedConnector(timeout=timeout, env=SECRETS, routes=routes)
        made.append((DahuaCameraDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())


def _converge(driver: DahuaCameraDriver) -> tuple[Settings, list[Change]]:
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    driver.apply(changes)
    return before, changes


def test_desired_is_the_vocabulary_with_the_one_ntp_server_the_camera_holds(
    city: City, rig: Callable[..., Rig]
) -> None:
    driver, _ = rig()
    school = city.school(SCHOOL)
    want = camera_settings(school, driver.camera)
    assert list(school.ntp) == ["10.0.0.2", "10.0.0.1"]
    assert driver.desired() == {**want, "ntp": ["10.0.0.2"]}


def test_a_factory_camera_plans_each_setting_from_what_it_holds(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    factory = driver.read()
    assert factory["hostname"] == sim.serial  # an unnamed Dahua unit shows its serial
    assert factory["users.admin"] == {"level": "Administrator"}
    osd = driver.camera.osd
    assert driver.diff(factory, driver.desired()) == [
        Change("hostname", sim.serial, f"{SCHOOL}-{driver.camera.name}"),
        Change("ntp", [], ["10.0.0.2"]),
        Change("clock.timezone", "UTC0", "CST-8"),
        Change("encoder.main.resolution", "1920x1080", "2560x1440"),
        Change("encoder.main.codec", "H.264", "H.265"),
        Change("encoder.main.bitrate_kbps", 4096, 2048),
        Change("osd", "IPC", osd),
        Change("clock.source", "Manual", "NTP"),
        Change("users.operator", None, {"level": "Operator"}),
        Change("users.auditor", None, {"level": "User"}),
    ]


def test_apply_lands_on_the_camera_reads_back_and_rolls_back(
    rig: Callable[..., Rig], loop: LabLoop
) -> None:
    driver, sim = rig()
    before, changes = _converge(driver)
    after = driver.read()
    assert after == {**after, **driver.desired()} and driver.diff(after, driver.desired()) == []
    config = loop.call(lambda: dict(sim.config.values))
    assert config["ChannelTitle[0].Name"] == driver.camera.osd  # Chinese text, UTF-8 intact
    assert config["NTP.TimeZone"] == "13" and config["NTP.Address"] == "10.0.0.2"
    assert config["Encode[0].MainFormat[0].Video.Compression"] == "H.265"
    assert config["Encode[0].ExtraFormat[0].Video.Width"] == "704"  # the sub stream kept
    users = loop.call(lambda: {n: (u.group, u.authorities) for n, u in sim.users.users.items()})
    assert users["operator"] == ("user", ["Monitor_01", "Replay_01", "AuthManuCtr"])
    assert users["auditor"] == ("user", ["Monitor_01", "Replay_01"])
    assert (
        loop.call(lambda: sim.users.users["operator"].password)
        == SECRETS["PROVISION_CAMERA_OPERATOR_PASSWORD"]
    )
    driver.apply([c.reversed() for c in reversed(changes)])
    assert driver.read() == before


def test_a_refused_write_is_a_located_error_and_leaves_later_tables_alone(
    rig: Callable[..., Rig], loop: LabLoop
) -> None:
    driver, sim = rig()
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    sim.faults.update({"soap_fault": ["Encode"]})
    with pytest.raises(DeviceError) as failed:
        driver.apply(changes)
    assert str(failed.value).startswith(f"{SCHOOL}/{driver.camera.name}: the camera refused")
    assert "setConfig" in str(failed.value) and "Bad Request!" in str(failed.value)
    sim.faults.clear()
    now = driver.read()
    assert now["hostname"] == f"{SCHOOL}-{driver.camera.name}"  # General landed first
    assert now["clock.source"] == "NTP"  # and NTP
    assert now["encoder.main.codec"] == before["encoder.main.codec"]  # the refused table
    assert now["osd"] == before["osd"] and "users.operator" not in now  # not reached


def test_a_resolution_the_model_lacks_is_refused_and_changes_nothing(
    rig: Callable[..., Rig],
) -> None:
    driver, _ = rig()
    before = driver.read()
    wanted = Change("encoder.main.resolution", before["encoder.main.resolution"], "3840x2160")
    with pytest.raises(DeviceError, match=r"refused configManager\.cgi\?action=setConfig"):
        driver.apply([wanted, Change("encoder.main.fps", before["encoder.main.fps"], 12)])
    assert driver.read() == before


def test_values_a_dahua_camera_cannot_hold_are_refused_before_anything_is_sent(
    rig: Callable[..., Rig],
) -> None:
    driver, _ = rig()
    before = driver.read()
    for change, reason in [
        (Change("encoder.main.codec", "H.264", "MPEG-4"), "encodes H.264 or H.265"),
        (Change("clock.timezone", "UTC0", "XYZ-7:15"), "time zone table"),
        (Change("encoder.main.fps", 25, 0), "not a value"),
    ]:
        with pytest.raises(DeviceError, match=reason):
            driver.apply([Change("hostname", before["hostname"], "x"), change])
    assert driver.read() == before


def test_wrong_credentials_and_a_password_changed_mid_run_are_said_plainly(
    rig: Callable[..., Rig], loop: LabLoop
) -> None:
    driver, _ = rig(password="not-the-inventory-one")
    with pytest.raises(DeviceError, match=r"refuses the login .admin. \(HTTP 401\): wrong") as bad:
        driver.read()
    assert ADMIN not in str(bad.value)
    driver, sim = rig()
    driver.read()

    def change_password() -> None:
        sim.users.users["admin"].password = "changed-by-someone"

    loop.call(change_password)
    with pytest.raises(DeviceError, match="its password was changed meanwhile"):
        driver.read()


def test_five_wrong_passwords_lock_the_account_and_the_driver_says_so(
    rig: Callable[..., Rig],
) -> None:
    driver, sim = rig(password="not-the-inventory-one")
    said = []
    for _ in range(5):  # five runs, each one session with one wrong answer
        with pytest.raises(DeviceError) as err:
            driver.read()
        said.append(str(err.value))
        driver.close()
    assert all("wrong user name or password" in message for message in said[:4])
    assert "has locked the account 'admin' after repeated wrong passwords" in said[4]
    assert "30 minutes" in said[4] and ADMIN not in " ".join(said)
    address = ("127.0.0.1", sim.endpoints()["http"])
    right = DahuaSession("probe", address, "admin", "not-the-inventory-one", timeout=2)
    with pytest.raises(DeviceError, match="has locked the account 'admin'"):
        right.magic("getDeviceType")  # even the right password, until the lock expires
    right.close()


def test_a_truncated_answer_names_what_is_missing(rig: Callable[..., Rig], loop: LabLoop) -> None:
    driver, sim = rig()
    loop.call(lambda: sim.config.values.pop("Encode[0].MainFormat[0].Video.GOP"))
    with pytest.raises(DeviceError) as cut:
        driver.read()
    assert str(cut.value) == (
        f"{SCHOOL}/{driver.camera.name}: the answer to getConfig&name=Encode[0].MainFormat[0] "
        "lacks Encode[0].MainFormat[0].Video.GOP (truncated, or a firmware without these "
        "settings)"
    )


def test_a_silent_camera_times_out_with_its_name(rig: Callable[..., Rig]) -> None:
    driver, sim = rig(timeout=0.3)
    sim.faults.update({"timeout": True})
    with pytest.raises(DeviceError, match=r"getConfig: no answer within 0.3 s"):
        driver.read()


def test_identity_snapshot_and_stream_uris(rig: Callable[..., Rig]) -> None:
    driver, sim = rig(serial="7L0TESTSERIAL01")
    assert driver.identity() == {
        "manufacturer": "Dahua",
        "model": "IPC-HFW2441S-S",
        "firmware": "2.800.0000000.25.R",
        "serial": "7L0TESTSERIAL01",
    }
    assert driver.inspect()["snapshot"]["uniform"] is False
    sim.faults.update({"obstructed": True})
    assert driver.inspect()["snapshot"]["uniform"] is True
    host = driver.camera.host
    assert driver.stream_uri() == f"rtsp://{host}:554/cam/realmonitor?channel=1&subtype=0"
    assert driver.stream_uri("sub") == f"rtsp://{host}:554/cam/realmonitor?channel=1&subtype=1"
    with pytest.raises(DeviceError, match="no 'third' stream"):
        driver.stream_uri("third")


def test_sub_stream_and_rate_control_converge_when_the_inventory_wants_them(
    rig: Callable[..., Rig], city: City
) -> None:
    main = dataclasses.replace(city.school(SCHOOL).cameras[0].video, rate_control="VBR")
    sub = Video(640, 480, "H.264", 15, 30, 384, "CBR")
    driver, sim = rig(spec_changes={"video": main, "sub_video": sub})
    want = driver.desired()
    assert want["encoder.main.rate_control"] == "VBR" and want["encoder.sub.fps"] == 15
    driver.apply(driver.diff(driver.read(), want))
    assert driver.diff(driver.read(), want) == []
    held = sim.config.values
    assert held["Encode[0].MainFormat[0].Video.BitRateControl"] == "VBR"
    sub_keys = ("Width", "Height", "FPS", "GOP", "BitRate", "BitRateControl")
    assert [held[f"Encode[0].ExtraFormat[0].Video.{k}"] for k in sub_keys] == [
        "640",
        "480",
        "15",
        "30",
        "384",
        "CBR",
    ]
