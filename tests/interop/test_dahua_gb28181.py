"""A lab Dahua camera's GB/T 28181 access, judged by two clients no one here wrote: `amcrest`
(PyPI, in a venv of its own) writes the camera's VSP_GAYS table through its generic CGI
command and reads it back, and SIPp (Debian sip-tester) plays the platform the camera then
registers with: it challenges the REGISTER, verifies the Digest with the password amcrest
wrote (SIPp's `verifyauth`), answers 200 and requires a Keepalive MESSAGE. SIPp exits 0 only
if its scenario ran as written. One camera and one client run for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from labsupport import LabLoop
from test_gb28181_sipp import DOMAIN, SERVER_ID, UAS, free_port, protocol_errors, sipp_platform
from tooling import client, require_program, run_client

from provision.lab.camera_dahua import DahuaCamera
from provision.lab.faults import Faults

ADMIN = "Lab-dahua-Pass-2"
DEVICE, CHANNEL = "21020200111320000041", "21020200111310000042"
SIP_PASSWORD = "dahua-sip-secret"

CLIENT = r"""
import json, sys
from urllib.parse import urlencode
from amcrest import AmcrestCamera, CommError

host, port, password, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
cam = AmcrestCamera(host, port, "admin", password, retries_connection=0,
                    timeout_protocol=5.0).camera

def command(query):
    return cam.command("configManager.cgi?" + query).content.decode()

seen = {}
try:  # enabling access without a server address or password: the camera refuses
    seen["half"] = command(urlencode({"action": "setConfig", "VSP_GAYS.Enable": "true"}))
except CommError as exc:
    seen["half"] = "refused: " + str(exc)
seen["set"] = command(urlencode({"action": "setConfig", **keys}))
seen["get"] = command("action=getConfig&name=VSP_GAYS")
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def sipp() -> str:
    return require_program("sipp", "sip-tester")


@pytest.fixture(scope="module")
def camera() -> Iterator[tuple[DahuaCamera, LabLoop]]:
    loop = LabLoop()
    sim = DahuaCamera(
        "gb-interop",
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        users={"admin": (ADMIN, "admin")},
        sip_port=0,
    )
    loop.run(sim.start())
    yield sim, loop
    loop.run(sim.stop())
    loop.close()


@pytest.fixture(scope="module")
def run(
    camera: tuple[DahuaCamera, LabLoop], sipp: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """SIPp listening as the platform, then amcrest writing the camera: what each saw."""
    python = client("amcrest")  # first: building it may outlast SIPp's timeout
    work = tmp_path_factory.mktemp("dahua-gb28181")
    scenario = work / "platform.xml"
    scenario.write_text(UAS.format(domain=DOMAIN, device=DEVICE, password=SIP_PASSWORD), "ascii")
    port = free_port()
    server = sipp_platform(sipp, scenario, port, calls=2, timeout_s=30)
    keys = {
        "VSP_GAYS.Enable": "true",
        "VSP_GAYS.SipSvrId": SERVER_ID,
        "VSP_GAYS.Domain": DOMAIN,
        "VSP_GAYS.SipSvrIp": "127.0.0.1",
        "VSP_GAYS.SipSvrPort": str(port),
        "VSP_GAYS.DeviceId": DEVICE,
        "VSP_GAYS.Password": SIP_PASSWORD,
        "VSP_GAYS.KeepAliveCircle": "1",
        "VSP_GAYS.ChannelSum": "1",
        "VSP_GAYS.ChannelInfo[0].Id": CHANNEL,
    }
    sim, _ = camera
    try:
        args = ("127.0.0.1", str(sim.endpoints()["http"]), ADMIN, json.dumps(keys))
        seen: dict[str, Any] = json.loads(run_client(python, CLIENT, *args))
        out, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    seen["sipp"] = (server.returncode, out[-2000:] + err[-2000:])
    seen["sipp_errors"] = [e for log in work.glob("*_errors.log") for e in protocol_errors(log)]
    return seen


def test_amcrest_writes_vsp_gays_and_reads_it_back_without_the_password(
    run: dict[str, Any], camera: tuple[DahuaCamera, LabLoop]
) -> None:
    assert run["half"].startswith("refused: ") and "400" in run["half"]
    assert run["set"].strip() == "OK"
    shown = run["get"].split()
    assert f"table.VSP_GAYS.DeviceId={DEVICE}" in shown
    assert f"table.VSP_GAYS.ChannelInfo[0].Id={CHANNEL}" in shown
    assert "table.VSP_GAYS.Password=******" in shown and SIP_PASSWORD not in run["get"]
    sim, loop = camera
    assert loop.call(lambda: sim.config.values["VSP_GAYS.Password"]) == SIP_PASSWORD


def test_sipp_as_platform_takes_the_cameras_register_and_keepalive(
    run: dict[str, Any], camera: tuple[DahuaCamera, LabLoop]
) -> None:
    code, said = run["sipp"]
    assert code == 0, said
    sim, loop = camera
    state = loop.call(lambda: sim.agent.state())
    assert state["last_register"]["status"] == 200 and state["keepalives_sent"] >= 1


def test_sipp_saw_no_protocol_error(run: dict[str, Any]) -> None:
    assert run["sipp_errors"] == []
