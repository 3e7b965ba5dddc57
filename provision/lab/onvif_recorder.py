"""A simulated ONVIF Profile G recorder: device, Receiver, Recording Control and Recording Search
services over SOAP 1.2 with WS-UsernameToken digests, and a recording index that goes on with
the clock.

It follows the ONVIF specifications a Profile G recording device implements (github.com/onvif/
specs at release 26.06: Core for the device service, doc/Receiver.xml, doc/RecordingControl.xml,
doc/RecordingSearch.xml with its recording history events; the ver10 WSDLs onvif-zeep ships,
recording.wsdl 2.4.2): GetServices lists the device, recording, search and receiver services
with their XAddrs, GetCapabilities names Recording, Search and Receiver under its Extension, as
devices of that WSDL generation do.
No one vendor's recorder is copied: the lab has no captured Profile G exchanges to follow.
The services are in onvif_recording.py, onvif_search.py and onvif_search_events.py, the state in
onvif_recorder_state.py; SOAP and the UsernameToken check are the lab camera's (onvif_soap.py).

Authentication as a camera's: GetSystemDateAndTime answers anyone, every other operation needs
a digest within the recorder's clock window; a wrong one answers env:Sender/ter:NotAuthorized.
Faults: auth_failure refuses every token, soap_fault lists operations that answer
env:Receiver/ter:Action, latency/timeout/refuse/dead act on the HTTP listener; recording_gap,
disk_full and hdd_fail bend the index (nvr_history.py), and hdd_fail also puts every active job
in state Error from the moment `sync_faults()` sees it, which is what an ONVIF client can see
of a failed disk: the recordings stop. The recorder does not pull its cameras' RTSP: the index
is simulated from their configured bitrates, as the lab ISAPI NVR's is.
"""

from __future__ import annotations

import time
import zlib
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response
from provision.lab.nvr_history import DEFAULT_HISTORY_DAYS, RecordingIndex
from provision.lab.onvif_device import date_time_xml, device_information_xml
from provision.lab.onvif_recorder_state import Operations, RecorderState
from provision.lab.onvif_recording import (
    NS_TRC,
    NS_TRV,
    RECEIVER_OPERATIONS,
    RECORDING_OPERATIONS,
)
from provision.lab.onvif_search import NS_TSE, SEARCH_OPERATIONS
from provision.lab.onvif_search_events import EVENT_SEARCH_OPERATIONS
from provision.lab.onvif_soap import NS_TDS, answer, x
from provision.lab.onvif_state import Identity

TB = 10**12
DEVICE_PATH = "/onvif/device_service"
PATHS = {
    NS_TDS: DEVICE_PATH,
    NS_TRV: "/onvif/receiver_service",
    NS_TRC: "/onvif/recording_service",
    NS_TSE: "/onvif/search_service",
}


def get_system_date_and_time(state: RecorderState, _req: etree._Element) -> str:
    now = datetime.fromtimestamp(state.now(), UTC)
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP"
        "</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>"
        f"CST-8</tt:TZ></tt:TimeZone><tt:UTCDateTime>{date_time_xml(now)}</tt:UTCDateTime>"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def get_device_information(state: RecorderState, _req: etree._Element) -> str:
    return device_information_xml(state.identity)


def _xaddr(state: RecorderState, namespace: str) -> str:
    return f"http://{state.host}:{state.http_port}{PATHS[namespace]}"


def get_services(state: RecorderState, _req: etree._Element) -> str:
    services = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{x(_xaddr(state, ns))}"
        "</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>42</tt:Minor></tds:Version>"
        "</tds:Service>"
        for ns in PATHS
    )
    return f"<tds:GetServicesResponse>{services}</tds:GetServicesResponse>"


def get_capabilities(state: RecorderState, _req: etree._Element) -> str:
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>"
        f"{x(_xaddr(state, NS_TDS))}</tt:XAddr></tt:Device><tt:Extension><tt:Recording>"
        f"<tt:XAddr>{x(_xaddr(state, NS_TRC))}</tt:XAddr><tt:ReceiverSource>true"
        "</tt:ReceiverSource><tt:MediaProfileSource>false</tt:MediaProfileSource>"
        "<tt:DynamicRecordings>true</tt:DynamicRecordings><tt:DynamicTracks>false"
        "</tt:DynamicTracks><tt:MaxStringLength>128</tt:MaxStringLength></tt:Recording>"
        f"<tt:Search><tt:XAddr>{x(_xaddr(state, NS_TSE))}</tt:XAddr><tt:MetadataSearch>false"
        f"</tt:MetadataSearch></tt:Search><tt:Receiver><tt:XAddr>{x(_xaddr(state, NS_TRV))}"
        "</tt:XAddr><tt:RTP_Multicast>false</tt:RTP_Multicast><tt:RTP_TCP>true</tt:RTP_TCP>"
        f"<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP><tt:SupportedReceivers>{state.max_recordings}"
        "</tt:SupportedReceivers><tt:MaximumRTSPURILength>256</tt:MaximumRTSPURILength>"
        "</tt:Receiver></tt:Extension></tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


DEVICE_OPERATIONS: Operations = {
    "GetSystemDateAndTime": (None, get_system_date_and_time),
    "GetDeviceInformation": ("User", get_device_information),
    "GetServices": ("User", get_services),
    "GetCapabilities": ("User", get_capabilities),
}
_SERVICES: dict[str, Operations] = {
    PATHS[NS_TDS]: DEVICE_OPERATIONS,
    PATHS[NS_TRV]: RECEIVER_OPERATIONS,
    PATHS[NS_TRC]: RECORDING_OPERATIONS,
    PATHS[NS_TSE]: {**SEARCH_OPERATIONS, **EVENT_SEARCH_OPERATIONS},
}


class OnvifRecorder:
    """One simulated Profile G recorder on `host`; `cameras` maps each camera address it may
    record to that camera's bitrate (kbps), in the order the index numbers them."""

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        cameras: dict[str, int],
        disks_tb: tuple[float, ...],
        usable_fraction: float = 1.0,
        http_port: int = 80,
        model: str = "PL-NVR16-G",
        admin: tuple[str, str] = ("admin", "admin"),
        max_recordings: int = 64,
        history_days: float = DEFAULT_HISTORY_DAYS,
        now: float | None = None,
        auth_window_s: float = 5.0,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.auth_window_s = auth_window_s
        crc = zlib.crc32(name.encode())
        channels = {address: i for i, address in enumerate(cameras, 1)}
        index = RecordingIndex.simulated(
            {channels[a]: kbps for a, kbps in cameras.items()},
            tuple(d * TB for d in disks_tb),
            usable_fraction,
            now=time.time() if now is None else now,
            history_days=history_days,
            seed=crc,
        )
        identity = Identity("Provision Lab", model, "V2.4.2 build 250310", f"PG{crc:010d}", "G1")
        self.settings = RecorderState(
            identity,
            index,
            faults,
            {admin[0]: (admin[1], "Administrator")},
            channels,
            host=host,
            http_port=http_port,
            max_recordings=max_recordings,
        )
        self._http = HttpServer(host, http_port, self._handle, faults)

    # --- lifecycle (the lab's Simulator protocol) ---------------------------------------------

    async def start(self) -> None:
        await self._http.start()
        self.settings.http_port = self._http.port
        await self.sync_faults()

    async def stop(self) -> None:
        await self._http.stop()

    async def sync_faults(self) -> None:
        await self._http.sync_faults()
        self.settings.sync_faults()

    def endpoints(self) -> dict[str, int]:
        return {"http": self._http.port}

    def state(self) -> dict[str, Any]:
        s = self.settings
        return {
            "name": self.name,
            "host": self.host,
            "protocol": "onvif",
            "recordings": {t: r.source.name for t, r in s.recordings.items()},
            "jobs": {t: {"recording": j.recording, "mode": j.mode} for t, j in s.jobs.items()},
            "receivers": {t: r.uri for t, r in s.receivers.items()},  # never the password
        }

    # --- SOAP ---------------------------------------------------------------------------------

    async def _handle(self, req: Request) -> Response:
        operations = _SERVICES.get(req.path)
        if operations is None or req.method != "POST":
            return Response.text("not found", 404)
        return answer(
            operations,
            req.body,
            self.settings,
            users=self.settings.users,
            device_now=datetime.fromtimestamp(self.settings.now(), UTC),
            window_s=self.auth_window_s,
            auth_failure=self.faults.auth_failure,
            soap_faults=self.faults.soap_fault,
        )
