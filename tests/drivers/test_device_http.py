"""The shared device transport (drivers/device_http.py) on the wire cases a lab camera never
produces: Digest computed as RFC 7616 says (its own examples), the strongest algorithm a device
offers, a stale nonce, Basic only where allowed, a kept-alive connection dropped under a
request, a silent, refusing or truncating device. The ISAPI, Dahua and AX PRO drivers' tests
prove the same client against the lab devices; the interop suites prove the lab."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from provision.drivers.device_http import DeviceHttp, digest_response, parse_challenges
from provision.drivers.http import HttpError

PASSWORD = "S3NT1NEL-wire"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


@dataclass
class Request:
    connection: int
    method: str
    path: str
    headers: dict[str, str]

    def auth(self) -> dict[str, str]:
        value = self.headers.get("authorization", "")
        return {k: q or b for k, q, b in _PARAM.findall(value.partition(" ")[2])}


# An answer: bytes to send, then whether to close; None closes without answering.
Script = Callable[[Request], tuple[bytes, bool] | None]


@dataclass
class Peer:
    """A device that answers each request as `script` says, and records what it was sent."""

    script: Script
    seen: list[Request] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(
                target=self._converse, args=(conn, self.connections), daemon=True
            ).start()

    def _converse(self, conn: socket.socket, number: int) -> None:
        with conn:
            self._answer(conn, number)

    def _answer(self, conn: socket.socket, number: int) -> None:
        data = b""
        while True:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, data = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])
            }
            length = int(headers.get("content-length", "0"))
            while len(data) < length:
                data += conn.recv(65536)
            data = data[length:]
            request = Request(number, method, path, headers)
            self.seen.append(request)
            answer = self.script(request)
            if answer is None:
                return
            conn.sendall(answer[0])
            if answer[1]:
                return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def peer() -> Iterator[Callable[[Script], Peer]]:
    made: list[Peer] = []

    def make(script: Script) -> Peer:
        made.append(Peer(script))
        return made[-1]

    yield make
    for p in made:
        p.close()


def client(peer: Peer, timeout: float = 2, **kwargs: object) -> DeviceHttp:
    return DeviceHttp(
        "dl-xg-k003/gate",
        f"http://127.0.0.1:{peer.port}",
        timeout=timeout,
        **kwargs,  # type: ignore[arg-type]
    )


def challenge(*lines: str) -> bytes:
    head = "".join(f"WWW-Authenticate: {line}\r\n" for line in lines)
    return f"HTTP/1.1 401 Unauthorized\r\n{head}Content-Length: 0\r\n\r\n".encode()


def digest_ok(request: Request, realm: str, password: str, algorithm: str = "MD5") -> bool:
    """The server's check (RFC 7616 3.4.1), written out here independently of the client."""
    a = request.auth()
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm]

    def hex_(text: str) -> str:
        return h(text.encode()).hexdigest()

    ha1 = hex_(f"{a['username']}:{realm}:{password}")
    ha2 = hex_(f"{request.method}:{a['uri']}")
    expected = hex_(f"{ha1}:{a['nonce']}:{a['nc']}:{a['cnonce']}:auth:{ha2}")
    return a.get("response") == expected and a.get("uri") == request.path


# --- Digest ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_the_response_is_rfc_7616s_own_example(algorithm: str, expected: str) -> None:
    # RFC 7616 section 3.9.1: Mufasa, "Circle of Life", GET /dir/index.html.
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm]
    ha1 = h(b"Mufasa:http-auth@example.org:Circle of Life").hexdigest()
    nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
    cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    got = digest_response(h, ha1, nonce, "00000001", cnonce, "auth", "GET:/dir/index.html")
    assert got == expected


def test_the_strongest_offered_algorithm_is_taken_and_later_requests_sign_at_once(
    peer: Callable[[Script], Peer],
) -> None:
    realm = "IP Camera(12345)"

    def script(request: Request) -> tuple[bytes, bool]:
        if "authorization" not in request.headers:
            return challenge(
                f'Digest realm="{realm}", qop="auth", nonce="n1", algorithm=MD5',
                f'Digest realm="{realm}", qop="auth", nonce="n1", algorithm=SHA-256, opaque="o"',
            ), False
        return (OK if digest_ok(request, realm, PASSWORD, "SHA-256") else challenge()), False

    device = peer(script)
    http = client(device, username="admin", password=PASSWORD)
    assert http.request("GET", "/ISAPI/System/deviceInfo", "read identity").body == b"ok"
    assert http.request("PUT", "/ISAPI/System/time", "set time", b"<Time/>").status == 200
    http.close()
    auths = [r.auth() for r in device.seen]
    assert len(device.seen) == 3 and device.connections == 1  # one challenge, then signed
    assert [a.get("nc") for a in auths] == [None, "00000001", "00000002"]
    assert auths[2]["algorithm"] == "SHA-256" and auths[2]["opaque"] == "o"
    assert parse_challenges('Digest realm="r", algorithm=SHA-512-256') == {}


def test_a_stale_nonce_is_answered_again_and_a_wrong_password_is_a_401_after_one_try(
    peer: Callable[[Script], Peer],
) -> None:
    nonces = iter(["n1", "n2", "n3", "n4", "n5"])

    def script(request: Request) -> tuple[bytes, bool]:
        nonce = request.auth().get("nonce")
        if nonce == "n1" and digest_ok(request, "r", PASSWORD):  # n1 went stale meanwhile
            return challenge(
                f'Digest realm="r", qop="auth", nonce="{next(nonces)}", stale=true'
            ), False
        if nonce and digest_ok(request, "r", PASSWORD):
            return OK, False
        return challenge(f'Digest realm="r", qop="auth", nonce="{next(nonces)}"'), False

    device = peer(script)
    good = client(device, username="admin", password=PASSWORD)
    assert good.request("GET", "/a", "read").status == 200
    assert len(device.seen) == 3  # challenge, stale, accepted
    bad = client(device, username="admin", password="wrong")
    assert bad.request("GET", "/a", "read").status == 401
    assert len(device.seen) == 5  # challenge, refused: no third try (each counts to a lock)


def test_basic_is_sent_only_where_the_driver_allows_it(peer: Callable[[Script], Peer]) -> None:
    def script(request: Request) -> tuple[bytes, bool]:
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        if request.headers.get("authorization") == f"Basic {token}":
            return OK, False
        return challenge('Basic realm="cam"'), False

    device = peer(script)
    assert (
        client(device, username="admin", password=PASSWORD).request("GET", "/", "x").status == 401
    )
    allowed = client(device, username="admin", password=PASSWORD, basic=True)
    assert allowed.request("GET", "/", "snapshot").status == 200


# --- the wire ----------------------------------------------------------------------------------


def test_a_dropped_keep_alive_is_retried_once_for_a_get_never_for_a_post(
    peer: Callable[[Script], Peer],
) -> None:
    # The device answers the first request on each connection, then drops the connection
    # when the next request arrives, without answering it (as a camera's idle timer does).
    device = peer(lambda r: None if r.headers.get("x-n") == "2" else (OK, False))
    http = client(device)
    assert http.request("GET", "/", "first", headers={"X-N": "1"}).body == b"ok"
    with pytest.raises(HttpError) as dropped:
        http.request("GET", "/", "read twice", headers={"X-N": "2"})
    assert "dl-xg-k003/gate: read twice failed" in str(dropped.value)
    assert device.connections == 2  # the GET was sent again, once, on a new connection

    seen = len(device.seen)
    http.request("GET", "/", "third", headers={"X-N": "3"})
    with pytest.raises(HttpError, match="search the log failed: the device dropped"):
        http.request("POST", "/search", "search the log", b"{}", {"X-N": "2"})
    assert len(device.seen) == seen + 2  # the POST went out once: it may have been acted on


def test_silent_refusing_and_truncating_devices_are_named_errors(
    peer: Callable[[Script], Peer],
) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    port = silent.getsockname()[1]
    http = DeviceHttp("s/cam", f"http://127.0.0.1:{port}", timeout=0.3)
    with pytest.raises(HttpError, match=r"s/cam: read identity failed: no answer within 0.3 s"):
        http.request("GET", "/", "read identity")
    silent.close()

    refused = DeviceHttp("s/cam", f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(HttpError, match=r"cannot connect to http://127\.0\.0\.1:\d+: .*refused"):
        refused.request("GET", "/", "read identity")

    short = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n<Device"
    device = peer(lambda r: (short, True))
    http = client(device, username="admin", password=PASSWORD)
    with pytest.raises(HttpError, match="truncated") as cut:
        http.request("GET", f"/cgi-bin/userManager.cgi?pwd={PASSWORD}", "read users")
    assert PASSWORD not in str(cut.value)
