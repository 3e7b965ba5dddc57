"""The lab built from the example inventory: addresses, credentials and the lab's network."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from onvif import ONVIFCamera
from test_alarm_support import LabLoop, wait_until

from provision.inventory.loader import load_inventory
from provision.inventory.selectors import Selection
from provision.lab.control import ControlApi
from provision.lab.credentials import lab_secret
from provision.lab.faults import Faults
from provision.lab.runtime import Lab, _school_devices

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-k003"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabLoop, Lab, ControlApi]]:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    loop = LabLoop()
    lab = Lab(city, Selection(schools=(SCHOOL,)).apply(city), tmp_path_factory.mktemp("lab"))
    lab.build()
    control = ControlApi(lab)
    loop.run(lab.start())
    loop.run(control.server.start())
    yield loop, lab, control
    loop.run(control.server.stop())
    loop.run(lab.stop())
    loop.close()


def _api(control: ControlApi, method: str, path: str, body: Any = None) -> Any:
    req = urllib.request.Request(
        f"http://127.0.0.1:{control.server.port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_every_device_of_the_school_and_its_precinct_services(running: Any) -> None:
    _, lab, control = running
    city = lab.city
    school = city.school(SCHOOL)
    devices = {d["id"]: d for d in _api(control, "GET", "/api/devices")}
    # Every device, recorders too (this school's speaks ISAPI; ONVIF ones are simulated too).
    expected = {f"{SCHOOL}/{d.name}" for d in school.devices()}
    assert {d.protocol for d in school.recorders} == {"isapi"}
    expected |= {
        f"precinct/{school.precinct}/video_platform",
        f"precinct/{school.precinct}/alarm_center",
    }
    assert set(devices) == expected
    cam = school.cameras[0]
    entry = devices[f"{SCHOOL}/{cam.name}"]
    # 10.b.c.d in the inventory is 127.b.c.d in the lab
    assert entry["host"] == "127." + cam.host.split(".", 1)[1]
    assert entry["inventory_host"] == cam.host


def test_a_lab_camera_accepts_the_inventory_credentials(running: Any) -> None:
    _, lab, _ = running
    school = lab.city.school(SCHOOL)
    cam = school.cameras[0]
    assert cam.credentials is not None
    device = lab.devices[f"{SCHOOL}/{cam.name}"]
    client = ONVIFCamera(
        device.sim.host,
        device.sim.endpoints()["http"],
        cam.credentials.username,
        lab_secret(cam.credentials.password),
        adjust_time=True,
    )
    info = client.devicemgmt.GetDeviceInformation()
    assert info.SerialNumber.startswith("SN")  # no city's prefix: any city runs on the lab
    # factory settings, not what the inventory wants: apply has work to do
    assert client.devicemgmt.GetHostname().Name != f"{SCHOOL}-{cam.name}"


def test_panel_configured_with_inventory_address_reaches_the_lab_centre(running: Any) -> None:
    _, lab, _ = running
    school = lab.city.school(SCHOOL)
    panel = school.alarms[0]
    centre = lab.city.precincts[school.precinct].alarm_center
    sim = lab.devices[f"{SCHOOL}/{panel.name}"].sim
    base = f"http://{sim.host}:{sim.endpoints()['http']}"
    creds = panel.credentials
    assert creds is not None
    auth = (creds.username, lab_secret(creds.password))
    config = {"receiver_host": centre.host, "receiver_port": centre.port, "account": panel.account}
    # The centre takes events only on its own receiver and line (factory panels say 0 and 0).
    config |= {"receiver_number": centre.receiver_number, "line_number": centre.line}
    assert requests.put(f"{base}/api/config", json=config, auth=auth, timeout=5).ok
    assert requests.post(f"{base}/api/test", auth=auth, timeout=5).ok
    centre_sim = lab.devices[f"precinct/{school.precinct}/alarm_center"].sim
    events_url = f"http://{centre_sim.host}:{centre_sim.endpoints()['http']}/api/events"

    def received() -> list[dict[str, Any]]:
        got = requests.get(events_url, params={"account": panel.account}, timeout=5).json()
        return [e for e in got if e["code"] == "601"] if isinstance(got, list) else []

    [event] = wait_until(received, timeout=10, what="601 at the centre")
    assert event["account"] == panel.account


def test_faults_switch_at_run_time_through_the_control_api(running: Any) -> None:
    _, lab, control = running
    # an ONVIF camera other than the first (which another test configures)
    cam = [c for c in lab.city.school(SCHOOL).cameras if c.protocol == "onvif"][-1]
    dev_id = f"{SCHOOL}/{cam.name}"
    sim = lab.devices[dev_id].sim
    url = f"http://{sim.host}:{sim.endpoints()['http']}/onvif/device_service"
    _api(control, "PUT", f"/api/devices/{dev_id}/faults", {"refuse": True})
    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=b"", timeout=2)
    status = _api(control, "DELETE", f"/api/devices/{dev_id}/faults")
    assert status["faults"] == {}
    assert requests.post(url, data=b"", timeout=2).status_code in (400, 500)
    with pytest.raises(urllib.error.HTTPError):
        _api(control, "PUT", f"/api/devices/{dev_id}/faults", {"no_such_fault": True})


def test_every_lab_panel_has_its_own_serial_though_schools_reuse_panel_names() -> None:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    serials: dict[str, str] = {}
    names = []
    for school in city.schools:
        for name, kind, _, make in _school_devices(school):
            if kind == "alarm":
                names.append(name)
                serials[f"{school.id}/{name}"] = make(faults=Faults()).serial
    assert len(set(names)) < len(names)  # the example does reuse names across schools
    assert len(set(serials.values())) == len(serials)
