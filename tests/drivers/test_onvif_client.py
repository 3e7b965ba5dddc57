"""The shared ONVIF client against lab cameras on 127.0.0.1 (port 0), plus a scripted HTTP peer
for the wire cases a lab camera never produces (chunked answers, closed keep-alives, echoes)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop, wait_until

from provision.drivers import onvif_wsdl
from provision.drivers.onvif_client import DeviceConnection, OnvifError, OnvifSession
from provision.drivers.onvif_wsdl import DEVICE, MEDIA, shared_client, shared_document, text
from provision.errors import DeviceError
from provision.lab.camera import Camera
from provision.lab.faults import Faults

PASSWORD = "SENTINEL-onvif-admin-9d2c"
ROOT = Path(__file__).resolve().parents[2]


def start_camera(loop: LabLoop, name: str = "cam", **kwargs: object) -> Camera:
    cam = Camera(
        name,
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        users={"admin": (PASSWORD, "Administrator")},
        **kwargs,  # type: ignore[arg-type]
    )
    loop.run(cam.start())
    return cam


@pytest.fixture(scope="module")
def cam(loop: LabLoop) -> Iterator[Camera]:
    camera = start_camera(loop)
    yield camera
    loop.run(camera.stop())


def session(cam: Camera, password: str = PASSWORD, timeout: float = 2.0) -> OnvifSession:
    return OnvifSession(
        "school/cam", ("127.0.0.1", cam.endpoints()["http"]), "admin", password, timeout=timeout
    )


def test_wsdls_are_parsed_once_per_process_not_per_camera(
    cam: Camera, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = onvif_wsdl.Document

    def counting(location: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(Path(location).name)
        return real(location, *args, **kwargs)

    # As in a process that has not parsed anything yet.
    caches: tuple[dict[Any, Any], ...] = (
        onvif_wsdl._documents,
        onvif_wsdl._clients,
        onvif_wsdl._requests,
    )
    saved = [dict(cache) for cache in caches]
    monkeypatch.setattr(onvif_wsdl, "Document", counting)
    for cache in caches:
        cache.clear()
    try:
        for _ in range(5):
            onvif = session(cam)
            assert text(onvif.device("GetHostname"), "HostnameInformation", "Name") == (
                cam.settings.hostname
            )
            assert onvif.media("GetProfiles") is not None
            onvif.close()
        assert sorted(parsed) == ["devicemgmt.wsdl", "media.wsdl"]
        for service in (DEVICE, MEDIA):
            assert shared_client(service)[0].wsdl is shared_document(service)
    finally:
        for cache, old in zip(caches, saved, strict=True):
            cache.clear()
            cache.update(old)


def test_no_password_stays_in_the_request_cache(cam: Camera) -> None:
    onvif = session(cam)
    secret = "SENTINEL-new-user-password-0c4d"
    onvif.device("CreateUsers", User=[{"Username": "u1", "Password": secret, "UserLevel": "User"}])
    onvif.device("GetUsers")
    cached = b"".join(r.head + r.tail for r in onvif_wsdl._requests.values())
    assert b"GetUsers" in cached and secret.encode() not in cached
    onvif.device("DeleteUsers", Username=["u1"])


def test_twenty_threads_each_get_their_own_camera(loop: LabLoop) -> None:
    cams = [start_camera(loop, f"cam{i}") for i in range(20)]
    for i, c in enumerate(cams):
        c.settings.hostname = f"host-{i}"
    results: dict[int, list[str]] = {}
    barrier = threading.Barrier(len(cams))

    def work(i: int) -> None:
        onvif = session(cams[i])
        barrier.wait()
        results[i] = [
            text(onvif.device("GetHostname"), "HostnameInformation", "Name") or ""
            for _ in range(10)
        ]
        onvif.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {i: [f"host-{i}"] * 10 for i in range(len(cams))}
    for c in cams:
        loop.run(c.stop())


def test_a_camera_100_s_ahead_authenticates_with_its_own_time(loop: LabLoop) -> None:
    ahead = start_camera(loop, "ahead", clock_offset_s=100.0)
    onvif = session(ahead)
    assert onvif.device("GetUsers") is not None  # an Administrator call, digest-checked
    assert abs(onvif.clock_offset_s - 100.0) < 1.5
    # The camera syncs to NTP behind the session's back: the next call fails once on the stale
    # digest, the session re-measures the clock and retries.
    loop.call(lambda: setattr(ahead.settings, "clock_offset_s", 0.0))
    sent = onvif.exchanges
    assert onvif.device("GetHostname") is not None
    assert abs(onvif.clock_offset_s) < 1.5
    assert onvif.exchanges - sent == 3  # refused, GetSystemDateAndTime, retried
    onvif.close()
    loop.run(ahead.stop())


def test_wrong_password_is_a_device_error_naming_not_authorized(cam: Camera) -> None:
    wrong = "SENTINEL-wrong-password-41ab"
    with pytest.raises(DeviceError) as info:
        session(cam, password=wrong).device("GetHostname")
    assert isinstance(info.value, OnvifError)
    assert info.value.subcodes == ("NotAuthorized",)
    message = str(info.value)
    assert "NotAuthorized" in message and "school/cam" in message and "GetHostname" in message
    assert wrong not in message and PASSWORD not in message


def test_a_silent_camera_fails_within_the_timeout(loop: LabLoop) -> None:
    silent = start_camera(loop, "silent")
    silent.faults.timeout = True
    onvif = session(silent, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(OnvifError, match=r"no answer within 0\.5 s") as info:
        onvif.device("GetHostname")
    assert 0.45 <= time.monotonic() - started < 1.5
    assert info.value.kind == "timeout"
    loop.run(silent.stop())


def test_refused_connection_and_soap_faults_are_device_errors(cam: Camera) -> None:
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nothing listens there now
    onvif = OnvifSession("school/cam", ("127.0.0.1", port), "admin", PASSWORD, timeout=1)
    with pytest.raises(OnvifError, match="connection refused") as info:
        onvif.device("GetHostname")
    assert info.value.kind == "connection"

    cam.faults.soap_fault = ["GetNTP"]
    try:
        with pytest.raises(OnvifError, match=r"GetNTP failed: SOAP fault Receiver/Action") as err:
            session(cam).device("GetNTP")
        assert err.value.subcodes == ("Action",)
    finally:
        cam.faults.soap_fault = []


def test_a_request_zeep_cannot_build_fails_before_sending(cam: Camera) -> None:
    onvif = session(cam)
    onvif.device("GetHostname")
    with pytest.raises(OnvifError, match="cannot build the request") as info:
        onvif.device("SetHostname", NoSuchField="x")
    assert info.value.kind == "request"


# --- the wire, against a scripted peer ------------------------------------------------------


class ScriptedPeer:
    """Answers each request with the next canned bytes; `close_after` closes the connection
    after that answer. Records request bodies."""

    def __init__(self, answers: list[tuple[bytes, bool]]) -> None:
        self.bodies: list[bytes] = []
        self.answers, self.connections, self.closed = answers, 0, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.answers:
            conn, _ = self.sock.accept()
            self.connections += 1
            with conn:
                while self.answers:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(body) < length:
                        body += conn.recv(65536)
                    self.bodies.append(body)
                    answer, close = self.answers.pop(0)
                    conn.sendall(answer)
                    if close:
                        break
            self.closed += 1


def test_chunked_close_and_unsized_answers(loop: LabLoop) -> None:
    peer = ScriptedPeer(
        [
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n"
                b"3\r\nefg\r\n0\r\nTrailer: 1\r\n\r\n",
                False,
            ),
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Oops\r\nContent-Length: 2\r\n"
                b"Connection: close\r\n\r\nno",
                True,
            ),
            (b"HTTP/1.0 200 OK\r\n\r\nuntil the end", True),
        ]
    )
    connection = DeviceConnection("127.0.0.1", peer.port, timeout=2)
    assert connection.post("/a", b"1", "text/xml").body == b"abcdefg"
    reply = connection.post("/a", b"2", "text/xml")
    assert (reply.status, reply.body) == (500, b"no")
    assert connection.post("/a", b"3", "text/xml").body == b"until the end"
    assert peer.bodies == [b"1", b"2", b"3"] and peer.connections == 2


def test_a_keep_alive_the_device_closed_is_reopened_not_failed() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    peer = ScriptedPeer([(ok, True), (ok, False)])  # closes after the first answer, silently
    connection = DeviceConnection("127.0.0.1", peer.port, timeout=2)
    assert connection.post("/", b"1", "text/xml").body == b"ok"
    wait_until(lambda: peer.closed == 1, what="the peer to close its end")
    assert connection.post("/", b"2", "text/xml").body == b"ok"
    assert peer.connections == 2


def test_a_fault_that_echoes_the_password_is_scrubbed() -> None:
    fault = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
        "<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:InvalidArgVal</s:Value>"
        f"</s:Subcode></s:Code><s:Reason><s:Text>bad password {PASSWORD}</s:Text></s:Reason>"
        "</s:Fault></s:Body></s:Envelope>"
    ).encode()
    head = f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(fault)}\r\n\r\n".encode()
    peer = ScriptedPeer([(head + fault, False)])
    onvif = OnvifSession("school/cam", ("127.0.0.1", peer.port), "admin", PASSWORD, timeout=2)
    onvif._clock_known = True  # the peer only has this one answer
    with pytest.raises(OnvifError) as info:
        onvif.device("GetHostname")
    assert PASSWORD not in str(info.value) and "bad password ***" in str(info.value)
    assert info.value.subcodes == ("InvalidArgVal",)


# --- no process-wide side effects ------------------------------------------------------------

_SIDE_EFFECTS = """
import json, logging, os, sys
sys.path.insert(0, {tests!r})
before = (list(logging.root.handlers), logging.root.level, dict(os.environ))
from labsupport import LabLoop, wait_until
from provision.drivers.onvif_client import OnvifSession
from provision.lab.camera import Camera
from provision.lab.faults import Faults
loop = LabLoop()
cam = Camera("c", "127.0.0.1", faults=Faults(), http_port=0, rtsp_port=0)
loop.run(cam.start())
onvif = OnvifSession("s/c", ("127.0.0.1", cam.endpoints()["http"]), "admin", "admin", timeout=2)
onvif.device("GetHostname")
onvif.media("GetProfiles")
after = (list(logging.root.handlers), logging.root.level, dict(os.environ))
print(json.dumps({{"same": before == after, "onvif": "onvif" in sys.modules}}))
"""


def test_clients_leave_logging_and_proxy_variables_alone() -> None:
    # A proxy that does not exist: the client must neither use it (device traffic goes
    # direct) nor delete it from the environment as onvif-zeep does.
    env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9")
    script = _SIDE_EFFECTS.format(tests=str(ROOT / "tests"))
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"same": True, "onvif": False}
