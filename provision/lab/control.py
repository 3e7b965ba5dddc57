"""The lab's control API: list devices, read their state, switch faults at run time.

    GET    /api/devices                     every device with addresses, ports and faults
    GET    /api/devices/<id>/state          a device's current settings (no secrets)
    PUT    /api/devices/<id>/faults         {"obstructed": true, ...}: switch faults on/off
    DELETE /api/devices/<id>/faults         clear every fault
    PUT    /api/devices/<id>/gb28181        {"server_id": ..., "password": "..."}: (re)configure
                                            the device's GB/T 28181 agent (bare setting names,
                                            the password's value); DELETE stops it
    POST   /api/devices/<id>/alarm_button   someone presses the alarm button wired to the
                                            device: its agent sends a GB/T 28181 Alarm
                                            notification; answers {"pressed_at", "status", ...}
    POST   /api/shutdown                    stop the lab

Device ids are Nornir host names (`<school>/<device>`) or `precinct/<id>/<service>`.
"""

from __future__ import annotations

import asyncio
import json

from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response
from provision.lab.runtime import Lab

PREFIX = "/api/devices/"


class ControlApi:
    def __init__(self, lab: Lab, host: str = "127.0.0.1", port: int = 0) -> None:
        self.lab = lab
        self.stopping = asyncio.Event()
        self.server = HttpServer(host, port, self.handle, Faults())

    async def handle(self, req: Request) -> Response:
        if req.path == "/api/devices" and req.method == "GET":
            return Response.json([d.status() for d in self.lab.devices.values()])
        if req.path == "/api/shutdown" and req.method == "POST":
            self.stopping.set()
            return Response.json({"stopping": True})
        if not req.path.startswith(PREFIX):
            return Response.json({"error": f"no such endpoint {req.path}"}, 404)
        dev_id, _, what = req.path[len(PREFIX) :].rpartition("/")
        device = self.lab.devices.get(dev_id)
        if device is None:
            return Response.json({"error": f"no lab device {dev_id!r}"}, 404)
        if what == "state" and req.method == "GET":
            return Response.json({**device.status(), "state": device.sim.state()})
        if what == "faults" and req.method in ("PUT", "POST", "DELETE"):
            try:
                changes = None if req.method == "DELETE" else req.json()
                if changes is not None and not isinstance(changes, dict):
                    raise ValueError("expected a JSON object of fault names to values")
                await self.lab.set_faults(dev_id, changes)
            except (ValueError, json.JSONDecodeError) as exc:
                return Response.json({"error": str(exc)}, 400)
            return Response.json(device.status())
        if what == "gb28181" and req.method in ("PUT", "DELETE"):
            return await self._configure_agent(dev_id, req)
        if what == "alarm_button" and req.method == "POST":
            agent = self.lab.agents.get(dev_id)
            if agent is None:
                return Response.json({"error": f"{dev_id} has no GB/T 28181 agent"}, 404)
            return Response.json(await agent.press_button())
        return Response.json({"error": f"no such endpoint {req.method} {req.path}"}, 404)

    async def _configure_agent(self, dev_id: str, req: Request) -> Response:
        """What a lab camera does when its SIP settings are written (see gb28181/agent.py)."""
        try:
            settings = None if req.method == "DELETE" else req.json()
            if settings is not None and not isinstance(settings, dict):
                raise ValueError("expected a JSON object of GB/T 28181 settings")
            await self.lab.configure_agent(dev_id, settings)
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            return Response.json({"error": f"bad GB/T 28181 settings: {exc}"}, 400)
        return Response.json(self.lab.agents[dev_id].state())
