"""A Hikvision AX PRO alarm panel, simulated: its ISAPI (SecurityCP) and its DC-09 reports.

The HTTP side speaks the panel's ISAPI as the PyPI client `hikaxpro` 2.3.1 and the Home
Assistant integration built on it (petrleocompel/hikaxpro, petrleocompel/hikaxpro_hacs) drive
real panels, with shapes from Hikvision's Hik-Partner Pro OpenAPI V2.14.0 Developer Guide
annex A (see `axpro_zones`): session login (`axpro_session`), zone and area status, arm (away
or stay) and disarm per area or all (`0xffffffff`), bypass and its recovery, clearAlarm, the
app's one-key panic (`control/oneKeyAlarm/<area>`), zone configuration and the ARC settings
(`axpro_arc`). Replies are JSON `ResponseStatus` documents (statusCode 1 OK; 4 Invalid
Operation; 6 Invalid Content, subStatusCode badParameters) when `format=json` is asked,
deviceInfo is XML. A request without a live session is answered 401. Faults: auth_failure
refuses every login and ends live sessions; api_error lists paths ("PATH" or "METHOD PATH")
that answer statusCode 3 Device Error; the listener faults act as on every lab device.

The DC-09 side is the generic lab panel's transmitter, inherited, not copied: queue until the
receiver ACKs that frame, retries with backoff, periodic 602 tests, the panel's own event log
that delivery from both ends reads. The ARC settings feed it. The log is served as the
result of the device log search (`POST /ISAPI/ContentMgmt/logSearch?format=json`, a
Hikvision resource name; the JSON shape of its entries is the lab's, one per report with
when it was sent and ACKed and by which receiver).

Events: the panic button's zone reports Contact ID 120 (panic) on zone id + 1 when it alarms;
a one-key panic from the app reports 120 on zone 0; the periodic test is 602.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from provision.lab.alarm_panel import PANIC, AlarmPanel
from provision.lab.axpro_arc import ARC_IDS, ArcError, apply_arc, factory_arc
from provision.lab.axpro_session import SessionLogin
from provision.lab.axpro_zones import PANIC_BUTTON, Area, ZoneError
from provision.lab.faults import Faults
from provision.lab.http import Request, Response
from provision.lab.isapi_resources import NS, IsapiError

ALL_AREAS = "0xffffffff"
_CONTROL = re.compile(
    r"^/ISAPI/SecurityCP/control/(arm|disarm|clearAlarm|oneKeyAlarm|bypass|Recoverbypass|"
    r"bypassRecover)/([0-9]+|0xffffffff)$"
)
_ZONE_CFG = re.compile(r"^/ISAPI/SecurityCP/Configuration/zones/([0-9]+)$")
_ARC = re.compile(r"^/ISAPI/SecurityCP/Configuration/ARC/([0-9]+)$")


def status(
    code: int = 1, sub: str = "ok", said: str = "OK", http: int = 200, **extra: Any
) -> Response:
    """A JSON ResponseStatus (statusCode 1 OK, 3 Device Error, 4 Invalid Operation, 6 Invalid
    Content), with the lab's `field` naming the refused field where there is one."""
    doc = {"statusCode": code, "statusString": said, "subStatusCode": sub, **extra}
    return Response.json(doc, http)


def _refused(exc: Exception, field: str = "") -> Response:
    extra = {"field": field} if field else {}
    return status(6, "badParameters", f"Invalid Content: {exc}", 400, **extra)


class AxProPanel(AlarmPanel):
    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        model: str = "DS-PWA96-M-WE",
        firmware: str = "V1.2.9 build 230531",
        serial: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, host, faults=faults, **kwargs)
        self.model, self.firmware = model, firmware
        # Unique per unit when the lab passes one derived from the school too.
        self.serial = serial or f"Q{zlib.crc32(name.encode()):08d}"[:10]
        self.session = SessionLogin(name, {self.username: self.password})
        self.area = Area()
        self.arcs = {arc_id: factory_arc(arc_id) for arc_id in ARC_IDS}
        self.config["test_interval_h"] = self.arcs[1]["periodicTestInterval"]

    # -- the panel, as a person or a detector uses it ----------------------------------------
    def press_button(self) -> int | None:
        """The panic button is pressed: an alarm (and a 120 queued) if its zone is armed."""
        zone = next(z for z in self.area.zones if z.detector_type == PANIC_BUTTON)
        if not self.area.trigger(zone):
            self.counters["presses_ignored_disarmed"] += 1
            return None
        return self.queue_event(PANIC, zone=zone.id + 1)

    def _arm_periodic_test(self) -> None:
        if getattr(self, "arcs", None) and not self.arcs[1]["periodicTestEnabled"]:
            if self._timer:
                self._timer.cancel()
            self._timer = None
            return
        super()._arm_periodic_test()

    def state(self) -> dict[str, Any]:
        found = super().state()
        found["arc"] = [dict(arc) for arc in self.arcs.values()]
        found["zones"] = self.area.status_doc()["ZoneList"]
        return found

    # -- ISAPI -----------------------------------------------------------------------------
    async def _handle_api(self, req: Request) -> Response:
        path = req.path.rstrip("/")
        if (req.method, path) == ("GET", "/ISAPI/Security/sessionLogin/capabilities"):
            body = self.session.capabilities(req.query.get("username", ""))
            return Response(200, body, "application/xml")
        if (req.method, path) == ("POST", "/ISAPI/Security/sessionLogin"):
            return self._login(req)
        # auth_failure: the panel's users were reset behind provision's back; live sessions
        # die with them, as the panel's own reset ends them.
        if self.faults.auth_failure or self.session.user_of(req.headers.get("cookie", "")) is None:
            return status(4, "notLogin", "Invalid Operation: log in first", 401)
        if self._faulted(req.method, path):
            return status(3, "deviceError", "Device Error", 500)
        try:
            return self._route(req, path)
        except IsapiError as exc:
            return status(exc.code, exc.sub, exc.said, exc.http_status)
        except ArcError as exc:
            return _refused(exc, exc.field)
        except (ZoneError, ValueError) as exc:  # ValueError: a body that is not JSON
            return _refused(exc)

    def _faulted(self, method: str, path: str) -> bool:
        """The api_error fault names this request: "PATH" (any method) or "METHOD PATH"."""
        for entry in self.faults.api_error:
            wanted, _, where = entry.strip().rpartition(" ")
            if where.lower() == path.lower() and wanted.upper() in ("", method):
                return True
        return False

    def _login(self, req: Request) -> Response:
        peer = req.peer[0] if req.peer else ""
        try:
            code, body, token = self.session.login(
                req.body, peer, refuse_all=self.faults.auth_failure
            )
        except IsapiError as exc:
            return status(exc.code, exc.sub, exc.said, exc.http_status)
        resp = Response(code, body, "application/xml")
        if token:
            resp.headers["Set-Cookie"] = self.session.set_cookie(token)
        return resp

    def _route(self, req: Request, path: str) -> Response:
        route = (req.method, path)
        if route == ("PUT", "/ISAPI/Security/sessionLogout"):
            self.session.logout(req.headers.get("cookie", ""))
            return status()
        if route == ("GET", "/ISAPI/System/deviceInfo"):
            return Response(200, self._device_info(), "application/xml")
        if route == ("GET", "/ISAPI/SecurityCP/status/zones"):
            return Response.json(self.area.status_doc())
        if route == ("GET", "/ISAPI/SecurityCP/status/subSystems"):
            return Response.json(self.area.subsystems_doc())
        if route == ("POST", "/ISAPI/SecurityCP/status/armStatus"):
            arm = {"id": 1, "status": self.area.arming}
            return Response.json({"ArmStatusList": [{"ArmStatus": arm}]})
        if route == ("GET", "/ISAPI/SecurityCP/Configuration/zones"):
            return Response.json(self.area.configs_doc())
        if route == ("GET", "/ISAPI/SecurityCP/Configuration/ARC"):
            return Response.json({"ARCList": [{"ARC": dict(a)} for a in self.arcs.values()]})
        if route == ("POST", "/ISAPI/ContentMgmt/logSearch"):
            return Response.json(self._log_search())
        if req.method == "PUT" and (m := _CONTROL.match(path)):
            return self._control(m.group(1), m.group(2), req)
        if m := _ZONE_CFG.match(path):
            return self._zone_config(req, int(m.group(1)))
        if m := _ARC.match(path):
            return self._arc(req, int(m.group(1)))
        return status(4, "notSupport", "Invalid Operation: not supported", 403)

    def _control(self, action: str, target: str, req: Request) -> Response:
        if action in ("bypass", "Recoverbypass", "bypassRecover"):
            zone = self._zone(int(target, 0))
            zone.bypassed = action == "bypass"
            return status()
        if target not in ("1", ALL_AREAS):
            raise IsapiError(400, 6, "badParameters", f"Invalid Content: no area {target}")
        if action == "arm":
            self.area.arm(req.query.get("ways", "away"))
        elif action == "disarm":
            self.area.disarm()
        elif action == "clearAlarm":
            self.area.clear_alarm()
        else:  # oneKeyAlarm: the app's panic, not tied to a zone
            self.queue_event(PANIC, zone=0)
        return status()

    def _zone(self, zone_id: int) -> Any:
        try:
            return self.area.zone(zone_id)
        except KeyError:
            said = f"Invalid Content: no zone {zone_id}"
            raise IsapiError(400, 6, "badParameters", said) from None

    def _zone_config(self, req: Request, zone_id: int) -> Response:
        zone = self._zone(zone_id)
        if req.method == "PUT":
            self.area.configure(zone, req.json())
            return status()
        return Response.json({"Zone": self.area.config_doc(zone)})

    def _arc(self, req: Request, arc_id: int) -> Response:
        if arc_id not in self.arcs:
            raise IsapiError(400, 6, "badParameters", f"Invalid Content: no ARC {arc_id}")
        if req.method != "PUT":
            return Response.json({"ARC": dict(self.arcs[arc_id])})
        if arc_id != 1:  # the backup centre is stored, never reported to (see axpro_arc)
            new, _config, _key = apply_arc(self.arcs[arc_id], req.json(), dict(self.config), None)
            self.arcs[arc_id] = new
            return status()
        new, self.config, self._key = apply_arc(self.arcs[1], req.json(), self.config, self._key)
        self.arcs[1] = new
        self._disconnect()  # a new receiver or account takes effect on the next frame
        self._arm_periodic_test()
        self._poke()
        return status()

    def _log_search(self) -> dict[str, Any]:
        entries = [
            {"LogInfo": {**entry, "majorType": "Event", "minorType": "ARCReport"}}
            for entry in self.log
        ]
        return {
            "LogSearch": {
                "responseStatusStrg": "OK" if entries else "NO MATCH",
                "numOfMatches": len(entries),
                "totalMatches": len(entries),
                "queuedEventIDs": [job.event_id for job in self.queue],
                "lastError": self.last_error,
                "MatchList": entries,
            }
        }

    def _device_info(self) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0" xmlns="{NS}">'
            f"<deviceName>{self.name.rsplit('/', 1)[-1]}</deviceName>"
            f"<deviceID>{zlib.crc32(self.name.encode()):08x}</deviceID>"
            "<deviceDescription>AX PRO</deviceDescription>"
            f"<model>{self.model}</model><serialNumber>{self.model}{self.serial}</serialNumber>"
            f"<firmwareVersion>{self.firmware}</firmwareVersion>"
            "<deviceType>AlarmHost</deviceType></DeviceInfo>\n"
        ).encode()
