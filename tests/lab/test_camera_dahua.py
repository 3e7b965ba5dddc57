"""The lab's Dahua camera over its real CGI API, driven with requests (Digest auth as requests
implements it): what it answers, what it refuses and how, and its faults."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from labsupport import LabLoop
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from provision.lab.camera_dahua import DahuaCamera
from provision.lab.faults import Faults
from provision.protocols.dahua_cgi import ERROR_BODY

SERIAL = "7L0LABTEST0001"
ADMIN = ("admin", "Lab-admin-pass-1")
VIEWER = ("viewer", "Lab-viewer-pass-1")


@pytest.fixture(scope="module")
def loop() -> Iterator[LabLoop]:
    lab = LabLoop()
    yield lab
    lab.close()


@pytest.fixture()
def cam(loop: LabLoop) -> Iterator[DahuaCamera]:
    camera = DahuaCamera(
        "dahua-lab",
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        serial=SERIAL,
        users={ADMIN[0]: (ADMIN[1], "admin"), VIEWER[0]: (VIEWER[1], "user")},
    )
    loop.run(camera.start())
    yield camera
    loop.run(camera.stop())


def get(cam: DahuaCamera, query: str, auth: object = ADMIN) -> requests.Response:
    if isinstance(auth, tuple):
        auth = HTTPDigestAuth(*auth)
    url = f"http://127.0.0.1:{cam.endpoints()['http']}/cgi-bin/{query}"
    return requests.get(url, auth=auth, timeout=5)  # type: ignore[arg-type]


def test_without_digest_credentials_the_camera_challenges_in_its_own_realm(
    cam: DahuaCamera,
) -> None:
    for auth in (None, HTTPBasicAuth(*ADMIN), ("admin", "wrong"), ("nobody", ADMIN[1])):
        reply = get(cam, "magicBox.cgi?action=getSerialNo", auth)
        assert reply.status_code == 401
        challenge = reply.headers["WWW-Authenticate"]
        assert challenge.startswith(f'Digest realm="Login to {SERIAL}", qop="auth", nonce="')
        assert ADMIN[1] not in reply.text
    assert get(cam, "magicBox.cgi?action=getSerialNo").text == f"sn={SERIAL}\r\n"


def test_a_stale_nonce_is_answered_stale_and_the_client_retries_unasked(
    cam: DahuaCamera,
) -> None:
    auth = HTTPDigestAuth(*ADMIN)
    auth.init_per_thread_state()
    old = cam.realm._nonce(int(time.time()) - 3600)  # issued by this camera an hour ago
    auth._thread_local.chal = {"realm": cam.realm.realm, "nonce": old, "qop": "auth"}
    auth._thread_local.last_nonce = old  # so requests answers it before any challenge
    reply = get(cam, "magicBox.cgi?action=getDeviceType", auth)
    assert reply.status_code == 200 and reply.text == "type=IPC-HFW2441S-S\r\n"
    assert "stale=true" in reply.history[0].headers["WWW-Authenticate"]


def test_get_config_answers_the_keys_under_a_name_and_refuses_unknown_names(
    cam: DahuaCamera,
) -> None:
    main = get(cam, "configManager.cgi?action=getConfig&name=Encode[0].MainFormat[0]").text
    assert "table.Encode[0].MainFormat[0].Video.Compression=H.264\r\n" in main
    assert "ExtraFormat" not in main and main.endswith("\r\n")
    ntp = get(cam, "configManager.cgi?action=getConfig&name=NTP").text.splitlines()
    assert ntp and all(line.startswith("table.NTP.") for line in ntp)
    for name in ("Encod", "VideoColor", ""):
        reply = get(cam, f"configManager.cgi?action=getConfig&name={name}")
        assert (reply.status_code, reply.text) == (400, ERROR_BODY)


def test_set_config_takes_all_keys_or_none(cam: DahuaCamera) -> None:
    base = "configManager.cgi?action=setConfig&"
    assert get(cam, base + "General.MachineName=gate&NTP.TimeZone=13").text == "OK\r\n"
    for bad in ("NTP.TimeZone=33", "NTP.Bogus=1", "Encode[0].MainFormat[0].Video.Width=3840"):
        reply = get(cam, base + "General.MachineName=other&" + bad)
        assert (reply.status_code, reply.text) == (400, ERROR_BODY)
    assert cam.config.values["General.MachineName"] == "gate"
    assert get(cam, "magicBox.cgi?action=getMachineName").text == "name=gate\r\n"


def test_a_user_group_account_reads_but_changes_nothing(cam: DahuaCamera) -> None:
    assert get(cam, "configManager.cgi?action=getConfig&name=General", VIEWER).status_code == 200
    for query in (
        "configManager.cgi?action=setConfig&General.MachineName=x",
        "userManager.cgi?action=getUserInfoAll",
        "userManager.cgi?action=deleteUser&name=admin",
    ):
        assert get(cam, query, VIEWER).text == ERROR_BODY
    assert cam.config.values["General.MachineName"] == SERIAL


def test_accounts_are_added_changed_and_refused_as_the_camera_refuses_them(
    cam: DahuaCamera,
) -> None:
    add = "userManager.cgi?action=addUser&user.Name=op&user.Password=Op-pass-1&user.Group=user"
    assert get(cam, add + "&user.AuthorityList[0]=AuthManuCtr").text == "OK\r\n"
    assert get(cam, add).text == ERROR_BODY  # the name is taken
    assert (
        "user.AuthorityList[0]=AuthManuCtr"
        in get(cam, "userManager.cgi?action=getUserInfo&name=op").text
    )
    refused = [
        "deleteUser&name=admin",  # reserved
        "modifyPassword&name=op&pwd=new&pwdOld=wrong",
        "addUser&user.Name=x&user.Password=p&user.Group=root",
        "addUser&user.Name=y&user.Password=p&user.Group=user&user.AuthorityList[0]=AuthUserMag",
    ]
    for action in refused:
        assert get(cam, f"userManager.cgi?action={action}").text == ERROR_BODY, action
    assert (
        get(cam, "userManager.cgi?action=modifyPassword&name=op&pwd=New-1&pwdOld=Op-pass-1").text
        == "OK\r\n"
    )
    assert get(cam, "magicBox.cgi?action=getVendor", ("op", "New-1")).text == "vendor=Dahua\r\n"
    assert get(cam, "userManager.cgi?action=deleteUser&name=op").text == "OK\r\n"
    assert get(cam, "magicBox.cgi?action=getVendor", ("op", "New-1")).status_code == 401


def test_faults_refuse_writes_credentials_and_grey_the_snapshot(cam: DahuaCamera) -> None:
    cam.faults.update({"soap_fault": ["SetVideoEncoderConfiguration"], "latency_ms": 20})
    fps = "configManager.cgi?action=setConfig&Encode[0].MainFormat[0].Video.FPS=12"
    assert get(cam, fps).text == ERROR_BODY
    assert get(cam, "configManager.cgi?action=setConfig&General.MachineName=a").text == "OK\r\n"
    cam.faults.update({"soap_fault": [], "auth_failure": True})
    assert get(cam, "magicBox.cgi?action=getSerialNo").status_code == 401
    cam.faults.clear()
    busy = get(cam, "snapshot.cgi").content
    cam.faults.update({"obstructed": True})
    grey = get(cam, "snapshot.cgi")
    assert grey.headers["Content-Type"] == "image/jpeg" and grey.content != busy
    assert get(cam, "snapshot.cgi?channel=2").text == ERROR_BODY
