"""The camera driver against lab cameras over real ONVIF (127.0.0.1, port 0), through the field
connector with sentinel secrets in its environment; and against a lab of one example school
through the lab connector, as `provision apply --lab` runs it."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from labsupport import LabLoop

from provision.drivers.base import Change, Settings, Target
from provision.drivers.camera import CameraDriver
from provision.drivers.connect import Connector
from provision.drivers.onvif_wsdl import wsdl_dir
from provision.drivers.registry import driver_class
from provision.errors import DeviceError
from provision.inventory.model import Camera as CameraSpec
from provision.inventory.model import City
from provision.inventory.selectors import Selection
from provision.lab.camera import Camera
from provision.lab.connector import LabConnector
from provision.lab.faults import Faults
from provision.lab.runtime import Lab
from provision.templates import render_camera
from provision.templates.camera_settings import posix_timezone

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-k003"
ADMIN = "SENTINEL-camera-admin-5b1e"
SECRETS = {
    "PROVISION_CAMERA_PASSWORD": ADMIN,
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "SENTINEL-camera-operator-77c0",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "SENTINEL-camera-auditor-e3a9",
}


@dataclasses.dataclass(frozen=True)
class RoutedConnector(Connector):
    """The field connector (secrets from `env`) with the camera's inventory address routed to
    a simulator on an ephemeral port; an address nobody routed is a test bug."""

    routes: Mapping[tuple[str, int], tuple[str, int]] = dataclasses.field(default_factory=dict)

    def address(self, host: str, port: int) -> tuple[str, int]:
        return self.routes[(host, port)]


Rig = tuple[CameraDriver, Camera]


@pytest.fixture
def rig(city: City, loop: LabLoop) -> Iterator[Callable[..., Rig]]:
    """Factory: a fresh factory-state lab camera and a driver for an example camera on it."""
    made: list[Rig] = []

    def make(password: str = ADMIN, timeout: float = 2.0, **camera: Any) -> Rig:
        school = city.school(SCHOOL)
        spec = school.cameras[len(made)]
        sim = Camera(
            spec.name,
            "127.0.0.1",
            faults=Faults(),
            http_port=0,
            rtsp_port=0,
            users={"admin": (password, "Administrator")},
            **camera,
        )
        loop.run(sim.start())
        local = ("127.0.0.1", sim.endpoints()["http"])
        # ... and the camera's own view of its address, which its snapshot URI carries
        routes = {(spec.host, 80): local, local: local}
        connector = RoutedConnector(timeout=timeout, env=SECRETS, routes=routes)
        made.append((CameraDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())


def expected_changes(driver: CameraDriver, factory: Settings) -> list[Change]:
    return [
        Change("hostname", factory["hostname"], f"{SCHOOL}-{driver.camera.name}"),
        Change("ntp", [], ["10.0.0.2", "10.0.0.1"]),
        Change("encoder.main.resolution", "1920x1080", "2560x1440"),
        Change("encoder.main.codec", "H.264", "H.265"),
        Change("encoder.main.bitrate_kbps", 4096, 2048),
        Change("osd", None, driver.camera.osd),
        Change("clock.source", "Manual", "NTP"),
        Change("users.operator", None, {"level": "Operator"}),
        Change("users.auditor", None, {"level": "User"}),
    ]


def test_render_prints_exactly_the_settings_the_driver_applies(city: City) -> None:
    school = city.school(SCHOOL)
    for spec in school.cameras[:3]:
        rendered = yaml.safe_load(render_camera(city, school, spec))
        want = CameraDriver(Target(city, school, spec, Connector(env={}))).desired()
        assert rendered["settings"] == want
        assert want["hostname"] == school.hostname(spec.name) == f"{SCHOOL}-{spec.name}"
        assert want["clock.timezone"] == posix_timezone(school.timezone) == "CST-8"
        assert want["encoder.main.resolution"] == f"{spec.video.width}x{spec.video.height}"
        assert rendered["forward"]["enabled"] is spec.forward


def test_posix_timezone_counts_hours_west_of_utc() -> None:
    assert posix_timezone("Asia/Shanghai") == "CST-8"
    assert posix_timezone("Asia/Kolkata") == "IST-5:30"
    assert posix_timezone("America/Sao_Paulo") == "UTC3"  # "-03" is no abbreviation
    assert posix_timezone("UTC") == "UTC0"


def test_factory_camera_plans_exactly_the_expected_changes(rig: Callable[..., Rig]) -> None:
    driver, _ = rig()
    factory = driver.read()
    assert factory["users.admin"] == {"level": "Administrator"}
    assert factory["clock.timezone"] == "CST-8"  # already right: no change planned
    assert driver.diff(factory, driver.desired()) == expected_changes(driver, factory)


def test_apply_converges_in_one_call_per_configuration(rig: Callable[..., Rig]) -> None:
    from onvif import ONVIFCamera  # imported here: onvif-zeep configures logging on import

    driver, sim = rig()
    changes = driver.diff(driver.read(), driver.desired())
    session = driver._session()
    sent: list[str] = []

    def recording(call: Callable[..., Any]) -> Callable[..., Any]:
        def record(operation: str, **kwargs: Any) -> Any:
            sent.append(operation)
            return call(operation, **kwargs)

        return record

    def recording2(call: Callable[..., Any]) -> Callable[..., Any]:
        def record(operation: str, body: str) -> Any:
            sent.append(f"media2:{operation}")
            return call(operation, body)

        return record

    session.device, session.media = recording(session.device), recording(session.media)  # type: ignore[method-assign]
    session.media2 = recording2(session.media2)  # type: ignore[method-assign]
    driver.apply(changes)
    assert sent == [
        "SetHostname",
        "SetNTP",
        "media2:SetVideoEncoderConfiguration",  # resolution, codec, bitrate: one Media2 call
        "CreateOSD",
        "SetSystemDateAndTime",
        "CreateUsers",  # operator and auditor in one call
    ]
    assert driver.diff(driver.read(), driver.desired()) == []

    # An independent client (onvif-zeep, WSDLs of its own) sees the same camera.
    other = ONVIFCamera(
        "127.0.0.1", sim.endpoints()["http"], "admin", ADMIN, str(wsdl_dir()), adjust_time=True
    )
    media = other.create_media_service()
    assert other.devicemgmt.GetHostname().Name == f"{SCHOOL}-{driver.camera.name}"
    assert [h.IPv4Address for h in other.devicemgmt.GetNTP().NTPManual] == ["10.0.0.2", "10.0.0.1"]
    clock = other.devicemgmt.GetSystemDateAndTime()
    assert (clock.DateTimeType, clock.TimeZone.TZ) == ("NTP", "CST-8")
    profile = media.GetProfiles()[0]
    enc = profile.VideoEncoderConfiguration
    # Media1 has no word for H.265 and says H264, as cameras do; the stream is H.265.
    assert (enc.Encoding, enc.Resolution.Width, enc.Resolution.Height) == ("H264", 2560, 1440)
    assert sim.state()["encoders"]["main"]["encoding"] == "H265"
    assert (enc.RateControl.FrameRateLimit, enc.RateControl.BitrateLimit) == (25, 2048)
    assert enc.H264.GovLength == 50 and enc.Quality == 60  # untouched fields kept
    token = profile.VideoSourceConfiguration.token
    [osd] = media.GetOSDs({"ConfigurationToken": token})
    assert osd.TextString.PlainText == driver.camera.osd
    users = {u.Username: u.UserLevel for u in other.devicemgmt.GetUsers()}
    assert users == {"admin": "Administrator", "operator": "Operator", "auditor": "User"}
    # ... and a change made by hand shows up as exactly that one change.
    other.devicemgmt.SetHostname({"Name": "renamed-by-hand"})
    assert driver.diff(driver.read(), driver.desired()) == [
        Change("hostname", "renamed-by-hand", f"{SCHOOL}-{driver.camera.name}")
    ]


def test_reversed_changes_restore_the_factory_state(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    factory, factory_state = driver.read(), sim.state()
    changes = driver.diff(factory, driver.desired())
    driver.apply(changes)
    driver.apply(changes)  # idempotent: applying again changes nothing and does not fail
    assert driver.diff(driver.read(), driver.desired()) == []
    driver.apply([c.reversed() for c in reversed(changes)])  # DeleteUsers, DeleteOSD, ...
    assert driver.read() == factory
    restored = sim.state()
    for volatile in ("clock_offset_s", "stream_uris"):
        del restored[volatile], factory_state[volatile]
    assert restored == factory_state
    # Removing what is already absent is done, not an error.
    driver.apply([Change("users.operator", {"level": "Operator"}, None), Change("osd", "x", None)])


def test_a_camera_clock_100_s_ahead_is_provisioned(rig: Callable[..., Rig]) -> None:
    driver, sim = rig(clock_offset_s=100.0)
    changes = driver.diff(driver.read(), driver.desired())
    assert abs(driver._session().clock_offset_s - 100) < 1.5
    driver.apply(changes)  # setting NTP makes the lab clock jump to real time mid-apply
    assert driver.diff(driver.read(), driver.desired()) == []
    assert abs(sim.settings.clock_offset_s) < 1 and abs(driver._session().clock_offset_s) < 1.5


def test_wrong_password_is_not_authorized(rig: Callable[..., Rig]) -> None:
    driver, _ = rig(password="the-camera-has-another-password")
    with pytest.raises(DeviceError, match=r"dl-xg-k003/\S+: ONVIF \w+ failed: .*NotAuthorized"):
        driver.read()


def test_a_silent_camera_fails_within_the_connector_timeout(rig: Callable[..., Rig]) -> None:
    driver, sim = rig(timeout=0.5)
    sim.faults.timeout = True
    started = time.monotonic()
    with pytest.raises(DeviceError, match=r"no answer within 0\.5 s"):
        driver.read()
    assert time.monotonic() - started < 1.5  # one call's deadline, not a hang


def test_encoder_fault_leaves_the_encoder_whole_and_rollback_restores(
    rig: Callable[..., Rig],
) -> None:
    driver, sim = rig()
    sim.faults.soap_fault = ["SetVideoEncoderConfiguration"]
    factory = driver.read()
    changes = driver.diff(factory, driver.desired())
    with pytest.raises(DeviceError, match="SetVideoEncoderConfiguration failed: SOAP fault"):
        driver.apply(changes)
    now = driver.read()
    landed = [c.setting for c in changes if now.get(c.setting) == c.after]
    assert landed == ["hostname", "ntp"]  # the calls before the failing one
    assert {k: v for k, v in now.items() if k not in landed} == {
        k: v for k, v in factory.items() if k not in landed
    }  # no encoder field half-set, nothing after it touched
    # What the task layer does next: put back what landed, newest first.
    driver.apply([c.reversed() for c in reversed(changes) if c.setting in landed])
    assert driver.read() == factory


def test_bad_changes_are_refused_before_anything_is_sent(rig: Callable[..., Rig]) -> None:
    driver, _ = rig()
    before = driver.read()
    for bad in (
        Change("encoder.main.fps", 25, "fast"),
        Change("encoder.main.resolution", "1920x1080", None),
        Change("users.operator", None, {"level": "Root"}),
        Change("firmware", "1", "2"),
    ):
        with pytest.raises(DeviceError, match="cannot apply"):
            driver.apply([Change("hostname", before["hostname"], "never-sent"), bad])
    assert driver.read() == before
    with pytest.raises(DeviceError, match="no password for it"):
        driver.apply([Change("users.guest", None, {"level": "User"})])


def test_no_secret_reaches_settings_changes_or_errors(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    seen: list[Any] = [driver.desired(), driver.read(), repr(driver), repr(driver._session())]
    changes = driver.diff(seen[1], seen[0])
    driver.apply(changes)
    seen += [[c.to_dict() for c in changes], driver.read()]
    sim.faults.soap_fault = ["CreateUsers"]
    driver.apply([c.reversed() for c in changes if c.setting.startswith("users.")])
    with pytest.raises(DeviceError) as info:  # creating them again, with passwords, fails
        driver.apply([c for c in changes if c.setting.startswith("users.")])
    sim.faults.auth_failure = True
    with pytest.raises(DeviceError) as denied:
        driver.read()
    seen += [str(info.value), repr(info.value), str(denied.value)]
    text = json.dumps(seen, ensure_ascii=False, default=str)
    for secret in SECRETS.values():
        assert secret not in text


def test_a_lab_school_converges_through_the_lab_connector(
    city: City, loop: LabLoop, tmp_path: Path
) -> None:
    """As `provision apply --lab` runs: lab addresses and passwords from the inventory, each
    camera's own clock offset, 16 cameras at a time, each through the driver of its protocol
    (the school mixes ONVIF and ISAPI cameras)."""
    lab = Lab(city, Selection(schools=(SCHOOL,)).apply(city), tmp_path)
    lab.build()
    sims = [d.sim for d in lab.devices.values() if d.kind == "camera"]
    for sim in sims:
        loop.run(sim.start())
    school = city.school(SCHOOL)
    connector = LabConnector(timeout=5)

    def converge(spec: CameraSpec) -> list[Change]:
        driver = driver_class("camera", spec.protocol)(Target(city, school, spec, connector))
        try:
            driver.apply(driver.diff(driver.read(), driver.desired()))
            return driver.diff(driver.read(), driver.desired())
        finally:
            driver.close()

    try:
        with ThreadPoolExecutor(16) as pool:
            left = list(pool.map(converge, school.cameras))
    finally:
        for sim in sims:
            loop.run(sim.stop())
    assert len(left) == len(school.cameras) == len(sims) and not any(left)
    assert {c.protocol for c in school.cameras} == {"onvif", "isapi"}


def test_identity_and_whether_the_picture_shows_anything(rig: Callable[..., Rig]) -> None:
    driver, sim = rig(serial="DL0000000042")
    driver.read()
    assert driver.identity()["serial"] == "DL0000000042"
    assert driver.inspect()["snapshot"]["uniform"] is False
    sim.faults.obstructed = True
    assert driver.inspect()["snapshot"]["uniform"] is True


def test_stream_uris_come_from_get_stream_uri_at_the_inventory_address(
    rig: Callable[..., Rig],
) -> None:
    """The lab camera names its own loopback address and port; the URL keeps its path and
    takes the inventory's address, on RTSP's port, without credentials."""
    driver, sim = rig()
    own = sim.state()["stream_uris"]
    assert own["Profile_1"].startswith("rtsp://127.0.0.1:")
    host = driver.camera.host
    assert driver.stream_uri() == f"rtsp://{host}:554/Streaming/Channels/101"
    assert driver.stream_uri("sub") == f"rtsp://{host}:554/Streaming/Channels/102"
    with pytest.raises(DeviceError, match="no 'third' stream profile"):
        driver.stream_uri("third")
