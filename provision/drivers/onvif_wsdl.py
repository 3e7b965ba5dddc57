"""ONVIF's SOAP side, without the network: the WSDLs parsed once per process, requests built by
zeep from them, the WS-Security header, and schema-free readers for answers and faults.

onvif-zeep ships the ONVIF WSDL and XSD files, but its `ONVIFCamera` re-parses every WSDL for
every camera (about 0.6 s of CPU and 13 MiB per camera, measured in bench/apply.py), calls
`logging.basicConfig` on import and deletes proxy variables from `os.environ` on construction.
So this module never imports the `onvif` package: it locates the WSDL files it installs and
builds one zeep `Client` per WSDL, once, shared by every camera and thread. zeep checks each
request against the WSDL and serialises it; the WS-Security header, which differs per call
(nonce, time), is spliced in as text, so a read repeated across cameras (GetProfiles, GetUsers)
is built by zeep once and reused (never one that carries a password).

Answers are read with lxml by local name rather than through zeep's deserializer: zeep's
object mapping costs ~0.4 ms per GetProfiles answer (more than the exchange itself), and it
silently drops elements a camera sends out of schema order, which real cameras do.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from zeep import Client, Settings
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.wsdl.utils import get_or_create_header
from zeep.xsd.elements.element import Element
from zeep.xsd.elements.indicators import Group, Indicator
from zeep.xsd.types.complex import ComplexType

NS_DEVICE = "http://www.onvif.org/ver10/device/wsdl"
NS_MEDIA = "http://www.onvif.org/ver10/media/wsdl"
NS_MEDIA2 = "http://www.onvif.org/ver20/media/wsdl"
NS_SCHEMA = "http://www.onvif.org/ver10/schema"
_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_WSS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss"
_SECURITY = (
    f'<wsse:Security xmlns:wsse="{_WSS}-wssecurity-secext-1.0.xsd"'
    f' xmlns:wsu="{_WSS}-wssecurity-utility-1.0.xsd"><wsse:UsernameToken>'
    "<wsse:Username>{user}</wsse:Username>"
    f'<wsse:Password Type="{_WSS}-username-token-profile-1.0#PasswordDigest">'
    "{digest}</wsse:Password>"
    f'<wsse:Nonce EncodingType="{_WSS}-soap-message-security-1.0#Base64Binary">'
    "{nonce}</wsse:Nonce><wsu:Created>{created}</wsu:Created></wsse:UsernameToken>"
    "</wsse:Security>"
)
_SPLICE = "provision-wsse"  # a comment marking where the security header goes
_CACHED_REQUESTS = 1024


@dataclass(frozen=True, slots=True)
class OnvifService:
    """One ONVIF service: its WSDL file, SOAP binding and the usual path of its XAddr."""

    name: str
    wsdl: str
    binding: str
    default_path: str


DEVICE = OnvifService(
    "device", "devicemgmt.wsdl", f"{{{NS_DEVICE}}}DeviceBinding", "/onvif/device_service"
)
MEDIA = OnvifService("media", "media.wsdl", f"{{{NS_MEDIA}}}MediaBinding", "/onvif/media_service")

# strict: requests are checked against the WSDL; forbid_*: a WSDL cannot pull in DTDs,
# entities or remote files.
ZEEP_SETTINGS = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)

_lock = threading.Lock()
_documents: dict[str, Document] = {}
_clients: dict[str, Any] = {}  # service name → (zeep Client, its ServiceProxy)
_requests: dict[tuple[str, str, str], Request] = {}


def wsdl_dir() -> Path:
    """Where onvif-zeep installed its WSDL files, found without importing the package."""
    spec = importlib.util.find_spec("onvif")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("onvif-zeep is not installed: it provides the ONVIF WSDL files")
    return Path(next(iter(spec.submodule_search_locations))).parent / "wsdl"


def shared_document(service: OnvifService) -> Document:
    """The parsed WSDL of `service`, built on first use and shared by every thread after."""
    with _lock:
        document = _documents.get(service.wsdl)
        if document is None:
            # A plain Transport reads the local files; zeep's SQLite cache is not used (it is
            # not thread-safe, and local files need no cache).
            loader: Any = Transport()
            document = Document(str(wsdl_dir() / service.wsdl), loader, settings=ZEEP_SETTINGS)
            _warm(document)
            _documents[service.wsdl] = document
        return document


def shared_client(service: OnvifService) -> tuple[Any, Any]:
    """The one zeep Client of `service` and its ServiceProxy; they only build requests."""
    pair = _clients.get(service.name)
    if pair is None:
        client = Client(shared_document(service), settings=ZEEP_SETTINGS)
        pair = (client, client.create_service(service.binding, service.default_path))
        with _lock:
            pair = _clients.setdefault(service.name, pair)
    return pair


def _warm(document: Document) -> None:
    """Compute zeep's lazily cached type properties now, under the lock, for every type.

    zeep fills them with functools.cached_property on first use; from Python 3.12 that no
    longer locks, so two camera threads could race to build one type's value class. Walking
    every type once here (~12 ms for devicemgmt.wsdl) leaves only reads for the threads.
    """
    seen: set[int] = set()
    stack: list[Any] = [*document.types.types, *document.types.elements]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ComplexType):
            _ = node.attributes, node._value_class
            stack.extend(child for _name, child in node.elements_nested)
        elif isinstance(node, Indicator | Group):
            nested: Any = getattr(node, "elements_nested", None) or node.elements
            stack.extend(child for _name, child in nested)
        elif isinstance(node, Element):
            stack.append(node.type)


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A zeep-built envelope, split where the per-call security header goes."""

    head: bytes
    tail: bytes
    content_type: str

    def envelope(self, security: str = "") -> bytes:
        return self.head + security.encode() + self.tail


def build_request(
    service: OnvifService, operation: str, kwargs: dict[str, Any], secrets: Iterable[str] = ()
) -> Request:
    """The envelope zeep builds for `operation(**kwargs)`, checked against the WSDL.

    Kept for reuse (the same GetProfiles, SetNTP or encoder configuration goes to every
    camera of a school), unless it has a Password field or carries one of `secrets`: no
    password sent in CreateUsers outlives its call.
    """
    try:
        key = (service.name, operation, json.dumps(kwargs, sort_keys=True, ensure_ascii=False))
    except TypeError:
        key = None  # not plain data: built every time
    if key is not None and ('"Password"' in key[2] or any(s in key[2] for s in secrets)):
        key = None  # a password field, or a value the caller marked secret
    if key is not None and (cached := _requests.get(key)) is not None:
        return cached
    client, proxy = shared_client(service)
    # zeep's request building without its sending (ServiceProxy calls this same method).
    envelope, headers = proxy._binding._create(
        operation, (), kwargs, client=client, options=proxy._binding_options
    )
    header = get_or_create_header(envelope)
    if len(header):
        key = None  # zeep wrote per-message headers (WS-Addressing ids): never reuse them
    header.insert(0, etree.Comment(_SPLICE))
    head, _, tail = etree.tostring(envelope, encoding="utf-8", xml_declaration=True).partition(
        f"<!--{_SPLICE}-->".encode()
    )
    content_type = headers.get("Content-Type", "application/soap+xml; charset=utf-8")
    request = Request(head, tail, content_type)
    if key is not None:
        with _lock:
            if len(_requests) >= _CACHED_REQUESTS:
                _requests.pop(next(iter(_requests)))  # the oldest
            _requests[key] = request
    return request


def raw_request(body_xml: str) -> Request:
    """An envelope around a request element written by hand, for services whose WSDL
    onvif-zeep does not ship (Media2, ver20): `body_xml` uses the prefixes tr2 (ver20 media)
    and tt (ver10 schema), declared here."""
    head = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<soap-env:Envelope xmlns:soap-env="{_SOAP12}"'
        f' xmlns:tr2="{NS_MEDIA2}" xmlns:tt="{NS_SCHEMA}"><soap-env:Header>'
    )
    tail = f"</soap-env:Header><soap-env:Body>{body_xml}</soap-env:Body></soap-env:Envelope>"
    return Request(head.encode(), tail.encode(), "application/soap+xml; charset=utf-8")


# --- WS-Security ----------------------------------------------------------------------------


class ClockedUsernameToken:
    """WS-Security UsernameToken with PasswordDigest, its Created time in the camera's clock.

    Cameras check Created against their own clock (typically ±5 s), so the token adds the
    offset the session measured with GetSystemDateAndTime, and the one-way transit time (half
    the round trip measured then): the camera checks the token when it arrives, so on a link
    that takes seconds per exchange a token stamped "now" would already be stale there.
    """

    def __init__(self, username: str, password: str) -> None:
        self._username = text_value(username)
        self._password = password.encode()
        self.offset_s = 0.0
        self.transit_s = 0.0

    def __repr__(self) -> str:  # never the password
        return f"ClockedUsernameToken({self._username!r}, offset_s={self.offset_s:+.1f})"

    def header(self) -> str:
        """A fresh wsse:Security element: new nonce, Created = now on the camera's clock."""
        now = datetime.now(UTC) + timedelta(seconds=self.offset_s + self.transit_s)
        created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        nonce = os.urandom(16)
        digest = hashlib.sha1(nonce + created.encode() + self._password).digest()
        return _SECURITY.format(
            user=self._username,
            digest=base64.b64encode(digest).decode(),
            nonce=base64.b64encode(nonce).decode(),
            created=created,
        )


def text_value(value: str) -> str:
    """`value` escaped for XML element text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- reading answers ------------------------------------------------------------------------

_parsers = threading.local()


def parse_xml(data: bytes) -> etree._Element:
    """Parse a device's answer: no DTD entities or network access; one parser per thread
    (lxml parsers must not be shared between threads)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        _parsers.parser = parser
    return etree.fromstring(data, parser)


def local_name(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    """Child elements of `el` with local name `name`, whatever their namespace."""
    return iter(()) if el is None else el.iterchildren(f"{{*}}{name}")


def child(el: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element at `path` (local names) under `el`, or None."""
    for name in path:
        el = next(children(el, name), None)
    return el


def text(el: etree._Element | None, *path: str) -> str | None:
    """Stripped text of the element at `path` under `el`, or None when it is absent."""
    found = child(el, *path)
    return None if found is None else (found.text or "").strip()


def integer(el: etree._Element | None, *path: str) -> int | None:
    """The element's text as an int (ONVIF sends some integers as "25.0"); None if absent."""
    value = text(el, *path)
    return None if not value else int(float(value))


def first_element(el: etree._Element | None) -> etree._Element | None:
    return None if el is None else next(el.iterchildren(tag=etree.Element), None)


def fault_parts(fault: etree._Element) -> tuple[str, tuple[str, ...], str]:
    """(code, subcodes, reason) of a SOAP 1.2 or 1.1 Fault, prefixes dropped: ("Sender",
    ("NotAuthorized",), "Sender not authorized")."""
    code_el = child(fault, "Code")
    if code_el is None:  # SOAP 1.1: faultcode, faultstring
        code = text(fault, "faultcode") or ""
        return code.rpartition(":")[2], (), text(fault, "faultstring") or ""
    subcodes = []
    sub = child(code_el, "Subcode")
    while sub is not None:
        subcodes.append((text(sub, "Value") or "").rpartition(":")[2])
        sub = child(sub, "Subcode")
    reasons = [(t.text or "").strip() for t in children(child(fault, "Reason"), "Text")]
    code = (text(code_el, "Value") or "").rpartition(":")[2]
    return code, tuple(subcodes), next((r for r in reasons if r), "")
