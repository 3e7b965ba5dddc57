"""The lab: every selected school's devices and its precincts' services in one process.

Devices are built from the inventory with factory settings (so apply has work to do), each
on the loopback address derived from its inventory address (`netmap.lab_address`). The lab
keeps one `Faults` per device, switchable at run time through the control API.
"""

from __future__ import annotations

import asyncio
import hashlib
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from provision.inventory.model import Camera as CameraSpec
from provision.inventory.model import City, Credentials, School
from provision.lab import netmap
from provision.lab.alarm_center import AlarmCenter
from provision.lab.alarm_panel import AlarmPanel
from provision.lab.camera import Camera
from provision.lab.credentials import lab_secret
from provision.lab.faults import Faults
from provision.lab.led_board import LedBoard
from provision.lab.platform import VideoPlatform
from provision.lab.switch import Switch

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


def _camera(school: School, cam: CameraSpec, *, faults: Faults) -> Camera:
    seed = _digest(f"{school.id}/{cam.name}")
    user, password = _login(cam.credentials)
    return Camera(
        f"{school.id}/{cam.name}",
        netmap.lab_address(cam.host),
        faults=faults,
        http_port=netmap.lab_port(80),
        rtsp_port=netmap.lab_port(554),
        model=MODELS[seed % len(MODELS)],
        firmware=f"V5.{seed % 8}.{seed % 5} build 2305{seed % 28 + 1:02d}",
        serial=f"DL{seed:010d}",
        clock_offset_s=float(seed % 121 - 30),  # each camera's clock is off a little
        users={user: (password, "Administrator")},
    )


Factory = Callable[..., Simulator]  # called with faults=Faults()


def _school_devices(school: School) -> list[tuple[str, str, str, Factory]]:
    """(name, kind, inventory address, factory) for every simulated device of a school."""
    out: list[tuple[str, str, str, Factory]] = [
        (cam.name, "camera", cam.host, partial(_camera, school, cam)) for cam in school.cameras
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
        user, password = _login(panel.credentials)
        make = partial(
            AlarmPanel,
            panel.name,
            netmap.lab_address(panel.host),
            api_port=netmap.lab_port(80),
            username=user,
            password=password,
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
    return out


@dataclass(slots=True)
class Lab:
    city: City
    schools: list[School]
    data_dir: Path
    devices: dict[str, LabDevice] = field(default_factory=dict)

    def build(self) -> None:
        """Create (not start) every simulator; factory settings, inventory-derived addresses."""
        for school in self.schools:
            for name, kind, host, make in _school_devices(school):
                self._add(f"{school.id}/{name}", kind, school.id, host, make)
        for pid in sorted({s.precinct for s in self.schools}):
            self._add_precinct(pid)

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
        }

    async def start(self) -> None:
        _raise_fd_limit(len(self.devices) * 4 + 256)
        netmap.install(netmap.lab_route)
        sims = [d.sim for d in self.devices.values()]
        for i in range(0, len(sims), START_BATCH):
            await asyncio.gather(*(s.start() for s in sims[i : i + START_BATCH]))

    async def stop(self) -> None:
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
        await device.sim.sync_faults()
        return device


def _raise_fd_limit(wanted: int) -> None:
    """Thousands of listeners need more descriptors than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
