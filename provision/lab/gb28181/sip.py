"""SIP messages and Digest authentication, as much of RFC 3261 / RFC 2617 as GB/T 28181 uses.

A message is a start line, headers in order, and a body; `parse` reads one from bytes (UDP
datagram or one framed TCP message), `encode` writes it with the right Content-Length.
`frame` cuts one message off a TCP byte stream (RFC 3261 §18.3: Content-Length frames it).
Digest follows WVP-PRO's `DigestServerAuthenticationHelper.java`: MD5, qop "auth", realm the
SIP domain; the response is MD5(HA1:nonce:nc:cnonce:qop:HA2) with qop, MD5(HA1:nonce:HA2)
without.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field

COMPACT = {  # RFC 3261 §7.3.3 compact header names
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
}
MAX_MESSAGE = 65535


class SipError(ValueError):
    """A malformed SIP message."""


@dataclass(slots=True)
class SipMessage:
    start: str  # "REGISTER sip:... SIP/2.0" or "SIP/2.0 200 OK"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        return not self.start.startswith("SIP/2.0 ")

    @property
    def method(self) -> str:
        return self.start.split(" ", 1)[0] if self.is_request else self.cseq[1]

    @property
    def uri(self) -> str:
        return self.start.split(" ")[1]

    @property
    def status(self) -> int:
        return int(self.start.split(" ")[1]) if not self.is_request else 0

    @property
    def reason(self) -> str:
        return self.start.split(" ", 2)[2] if not self.is_request else ""

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = self.header("CSeq").partition(" ")
        return int(number or 0), method.strip()

    @property
    def call_id(self) -> str:
        return self.header("Call-ID")

    def header(self, name: str, default: str = "") -> str:
        values = self.all(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        key = name.lower()
        return [v for k, v in self.headers if COMPACT.get(k.lower(), k.lower()) == key]

    def set(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))

    def encode(self) -> bytes:
        lines = [self.start]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() not in ("content-length", "l")]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body


def parse(data: bytes) -> SipMessage:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise SipError("no blank line after the headers")
    lines = head.decode("utf-8", "replace").split("\r\n")
    start = lines[0].strip()
    if not start.endswith("SIP/2.0") and not start.startswith("SIP/2.0 "):
        raise SipError(f"not a SIP start line: {start[:60]!r}")
    msg = SipMessage(start)
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and msg.headers:  # folded continuation line
            k, v = msg.headers[-1]
            msg.headers[-1] = (k, v + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise SipError(f"malformed header line {line[:60]!r}")
        msg.headers.append((name.strip(), value.strip()))
    length = msg.header("Content-Length")
    msg.body = body[: int(length)] if length.isdigit() else body
    return msg


def frame(buffer: bytes) -> tuple[bytes, bytes] | None:
    """(one whole message, the rest) off a TCP stream, or None while it is incomplete."""
    buffer = buffer.lstrip(b"\r\n")  # keep-alive CRLFs between messages (RFC 5626)
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_MESSAGE:
            raise SipError("headers longer than 64 KiB")
        return None
    found = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", buffer[:end])
    total = end + 4 + (int(found.group(1)) if found else 0)
    if len(buffer) < total:
        return None
    return buffer[:total], buffer[total:]


def response(request: SipMessage, status: int, reason: str, *, to_tag: str = "") -> SipMessage:
    """A response copying Via, From, To (tagged), Call-ID and CSeq, as RFC 3261 §8.2.6 says."""
    out = SipMessage(f"SIP/2.0 {status} {reason}")
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.all(name):
            if name == "To" and ";tag=" not in value and status > 100:
                value = f"{value};tag={to_tag or new_tag()}"
            out.headers.append((name, value))
    return out


def new_tag() -> str:
    return secrets.token_hex(4)


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)


def uri_user(value: str) -> str:
    """The user part of the SIP URI in a header value or a bare URI: "<sip:340...@d>" → "340..."."""
    found = re.search(r"sips?:([^@;>]+)@", value)
    return found.group(1) if found else ""


def uri_host(value: str) -> str:
    found = re.search(r"sips?:(?:[^@;>]+@)?([^;>:]+)", value)
    return found.group(1) if found else ""


# --- Digest (RFC 2617) -------------------------------------------------------------------


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # RFC 2617 mandates MD5


def challenge(realm: str, nonce: str | None = None) -> str:
    nonce = nonce or secrets.token_hex(16)
    return f'Digest realm="{realm}",qop="auth",nonce="{nonce}",algorithm=MD5'


def params(header: str) -> dict[str, str]:
    """Parameters of a Digest challenge or credentials header."""
    _, _, rest = header.partition(" ")
    found = re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]+))', rest)
    return {k.lower(): quoted or bare for k, quoted, bare in found}


def digest(
    user: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    *,
    qop: str = "",
    nc: str = "",
    cnonce: str = "",
) -> str:
    ha1 = _md5(f"{user}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    if qop:
        return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _md5(f"{ha1}:{nonce}:{ha2}")


def authorization(user: str, password: str, method: str, uri: str, challenge_header: str) -> str:
    """The Authorization header answering `challenge_header` (a client's side)."""
    p = params(challenge_header)
    realm, nonce = p.get("realm", ""), p.get("nonce", "")
    qop = "auth" if "auth" in p.get("qop", "").split(",") else ""
    nc, cnonce = "00000001", secrets.token_hex(8)
    value = digest(user, realm, password, method, uri, nonce, qop=qop, nc=nc, cnonce=cnonce)
    out = (
        f'Digest username="{user}",realm="{realm}",nonce="{nonce}",uri="{uri}",'
        f'response="{value}",algorithm=MD5'
    )
    return out + (f',qop={qop},nc={nc},cnonce="{cnonce}"' if qop else "")


def verify(header: str, method: str, password: str) -> bool:
    """Whether credentials `header` prove `password` (a server's side)."""
    p = params(header)
    expected = digest(
        p.get("username", ""),
        p.get("realm", ""),
        password,
        method,
        p.get("uri", ""),
        p.get("nonce", ""),
        qop=p.get("qop", ""),
        nc=p.get("nc", ""),
        cnonce=p.get("cnonce", ""),
    )
    return secrets.compare_digest(expected, p.get("response", ""))
