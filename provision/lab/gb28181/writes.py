"""A lab camera's SIP writes reaching its GB/T 28181 agent, one after another.

A vendor API answers a write at once and the camera then re-registers with what it now holds
(the Hikvision and Dahua cameras both do). `AgentWrites.written(settings)` queues that: each
write's settings go to the agent after the previous write's, since unregistering from the old
server may wait for its answer. `settled()` returns once every write so far has reached the
agent: a point tests and the demo synchronise on instead of sleeping.

The settings are the agent's bare names (`templates.gb28181_settings.unprefixed`) with the
server as the inventory wrote it; `on_lab_network` routes it as the lab's network does
(netmap.translate: the inventory's address and port mapped while a lab runs).
"""

from __future__ import annotations

import asyncio
from typing import Any

from provision.lab import netmap
from provision.lab.gb28181.agent import DeviceAgent


class AgentWrites:
    def __init__(self, agent: DeviceAgent) -> None:
        self.agent = agent
        self._last: asyncio.Future[None] | None = None

    def written(self, settings: dict[str, Any] | None) -> None:
        """The camera now holds `settings` (None: access off); the agent follows in order."""
        self._last = asyncio.ensure_future(self._after(on_lab_network(settings), self._last))

    async def _after(
        self, settings: dict[str, Any] | None, previous: asyncio.Future[None] | None
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its failure was its own: not raised here
            if not previous.cancelled():
                previous.exception()
        await self.agent.configure(settings)

    async def settled(self) -> None:
        while self._last is not None and not self._last.done():
            await asyncio.wait([self._last])

    async def stop(self) -> None:
        """Drop what is queued and stop the agent (the camera is switched off)."""
        if self._last is not None:
            self._last.cancel()
            await asyncio.wait([self._last])
            if not self._last.cancelled():
                self._last.exception()
        await self.agent.stop()


def on_lab_network(settings: dict[str, Any] | None) -> dict[str, Any] | None:
    """The server as the lab's network reaches it (unchanged when no lab routes it)."""
    if settings is None:
        return None
    address, port = netmap.translate(settings["server_address"], int(settings["server_port"]))
    return {**settings, "server_address": address, "server_port": port}
