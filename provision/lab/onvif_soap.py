"""SOAP 1.2 plumbing shared by the simulated camera's ONVIF services.

Responses are written as text, not through zeep: one pre-built envelope prefix declares every
namespace a response uses, so each answer is a few string joins (~tens of µs) and costs no
per-camera memory. The price is that element ORDER must match the ONVIF XSD by hand — zeep
silently drops out-of-order elements — so tests validate every body against the installed XSD.

Requests are parsed with lxml and read by local name, because clients disagree on prefixes and
some put request children in the wrong namespace; a real camera is lenient in the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from provision.lab.http import Response

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
NS_TRT = "http://www.onvif.org/ver10/media/wsdl"
NS_TR2 = "http://www.onvif.org/ver20/media/wsdl"
NS_TEV = "http://www.onvif.org/ver10/events/wsdl"
NS_TT = "http://www.onvif.org/ver10/schema"
NS_TER = "http://www.onvif.org/ver10/error"
NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

_ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<env:Envelope xmlns:env="{SOAP_ENV}" xmlns:tds="{NS_TDS}" xmlns:trt="{NS_TRT}"'
    f' xmlns:tr2="{NS_TR2}" xmlns:tev="{NS_TEV}" xmlns:tt="{NS_TT}" xmlns:ter="{NS_TER}">'
    "<env:Body>"
)
_ENVELOPE_TAIL = "</env:Body></env:Envelope>"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"

# One parser for the process: no DTDs, entities or network access from untrusted request bodies.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


def x(text: object) -> str:
    """Escape a value for element text or a double-quoted attribute."""
    return escape(str(text), {'"': "&quot;"})


def xbool(value: bool) -> str:
    return "true" if value else "false"


def envelope(body_xml: str) -> Response:
    """A 200 response carrying `body_xml` (the operation's response element) in a SOAP body."""
    data = (_ENVELOPE_HEAD + body_xml + _ENVELOPE_TAIL).encode()
    return Response(200, data, CONTENT_TYPE)


class SoapFault(Exception):
    """An ONVIF fault: `code` is Sender or Receiver, `subcodes` nest outermost first.

    ONVIF names its faults by subcode chains such as Sender / ter:InvalidArgVal / ter:NoConfig;
    clients (zeep included) read the chain, so it must be exact. HTTP status follows the common
    camera practice: 400 for the client's fault, 500 for the device's.
    """

    def __init__(self, code: str, subcodes: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.code, self.subcodes, self.reason = code, subcodes, reason

    def response(self) -> Response:
        sub = "".join(
            f"<env:Subcode><env:Value>ter:{name}</env:Value>" for name in self.subcodes
        ) + "</env:Subcode>" * len(self.subcodes)
        body = (
            f"<env:Fault><env:Code><env:Value>env:{self.code}</env:Value>{sub}</env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{x(self.reason)}</env:Text></env:Reason>'
            "</env:Fault>"
        )
        data = (_ENVELOPE_HEAD + body + _ENVELOPE_TAIL).encode()
        return Response(400 if self.code == "Sender" else 500, data, CONTENT_TYPE)


def sender_fault(*subcodes: str, reason: str) -> SoapFault:
    return SoapFault("Sender", subcodes, reason)


def receiver_fault(*subcodes: str, reason: str) -> SoapFault:
    return SoapFault("Receiver", subcodes, reason)


def invalid_arg(detail: str, reason: str) -> SoapFault:
    """Sender / ter:InvalidArgVal / ter:<detail>: the usual answer to a bad parameter."""
    return sender_fault("InvalidArgVal", detail, reason=reason)


@dataclass(slots=True)
class SoapRequest:
    operation: str  # local name of the first child of soap:Body, e.g. "GetProfiles"
    body: etree._Element  # that child
    header: etree._Element | None


def parse_request(data: bytes) -> SoapRequest:
    """Split a SOAP 1.1/1.2 envelope into header and operation element (faults if malformed)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise sender_fault("WellFormed", reason=f"request is not well-formed XML: {exc}") from exc
    if etree.QName(root).localname != "Envelope":
        raise sender_fault("MissingAttr", reason="request root element is not a SOAP Envelope")
    header = body = None
    for part in root:
        if not isinstance(part.tag, str):
            continue  # comments, processing instructions
        local = etree.QName(part).localname
        if local == "Header":
            header = part
        elif local == "Body":
            body = part
    operation = None
    if body is not None:
        operation = next((el for el in body if isinstance(el.tag, str)), None)
    if operation is None:
        raise sender_fault("MissingAttr", reason="SOAP Body has no operation element")
    return SoapRequest(etree.QName(operation).localname, operation, header)


def children(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    """Child elements of `el` with local name `name`, in any namespace."""
    if el is None:
        return
    for child in el:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            yield child


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    return next(children(el, name), None)


def text(el: etree._Element | None, *path: str) -> str | None:
    """Stripped text of the element at `path` under `el` (local names), or None if absent."""
    for name in path:
        el = child(el, name)
    if el is None:
        return None
    return (el.text or "").strip()


# --- WS-Security UsernameToken -------------------------------------------------------------


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """WS-Security PasswordDigest = Base64(SHA1(nonce + created + password))."""
    raw = hashlib.sha1(nonce + created.encode() + password.encode()).digest()
    return base64.b64encode(raw).decode()


def authenticate(
    header: etree._Element | None,
    users: dict[str, tuple[str, str]],
    camera_now: datetime,
    window_s: float,
) -> tuple[str, str]:
    """Check the UsernameToken against `users` (name → (password, level)); return (name, level).

    The Created time is checked against the CAMERA's clock before the digest, as real cameras
    do: a client whose clock is off gets a distinct "stale" reason it can act on (resync, or
    measure the offset with GetSystemDateAndTime, which needs no authentication).
    """
    token = child(child(header, "Security"), "UsernameToken")
    if token is None:
        raise sender_fault("NotAuthorized", reason="Sender not Authorized: no WS-Security token")
    username = text(token, "Username") or ""
    password_el = child(token, "Password")
    supplied = (password_el.text or "").strip() if password_el is not None else ""
    created = text(token, "Created")
    nonce_b64 = text(token, "Nonce")
    is_digest = password_el is not None and password_el.get("Type", "").endswith("Digest")
    if is_digest:
        if not created or nonce_b64 is None:
            raise sender_fault(
                "NotAuthorized", reason="Sender not Authorized: digest lacks Created"
            )
        try:
            stamp = datetime.fromisoformat(created.replace("Z", "+00:00"))
            nonce = base64.b64decode(nonce_b64, validate=True)
        except ValueError as exc:
            raise sender_fault(
                "NotAuthorized", reason=f"Sender not Authorized: bad Created/Nonce ({exc})"
            ) from exc
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        skew = (stamp - camera_now).total_seconds()
        if abs(skew) > window_s:
            raise sender_fault(
                "NotAuthorized",
                reason=(
                    f"Sender not Authorized: the UsernameToken timestamp is stale "
                    f"({skew:+.0f} s from the camera clock, allowed ±{window_s:g} s)"
                ),
            )
    entry = users.get(username)
    if entry is not None:
        expected = password_digest(nonce, created or "", entry[0]) if is_digest else entry[0]
        if hmac.compare_digest(expected.encode(), supplied.encode()):
            return username, entry[1]
    raise sender_fault("NotAuthorized", reason="Sender not Authorized: wrong username or password")


_LEVEL_RANK = {"User": 1, "Operator": 2, "Administrator": 3}


def require_level(level: str, needed: str, operation: str) -> None:
    """ONVIF access classes, simplified: reads need User, changes Operator, accounts Admin."""
    if _LEVEL_RANK.get(level, 0) < _LEVEL_RANK[needed]:
        raise sender_fault(
            "NotAuthorized", reason=f"Sender not Authorized: {operation} requires {needed}"
        )


def answer(
    operations: dict[str, tuple[str | None, Callable[[Any, etree._Element], str]]],
    body: bytes,
    state: Any,
    *,
    users: dict[str, tuple[str, str]],
    device_now: datetime,
    window_s: float,
    auth_failure: bool,
    soap_faults: Collection[str],
) -> Response:
    """One SOAP request to a lab ONVIF device (camera or recorder): the operation found, its
    caller authenticated against the device's clock and level checked, the `soap_fault` fault
    applied, the handler's answer enveloped; any SoapFault as the device answers it."""
    try:
        soap = parse_request(body)
        entry = operations.get(soap.operation)
        if entry is None:
            raise receiver_fault(
                "ActionNotSupported", reason=f"{soap.operation} is not supported here"
            )
        needed, handler = entry
        if needed is not None:
            if auth_failure:
                raise sender_fault("NotAuthorized", reason="Sender not authorized")
            _user, level = authenticate(soap.header, users, device_now, window_s)
            require_level(level, needed, soap.operation)
        if soap.operation in soap_faults:
            raise receiver_fault("Action", reason=f"{soap.operation} failed on the device")
        return envelope(handler(state, soap.body))
    except SoapFault as fault:
        return fault.response()
