"""A simulated Hikvision NVR: ISAPI over HTTP with Digest auth, channels, schedules, disks and
a recording index that goes on with the clock.

Follows Hikvision's ISAPI as its NVRs serve it (the resources and documents are in
nvr_resources.py, the list writes of channels and schedules among them, the index in
nvr_history.py). Authentication is the lab ISAPI camera's:
`lab/http_digest.py`'s realm, Basic refused and every unauthenticated or wrongly
authenticated request answered 401 with a fresh `WWW-Authenticate: Digest qop="auth"`
challenge, an HTML "Document Error: Unauthorized" body and `Server: App-webs/` (as recorded
from Hikvision firmware in hikvisionapi's test cassettes, MissiaL/hikvision-client). Reads
take any account, writes the Administrator (else 403 lowPrivilege).

Faults: auth_failure refuses every credential; api_error lists "PATH" or "METHOD PATH"
requests that answer statusCode 3 Device Error; latency/timeout/refuse/dead act on the HTTP
listener; recording_gap, hdd_fail, disk_full and schedule_motion_only bend the recording
index and what the NVR reports (nvr_history.py); switching schedule_motion_only on (then
`sync_faults()`) also sets every configured track to motion only, as someone at the NVR
would, so an apply puts the continuous schedule back while the motion-only past remains.
Its channels reach their cameras' RTSP: each is probed with a DESCRIBE on a schedule and
when its status is read (nvr_links.py); a channel whose camera does not answer or refuses the
account is offline in `/ISAPI/ContentMgmt/InputProxy/channels/status` and records nothing
from then on. The index itself is simulated from the cameras' configured bitrates, not from
received video.

GB/T 28181: like the lab ISAPI camera, the NVR serves `/ISAPI/System/Network/SIP` and its
SIPInfo (lab/isapi_sip.py; SIPInfo's video inputs are its input channels) and holds a
`DeviceAgent` sharing its faults (so the sip_* faults act on it). It starts with access off;
a write that changes what the agent would use reconfigures it, in order (gb28181/writes.py):
it registers under the NVR's ID (type 118), answers Catalog with one channel per videoInputID
set, in input order, and streams a channel when the platform INVITEs it.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from typing import Any

from provision.lab import netmap
from provision.lab.faults import Faults
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.writes import AgentWrites
from provision.lab.http import HttpServer, Request, Response
from provision.lab.http_digest import DigestRealm
from provision.lab.isapi_resources import IsapiError, response_status
from provision.lab.isapi_sip import SIP_RESOURCES, agent_settings
from provision.lab.isapi_state import DeviceIdentity
from provision.lab.nvr_history import DEFAULT_HISTORY_DAYS, RecordingIndex
from provision.lab.nvr_links import DEFAULT_PATH, EVERY_S, probe_all, probe_url
from provision.lab.nvr_resources import NVR_ROUTES, STATUS_PATH, _route
from provision.lab.nvr_state import NvrState
from provision.sizing import RAID_LEVELS

_UNAUTHORIZED = (
    b"<!DOCTYPE html>\r\n<html><head><title>Document Error: Unauthorized</title></head>\r\n"
    b"<body><h2>Access Error: 401 -- Unauthorized</h2>\r\n<p>Authentication Error</p>\r\n"
    b"</body>\r\n</html>\r\n"
)
XML = "application/xml; charset=UTF-8"
TB = 10**12
SIP_ROUTES = tuple(_route(path, **methods) for path, methods in SIP_RESOURCES)


class IsapiNvr:
    """One simulated Hikvision NVR on `host`, recording `bitrates_kbps` (channel → kbps)."""

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        bitrates_kbps: dict[int, int],
        disks_tb: tuple[float, ...],
        usable_fraction: float = 1.0,
        http_port: int = 80,
        model: str = "DS-9664NI-M8",
        admin: tuple[str, str] = ("admin", "admin"),
        history_days: float = DEFAULT_HISTORY_DAYS,
        now: float | None = None,
        sip_port: int | None = None,
        stream_paths: dict[str, str] | None = None,
        raid_level: str = "none",
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        crc = zlib.crc32(name.encode())
        mac = ":".join(
            f"{b:02x}" for b in (0x44, 0x19, 0xB6, crc >> 16 & 255, crc >> 8 & 255, crc & 255)
        )
        identity = DeviceIdentity(
            model, f"{model}20240105CCRR{crc:09d}", "V4.74.105", "build 240105", mac
        )
        index = RecordingIndex.simulated(
            bitrates_kbps,
            tuple(d * TB for d in disks_tb),
            usable_fraction,
            now=time.time() if now is None else now,
            history_days=history_days,
            seed=crc,
        )
        index.tolerates = RAID_LEVELS[raid_level].tolerates
        self.settings = NvrState(identity, index, faults, {admin[0]: admin[1]}, host=host)
        self.settings.raid_level = raid_level
        self.realm = DigestRealm(f"NVR({crc % 100000:05d})")
        self._http = HttpServer(host, http_port, self._handle, faults)
        sip_port = netmap.lab_port(5060) if sip_port is None else sip_port
        self.agent = DeviceAgent(name, host, faults=faults, sip_port=sip_port)
        self._sip_writes = AgentWrites(self.agent)
        # camera address → its main stream's RTSP path (what ONVIF GetStreamUri would answer)
        self.stream_paths = dict(stream_paths or {})
        self._prober: asyncio.Task[None] | None = None
        self._late_probes: set[asyncio.Task[str]] = set()  # probes a status read left going

    # --- lifecycle (the lab's Simulator protocol) ---------------------------------------------

    async def start(self) -> None:
        await self._http.start()
        await self.sync_faults()
        self._prober = asyncio.create_task(self._probe_forever())

    async def stop(self) -> None:
        await self._sip_writes.stop()
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.gather(self._prober, return_exceptions=True)
            self._prober = None
        for task in list(self._late_probes):
            task.cancel()
        await asyncio.gather(*self._late_probes, return_exceptions=True)
        await self._http.stop()

    async def sync_faults(self) -> None:
        await self._http.sync_faults()
        await self.agent.sync_faults()
        if self.faults.schedule_motion_only:  # someone set it: apply can put it back
            self.settings.record_on_motion_only()

    # --- the channels' cameras (nvr_links.py) --------------------------------------------------

    async def probe_channels(self) -> None:
        """DESCRIBE each channel's camera, all at once, and keep what each found (a camera
        still silent when the read has waited enough: when its probe ends, nvr_links.py)."""
        state, loop = self.settings, asyncio.get_running_loop()
        urls = {
            cid: probe_url(
                c.address, self.stream_paths.get(c.address, DEFAULT_PATH), c.username, c.password
            )
            for cid, c in state.channels.items()
        }

        def keep(cid: int, detect: str) -> None:
            if cid in state.channels:  # not deleted while we waited
                state.record_probe(cid, detect, loop.time())

        found, going = await probe_all(urls, keep)
        for cid, detect in found.items():
            keep(cid, detect)
        self._late_probes |= going
        for task in going:
            task.add_done_callback(self._late_probes.discard)

    async def _probe_forever(self) -> None:
        # Spread the labs' NVRs over the period instead of probing all at once.
        await asyncio.sleep(random.uniform(0, EVERY_S))
        while True:
            if not self.faults.dead:  # a powered-off NVR dials nobody
                await self.probe_channels()
            await asyncio.sleep(EVERY_S)

    def endpoints(self) -> dict[str, int]:
        return {"http": self._http.port}

    def state(self) -> dict[str, Any]:
        data = self.settings.as_dict()
        data.update(name=self.name, host=self.host, protocol="isapi")
        data["gb28181"] = self.agent.state()
        return data

    async def sip_settled(self) -> None:
        """Return once every SIP write so far has reached the agent (a lab hook for tests)."""
        await self._sip_writes.settled()

    # --- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, req: Request) -> Response:
        user, stale = self.realm.check(
            req.method, req.headers.get("authorization"), self.settings.accounts
        )
        if user is None or self.faults.auth_failure:
            challenge = {"WWW-Authenticate": self.realm.challenge(stale), "Server": "App-webs/"}
            return Response(401, _UNAUTHORIZED, "text/html", challenge)
        self.settings.sip_registered = self.agent.registered_at is not None
        before = agent_settings(self.settings.sip)
        try:
            if req.method == "GET" and req.path.lower() == STATUS_PATH.lower():
                await self.probe_channels()  # as fresh as a real NVR's, which streams all along
            answer = self._resource(req)
        except IsapiError as err:
            return Response(
                err.http_status, response_status(req.path, err.code, err.sub, err.said), XML
            )
        after = agent_settings(self.settings.sip)
        if after != before:  # the NVR answers, then re-registers with what it now holds
            self._sip_writes.written(after)
        return answer

    def _resource(self, req: Request) -> Response:
        for route in (*SIP_ROUTES, *NVR_ROUTES):
            match = route.pattern.match(req.path)
            if match is None:
                continue
            entry = route.methods.get(req.method)
            if entry is None:
                raise IsapiError(403, 4, "methodNotAllowed", "Invalid Operation")
            _level, handler = entry  # the NVR's one account is its Administrator
            if self._faulted(req.method, req.path):
                raise IsapiError(500, 3, "deviceError", "Device Error")
            answer = handler(self.settings, match, req.body)
            return Response(200, answer if answer is not None else response_status(req.path), XML)
        raise IsapiError(404, 4, "notSupport", "Invalid Operation")

    def _faulted(self, method: str, path: str) -> bool:
        for entry in self.faults.api_error:
            wanted, _, where = entry.strip().rpartition(" ")
            if where.lower() == path.lower() and wanted.upper() in ("", method):
                return True
        return False
