"""SIP over UDP and TCP for one side (platform or device), with client transactions.

One `SipEndpoint` listens on UDP and TCP at the same port (RFC 3261 §18: a SIP element listens
on both) and keeps every TCP connection it accepted or opened, keyed by the peer, so a request
to a device that registered over TCP goes back over that device's connection, as GB/T 28181
devices behind NAT expect. Incoming requests go to the owner's handler; a response settles the
client transaction waiting for it (matched by Call-ID and CSeq). Loopback UDP loses nothing,
so requests are not retransmitted (RFC 3261 Timer A); a lost answer is a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from provision.lab.gb28181.sip import SipError, SipMessage, frame, parse


@dataclass(frozen=True, slots=True)
class Peer:
    transport: str  # "UDP" or "TCP"
    host: str
    port: int


Handler = Callable[[SipMessage, Peer], Awaitable[None]]


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.endpoint.received(data, Peer("UDP", addr[0], addr[1]))


class SipEndpoint:
    def __init__(self, host: str, port: int, handler: Handler) -> None:
        self.host, self.port, self.handler = host, port, handler
        self._configured_port = port  # 0: any free port, picked again at each start
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._conns: dict[Peer, asyncio.StreamWriter] = {}
        self._waiting: dict[tuple[str, int, str], asyncio.Future[SipMessage]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.delay_s = 0.0  # the lab's latency_ms fault, before every message sent
        self.local_tcp_port = 0  # this side's port of its last outgoing TCP connection

    async def start(self, *, tcp: bool = True) -> None:
        """Listen on UDP and (with `tcp`) TCP at one port. Port 0 picks a free UDP port; the
        same number may be taken for TCP, so then another is picked, a few times over."""
        loop = asyncio.get_running_loop()
        wanted = self._configured_port
        for attempt in range(8):
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.host, wanted)
            )
            self._udp = transport
            self.port = transport.get_extra_info("sockname")[1]
            if not tcp:
                return
            try:
                self._tcp = await asyncio.start_server(self._accepted, self.host, self.port)
                return
            except OSError:
                transport.close()
                self._udp = None
                if wanted or attempt == 7:
                    raise
                await asyncio.sleep(0)

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
            await asyncio.sleep(0)  # the socket closes on the next turn: then the port is free
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None
        for writer in list(self._conns.values()):
            writer.close()
        self._conns.clear()
        for task in list(self._tasks):
            task.cancel()
        for fut in self._waiting.values():
            if not fut.done():
                fut.cancel()

    @property
    def running(self) -> bool:
        return self._udp is not None

    # --- receiving ---------------------------------------------------------------------

    def received(self, data: bytes, peer: Peer) -> None:
        try:
            msg = parse(data)
        except (SipError, ValueError):
            return  # RFC 3261 §18.3: a malformed datagram is discarded
        if msg.is_request:
            self._spawn(self.handler(msg, peer))
            return
        number, method = msg.cseq
        fut = self._waiting.get((msg.call_id, number, method))
        if fut is not None and not fut.done() and msg.status >= 200:
            fut.set_result(msg)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        await self._read(Peer("TCP", host, port), reader, writer)

    async def _read(
        self, peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._conns[peer] = writer
        buffer = b""
        try:
            while chunk := await reader.read(65536):
                buffer += chunk
                while (cut := frame(buffer)) is not None:
                    one, buffer = cut
                    self.received(one, peer)
        except (ConnectionError, SipError):
            pass
        finally:
            self._conns.pop(peer, None)
            writer.close()

    # --- sending -----------------------------------------------------------------------

    async def connect(self, host: str, port: int) -> Peer:
        """A TCP connection to a server (a device registering over TCP), kept and read."""
        reader, writer = await asyncio.open_connection(host, port)
        local = writer.get_extra_info("sockname")
        peer = Peer("TCP", host, port)
        self._spawn(self._read(peer, reader, writer))
        self.local_tcp_port = local[1]
        return peer

    async def send(self, msg: SipMessage, peer: Peer) -> None:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        data = msg.encode()
        if peer.transport == "TCP":
            writer = self._conns.get(peer)
            if writer is None:
                raise ConnectionError(f"no TCP connection to {peer.host}:{peer.port}")
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        elif self._udp is not None:
            self._udp.sendto(data, (peer.host, peer.port))

    async def request(self, msg: SipMessage, peer: Peer, timeout: float) -> SipMessage:
        """Send a request and wait for its final response (1xx skipped)."""
        number, method = msg.cseq
        key = (msg.call_id, number, method)
        fut: asyncio.Future[SipMessage] = asyncio.get_running_loop().create_future()
        self._waiting[key] = fut
        try:
            await self.send(msg, peer)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the answer does, and a cancelled caller (an agent being
            # reconfigured) would carry on as if nothing had happened.
            async with asyncio.timeout(timeout):
                return await fut
        finally:
            self._waiting.pop(key, None)
