"""The GB/T 28181 side of a lab camera or NVR: a SIP user agent that runs once it is configured.

`await agent.configure(settings)` takes the device's GB/T 28181 settings by their bare names
(`templates.gb28181_settings.unprefixed`, the password resolved to its value) and (re)starts
the agent; `configure(None)` or `enabled: False` stops it. A lab camera whose SIP settings are
written through its vendor API calls exactly this. Once running, the agent does what a
Hikvision or Dahua device does (GB/T 28181-2016 §9.1, §9.3, §9.5, §9.6):

- REGISTER to sip:<server ID>@<domain> over UDP or TCP, answer the 401 challenge with Digest,
  re-register when half the validity has passed (devices refresh before expiry), retry after
  a refusal every `retry_s`;
- a Keepalive MESSAGE every `heartbeat_s`;
- answer a Catalog query with its channels (GB2312 by default, UTF-8 if set so);
- on `press_button()`, an Alarm notification MESSAGE (§9.4), as an alarm column reports a press;
- answer INVITE with an SDP naming its RTP port and the offer's `y=` SSRC, then stream the
  lab clip muxed into MPEG-PS over RTP/UDP to the address the offer gave, until BYE.

Faults (switched on the camera the agent belongs to): `sip_wrong_password` answers the
challenge with another password; `sip_wrong_server_id` registers to another server ID;
`sip_keepalive_stop` sends no keepalives; `sip_invite_fail` answers INVITE with 488;
`sip_catalog_drop` leaves the last channel out of the Catalog; `dead`/`refuse` silence SIP;
`latency_ms` delays every SIP message; `alarm_notify_lost` makes a button press send nothing.

Settings change as a whole: `configure` (and every start or stop) runs under one lock, halts
the running loop before swapping in a complete, read-only settings mapping, and the loop works
on the snapshot it was started with. A camera whose API is written while someone else also
reconfigures its agent therefore never runs its loop on emptied or half-written settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from provision.lab.faults import Faults
from provision.lab.gb28181 import manscdp, mpegps, sip
from provision.lab.gb28181.transport import Peer, SipEndpoint
from provision.lab.media import CLOCK_RATE, load_clip

# The X-GB-Ver header a device sends with REGISTER: 2.0 for the 2016 edition, 3.0 for 2022.
GB_VERSION = {"2016": "2.0", "2022": "3.0"}
RETRY_S = 5.0
REQUIRED = ("server_id", "domain", "server_address", "server_port", "device_id")
SIP_TIMEOUT_S = 5.0
Settings = Mapping[str, Any]
_OFF: Settings = MappingProxyType({})


class DeviceAgent:
    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        sip_port: int = 0,
        charset: str = "GB2312",
        retry_s: float = RETRY_S,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.charset, self.retry_s = charset, retry_s
        self.sip = SipEndpoint(host, sip_port, self._on_request)
        self.settings: Settings = _OFF
        self._running: Settings = _OFF  # the snapshot the registration loop works on
        self._lock = asyncio.Lock()
        self.server: Peer | None = None
        self.registered_at: float | None = None
        self.last_register: dict[str, Any] = {}
        self.keepalives_sent = 0
        self.presses: list[dict[str, Any]] = []  # alarm button presses and their answers
        self._cseq = 0
        self._sn = 0
        self._call_id = ""
        self._loop: asyncio.Task[None] | None = None
        self._streams: dict[str, asyncio.Task[None]] = {}

    # --- lifecycle ---------------------------------------------------------------------

    async def configure(self, settings: Mapping[str, Any] | None) -> None:
        """Take new settings and restart; None (or enabled False) stops the agent. Settings
        lacking a required name are refused (ValueError) before anything changes."""
        lacking = [k for k in REQUIRED if settings and k not in settings]
        if lacking:
            raise ValueError(f"GB/T 28181 settings lack {', '.join(lacking)}")
        new = MappingProxyType(dict(settings or {}))
        async with self._lock:
            await self._halt()
            self.settings = new
            self.registered_at, self.last_register = None, {}
            if new and new.get("enabled", True):
                await self._begin()

    async def start(self) -> None:
        async with self._lock:
            if self._loop is None and self.settings and self.settings.get("enabled", True):
                await self._begin()

    async def stop(self) -> None:
        async with self._lock:
            await self._halt()

    async def sync_faults(self) -> None:
        self.sip.delay_s = self.faults.latency_ms / 1000
        down = self.faults.dead or self.faults.refuse
        if down and self._loop is not None:
            await self.stop()
        elif not down and self._loop is None:
            await self.start()

    def endpoints(self) -> dict[str, int]:
        return {"sip": self.sip.port}

    def state(self) -> dict[str, Any]:
        shown = {k: v for k, v in self.settings.items() if k != "password"}
        return {
            "settings": shown,
            "registered_at": self.registered_at,
            "last_register": self.last_register,
            "keepalives_sent": self.keepalives_sent,
            "presses": self.presses[-10:],
            "streams": sorted(self._streams),
        }

    async def _begin(self) -> None:
        if self.faults.dead or self.faults.refuse:
            return
        # Only here, under the lock with no loop running, does the snapshot change: the loop
        # and the answers to the platform's requests read this one complete mapping.
        self._running = self.settings
        await self.sip.start(tcp=False)
        self._call_id = f"{secrets.token_hex(8)}@{self.host}"
        self.server = None  # the loop reaches it (over TCP: connects, again after a failure)
        self._loop = asyncio.ensure_future(self._run())

    async def _reach_server(self) -> Peer:
        address, port = self._running["server_address"], int(self._running["server_port"])
        if self._running.get("transport", "UDP").upper() == "TCP":
            return await self.sip.connect(address, port)
        return Peer("UDP", address, port)

    async def _halt(self) -> None:
        if self._loop is not None:
            # Cancel until it is done: a cancellation can be lost in an await that completes
            # at the same moment (asyncio.wait_for on Python 3.11 returns the result instead).
            while not self._loop.done():
                self._loop.cancel()
                await asyncio.wait([self._loop], timeout=1.0)
            if not self._loop.cancelled():
                self._loop.exception()  # a loop that died is replaced here, not re-raised
            self._loop = None
        if self.registered_at is not None and self.server is not None:
            # A device whose SIP settings change says goodbye first: REGISTER, Expires 0.
            with contextlib.suppress(TimeoutError, ConnectionError, OSError):
                await self._register(expires=0, timeout=1.0)
        for task in self._streams.values():
            task.cancel()
        self._streams.clear()
        await self.sip.stop()
        self.registered_at = None

    # --- registration and keepalive ----------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                if self.server is None:
                    self.server = await self._reach_server()
                registered = await self._register()
            except (TimeoutError, ConnectionError, OSError) as exc:
                self.last_register = {"status": 0, "reason": str(exc) or "no answer"}
                registered = False
                if self.server is not None and self.server.transport == "TCP":
                    self.server = None  # a broken connection: open a new one next time
            if not registered:
                await asyncio.sleep(self.retry_s)
                continue
            await self._keep_alive(float(self._running.get("register_expiry_s", 3600)) / 2)

    async def _keep_alive(self, until_s: float) -> None:
        """Keepalives every heartbeat until it is time to refresh the registration."""
        heartbeat = float(self._running.get("heartbeat_s", 60))
        refresh_at = time.monotonic() + until_s
        while (left := refresh_at - time.monotonic()) > 0:
            await asyncio.sleep(min(heartbeat, left))
            if time.monotonic() >= refresh_at:
                return
            if self.faults.sip_keepalive_stop:
                continue
            body = manscdp.encode(manscdp.keepalive(self.device_id, self._next_sn()), self.charset)
            with contextlib.suppress(TimeoutError, ConnectionError):
                answer = await self._send_message(body)
                self.keepalives_sent += 1
                if answer.status == 404:  # the platform forgot us: register again
                    return

    @property
    def device_id(self) -> str:
        return str(self._running["device_id"])

    def _next_sn(self) -> int:
        self._sn += 1
        return self._sn

    def _base(self, method: str, uri: str, *, call_id: str | None = None) -> sip.SipMessage:
        self._cseq += 1
        assert self.server is not None
        domain, me = self._running["domain"], self.device_id
        msg = sip.SipMessage(f"{method} {uri} SIP/2.0")
        port = self.sip.local_tcp_port if self.server.transport == "TCP" else self.sip.port
        branch = f"rport;branch={sip.new_branch()}"
        msg.headers += [
            ("Via", f"SIP/2.0/{self.server.transport} {self.host}:{port};{branch}"),
            ("From", f"<sip:{me}@{domain}>;tag={sip.new_tag()}"),
            ("To", f"<sip:{me}@{domain}>"),
            ("Call-ID", call_id or f"{secrets.token_hex(8)}@{self.host}"),
            ("CSeq", f"{self._cseq} {method}"),
            ("Max-Forwards", "70"),
            ("User-Agent", f"provision-lab {self.name}"),
        ]
        return msg

    def _register_message(self, expires: int | None = None) -> sip.SipMessage:
        server_id = str(self._running["server_id"])
        if self.faults.sip_wrong_server_id:  # another platform's ID: same area, other serial
            server_id = server_id[:-1] + str((int(server_id[-1]) + 1) % 10)
        uri = f"sip:{server_id}@{self._running['domain']}"
        msg = self._base("REGISTER", uri, call_id=self._call_id)
        msg.headers += [
            ("Contact", f"<sip:{self.device_id}@{self.host}:{self.sip.port}>"),
            (
                "Expires",
                str(self._running.get("register_expiry_s", 3600) if expires is None else expires),
            ),
            ("X-GB-Ver", GB_VERSION.get(str(self._running.get("edition", "2016")), "2.0")),
        ]
        return msg

    async def _register(self, expires: int | None = None, timeout: float = SIP_TIMEOUT_S) -> bool:
        """REGISTER (Expires 0: unregister), answering the Digest challenge."""
        assert self.server is not None
        msg = self._register_message(expires)
        answer = await self.sip.request(msg, self.server, timeout)
        if answer.status == 401:
            password = str(self._running.get("password") or "")
            if self.faults.sip_wrong_password:
                password += "-not-this-one"
            again = self._register_message(expires)
            auth = sip.authorization(
                self.device_id,
                password,
                "REGISTER",
                again.uri,
                answer.header("WWW-Authenticate"),
            )
            again.headers.append(("Authorization", auth))
            answer = await self.sip.request(again, self.server, timeout)
        if expires == 0:
            return answer.status == 200
        self.last_register = {"status": answer.status, "reason": answer.reason, "at": time.time()}
        if answer.status == 200:
            self.registered_at = time.time()
            return True
        self.registered_at = None
        return False

    async def _send_message(self, body: bytes) -> sip.SipMessage:
        assert self.server is not None
        uri = f"sip:{self._running['server_id']}@{self._running['domain']}"
        msg = self._base("MESSAGE", uri)
        msg.headers.append(("Content-Type", manscdp.CONTENT_TYPE))
        msg.body = body
        return await self.sip.request(msg, self.server, SIP_TIMEOUT_S)

    # --- the alarm button --------------------------------------------------------------

    async def press_button(self, channel: str | None = None) -> dict[str, Any]:
        """Someone presses the alarm button of (or wired to) the device: an Alarm notification
        (GB/T 28181-2016 §9.4) for `channel`, the alarm input's ID (default: the device's own
        ID, which WVP-PRO accepts as the alarm's channel too). Returns when the platform
        answers (or not): {"pressed_at", "channel", "status", "reason"}. A device that is not
        registered sends nothing (status None)."""
        pressed_at = time.time()
        alarm_id = channel or self._running.get("device_id", "")
        press: dict[str, Any] = {"pressed_at": pressed_at, "channel": alarm_id}
        if self.server is None or self.registered_at is None or not alarm_id:
            press.update(status=None, reason="not sent")
        elif self.faults.alarm_notify_lost:
            press.update(status=None, reason="not sent (alarm_notify_lost)")
        else:
            body = manscdp.alarm_notify(alarm_id, self._next_sn(), pressed_at)
            try:
                answer = await self._send_message(manscdp.encode(body, self.charset))
                press.update(status=answer.status, reason=answer.reason)
            except (TimeoutError, ConnectionError) as exc:
                press.update(status=0, reason=str(exc) or "no answer")
        self.presses.append(press)
        return press

    # --- requests from the platform ----------------------------------------------------

    async def _on_request(self, msg: sip.SipMessage, peer: Peer) -> None:
        if self.faults.dead or self.faults.timeout:
            return
        if msg.method == "MESSAGE":
            await self._on_message(msg, peer)
        elif msg.method == "INVITE":
            await self._on_invite(msg, peer)
        elif msg.method == "BYE":
            await self.sip.send(sip.response(msg, 200, "OK"), peer)
            task = self._streams.pop(msg.call_id, None)
            if task is not None:
                task.cancel()
        elif msg.method != "ACK":
            await self.sip.send(sip.response(msg, 405, "Method Not Allowed"), peer)

    async def _on_message(self, msg: sip.SipMessage, peer: Peer) -> None:
        try:
            root = manscdp.parse(msg.body)
        except manscdp.ManscdpError:
            await self.sip.send(sip.response(msg, 400, "Bad Request"), peer)
            return
        await self.sip.send(sip.response(msg, 200, "OK"), peer)
        if root.tag == "Query" and manscdp.text(root, "CmdType") == "Catalog":
            sn = int(manscdp.text(root, "SN") or 0)
            body = manscdp.encode(
                manscdp.catalog_response(self.device_id, sn, self.channels()), self.charset
            )
            with contextlib.suppress(TimeoutError, ConnectionError):
                await self._send_message(body)

    def channels(self) -> list[manscdp.Channel]:
        ids = list(self._running.get("channels") or ())
        if self.faults.sip_catalog_drop and ids:
            ids = ids[:-1]
        return [
            manscdp.Channel(c, f"{self.name} 通道{i + 1}", civil_code=c[:6], parent_id="")
            for i, c in enumerate(ids)
        ]

    async def _on_invite(self, msg: sip.SipMessage, peer: Peer) -> None:
        offer = msg.body.decode("utf-8", "replace")
        address = re.search(r"c=IN IP4 (\S+)", offer)
        port = re.search(r"m=video (\d+)", offer)
        ssrc = re.search(r"y=(\d+)", offer)
        channel = sip.uri_user(msg.uri)
        if self.faults.sip_invite_fail:
            await self.sip.send(sip.response(msg, 488, "Not Acceptable Here"), peer)
            return
        if not (address and port) or channel not in (self._running.get("channels") or ()):
            await self.sip.send(sip.response(msg, 404 if address else 400, "Not Found"), peer)
            return
        ssrc_text = ssrc.group(1) if ssrc else "0000000001"
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=(self.host, 0)
        )
        media_port = transport.get_extra_info("sockname")[1]
        answer = sip.response(msg, 200, "OK")
        answer.headers += [
            ("Contact", f"<sip:{channel}@{self.host}:{self.sip.port}>"),
            ("Content-Type", "APPLICATION/SDP"),
        ]
        answer.body = (
            f"v=0\r\no={channel} 0 0 IN IP4 {self.host}\r\ns=Play\r\nc=IN IP4 {self.host}\r\n"
            f"t=0 0\r\nm=video {media_port} RTP/AVP 96\r\na=sendonly\r\n"
            f"a=rtpmap:96 PS/90000\r\ny={ssrc_text}\r\n"
        ).encode()
        await self.sip.send(answer, peer)
        target = (address.group(1), int(port.group(1)))
        task = asyncio.ensure_future(stream_ps(transport, target, int(ssrc_text)))
        self._streams[msg.call_id] = task


async def stream_ps(
    transport: asyncio.DatagramTransport, target: tuple[str, int], ssrc: int
) -> None:
    """The lab clip, looped, one PS pack per frame over RTP (PT 96), paced at the clip's rate."""
    clip = load_clip()
    ticks = round(CLOCK_RATE / clip.fps)
    seq, pts = secrets.randbelow(0xFFFF), 0
    start = time.monotonic()
    try:
        for frame in itertools.count():
            unit = clip.access_units[frame % len(clip.access_units)]
            payloads = mpegps.rtp_payloads(mpegps.mux_access_unit(unit, pts))
            for i, payload in enumerate(payloads):
                second = (0x80 if i == len(payloads) - 1 else 0) | 96
                header = bytes((0x80, second)) + (seq & 0xFFFF).to_bytes(2, "big")
                header += (pts & 0xFFFFFFFF).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
                transport.sendto(header + payload, target)
                seq += 1
            pts += ticks
            await asyncio.sleep(max(0.0, start + (frame + 1) / clip.fps - time.monotonic()))
    finally:
        transport.close()
