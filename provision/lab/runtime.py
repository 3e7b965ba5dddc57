"""The lab: every selected school's devices and its precincts' services in one process.

Devices are built from the inventory with factory settings (so apply has work to do), each
on the loopback address derived from its inventory address (`netmap.lab_address`). The lab
keeps one `Faults` per device, switchable at run time through the control API.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from provision.errors import ProvisionError
from provision.inventory.model import AlarmPanel as AlarmSpec
from provision.inventory.model import Camera as CameraSpec
from provision.inventory.model import City, Credentials, School
from provision.inventory.model import Recorder as RecorderSpec
from provision.lab import netmap
from provision.lab.alarm_center import AlarmCenter
from provision.lab.alarm_column import MODEL as COLUMN_MODEL
from provision.lab.alarm_column import AlarmColumn
from provision.lab.alarm_panel import AlarmPanel
from provision.lab.axpro_panel import AxProPanel
from provision.lab.camera import Camera
from provision.lab.camera_dahua import DahuaCamera
from provision.lab.camera_isapi import IsapiCamera
from provision.lab.credentials import lab_secret
from provision.lab.faults import Faults
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.platform import Gb28181Platform
from provision.lab.led_board import LedBoard
from provision.lab.nvr import IsapiNvr
from provision.lab.nvr_links import DEFAULT_PATH
from provision.lab.onvif_recorder import OnvifRecorder
from provision.lab.platform import VideoPlatform
from provision.lab.switch import Switch
from provision.sizing import recorded_by, usable_tb
from provision.templates.gb28181_settings import unprefixed

START_BATCH = 200  # devices started concurrently; bounds the burst of bind() calls
MODELS = ("DS-2CD2T47G2-L", "IPC-HFW3441E-AS", "PL-IPC4K-B", "DS-2CD3626G2T-IZS")


class Simulator(Protocol):
    name: str
    host: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def sync_faults(self) -> None: ...
    def endpoints(self) -> dict[str, int]: ...
    def state(self) -> dict[str, Any]: ...


async def _start(device: LabDevice) -> None:
    """Start one simulator; a port someone else holds is the user's to free, said in one line."""
    try:
        await device.sim.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        offset = int(os.environ.get("PROVISION_LAB_PORT_OFFSET") or 0)
        raise ProvisionError(
            f"{device.id} cannot listen on {netmap.lab_address(device.inventory_host)}: a port "
            "it needs is already in use (another lab, or another program). Stop that, or move "
            f"every port of this lab, e.g. PROVISION_LAB_PORT_OFFSET={offset + 1000}"
        ) from exc


@dataclass(slots=True)
class LabDevice:
    id: str  # "<school>/<device>" (as Nornir names hosts) or "precinct/<id>/<service>"
    kind: str
    school: str | None
    inventory_host: str
    sim: Simulator
    faults: Faults

    def status(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "school": self.school,
            "inventory_host": self.inventory_host,
            "host": self.sim.host,
            "ports": self.sim.endpoints(),
            "faults": self.faults.active(),
        }


def _login(creds: Credentials | None) -> tuple[str, str]:
    if creds is None:
        return "admin", "admin"
    return creds.username, lab_secret(creds.password)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def _firmware(seed: int, month: str = "2305") -> str:
    """A Hikvision-style firmware version of its own per device, stable across lab runs."""
    return f"V5.{seed % 8}.{seed % 5} build {month}{seed % 28 + 1:02d}"


def _clock_offset_s(seed: int) -> float:
    """Each device's clock is off a little (-30..+90 s), as factory devices' are."""
    return float(seed % 121 - 30)


def _camera(school: School, cam: CameraSpec, *, faults: Faults) -> Simulator:
    seed = _digest(f"{school.id}/{cam.name}")
    user, password = _login(cam.credentials)
    return Camera(
        f"{school.id}/{cam.name}",
        netmap.lab_address(cam.host),
        faults=faults,
        http_port=netmap.lab_port(80),
        rtsp_port=netmap.lab_port(554),
        model=cam.model or MODELS[seed % len(MODELS)],
        firmware=_firmware(seed),
        serial=f"SN{seed:010d}",  # never a city's prefix: any city's lab runs on this
        clock_offset_s=_clock_offset_s(seed),
        users={user: (password, "Administrator")},
    )


def _dahua_camera(school: School, cam: CameraSpec, *, faults: Faults) -> DahuaCamera:
    seed = _digest(f"{school.id}/{cam.name}")
    user, password = _login(cam.credentials)
    return DahuaCamera(
        f"{school.id}/{cam.name}",
        netmap.lab_address(cam.host),
        faults=faults,
        http_port=netmap.lab_port(80),
        rtsp_port=netmap.lab_port(554),
        model=cam.model or "IPC-HFW2441S-S",
        serial=f"7L0{seed:010d}",
        clock_offset_s=_clock_offset_s(seed),
        users={user: (password, "admin")},
    )


def _isapi_camera(school: School, cam: CameraSpec, *, faults: Faults) -> IsapiCamera:
    seed = _digest(f"{school.id}/{cam.name}")
    user, password = _login(cam.credentials)
    return IsapiCamera(
        f"{school.id}/{cam.name}",
        netmap.lab_address(cam.host),
        faults=faults,
        http_port=netmap.lab_port(80),
        rtsp_port=netmap.lab_port(554),
        model=cam.model or "DS-2CD2T47G2-L",
        firmware=_firmware(seed),
        clock_offset_s=_clock_offset_s(seed),
        admin=(user, password),
    )


def _alarm_column(school: School, column: AlarmSpec, *, faults: Faults) -> AlarmColumn:
    """A GB/T 28181 alarm column (lab/alarm_column.py), at factory settings: it registers
    once apply has written its SIP access."""
    seed = _digest(f"{school.id}/{column.name}")
    return AlarmColumn(
        f"{school.id}/{column.name}",
        netmap.lab_address(column.host),
        faults=faults,
        http_port=netmap.lab_port(80),
        rtsp_port=netmap.lab_port(554),
        model=COLUMN_MODEL,
        firmware=_firmware(seed, "2309"),
        admin=_login(column.credentials),
    )


Factory = Callable[..., Simulator]  # called with faults=Faults()
# Cameras by the protocol provision configures them with; ONVIF cameras otherwise.
CAMERAS: dict[str, Callable[..., Simulator]] = {"dahua": _dahua_camera, "isapi": _isapi_camera}
# Alarm panels by protocol: Hikvision AX PRO over ISAPI; the generic HTTP JSON panel otherwise.
ALARM_PANELS: dict[str, type[AlarmPanel]] = {"isapi": AxProPanel}


def _school_devices(school: School) -> list[tuple[str, str, str, Factory]]:
    """(name, kind, inventory address, factory) for every simulated device of a school."""
    out: list[tuple[str, str, str, Factory]] = [
        (cam.name, "camera", cam.host, partial(CAMERAS.get(cam.protocol, _camera), school, cam))
        for cam in school.cameras
    ]
    for sw in school.network.switches:
        user, password = _login(sw.credentials)
        make: Factory = partial(
            Switch,
            school.hostname(sw.name),
            netmap.lab_address(sw.host),
            platform=sw.platform,
            ssh_port=netmap.lab_port(22),
            username=user,
            password=password,
        )
        out.append((sw.name, "switch", sw.host, make))
    for panel in school.alarms:
        if panel.reports_over_gb28181:
            make = partial(_alarm_column, school, panel)
            out.append((panel.name, "alarm", panel.host, make))
            continue
        user, password = _login(panel.credentials)
        make = partial(
            ALARM_PANELS.get(panel.protocol, AlarmPanel),
            panel.name,
            netmap.lab_address(panel.host),
            api_port=netmap.lab_port(80),
            username=user,
            password=password,
            serial=f"OKB{_digest(f'{school.id}/{panel.name}'):08X}",
        )
        out.append((panel.name, "alarm", panel.host, make))
    for board in school.led_boards:
        user, password = _login(board.credentials)
        make = partial(
            LedBoard,
            board.name,
            netmap.lab_address(board.host),
            api_port=netmap.lab_port(80),
            lines=board.lines,
            chars_per_line=board.chars_per_line,
            username=user,
            password=password,
        )
        out.append((board.name, "led_board", board.host, make))
    for nvr in school.recorders:
        if nvr.protocol == "isapi":
            out.append((nvr.name, "recorder", nvr.host, partial(_isapi_nvr, school, nvr)))
        elif nvr.protocol == "onvif":
            out.append((nvr.name, "recorder", nvr.host, partial(_onvif_recorder, school, nvr)))
    return out


# Each lab camera's main stream, by the protocol it speaks (lab/camera_dahua.py; the ISAPI
# and ONVIF cameras serve Hikvision's path): what an NVR's ONVIF GetStreamUri would answer.
STREAM_PATHS = {"dahua": "/cam/realmonitor?channel=1&subtype=0"}


def _isapi_nvr(school: School, nvr: RecorderSpec, *, faults: Faults) -> IsapiNvr:
    """A Hikvision NVR with the history of the cameras it records, channels 1..N in
    inventory order, at their configured bitrates."""
    cameras = recorded_by(school, nvr)
    return IsapiNvr(
        f"{school.id}/{nvr.name}",
        netmap.lab_address(nvr.host),
        faults=faults,
        bitrates_kbps={i: c.video.bitrate_kbps for i, c in enumerate(cameras, 1)},
        disks_tb=nvr.disks_tb,
        usable_fraction=usable_tb(nvr) / (sum(nvr.disks_tb) or 1),
        http_port=netmap.lab_port(80),
        model=nvr.model or "DS-9664NI-M8",
        admin=_login(nvr.credentials),
        stream_paths={c.host: STREAM_PATHS.get(c.protocol, DEFAULT_PATH) for c in cameras},
        raid_level=nvr.raid_level,
    )


def _onvif_recorder(school: School, nvr: RecorderSpec, *, faults: Faults) -> OnvifRecorder:
    """An ONVIF Profile G recorder with the history of the cameras it records, by their
    inventory addresses (what its receivers' URIs name), at their configured bitrates."""
    return OnvifRecorder(
        f"{school.id}/{nvr.name}",
        netmap.lab_address(nvr.host),
        faults=faults,
        cameras={c.host: c.video.bitrate_kbps for c in recorded_by(school, nvr)},
        disks_tb=nvr.disks_tb,
        usable_fraction=usable_tb(nvr) / (sum(nvr.disks_tb) or 1),
        http_port=netmap.lab_port(80),
        model=nvr.model or "PL-NVR16-G",
        admin=_login(nvr.credentials),
    )


@dataclass(slots=True)
class Lab:
    city: City
    schools: list[School]
    data_dir: Path
    devices: dict[str, LabDevice] = field(default_factory=dict)
    # GB/T 28181 device agents by device id, sharing their camera's faults: those the lab's
    # ISAPI cameras hold (_index_agents), and any configure_agent made for another device.
    agents: dict[str, DeviceAgent] = field(default_factory=dict)

    def build(self) -> None:
        """Create (not start) every simulator; factory settings, inventory-derived addresses."""
        for school in self.schools:
            for name, kind, host, make in _school_devices(school):
                self._add(f"{school.id}/{name}", kind, school.id, host, make)
            self._index_agents(school)
        for pid in sorted({s.precinct for s in self.schools}):
            self._add_precinct(pid)

    def _index_agents(self, school: School) -> None:
        """The GB/T 28181 agents the school's vendor-API cameras and NVRs hold. They start
        idle, at factory settings: a device registers once apply has written its SIP settings."""
        for device in (*school.cameras, *school.recorders, *school.alarms):
            dev_id = f"{school.id}/{device.name}"
            agent = (
                getattr(self.devices[dev_id].sim, "agent", None) if dev_id in self.devices else None
            )
            if isinstance(agent, DeviceAgent):
                self.agents[dev_id] = agent

    def _add(
        self,
        dev_id: str,
        kind: str,
        school: str | None,
        host: str,
        make: Factory,
    ) -> None:
        faults = Faults()
        self.devices[dev_id] = LabDevice(dev_id, kind, school, host, make(faults=faults), faults)

    def _add_precinct(self, pid: str) -> None:
        precinct = self.city.precincts[pid]
        vp, ac = precinct.video_platform, precinct.alarm_center
        # A GB/T 28181 precinct runs WVP-style; the relay platform serves the others.
        if vp.sip is not None and vp.kind == "gb28181":
            self._add_gb28181_platform(pid)
        else:
            self._add_stream_platform(pid)
        centre_api = (urlsplit(ac.api).port if ac.api else None) or 8081
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._add(
            f"precinct/{pid}/alarm_center",
            "alarm_center",
            None,
            ac.host,
            partial(
                AlarmCenter,
                f"{pid}-alarm-center",
                netmap.lab_address(ac.host),
                db_path=str(self.data_dir / f"{pid}.sqlite"),
                dc09_port=netmap.lab_port(ac.port),
                api_port=netmap.lab_port(centre_api),
                accounts=self._precinct_accounts(pid),
                receiver_number=ac.receiver_number,
                line=ac.line,
            ),
        )

    def _precinct_accounts(self, pid: str) -> dict[str, bytes | str | None]:
        """Every account the city issued for this precinct's schools (not only the schools
        this lab runs), with its AES key: what the centre's account book holds."""
        return {
            panel.account: lab_secret(panel.key) if panel.key is not None else None
            for school in self.city.schools or self.schools
            if school.precinct == pid
            for panel in school.alarms
            if not panel.reports_over_gb28181  # a column has no account at the centre
        }

    def _add_stream_platform(self, pid: str) -> None:
        vp = self.city.precincts[pid].video_platform
        api = urlsplit(vp.api)
        api_host, api_port = api.hostname or "127.0.0.1", api.port or 80
        rtsp_port = int(vp.rtsp.rpartition(":")[2]) if vp.rtsp else 554
        # A MediaMTX precinct serves its API where the inventory says; the ZLMediaKit API
        # that the same simulator also offers moves out of its way.
        mediamtx = vp.kind == "mediamtx"
        zlm_port = netmap.lab_port(18080 if mediamtx else api_port)
        mediamtx_port = netmap.lab_port(api_port if mediamtx else 9997)
        self._add(
            f"precinct/{pid}/video_platform",
            "video_platform",
            None,
            api_host,
            partial(
                VideoPlatform,
                f"{pid}-platform",
                netmap.lab_address(api_host),
                secret=lab_secret(vp.secret),
                api_port=zlm_port,
                mediamtx_port=mediamtx_port,
                rtsp_port=netmap.lab_port(rtsp_port),
            ),
        )

    def _add_gb28181_platform(self, pid: str) -> None:
        vp = self.city.precincts[pid].video_platform
        assert vp.sip is not None
        api = urlsplit(vp.api)
        self._add(
            f"precinct/{pid}/video_platform",
            "gb28181_platform",
            None,
            vp.sip.host,
            partial(
                Gb28181Platform,
                f"{pid}-gb28181",
                netmap.lab_address(vp.sip.host),
                server_id=vp.sip.server_id,
                domain=vp.sip.domain,
                password=lab_secret(vp.sip.password),
                edition=vp.sip.edition,
                sip_port=netmap.lab_port(vp.sip.port),
                api_port=netmap.lab_port(api.port or 80),
                api_host=netmap.lab_address(api.hostname or vp.sip.host),
                heartbeat_s=vp.sip.heartbeat_s,
                heartbeat_max_missed=vp.sip.heartbeat_max_missed,
                api_password=lab_secret(vp.secret),
            ),
        )

    async def configure_agent(self, dev_id: str, settings: dict[str, Any] | None) -> None:
        """(Re)configure a device's GB/T 28181 agent: what a lab camera does when its SIP
        settings are written. Unknown device: KeyError."""
        agent = self.agents.get(dev_id)
        if agent is None:
            device = self.devices[dev_id]  # KeyError for an unknown device
            agent = DeviceAgent(
                dev_id, device.sim.host, faults=device.faults, sip_port=netmap.lab_port(5060)
            )
            self.agents[dev_id] = agent
        await agent.configure(settings)

    async def start(self) -> None:
        _raise_fd_limit(len(self.devices) * 4 + 256)
        netmap.install(netmap.lab_route)
        devices = list(self.devices.values())
        for i in range(0, len(devices), START_BATCH):
            await asyncio.gather(*(_start(d) for d in devices[i : i + START_BATCH]))

    async def stop(self) -> None:
        await asyncio.gather(*(a.stop() for a in self.agents.values()), return_exceptions=True)
        await asyncio.gather(*(d.sim.stop() for d in self.devices.values()), return_exceptions=True)
        netmap.install(None)

    async def set_faults(self, dev_id: str, changes: dict[str, Any] | None) -> LabDevice:
        """Switch faults on a device (None clears them); takes effect on the next exchange."""
        device = self.devices.get(dev_id)
        if device is None:
            raise KeyError(dev_id)
        if changes is None:
            device.faults.clear()
        else:
            device.faults.update(changes)
        await device.sim.sync_faults()  # a camera passes them on to the agent it holds
        agent = self.agents.get(dev_id)
        if agent is not None and agent is not getattr(device.sim, "agent", None):
            await agent.sync_faults()
        return device


def lab_agent_settings(wanted: dict[str, Any]) -> dict[str, Any]:
    """The inventory's GB/T 28181 settings as a lab agent takes them: bare names, the
    password resolved the lab's way, the server at its lab address and port."""
    settings = unprefixed(wanted)
    settings["password"] = lab_secret(settings.get("password"))
    settings["server_address"] = netmap.lab_address(settings["server_address"])
    settings["server_port"] = netmap.lab_port(int(settings["server_port"]))
    return settings


def _raise_fd_limit(wanted: int) -> None:
    """Thousands of listeners need more descriptors than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
