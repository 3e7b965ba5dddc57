"""Shared helpers for the camera tests (no tests here): a lab event loop in a background
thread, a raw SOAP client with WS-Security, and the ONVIF XSD compiled for validation."""

from __future__ import annotations

import base64
import copy
import os
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import requests
from labsupport import LabLoop as BaseLabLoop
from lxml import etree

from provision.lab.camera import Camera
from provision.lab.faults import Faults
from provision.lab.onvif_soap import NS_TDS, NS_TRT, NS_TT, SOAP_ENV, password_digest

T = TypeVar("T")
NS = {"env": SOAP_ENV, "tds": NS_TDS, "trt": NS_TRT, "tt": NS_TT}
XS = "http://www.w3.org/2001/XMLSchema"


class LabLoop(BaseLabLoop):
    """The shared lab loop, plus a shortcut to start a camera on it."""

    def camera(self, name: str = "cam", host: str = "127.0.0.1", **kwargs: Any) -> Camera:
        kwargs.setdefault("faults", Faults())
        kwargs.setdefault("http_port", 0)
        kwargs.setdefault("rtsp_port", 0)
        cam = Camera(name, host, **kwargs)
        self.run(cam.start())
        return cam


def wsdl_dir() -> str:
    import onvif

    return os.path.join(os.path.dirname(os.path.dirname(onvif.__file__)), "wsdl")


def security_header(
    user: str, password: str, created: datetime | None = None, digest: bool = True
) -> str:
    stamp = (created or datetime.now(UTC)).replace(microsecond=0)
    created_text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = uuid.uuid4().bytes
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    profile = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    if digest:
        pw = f'<wsse:Password Type="{profile}#PasswordDigest">'
        pw += password_digest(nonce, created_text, password) + "</wsse:Password>"
    else:
        pw = f'<wsse:Password Type="{profile}#PasswordText">{password}</wsse:Password>'
    return (
        f'<wsse:Security xmlns:wsse="{wsse}" xmlns:wsu="{wsu}"><wsse:UsernameToken>'
        f"<wsse:Username>{user}</wsse:Username>{pw}"
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created_text}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


class SoapClient:
    """Hand-made SOAP 1.2 requests, to reach what zeep hides (raw XML, exact faults)."""

    def __init__(self, cam: Camera, user: str | None = "admin", password: str = "admin") -> None:
        self.base = f"http://{cam.host}:{cam.endpoints()['http']}"
        self.user, self.password = user, password
        self.session = requests.Session()
        self.skew = timedelta(seconds=cam.settings.clock_offset_s)

    def post(self, path: str, body: str, header: str | None = None) -> requests.Response:
        if header is None and self.user is not None:
            header = security_header(self.user, self.password, datetime.now(UTC) + self.skew)
        envelope = (
            f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:tds="{NS_TDS}" xmlns:trt="{NS_TRT}"'
            f' xmlns:tt="{NS_TT}"><s:Header>{header or ""}</s:Header><s:Body>{body}</s:Body>'
            "</s:Envelope>"
        )
        return self.session.post(
            self.base + path,
            data=envelope.encode(),
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            timeout=5,
        )

    def device(self, body: str, header: str | None = None) -> etree._Element:
        return body_element(self.post("/onvif/device_service", body, header))

    def media(self, body: str, header: str | None = None) -> etree._Element:
        return body_element(self.post("/onvif/media_service", body, header))


def body_element(resp: requests.Response) -> etree._Element:
    """The first child of soap:Body (the response element, or env:Fault)."""
    assert resp.headers["Content-Type"].startswith("application/soap+xml")
    root = etree.fromstring(resp.content)
    return root.find("env:Body", NS)[0]


def fault_codes(el: etree._Element) -> list[str]:
    """['env:Sender', 'ter:InvalidArgVal', 'ter:ConfigModify'] for a fault element."""
    assert etree.QName(el).localname == "Fault", etree.tostring(el)
    return [v.text for v in el.iter(f"{{{SOAP_ENV}}}Value")]


def fault_reason(el: etree._Element) -> str:
    return el.findtext("env:Reason/env:Text", namespaces=NS) or ""


@cache
def onvif_schema(service: str) -> etree.XMLSchema:
    """The schema embedded in `service`.wsdl (with onvif.xsd), to validate response bodies.

    The WSDL's schema is lifted out with the namespace declarations of the WSDL root (its
    QName-valued attributes need them) and its relative import made absolute.
    """
    path = Path(wsdl_dir(), f"{service}.wsdl")
    doc = etree.parse(str(path))
    schema = doc.find(f".//{{{XS}}}schema")
    nsmap = {**doc.getroot().nsmap, **schema.nsmap}
    root = etree.Element(schema.tag, attrib=dict(schema.attrib), nsmap=nsmap)
    root.extend(copy.deepcopy(c) for c in schema)
    for imp in root.iter(f"{{{XS}}}import"):
        imp.set("schemaLocation", str(Path(wsdl_dir(), "onvif.xsd")))
    return etree.XMLSchema(etree.ElementTree(root))


def assert_valid(service: str, el: etree._Element) -> None:
    schema = onvif_schema(service)
    standalone = etree.fromstring(etree.tostring(el))  # validate the element as a document
    assert schema.validate(standalone), f"{schema.error_log}\n{etree.tostring(el).decode()}"
