"""The lab Hikvision camera over the wire, with requests' own Digest client: the challenge
and refusals a real camera gives, ResponseStatus documents, users and levels, the snapshot,
RTSP at Hikvision's paths, and the faults. One camera per module; each test puts back what
it changes."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest
import requests
from labsupport import LabLoop
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from tooling import require_program

from provision.lab.camera_isapi import IsapiCamera
from provision.lab.faults import Faults
from provision.lab.http_digest import DigestRealm, parse_authorization

PASSWORD = "SENTINEL-lab-hik-9d1e"
NS = "{http://www.hikvision.com/ver20/XMLSchema}"


@pytest.fixture(scope="module")
def cam() -> Iterator[IsapiCamera]:
    loop = LabLoop()
    camera = IsapiCamera(
        "lab/hik",
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        admin=("admin", PASSWORD),
    )
    loop.run(camera.start())
    yield camera
    loop.run(camera.stop())
    loop.close()


def url(cam: IsapiCamera, path: str) -> str:
    return f"http://127.0.0.1:{cam.endpoints()['http']}{path}"


def get(
    cam: IsapiCamera, path: str, user: str = "admin", password: str = PASSWORD
) -> requests.Response:
    return requests.get(url(cam, path), auth=HTTPDigestAuth(user, password), timeout=5)


def test_unauthenticated_and_basic_requests_get_the_digest_challenge(cam: IsapiCamera) -> None:
    for auth in (None, HTTPBasicAuth("admin", PASSWORD)):
        resp = requests.get(url(cam, "/ISAPI/System/deviceInfo"), auth=auth, timeout=5)
        assert resp.status_code == 401 and "Document Error: Unauthorized" in resp.text
        challenge = parse_authorization(resp.headers["WWW-Authenticate"])
        assert challenge is not None
        assert challenge["qop"] == "auth" and challenge["realm"].startswith("IP Camera(")
        assert challenge["stale"] == "FALSE" and challenge["nonce"]


def test_digest_login_reads_case_insensitive_paths(cam: IsapiCamera) -> None:
    resp = get(cam, "/ISAPI/System/deviceinfo")  # as hikvisionapi's cassettes spell it
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/xml")
    assert f"<model>{cam.settings.identity.model}</model>" in resp.text
    assert get(cam, "/ISAPI/System/deviceInfo", password="wrong-one").status_code == 401


def test_a_stale_nonce_is_challenged_again_as_stale() -> None:
    realm = DigestRealm("IP Camera(12345)")
    old = realm.nonce(now=0.0)
    header = (
        f'Digest username="admin", realm="IP Camera(12345)", nonce="{old}", uri="/", response="x"'
    )
    assert realm.check("GET", header, {"admin": "pw"}) == (None, False)  # wrong response first
    from provision.lab.http_digest import _md5

    ha1, ha2 = _md5("admin:IP Camera(12345):pw"), _md5("GET:/")
    good = _md5(f"{ha1}:{old}:00000001:c:auth:{ha2}")
    header = (
        f'Digest username="admin", realm="IP Camera(12345)", nonce="{old}", uri="/", '
        f'response="{good}", qop=auth, nc=00000001, cnonce="c"'
    )
    assert realm.check("GET", header, {"admin": "pw"}) == (None, True)
    assert 'stale="TRUE"' in realm.challenge(stale=True)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "sub"),
    [
        ("GET", "/ISAPI/System/nothingHere", b"", 404, 4, "notSupport"),
        ("DELETE", "/ISAPI/System/time", b"", 403, 4, "methodNotAllowed"),
        ("PUT", "/ISAPI/System/time", b"<Time><timeMode>NTP", 400, 5, "badXmlFormat"),
        (
            "PUT",
            "/ISAPI/System/time",
            b"<Time><timeMode>GPS</timeMode></Time>",
            400,
            6,
            "badParameters",
        ),
        (
            "PUT",
            "/ISAPI/Streaming/channels/101",
            b"<StreamingChannel><Video><maxFrameRate>9000</maxFrameRate></Video></StreamingChannel>",
            400,
            6,
            "badParameters",
        ),
    ],
)
def test_refusals_are_response_status_documents(
    cam: IsapiCamera, method: str, path: str, body: bytes, status: int, code: int, sub: str
) -> None:
    before = cam.settings.as_dict()
    resp = requests.request(
        method, url(cam, path), data=body, auth=HTTPDigestAuth("admin", PASSWORD), timeout=5
    )
    assert resp.status_code == status
    assert f"<statusCode>{code}</statusCode>" in resp.text
    assert f"<subStatusCode>{sub}</subStatusCode>" in resp.text
    assert f"<requestURL>{path}</requestURL>" in resp.text
    assert cam.settings.as_dict() == before  # a refused write changes nothing


def test_a_viewer_reads_but_may_not_write(cam: IsapiCamera) -> None:
    new_user = (
        "<User><userName>viewer1</userName><password>viewer-pass-1</password>"
        "<userLevel>Viewer</userLevel></User>"
    )
    auth = HTTPDigestAuth("admin", PASSWORD)
    created = requests.post(url(cam, "/ISAPI/Security/users"), data=new_user, auth=auth, timeout=5)
    assert created.status_code == 200 and "<statusCode>1</statusCode>" in created.text
    user_id = next(u.id for u in cam.settings.users.values() if u.name == "viewer1")
    try:
        assert get(cam, "/ISAPI/System/time", "viewer1", "viewer-pass-1").status_code == 200
        denied = requests.put(
            url(cam, "/ISAPI/System/time"),
            data=b"<Time><timeMode>NTP</timeMode></Time>",
            auth=HTTPDigestAuth("viewer1", "viewer-pass-1"),
            timeout=5,
        )
        assert denied.status_code == 403 and "lowPrivilege" in denied.text
        listed = get(cam, "/ISAPI/Security/users").text
        assert "<userName>viewer1</userName>" in listed and "viewer-pass-1" not in listed
    finally:
        requests.delete(url(cam, f"/ISAPI/Security/users/{user_id}"), auth=auth, timeout=5)
    assert "viewer1" not in get(cam, "/ISAPI/Security/users").text


def test_snapshot_is_a_jpeg_grey_when_obstructed(cam: IsapiCamera) -> None:
    clear = get(cam, "/ISAPI/Streaming/channels/101/picture")
    assert clear.status_code == 200 and clear.content[:2] == b"\xff\xd8"
    cam.faults.update({"obstructed": True})
    try:
        assert get(cam, "/ISAPI/Streaming/channels/101/picture").content != clear.content
    finally:
        cam.faults.clear()


def test_api_error_fault_answers_device_error_for_the_named_request(cam: IsapiCamera) -> None:
    cam.faults.update({"api_error": ["PUT /ISAPI/System/time"]})
    try:
        assert get(cam, "/ISAPI/System/time").status_code == 200  # a GET is not named
        resp = requests.put(
            url(cam, "/ISAPI/System/time"),
            data=b"<Time><timeMode>NTP</timeMode></Time>",
            auth=HTTPDigestAuth("admin", PASSWORD),
            timeout=5,
        )
        assert resp.status_code == 500 and "<statusCode>3</statusCode>" in resp.text
    finally:
        cam.faults.clear()
    assert cam.settings.time_mode == "manual"


def test_auth_failure_fault_refuses_the_right_password(cam: IsapiCamera) -> None:
    cam.faults.update({"auth_failure": True})
    try:
        assert get(cam, "/ISAPI/System/deviceInfo").status_code == 401
    finally:
        cam.faults.clear()
    assert get(cam, "/ISAPI/System/deviceInfo").status_code == 200


def rtsp_describe(cam: IsapiCamera, path: str) -> list[str]:
    """The status line and headers of an unauthenticated DESCRIBE."""
    port = cam.endpoints()["rtsp"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"DESCRIBE rtsp://127.0.0.1:{port}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
        return sock.recv(4096).split(b"\r\n\r\n", 1)[0].decode().split("\r\n")


def test_rtsp_serves_hikvisions_channel_paths_to_its_accounts_only(cam: IsapiCamera) -> None:
    for channel in ("101", "102"):
        status, *headers = rtsp_describe(cam, f"/Streaming/Channels/{channel}")
        assert status == "RTSP/1.0 401 Unauthorized"
        assert any(h.startswith("WWW-Authenticate: Digest realm=") for h in headers)
    assert rtsp_describe(cam, "/Streaming/Channels/103")[0] == "RTSP/1.0 404 Not Found"
    assert cam.state()["stream_uris"]["main"].endswith("/Streaming/Channels/101")


def test_a_channel_streams_what_its_encoder_says(cam: IsapiCamera) -> None:
    ffprobe = require_program("ffprobe", "ffmpeg")
    port = cam.endpoints()["rtsp"]
    source = f"rtsp://admin:{PASSWORD}@127.0.0.1:{port}/Streaming/Channels/102"
    entries = ["-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0"]
    done = subprocess.run(
        [
            ffprobe,
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-select_streams",
            "v:0",
            *entries,
            source,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == "h264,640,360", done.stderr  # the factory sub stream
