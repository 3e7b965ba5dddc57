"""An ONVIF client for many cameras at once: requests built once per process, one keep-alive
connection per camera, WS-Security digests in the camera's own time, every failure a
`DeviceError`.

An `OnvifSession` is one camera: its connection, its UsernameToken, its measured clock offset.
Requests come from the process's shared zeep clients (see onvif_wsdl) and go out over
`DeviceConnection` (drivers/device_http.py, the lean keep-alive HTTP/1.1 transport every camera
driver shares), whose deadline covers the whole exchange. Nothing
here touches `os.environ`, logging configuration or proxy settings: a device on the school
network is always reached directly.

Sessions of different cameras run in parallel threads; a session serialises its own calls (one
connection). Passwords live only in the session's token and are scrubbed from every message
it raises.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import zeep.exceptions
from lxml import etree

from provision.drivers.device_http import DeviceConnection, HttpReply, ProtocolError
from provision.drivers.onvif_wsdl import (
    DEVICE,
    MEDIA,
    NS_MEDIA2,
    ClockedUsernameToken,
    OnvifService,
    Request,
    build_request,
    child,
    children,
    fault_parts,
    first_element,
    integer,
    local_name,
    parse_xml,
    raw_request,
    text,
)
from provision.drivers.pacing import exchange
from provision.errors import DeviceError
from provision.i18n import _

# A NotAuthorized answer is retried once if re-measuring moves the time tokens are stamped for by
# more than this (an NTP server just set, a camera that synced on its own, or a first measurement
# slowed by a loaded device): digests carry time.
CLOCK_JUMP_S = 2.0
# A round trip this long is a slow link (a camera on a precinct WAN or busy): a stale-token
# refusal then names the link, never the clock.
SLOW_EXCHANGE_S = 1.0
_UTC_FIELDS = (
    ("Date", "Year"),
    ("Date", "Month"),
    ("Date", "Day"),
    ("Time", "Hour"),
    ("Time", "Minute"),
    ("Time", "Second"),
)


class OnvifError(DeviceError):
    """An ONVIF call failed. `subcodes` are the fault's subcode local names, outermost first
    (e.g. ("NotAuthorized",)); `kind` is fault, timeout, connection, protocol or request."""

    def __init__(
        self, message: str, *, operation: str, kind: str, subcodes: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.operation, self.kind, self.subcodes = operation, kind, subcodes


class OnvifSession:
    """The device and media services of one camera, reached at `address` (already routed)."""

    def __init__(
        self, label: str, address: tuple[str, int], username: str, password: str, *, timeout: float
    ) -> None:
        self.label, self.timeout = label, timeout
        self._connection = DeviceConnection(address[0], address[1], timeout)
        self._token = ClockedUsernameToken(username, password)
        self._secrets = {password} if password else set()
        self._lock = threading.Lock()
        self._paths = {DEVICE.name: DEVICE.default_path}
        self._services: dict[str, str] | None = None  # namespace → path, from GetServices
        self._clock_known = False
        self._round_trip_s = 0.0  # of the last clock measurement
        self.exchanges = 0  # SOAP requests sent, for benchmarks and tests

    def __repr__(self) -> str:
        return f"OnvifSession({self.label!r})"

    @property
    def clock_offset_s(self) -> float:
        return self._token.offset_s

    def hide(self, *secrets: str) -> None:
        """Values (e.g. passwords sent in CreateUsers) to scrub from every message raised."""
        self._secrets.update(s for s in secrets if s)

    def device(self, operation: str, **kwargs: Any) -> etree._Element:
        """Call a device-service operation; its answer element (e.g. GetHostnameResponse)."""
        return self._call(DEVICE, operation, kwargs)

    def media(self, operation: str, **kwargs: Any) -> etree._Element:
        return self._call(MEDIA, operation, kwargs)

    def has_media2(self) -> bool:
        """Whether the camera lists the Media2 service (ver20) in GetServices."""
        return NS_MEDIA2 in self._service_paths()

    def media2(self, operation: str, body_xml: str) -> etree._Element:
        """Call a Media2 operation; `body_xml` is its request element (see raw_request).
        onvif-zeep ships no ver20 WSDL, so these requests are written by hand."""
        path = self._service_paths().get(NS_MEDIA2)
        if path is None:
            raise self._error(operation, "request", "the camera lists no Media2 service")
        request = raw_request(body_xml)
        return self._with_clock(lambda: self._post(path, request, operation))

    def call(self, service: OnvifService, operation: str, **kwargs: Any) -> etree._Element:
        """Call an operation of a service found through GetServices (e.g. Profile G's
        recording, search and receiver services), at the path the device lists for it."""
        path = self.services().get(etree.QName(service.binding).namespace or "")
        if path is None:
            problem = _("the device lists no {service} service").format(service=service.name)
            raise self._error(operation, "request", problem)
        try:
            request = build_request(service, operation, kwargs, self._secrets)
        except (zeep.exceptions.Error, TypeError, ValueError) as exc:
            problem = _("cannot build the request: {error}").format(error=exc)
            raise self._error(operation, "request", problem) from exc
        return self._with_clock(lambda: self._post(path, request, operation))

    def services(self) -> dict[str, str]:
        """Namespace → path of every service the device lists in GetServices."""
        return dict(self._service_paths())

    def system_date_and_time(self) -> etree._Element:
        """GetSystemDateAndTime, unauthenticated, re-measuring the camera's clock offset."""
        with self._lock:
            return self._measure_clock()

    def clock_may_have_changed(self) -> None:
        """After setting NTP or the time: measure the clock again before the next digest."""
        self._clock_known = False

    def close(self) -> None:
        self._connection.close()

    # --- internals ------------------------------------------------------------------------

    def _call(self, service: OnvifService, operation: str, kwargs: dict[str, Any]) -> Any:
        return self._with_clock(lambda: self._exchange(service, operation, kwargs))

    def _with_clock(self, send: Callable[[], etree._Element]) -> etree._Element:
        with self._lock:
            if not self._clock_known:
                self._measure_clock()
            try:
                return send()
            except OnvifError as exc:
                if "NotAuthorized" not in exc.subcodes:
                    raise
                # Retry once if the time the token is stamped for moved: the clock jumped, or
                # the first measurement's round trip was slow (a loaded device or lab) and
                # stamped tokens seconds ahead for a transit that did not last.
                before = self._token.offset_s + self._token.transit_s
                self._measure_clock()
                if abs(self._token.offset_s + self._token.transit_s - before) < CLOCK_JUMP_S:
                    raise self._slow_or(exc) from None
                return send()

    def _service_paths(self) -> dict[str, str]:
        """Namespace → path of each service the camera lists (GetServices); a camera that
        does not implement GetServices lists none."""
        if self._services is None:
            try:
                answer = self.device("GetServices", IncludeCapability=False)
            except OnvifError as exc:
                if exc.kind != "fault" or "NotAuthorized" in exc.subcodes:
                    raise  # a refused login is not a device without GetServices
                answer = None
            self._services = {
                text(svc, "Namespace") or "": urlsplit(text(svc, "XAddr") or "").path
                for svc in children(answer, "Service")
            }
        return self._services

    def _slow_or(self, exc: OnvifError) -> OnvifError:
        """A token refused as stale although the clock was just measured is a slow link, not
        a clock fault: say how slow, so nobody resets a camera's time for a network problem."""
        if "stale" not in str(exc) or self._round_trip_s < SLOW_EXCHANGE_S:
            return exc
        message = (
            f"{self.label}: slow: {self._round_trip_s:.1f} s per exchange; the camera refused "
            f"the login token as stale because it arrived late, not because its clock is off "
            f"(measured offset {self._token.offset_s:+.1f} s)"
        )
        return OnvifError(message, operation=exc.operation, kind="timeout", subcodes=exc.subcodes)

    def _measure_clock(self) -> etree._Element:
        sent = time.time()
        answer = self._exchange(DEVICE, "GetSystemDateAndTime", {}, authenticated=False)
        self._round_trip_s = time.time() - sent
        self._token.transit_s = self._round_trip_s / 2
        midpoint = (sent + time.time()) / 2
        utc = child(answer, "SystemDateAndTime", "UTCDateTime")
        if utc is not None:  # a camera that reports no UTC time is taken to be on time
            try:
                year, month, day, hour, minute, second = (
                    integer(utc, part, name) or 0 for part, name in _UTC_FIELDS
                )
                stamp = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError as exc:
                problem = _("bad UTCDateTime: {error}").format(error=exc)
                raise self._error("GetSystemDateAndTime", "protocol", problem) from None
            # The camera reports whole seconds (truncated): its clock is half a second on.
            self._token.offset_s = stamp.timestamp() + 0.5 - midpoint
        self._clock_known = True
        return answer

    def _path(self, service: OnvifService) -> str:
        """The service's path from GetCapabilities. Only the path is used: the host in the
        XAddr is the camera's own view (wrong behind NAT or in the lab), so calls keep going
        to the address the connector gave."""
        path = self._paths.get(service.name)
        if path is None:
            answer = self._exchange(DEVICE, "GetCapabilities", {"Category": "Media"})
            xaddr = text(answer, "Capabilities", "Media", "XAddr")
            path = self._paths[service.name] = (xaddr and urlsplit(xaddr).path) or (
                service.default_path
            )
        return path

    def _exchange(
        self,
        service: OnvifService,
        operation: str,
        kwargs: dict[str, Any],
        authenticated: bool = True,
    ) -> etree._Element:
        path = self._path(service)
        try:
            request = build_request(service, operation, kwargs, self._secrets)
        except (zeep.exceptions.Error, TypeError, ValueError) as exc:
            problem = _("cannot build the request: {error}").format(error=exc)
            raise self._error(operation, "request", problem) from exc
        return self._post(path, request, operation, authenticated)

    def _post(
        self, path: str, request: Request, operation: str, authenticated: bool = True
    ) -> etree._Element:
        envelope = request.envelope(self._token.header() if authenticated else "")
        self.exchanges += 1
        try:
            # The one wait of an exchange: other devices run meanwhile (engine's runner), and
            # it ends by the device's overall deadline at the latest.
            with exchange(self.timeout) as timeout:
                self._connection.timeout = timeout
                reply = self._connection.post(path, envelope, request.content_type)
        except TimeoutError:
            problem = _("no answer within {timeout:g} s").format(timeout=self.timeout)
            raise self._error(operation, "timeout", problem) from None
        except ConnectionRefusedError:
            problem = _("connection refused by {where}").format(where=self._where)
            raise self._error(operation, "connection", problem) from None
        except ProtocolError as exc:
            raise self._error(operation, "protocol", str(exc)) from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            problem = _("cannot reach {where}: {reason}").format(where=self._where, reason=reason)
            raise self._error(operation, "connection", problem) from None
        return self._answer(operation, reply)

    def _answer(self, operation: str, reply: HttpReply) -> etree._Element:
        try:
            root = parse_xml(reply.body)
        except etree.XMLSyntaxError as exc:
            problem = _("HTTP {status}, not XML: {error}").format(status=reply.status, error=exc)
            raise self._error(operation, "protocol", problem) from None
        answer = first_element(child(root, "Body"))
        if answer is not None and local_name(answer) == "Fault":
            code, subcodes, reason = fault_parts(answer)
            problem = _("SOAP fault {code}: {reason}").format(
                code="/".join((code, *subcodes)), reason=reason or _("(no reason)")
            )
            raise self._error(operation, "fault", problem, subcodes)
        if reply.status != 200 or answer is None:
            problem = _("HTTP {status} without a SOAP answer").format(status=reply.status)
            raise self._error(operation, "protocol", problem)
        return answer

    @property
    def _where(self) -> str:
        return f"{self._connection.host}:{self._connection.port}"

    def _error(
        self, operation: str, kind: str, problem: str, subcodes: tuple[str, ...] = ()
    ) -> OnvifError:
        message = _("{label}: ONVIF {operation} failed: {problem}").format(
            label=self.label, operation=operation, problem=problem
        )
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return OnvifError(message, operation=operation, kind=kind, subcodes=subcodes)
