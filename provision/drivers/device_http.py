"""One lean keep-alive HTTP/1.1 client for the cameras' and panels' own APIs, with Digest auth.

ISAPI cameras and NVRs, Dahua cameras, the AX PRO panel and ONVIF cameras are all reached
through `DeviceConnection`: one socket per device, kept alive between requests, written and
read by hand. `requests` cost ISAPI 4.2× the raw-socket floor's CPU per camera (issue 12):
most of it in urllib3's connection pool, http.client's header parsing through the email
package and requests' hooks, none of which a device on the school network needs.

`DeviceHttp` adds what every such driver needs on top: the device's auth, a deadline on every
exchange, TLS verified as the connector says (an `Endpoint` carries it), and every failure
(refused, silent, an untrusted certificate, a connection dropped mid-answer, a truncated or
malformed answer) raised as an `HttpError` that names the device and the operation, with the
password scrubbed from it.

Auth, as the devices do it:
- Digest (RFC 7616, which obsoletes RFC 2617): qop="auth", algorithm MD5 or SHA-256 (the
  strongest one the device offers when it sends one challenge per algorithm, RFC 7616 3.7),
  `-sess` variants, the server's `opaque` echoed. After the first challenge every request
  carries its Authorization at once (nonce count incremented, RFC 7616 3.4), so a session
  costs one extra round trip, not one per request. A `stale=true` challenge is answered
  again without counting as a refusal (RFC 7616 3.3).
- Basic (RFC 7617) only where the driver allows it (`basic=True`): Hikvision firmware 5.5
  and later and current Dahua firmware refuse it, and it sends the password in clear.

A kept-alive connection the device closed meanwhile (cameras drop idle ones after a few
seconds) is noticed before sending; one it drops while the request is under way is retried
once on a new connection, for idempotent methods only (RFC 9110 9.2.2): a POST may have
been acted upon.

All socket waits go through `DeviceConnection._wait`; `DeviceHttp.request` puts each
exchange inside `pacing.exchange`, which lets other devices run while this one waits and caps
the wait at what is left of the device's deadline.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import os
import re
import select
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from provision.drivers.http import HttpError, SecretScrubber
from provision.drivers.pacing import exchange
from provision.i18n import _

_MAX_HEAD = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
# Digest algorithms this client computes, weakest first (RFC 7616 section 3.7: a client
# picks the strongest one offered).
_ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


class ProtocolError(Exception):
    """The device's HTTP answer could not be understood."""


class ConnectionDropped(ProtocolError):
    """The device closed or reset the connection before any byte of its answer."""


@dataclass(frozen=True, slots=True)
class HttpReply:
    """A device's answer. `headers` has lower-case names; a header sent more than once is
    kept as its values joined by newlines (WWW-Authenticate, one per scheme or algorithm)."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self.headers.get("content-type", "")), "replace")

    def json(self) -> Any:
        """The body as JSON; ValueError if it is not."""
        return json.loads(self.body)


def _charset(content_type: str) -> str:
    found = re.search(r"charset=\"?([\w.-]+)", content_type, re.IGNORECASE)
    if found:
        try:
            return codecs.lookup(found.group(1)).name
        except LookupError:
            pass
    return "utf-8"


class DeviceConnection:
    """One keep-alive HTTP/1.1 connection to a device, for one caller at a time.

    Deliberately small (Content-Length, chunked or close-delimited answers): about a third of
    http.client's CPU per exchange, whose header parsing goes through the email package.
    `timeout` bounds the whole exchange (connect, send, answer), not each read, so a device
    that trickles bytes cannot hold a call longer. The socket stays non-blocking and waits in
    poll(): changing a socket's timeout is a syscall that releases the GIL, and with 16 camera
    threads such releases became thread switches (a third of them, measured).
    """

    def __init__(
        self, host: str, port: int, timeout: float, tls: ssl.SSLContext | None = None
    ) -> None:
        self.host, self.port, self.timeout, self.tls = host, port, timeout, tls
        self._sock: socket.socket | None = None
        self._poll = select.poll()
        self._buf = bytearray()
        self._deadline = 0.0
        self._used = False  # whether the open socket already carried an exchange
        netloc = f"[{host}]" if ":" in host else host
        default = 443 if tls is not None else 80
        self._host_header = netloc if port == default else f"{netloc}:{port}"

    def post(self, path: str, body: bytes, content_type: str) -> HttpReply:
        return self.request("POST", path, body, f"Content-Type: {content_type}\r\n")

    def request(
        self, method: str, path: str, body: bytes = b"", headers: str = "", timeout: float = 0
    ) -> HttpReply:
        """One exchange; `headers` are extra header lines, each ending in CRLF. Raises
        TimeoutError, OSError (ssl.SSLError among them) or ProtocolError; ConnectionDropped
        when a kept-alive connection was closed under the request before any answer."""
        self._deadline = time.monotonic() + (timeout or self.timeout)
        length = f"Content-Length: {len(body)}\r\n" if body or method in ("POST", "PUT") else ""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host_header}\r\n{headers}{length}\r\n"
        try:
            sock = self._socket()
            reused, self._used = self._used, True
            try:
                self._send(sock, head.encode("latin-1") + body)
                reply = self._read_reply(sock)
            except (ConnectionResetError, BrokenPipeError, ConnectionDropped) as exc:
                if reused:  # the device closed it as the request went out: worth one resend
                    raise ConnectionDropped(str(exc) or type(exc).__name__) from None
                if isinstance(exc, ConnectionDropped):  # a new connection: no reason to resend
                    raise ProtocolError(str(exc)) from None
                raise
        except BaseException:
            self.close()
            raise
        if not reply[2]:
            self.close()
        return HttpReply(reply[0], reply[3], reply[4], reply[1])

    def close(self) -> None:
        if self._sock is not None:
            self._poll.unregister(self._sock)
            self._sock.close()
            self._sock = None

    def _socket(self) -> socket.socket:
        if self._sock is not None and not self._idle_and_open():
            self.close()
        if self._sock is None:
            sock = socket.create_connection((self.host, self.port), timeout=self._remaining())
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:  # handshake while blocking, bounded by the deadline
                sock.settimeout(self._remaining())
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            sock.setblocking(False)
            self._poll.register(sock, select.POLLIN)
            self._sock, self._buf, self._used = sock, bytearray(), False
        return self._sock

    def _idle_and_open(self) -> bool:
        """A kept-alive connection the device has not closed meanwhile (cameras drop idle
        connections after a few seconds): sending on a closed one would lose the request.
        Anything readable now is an EOF, a TLS close_notify or bytes nobody asked for."""
        return not self._poll.poll(0)

    def _remaining(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def _wait(self, poller: Any) -> bool:
        """Every wait on the device's socket: until `poller` reports it or the deadline."""
        return bool(poller.poll(self._remaining() * 1000))

    def _send(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[sock.send(view) :]
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                writable = select.poll()  # the send buffer is full: wait until it drains
                writable.register(sock, select.POLLOUT)
                if not self._wait(writable):
                    raise TimeoutError("the device is not reading") from None

    def _fill(self, sock: socket.socket) -> bool:
        while True:
            # Wait first: an answer is rarely there yet, and each syscall lets a thread in.
            # TLS may hold decrypted bytes the socket no longer shows as readable.
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending()
            if pending or self._wait(self._poll):
                try:
                    chunk = sock.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError):
                    continue  # a spurious wake-up, or half a TLS record
                except ssl.SSLZeroReturnError:
                    chunk = b""
                self._buf += chunk
                return bool(chunk)

    def _read_until(self, sock: socket.socket, marker: bytes, limit: int) -> bytes:
        while (end := self._buf.find(marker)) < 0:
            if len(self._buf) > limit:
                raise ProtocolError(_("HTTP header too long"))
            if not self._fill(sock):
                raise ProtocolError(_("the device closed the connection mid-answer"))
        line = bytes(self._buf[:end])
        del self._buf[: end + len(marker)]
        return line

    def _read_exact(self, sock: socket.socket, size: int) -> bytes:
        while len(self._buf) < size:
            if not self._fill(sock):
                raise ProtocolError(_("the device closed the connection mid-answer (truncated)"))
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data

    def _read_head(self, sock: socket.socket) -> tuple[int, str, str, dict[str, str]]:
        while True:
            if not self._buf and not self._fill(sock):
                raise ConnectionDropped(_("the device closed the connection without answering"))
            lines = self._read_until(sock, b"\r\n\r\n", _MAX_HEAD).decode("latin-1").split("\r\n")
            version, _sep, rest = lines[0].partition(" ")
            try:
                status = int(rest[:3])
            except ValueError:
                raise ProtocolError(
                    _("not an HTTP answer: {start!r}").format(start=lines[0][:80])
                ) from None
            if status >= 200:
                break  # 1xx (100 Continue) heads are skipped
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _sep, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}\n{value}" if name in headers else value
        return status, rest[4:].strip(), version, headers

    def _read_reply(self, sock: socket.socket) -> tuple[int, str, bool, bytes, dict[str, str]]:
        status, reason, version, headers = self._read_head(sock)
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection and (
            version == "HTTP/1.1" or "keep-alive" in connection
        )
        if status in (204, 304):
            return status, reason, keep_alive, b"", headers  # never a body
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return status, reason, keep_alive, self._read_chunked(sock), headers
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit() or int(length) > _MAX_BODY:
                raise ProtocolError(_("bad Content-Length {length!r}").format(length=length))
            return status, reason, keep_alive, self._read_exact(sock, int(length)), headers
        while self._fill(sock):  # no length: the body runs to the end of the connection
            if len(self._buf) > _MAX_BODY:
                raise ProtocolError(_("answer too long"))
        body, self._buf = bytes(self._buf), bytearray()
        return status, reason, False, body, headers

    def _read_chunked(self, sock: socket.socket) -> bytes:
        body = bytearray()
        while True:
            size_line = self._read_until(sock, b"\r\n", 1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ProtocolError(
                    _("bad chunk size {size!r}").format(size=size_line[:20])
                ) from None
            if size == 0:
                while self._read_until(sock, b"\r\n", _MAX_HEAD):
                    pass  # trailer fields, up to the empty line
                return bytes(body)
            if len(body) + size > _MAX_BODY:
                raise ProtocolError(_("answer too long"))
            body += self._read_exact(sock, size)
            self._read_exact(sock, 2)  # CRLF after the chunk


# --- auth --------------------------------------------------------------------------------------


def parse_challenges(header: str) -> dict[str, dict[str, str]]:
    """The schemes of WWW-Authenticate values (one per line) → their parameters; of several
    Digest challenges, the one with the strongest algorithm this client knows."""
    found: dict[str, dict[str, str]] = {}
    for value in header.split("\n"):
        scheme, _sep, rest = value.strip().partition(" ")
        params = {k.lower(): quoted or bare for k, quoted, bare in _PARAM.findall(rest)}
        scheme = scheme.lower()
        if scheme != "digest":
            found.setdefault(scheme, params)
        elif _strength(params) > _strength(found.get("digest")):
            found["digest"] = params
    return found


def _strength(params: dict[str, str] | None) -> int:
    """A Digest challenge's rank: 0 for none or an algorithm this client cannot compute."""
    if params is None:
        return 0
    algorithm = params.get("algorithm", "MD5").upper().removesuffix("-SESS")
    return list(_ALGORITHMS).index(algorithm) + 1 if algorithm in _ALGORITHMS else 0


def digest_response(
    hash_: Any, ha1: str, nonce: str, nc: str, cnonce: str, qop: str, a2: str
) -> str:
    """RFC 7616 section 3.4.1's `response`: KD(H(A1), nonce:nc:cnonce:qop:H(A2)), or RFC
    2069's KD(H(A1), nonce:H(A2)) for a device that offers no qop."""
    ha2 = hash_(a2.encode("utf-8")).hexdigest()
    text = f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}" if qop else f"{ha1}:{nonce}:{ha2}"
    return str(hash_(text.encode("utf-8")).hexdigest())


class DeviceLogin:
    """A user's Digest or Basic credentials for one device, and the challenge last taken."""

    def __init__(self, username: str, password: str, *, basic: bool = False) -> None:
        self.username, self._password, self.basic_allowed = username, password, basic
        self._digest: dict[str, str] | None = None
        self._hash: Any = hashlib.md5
        self._ha1 = ""
        self._nc = 0
        self._basic = False

    def header(self, method: str, uri: str) -> str:
        """The Authorization header line for a request, once a challenge is known."""
        if self._basic:
            token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode()
            return f"Authorization: Basic {token}\r\n"
        d = self._digest
        if d is None:
            return ""
        self._nc += 1
        nc, cnonce = f"{self._nc:08x}", os.urandom(8).hex()
        nonce = d.get("nonce", "")
        qop = "auth" if "auth" in d.get("qop", "").replace(" ", "").split(",") else ""
        sess = d.get("algorithm", "").upper().endswith("-SESS")
        ha1 = self._h(f"{self._ha1}:{nonce}:{cnonce}") if sess else self._ha1
        response = digest_response(self._hash, ha1, nonce, nc, cnonce, qop, f"{method}:{uri}")
        extra = f', qop=auth, nc={nc}, cnonce="{cnonce}"' if qop else ""
        if "opaque" in d:
            extra += f', opaque="{d["opaque"]}"'
        if "algorithm" in d:
            extra += f", algorithm={d['algorithm']}"
        return (
            f'Authorization: Digest username="{self.username}", realm="{d.get("realm", "")}", '
            f'nonce="{nonce}", uri="{uri}", response="{response}"{extra}\r\n'
        )

    def take(self, challenge: str, sent: bool) -> bool:
        """Take a 401's challenges; whether sending again can succeed: a first challenge,
        a stale nonce, or a new realm. False means these credentials were refused."""
        offered = parse_challenges(challenge)
        digest = offered.get("digest")
        if digest is not None:
            before = self._digest
            stale = digest.get("stale", "").lower() == "true"
            self._take_digest(digest)
            return not sent or stale or before is None or before.get("realm") != digest.get("realm")
        if "basic" in offered and self.basic_allowed and not self._basic:
            self._basic = True
            return True
        return False

    def _take_digest(self, digest: dict[str, str]) -> None:
        algorithm = digest.get("algorithm", "MD5").upper().removesuffix("-SESS")
        if (
            self._digest is None
            or self._digest.get("realm") != digest.get("realm")
            or (self._hash is not _ALGORITHMS[algorithm])
        ):
            self._hash = _ALGORITHMS[algorithm]
            self._ha1 = self._h(f"{self.username}:{digest.get('realm', '')}:{self._password}")
        self._digest, self._nc, self._basic = digest, 0, False

    def _h(self, text: str) -> str:
        return str(self._hash(text.encode("utf-8")).hexdigest())


# --- the client --------------------------------------------------------------------------------


class DeviceHttp(SecretScrubber):
    """A keep-alive session to one device's HTTP API: auth, a deadline per exchange, TLS as
    the `Endpoint` says (or `verify`), every transport failure an `HttpError`.

    `request` answers any HTTP status; what a status means is the driver's to say. A 401
    that the credentials cannot answer is returned as such (status 401)."""

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        timeout: float,
        username: str | None = None,
        password: str = "",
        basic: bool = False,
        verify: bool | str | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self.label, self.timeout = label, timeout
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self._prefix = parts.path.rstrip("/")
        self.verify = verify if verify is not None else getattr(base_url, "verify", True)
        tls = _tls_context(self.verify) if parts.scheme == "https" else None
        port = parts.port or (443 if tls is not None else 80)
        self.connection = DeviceConnection(parts.hostname or "", port, timeout, tls)
        self.auth = DeviceLogin(username, password, basic=basic) if username is not None else None
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._secrets: set[str] = set()
        self.hide(password, *secrets)

    def fail(self, operation: str, reason: str, status: int | None = None) -> HttpError:
        text = _("{device}: {operation} failed: {reason}")
        message = text.format(device=self.label, operation=operation, reason=reason)
        return HttpError(self.redact(message), status, reason=self.redact(reason))

    def request(
        self,
        method: str,
        path: str,
        operation: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> HttpReply:
        """One request (auth challenges answered, a dropped keep-alive retried when
        idempotent); any transport failure raises `HttpError`."""
        uri = self._prefix + path
        extra = self._headers + "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        retried, answered = False, 0  # a dropped keep-alive resent; challenges answered
        while True:
            auth = self.auth.header(method, uri) if self.auth is not None else ""
            try:
                # The one wait of an exchange: other devices run meanwhile (the engine's
                # runner), and it ends by the device's overall deadline at the latest.
                with exchange(read_timeout or self.timeout) as timeout:
                    reply = self.connection.request(method, uri, body, extra + auth, timeout)
            except ConnectionDropped as exc:
                if retried or method not in _IDEMPOTENT:
                    raise self.fail(operation, self._transport(exc)) from None
                retried = True
                continue
            except (TimeoutError, OSError, ProtocolError) as exc:
                raise self.fail(operation, self._transport(exc, read_timeout)) from None
            challenge = reply.headers.get("www-authenticate")
            if reply.status != 401 or self.auth is None or challenge is None or answered >= 2:
                return reply
            if not self.auth.take(challenge, sent=bool(auth)):
                return reply  # refused: these credentials are wrong (or the account locked)
            answered += 1

    def _transport(self, exc: BaseException, read_timeout: float | None = None) -> str:
        if isinstance(exc, TimeoutError | socket.timeout):
            return _("no answer within {seconds:g} s").format(seconds=read_timeout or self.timeout)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return self._untrusted(exc)
        if isinstance(exc, ssl.SSLError):
            return _("TLS handshake with {url} failed: {detail}").format(
                url=self.base_url, detail=exc.reason or exc
            )
        if isinstance(exc, ConnectionDropped):
            return _("the device dropped the connection before answering")
        if isinstance(exc, ProtocolError):
            return str(exc)
        assert isinstance(exc, OSError)
        cause = f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else type(exc).__name__
        if isinstance(exc, ConnectionResetError | BrokenPipeError):
            return _("the device dropped the connection: {cause}").format(cause=cause)
        return _("cannot connect to {url}: {reason}").format(url=self.base_url, reason=cause)

    def _untrusted(self, exc: ssl.SSLCertVerificationError) -> str:
        """Why TLS failed and what to do: the CA to trust, never a silent downgrade."""
        verify = self.verify
        trusted = (
            _("the CAs in {bundle}").format(bundle=verify)
            if isinstance(verify, str)
            else _("the default CAs")
        )
        reason = exc.verify_message or exc.reason or str(exc)
        return _(
            "TLS certificate of {url} is not trusted ({reason}; checked against {trusted}): "
            "give the CA that signed it with --ca-bundle FILE (or, only for a test bench, "
            "--insecure)"
        ).format(url=self.base_url, reason=reason, trusted=trusted)

    def close(self) -> None:
        self.connection.close()


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """TLS as the connector says: the default CAs, a CA bundle file, or (only when the run
    was told --insecure) no verification at all."""
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
