"""A Hikvision ISAPI session: XML resources over HTTP with Digest auth, errors said plainly.

ISAPI (Hikvision's "IP Media Device Management Interface") is REST over HTTP: a resource is
read with GET and replaced with PUT of the whole XML document; collections take POST and
DELETE. Every write answers, and every failure explains itself in, a `ResponseStatus`
document: `statusCode` (1 OK, 2 Device Busy, 3 Device Error, 4 Invalid Operation, 5 Invalid
XML Format, 6 Invalid XML Content, 7 Reboot Required), `statusString` and `subStatusCode`
(e.g. `badParameters`, `notSupport`, `lowPrivilege`). Cameras answer 401 with a
`WWW-Authenticate: Digest qop="auth"` challenge (firmware 5.5 and later refuse Basic); a
password changed behind provision's back therefore shows as a 401 on every request.

The wire is `drivers/device_http.py`'s lean keep-alive HTTP/1.1 client, which answers the
Digest challenge once per session and then signs each request at once (MD5, or SHA-256 where
the camera offers it); transport failures (refused, silent, TLS, dropped) read the same for
every device, and the password is scrubbed from anything raised.
"""

from __future__ import annotations

import threading

from lxml import etree

from provision.drivers.connect import Connector
from provision.drivers.device_http import DeviceHttp, HttpReply
from provision.drivers.http import HttpError, endpoint
from provision.i18n import N_, _
from provision.inventory.model import Credentials

NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
STATUS_CODES = {
    1: N_("OK"),
    2: N_("Device Busy"),
    3: N_("Device Error"),
    4: N_("Invalid Operation"),
    5: N_("Invalid XML Format"),
    6: N_("Invalid XML Content"),
    7: N_("Reboot Required"),
}
UNKNOWN_STATUS = N_("unknown status")  # a statusCode not in STATUS_CODES
# What a camera's subStatusCode means for whoever runs provision.
_SUB_STATUS_HINTS = {
    "badAuthorization": N_("the camera refused the credentials"),
    "lowPrivilege": N_("the login user's level may not do this"),
    "notSupport": N_("this camera or firmware does not offer it"),
    "badParameters": N_("the camera refused a value"),
    "badXmlContent": N_("the camera refused a value"),
    "badXmlFormat": N_("the camera could not parse the request"),
    "deviceBusy": N_("the camera is busy; try again"),
    "methodNotAllowed": N_("this resource cannot be changed that way"),
}
_parsers = threading.local()


def parse(data: bytes) -> etree._Element:
    """A device's XML answer: no DTD entities, no network, one parser per thread. lxml parser
    objects must not be shared between threads: one module-wide parser used by many device
    threads at once crashed a verify with SIGSEGV (exit -11, no traceback)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False
        )
    return etree.fromstring(data, parser)


def q(tag: str) -> str:
    """A tag in the ISAPI namespace (documents are written with it as default namespace)."""
    return f"{{{NAMESPACE}}}{tag}"


def find(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element down `path`, in whichever namespace the camera used (or none)."""
    for tag in path:
        if element is None:
            return None
        element = element.find(f"{{*}}{tag}")
    return element


def text(element: etree._Element | None, *path: str) -> str | None:
    found = find(element, *path)
    return None if found is None or found.text is None else found.text.strip()


def integer(element: etree._Element | None, *path: str) -> int | None:
    value = text(element, *path)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def set_text(element: etree._Element, tag: str, value: str) -> None:
    """Set a child's text, adding the child (in the document's namespace) if it is missing."""
    found = find(element, tag)
    if found is None:
        namespace = etree.QName(element).namespace
        found = etree.SubElement(element, f"{{{namespace}}}{tag}" if namespace else tag)
    found.text = value


def document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def device_session(
    label: str, connector: Connector, host: str, credentials: Credentials | None, port: int = 80
) -> IsapiSession:
    """A session to an ISAPI device (camera, NVR) at its inventory address, logged in with its
    credentials (the password resolved now, from its reference)."""
    return IsapiSession(
        label,
        endpoint(connector, host, port),
        credentials.username if credentials else "admin",
        connector.secret(credentials.password if credentials else None),
        timeout=connector.timeout,
    )


class IsapiSession:
    """One camera's ISAPI at `base_url`, logged in as `username` with Digest auth."""

    def __init__(
        self, label: str, base_url: str, username: str, password: str, *, timeout: float
    ) -> None:
        self.label, self.username = label, username
        self.http = DeviceHttp(
            label,
            base_url,
            timeout=timeout,
            username=username,
            password=password,
            headers={"Content-Type": "application/xml; charset=UTF-8"},
        )
        self.exchanges = 0  # requests answered (a Digest challenge and its retry count once)

    def get(self, path: str, operation: str) -> etree._Element:
        return self._xml(self._call("GET", path, operation), operation)

    def put(self, path: str, root: etree._Element, operation: str) -> None:
        self._status(self._call("PUT", path, operation, document(root)), operation)

    def post(self, path: str, root: etree._Element, operation: str) -> None:
        self._status(self._call("POST", path, operation, document(root)), operation)

    def delete(self, path: str, operation: str) -> None:
        self._status(self._call("DELETE", path, operation), operation)

    def post_xml(self, path: str, body: bytes, operation: str) -> etree._Element:
        """A POST that answers a document (an NVR's search, a track's daily distribution)."""
        return self._xml(self._call("POST", path, operation, body), operation)

    def raw(self, path: str, operation: str) -> bytes:
        """A binary resource (a snapshot); a failure is read like any other."""
        return self._call("GET", path, operation).body

    def close(self) -> None:
        self.http.close()

    # --- answers ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, operation: str, body: bytes = b"") -> HttpReply:
        resp = self.http.request(method, path, operation, body)
        self.exchanges += 1
        if resp.status == 401:
            raise self.http.fail(operation, self._refused_login(resp), 401)
        if resp.status >= 300:
            raise self._refused(resp, operation)
        return resp

    def _refused_login(self, resp: HttpReply) -> str:
        """A 401 in words; with the illegal login lock's `userCheck` answer, the tries left
        or the lock (the session sends one wrong answer per run: each counts)."""
        try:
            check = parse(resp.body) if resp.body.lstrip().startswith(b"<?xml") else None
        except etree.XMLSyntaxError:
            check = None
        refused = _("authentication failed (HTTP 401): the camera refused user {user!r}").format(
            user=self.username
        )
        if check is not None and text(check, "lockStatus") == "lock":
            seconds = integer(check, "unlockTime") or 0
            return refused + _(
                " and has locked logins from this address for {minutes} minutes after repeated "
                "wrong passwords (unlocks in {seconds} s); do not retry before then, correct "
                "the inventory's credentials"
            ).format(minutes=-(-seconds // 60), seconds=seconds)
        left = integer(check, "retryLoginTime")
        tries = _(" ({count} tries left before the camera locks this address)").format(count=left)
        return (
            refused
            + (tries if left is not None else "")
            + _(
                " (its password may have been changed on the camera); check the inventory's "
                "credentials"
            )
        )

    def _xml(self, resp: HttpReply, operation: str) -> etree._Element:
        try:
            return parse(resp.body)
        except etree.XMLSyntaxError as exc:
            shown = resp.body[:120].decode("utf-8", "replace")
            raise self.http.fail(
                operation,
                _(
                    "the camera's answer is not well-formed XML (truncated?): {error} "
                    "(answer began {shown!r})"
                ).format(error=exc.msg, shown=shown),
                resp.status,
            ) from None

    def _status(self, resp: HttpReply, operation: str) -> None:
        """A write's ResponseStatus must say OK (1) or Reboot Required (7: taken)."""
        if not resp.body.strip():
            return  # some firmware answers a DELETE with 200 and no body
        status = self._xml(resp, operation)
        code = integer(status, "statusCode")
        if etree.QName(status).localname == "ResponseStatus" and code not in (1, 7):
            raise self.http.fail(operation, describe_status(status), resp.status)

    def _refused(self, resp: HttpReply, operation: str) -> HttpError:
        try:
            status = parse(resp.body)
        except etree.XMLSyntaxError:
            status = None
        if status is not None and etree.QName(status).localname == "ResponseStatus":
            reason = describe_status(status)
        else:
            reason = resp.text[:200].strip() or resp.reason
        return self.http.fail(operation, f"HTTP {resp.status}: {reason}", resp.status)


def describe_status(status: etree._Element) -> str:
    """A ResponseStatus in words: "Invalid XML Content (badParameters: the camera refused a
    value; statusCode 6): <the camera's own words>"."""
    code = integer(status, "statusCode")
    sub = text(status, "subStatusCode") or "?"
    said = text(status, "statusString") or _(STATUS_CODES.get(code or 0, UNKNOWN_STATUS))
    hint = _SUB_STATUS_HINTS.get(sub)
    detail = f"{sub}: {_(hint)}" if hint else sub
    extra = text(status, "errorMsg") or text(status, "requestURL")
    message = _("{status} ({detail}; statusCode {code})").format(
        status=said, detail=detail, code=code
    )
    return _("{message}, at {where}").format(message=message, where=extra) if extra else message
