"""The precinct's GB/T 28181 platform, simulated: a WVP-PRO-shaped SIP server over UDP and TCP.

REGISTER is answered as WVP-PRO answers it (RegisterRequestProcessor.java, commit 768d74094):
a From user that is not a 20-digit ID gets 403; no Expires header gets 400; no Authorization
gets 401 with a Digest challenge whose realm is the SIP domain (qop auth, MD5:
DigestServerAuthenticationHelper.java); credentials that do not prove the password get 403
with the reason "wrong password"; good ones get 200 with Date (GB/T 28181's
yyyy-MM-ddTHH:mm:ss.SSS), Contact and Expires; Expires 0 unregisters. A MESSAGE from a device
that is not registered gets 404 "device <id> not found" (MessageRequestProcessor.java).

WVP-PRO itself never looks at the REGISTER's Request-URI; the lab goes by RFC 3261 §10.3
(a registrar answers for its own domain and address-of-record only): a Request-URI naming
another server ID gets 404, one naming another 10-digit domain gets 403, so a device set to
the wrong server ID or domain stays unregistered, as it does against most platforms. Every
refused REGISTER is kept (`refusals`) with what the device asked for, so the audit can say
what to fix.

After a registration the platform queries the Catalog (as WVP does when a device comes
online); `play` INVITEs a channel (SDP offer `PS/90000`, the `y=` SSRC of Appendix F),
receives RTP carrying MPEG-PS on a UDP port of its own and reads what arrives; `stop` sends
BYE. A device is online while its registration lasts and its keepalives keep coming: one
missing for `heartbeat_s × heartbeat_max_missed` takes it offline.

An Alarm notification (GB/T 28181-2016 §9.4) from a registered device is answered 200 OK and
recorded as WVP-PRO records it (AlarmNotifyMessageHandler.java: `DeviceAlarm` with deviceId,
channelId = the notification's DeviceID, alarmPriority, alarmMethod, alarmTime converted to
yyyy-MM-dd HH:mm:ss, alarmDescription, createTime = when it arrived; one without AlarmTime is
answered but not kept), plus the lab-only `receivedAtMs`, the receipt time to the millisecond
(WVP keeps whole seconds). One from a device that is not registered gets WVP's 404, the way a
platform refuses an alarm column whose registration failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provision.lab.faults import Faults
from provision.lab.gb28181 import manscdp, mpegps, sip
from provision.lab.gb28181.rest import PlayError, WvpApi
from provision.lab.gb28181.transport import Peer, SipEndpoint
from provision.lab.http import HttpServer
from provision.lab.media import split_annexb

REFUSALS_KEPT = 10
ALARMS_KEPT = 1000
WVP_TIME = "%Y-%m-%d %H:%M:%S"  # how WVP stores and shows times (DateUtil.formatter)


@dataclass(slots=True)
class Registration:
    device_id: str
    peer: Peer
    call_id: str
    expires: int
    registered_at: float
    gb_version: str = ""
    charset: str = "GB2312"
    keepalive_at: float | None = None
    channels: list[manscdp.Channel] = field(default_factory=list)
    catalog_at: float | None = None


@dataclass(slots=True)
class PlaySession:
    device_id: str
    channel_id: str
    call_id: str
    peer: Peer
    invite: sip.SipMessage
    to_header: str
    received: bytearray = field(default_factory=bytearray)
    transport: asyncio.DatagramTransport | None = None
    started: float = field(default_factory=time.monotonic)


class _RtpReceiver(asyncio.DatagramProtocol):
    def __init__(self, session: PlaySession, arrived: asyncio.Event) -> None:
        self.session, self.arrived = session, arrived

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) > 12 and data[0] >> 6 == 2:
            skip = 12 + 4 * (data[0] & 0x0F)
            self.session.received += data[skip:]
            self.arrived.set()


class Gb28181Platform:
    """One precinct's platform: SIP at `sip_port` (UDP and TCP), WVP's REST at `api_port`.

    Faults: `dead`/`refuse` close SIP and REST; `timeout` leaves SIP unanswered; `latency_ms`
    delays every SIP message; `auth_failure` refuses every registration with 403;
    `alarm_refused` answers every Alarm notify 403 Forbidden and records none."""

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        server_id: str,
        domain: str,
        password: str,
        edition: str = "2016",
        sip_port: int = 5060,
        api_port: int = 18080,
        heartbeat_s: int = 60,
        heartbeat_max_missed: int = 3,
        api_password: str = "admin",
        api_host: str | None = None,
        sip_timeout: float = 5.0,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.server_id, self.domain, self.password = server_id, domain, password
        self.edition = edition
        self.heartbeat_s, self.heartbeat_max_missed = heartbeat_s, heartbeat_max_missed
        self.sip_timeout = sip_timeout
        self.sip = SipEndpoint(host, sip_port, self._on_request)
        self.api = WvpApi(self, api_password)
        self._http = HttpServer(api_host or host, api_port, self.api.handle, faults)
        self.devices: dict[str, Registration] = {}
        self.refusals: dict[str, list[dict[str, Any]]] = {}
        self.alarms: list[dict[str, Any]] = []  # DeviceAlarm records, oldest first
        self.sessions: dict[tuple[str, str], PlaySession] = {}
        self._catalog_waiters: dict[str, asyncio.Event] = {}
        self._catalog_fresh: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._sn = 0
        self._cseq = 0

    # --- Simulator ---------------------------------------------------------------------

    async def start(self) -> None:
        await self._http.start()
        await self.sip.start()

    async def stop(self) -> None:
        for key in list(self.sessions):
            await self.stop_play(*key)
        await self._http.stop()
        await self.sip.stop()

    async def sync_faults(self) -> None:
        await self._http.sync_faults()
        self.sip.delay_s = self.faults.latency_ms / 1000
        down = self.faults.dead or self.faults.refuse
        if down and self.sip.running:
            await self.sip.stop()
        elif not down and not self.sip.running:
            await self.sip.start()

    def endpoints(self) -> dict[str, int]:
        # SIP listens on UDP and TCP at one port: two sockets, as the lab's planner counts them.
        return {"sip": self.sip.port, "sip_tcp": self.sip.port, "wvp_api": self._http.port}

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "server_id": self.server_id,
            "domain": self.domain,
            "edition": self.edition,
            "devices": {d: self.device_view(d) for d in self.devices},
            "refusals": self.refusals,
            "faults": self.faults.active(),
        }

    # --- views -------------------------------------------------------------------------

    def online(self, reg: Registration, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if now > reg.registered_at + reg.expires:
            return False
        last = reg.keepalive_at or reg.registered_at
        return now - last <= self.heartbeat_s * self.heartbeat_max_missed

    def device_view(self, device_id: str) -> dict[str, Any]:
        reg = self.devices[device_id]
        return {
            "deviceId": reg.device_id,
            "transport": reg.peer.transport,
            "ip": reg.peer.host,
            "port": reg.peer.port,
            "hostAddress": f"{reg.peer.host}:{reg.peer.port}",
            "onLine": self.online(reg),
            "registerTimeStamp": int(reg.registered_at * 1000),
            "keepaliveTimeStamp": int(reg.keepalive_at * 1000) if reg.keepalive_at else None,
            "heartBeatInterval": self.heartbeat_s,
            "heartBeatCount": self.heartbeat_max_missed,
            "expires": reg.expires,
            "channelCount": len(reg.channels),
            "charset": reg.charset,
            "streamMode": "UDP",
            "gbVersion": reg.gb_version,  # lab: the X-GB-Ver the device registered with
            "serverId": self.server_id,
        }

    # --- SIP in ------------------------------------------------------------------------

    async def _on_request(self, msg: sip.SipMessage, peer: Peer) -> None:
        if self.faults.timeout:
            return
        handlers = {"REGISTER": self._register, "MESSAGE": self._message, "BYE": self._bye}
        handler = handlers.get(msg.method)
        if handler is None:
            if msg.method != "ACK":
                await self.sip.send(sip.response(msg, 405, "Method Not Allowed"), peer)
            return
        await handler(msg, peer)

    def _refuse(self, device_id: str, msg: sip.SipMessage, status: int, reason: str) -> None:
        entry = {
            "time": time.time(),
            "status": status,
            "reason": reason,
            "requestServerId": sip.uri_user(msg.uri),
            "requestDomain": sip.uri_host(msg.uri),
            "serverId": self.server_id,
            "domain": self.domain,
        }
        kept = self.refusals.setdefault(device_id, [])
        kept.append(entry)
        del kept[:-REFUSALS_KEPT]

    async def _answer(self, msg: sip.SipMessage, peer: Peer, status: int, reason: str) -> None:
        await self.sip.send(sip.response(msg, status, reason), peer)

    async def _register(self, msg: sip.SipMessage, peer: Peer) -> None:
        device_id = sip.uri_user(msg.header("From"))
        if len(device_id) != 20 or not device_id.isdigit():
            await self._answer(msg, peer, 403, "Forbidden")  # WVP's deviceIdStrict check
            return
        expires = msg.header("Expires")
        if not expires.isdigit():
            await self._answer(msg, peer, 400, "Bad Request")
            return
        refusal = self._request_uri_refusal(msg)
        if refusal:
            self._refuse(device_id, msg, *refusal)
            await self._answer(msg, peer, *refusal)
            return
        auth = msg.header("Authorization")
        if not auth:
            out = sip.response(msg, 401, "Unauthorized")
            out.headers.append(("WWW-Authenticate", sip.challenge(self.domain)))
            await self.sip.send(out, peer)
            return
        if self.faults.auth_failure or not sip.verify(auth, "REGISTER", self.password):
            self._refuse(device_id, msg, 403, "wrong password")
            await self._answer(msg, peer, 403, "wrong password")
            return
        await self._registered(msg, peer, device_id, int(expires))

    def _request_uri_refusal(self, msg: sip.SipMessage) -> tuple[int, str] | None:
        user, host = sip.uri_user(msg.uri), sip.uri_host(msg.uri)
        if user and user != self.server_id:
            return 404, "Not Found"
        if len(host) == 10 and host.isdigit() and host != self.domain:
            return 403, "Forbidden"
        return None

    async def _registered(
        self, msg: sip.SipMessage, peer: Peer, device_id: str, expires: int
    ) -> None:
        # Recorded before the 200 leaves, so whoever reads the 200 finds the device listed.
        known = self.devices.get(device_id)
        fresh = known is None or known.call_id != msg.call_id
        self.refusals.pop(device_id, None)  # registered now: earlier refusals explain nothing
        if expires == 0:
            self.devices.pop(device_id, None)
        elif known is not None and not fresh:  # a refresh of the same registration
            known.expires, known.registered_at, known.peer = expires, time.time(), peer
        else:
            self.devices[device_id] = Registration(
                device_id, peer, msg.call_id, expires, time.time(), msg.header("X-GB-Ver")
            )
        out = sip.response(msg, 200, "OK")
        out.headers.append(("Date", datetime.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]))
        if msg.header("Contact"):
            out.headers.append(("Contact", msg.header("Contact")))
        out.headers.append(("Expires", str(expires)))
        await self.sip.send(out, peer)
        if expires and fresh:
            task = asyncio.ensure_future(self._query_quietly(device_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _query_quietly(self, device_id: str) -> None:
        # A failure here is not reported: the audit's own query will name it.
        with contextlib.suppress(TimeoutError, ConnectionError, PlayError):
            await self.query_catalog(device_id)

    async def _message(self, msg: sip.SipMessage, peer: Peer) -> None:
        device_id = sip.uri_user(msg.header("From"))
        reg = self.devices.get(device_id)
        if reg is None:
            await self._answer(msg, peer, 404, f"device {device_id} not found")
            return
        try:
            root = manscdp.parse(msg.body)
        except manscdp.ManscdpError:
            await self._answer(msg, peer, 400, "Bad Request")
            return
        if self.faults.alarm_refused and manscdp.text(root, "CmdType") == "Alarm":
            # A platform that will not take this device's alarms (e.g. alarm reception not
            # enabled for it): refused, not recorded.
            await self._answer(msg, peer, 403, "Forbidden")
            return
        await self._answer(msg, peer, 200, "OK")
        if b'encoding="UTF-8"' in msg.body[:60].replace(b"'", b'"'):
            reg.charset = "UTF-8"
        cmd = manscdp.text(root, "CmdType")
        if cmd == "Keepalive":
            reg.keepalive_at = time.time()
        elif cmd == "Catalog" and root.tag == "Response":
            self._catalog_part(reg, root)
        elif cmd == "Alarm" and root.tag == "Notify":
            self._alarm(reg, root)

    def _alarm(self, reg: Registration, root: Any) -> None:
        received = time.time()
        alarm_time = manscdp.text(root, "AlarmTime")
        if not alarm_time:
            return  # WVP returns before storing one without AlarmTime
        try:
            stamped = datetime.fromisoformat(alarm_time).strftime(WVP_TIME)
        except ValueError:
            stamped = alarm_time  # kept as sent: the audit shows what the device said
        info = root.find("Info")
        self.alarms.append(
            {
                "id": (self.alarms[-1]["id"] + 1) if self.alarms else 1,
                "deviceId": reg.device_id,
                "channelId": manscdp.text(root, "DeviceID"),
                "alarmPriority": manscdp.text(root, "AlarmPriority"),
                "alarmMethod": manscdp.text(root, "AlarmMethod"),
                "alarmTime": stamped,
                "alarmDescription": manscdp.text(root, "AlarmDescription"),
                "alarmType": manscdp.text(info, "AlarmType") if info is not None else None,
                "longitude": 0.0,
                "latitude": 0.0,
                "createTime": time.strftime(WVP_TIME, time.localtime(received)),
                "receivedAtMs": round(received * 1000),  # lab-only: see the docstring
            }
        )
        del self.alarms[:-ALARMS_KEPT]

    def _catalog_part(self, reg: Registration, root: Any) -> None:
        """A Catalog may come in several MESSAGEs; SumNum says how many channels in all.
        The first part answering a new query replaces what an earlier Catalog said."""
        if reg.device_id in self._catalog_fresh:
            self._catalog_fresh.discard(reg.device_id)
            reg.channels = []
        known = {c.device_id for c in reg.channels}
        reg.channels += [c for c in manscdp.channels(root) if c.device_id not in known]
        total = int(manscdp.text(root, "SumNum") or len(reg.channels))
        if len(reg.channels) >= total:
            reg.catalog_at = time.time()
            waiter = self._catalog_waiters.get(reg.device_id)
            if waiter is not None:
                waiter.set()

    async def _bye(self, msg: sip.SipMessage, peer: Peer) -> None:
        await self._answer(msg, peer, 200, "OK")
        for key, session in list(self.sessions.items()):
            if session.call_id == msg.call_id:
                self._close_session(key)

    # --- SIP out -----------------------------------------------------------------------

    def _request(
        self, method: str, target: str, reg: Registration, body: bytes = b""
    ) -> sip.SipMessage:
        self._cseq += 1
        uri = f"sip:{target}@{reg.peer.host}:{reg.peer.port}"
        branch = f"rport;branch={sip.new_branch()}"
        msg = sip.SipMessage(f"{method} {uri} SIP/2.0")
        msg.headers += [
            ("Via", f"SIP/2.0/{reg.peer.transport} {self.host}:{self.sip.port};{branch}"),
            ("From", f"<sip:{self.server_id}@{self.domain}>;tag={sip.new_tag()}"),
            ("To", f"<sip:{target}@{self.domain}>"),
            ("Call-ID", f"{sip.new_tag()}{sip.new_tag()}@{self.host}"),
            ("CSeq", f"{self._cseq} {method}"),
            ("Max-Forwards", "70"),
            ("User-Agent", "WVP-Pro (provision lab)"),
        ]
        msg.body = body
        return msg

    def _next_sn(self) -> int:
        self._sn += 1
        return self._sn

    async def query_catalog(self, device_id: str) -> list[manscdp.Channel]:
        """Send a Catalog query and wait for the whole answer (raises TimeoutError)."""
        reg = self.devices[device_id]
        waiter = asyncio.Event()
        self._catalog_waiters[device_id] = waiter
        self._catalog_fresh.add(device_id)
        body = manscdp.encode(manscdp.catalog_query(device_id, self._next_sn()), reg.charset)
        msg = self._request("MESSAGE", device_id, reg, body)
        msg.headers.append(("Content-Type", manscdp.CONTENT_TYPE))
        try:
            answer = await self.sip.request(msg, reg.peer, self.sip_timeout)
            if answer.status != 200:
                raise PlayError(f"Catalog query answered {answer.status} {answer.reason}")
            await asyncio.wait_for(waiter.wait(), self.sip_timeout)
        finally:
            if self._catalog_waiters.get(device_id) is waiter:
                del self._catalog_waiters[device_id]
        return list(reg.channels)

    def _ssrc(self) -> str:
        """Appendix F: 0 (live), digits 4-8 of the domain, then a 4-digit serial."""
        return f"0{self.domain[3:8]}{self._next_sn() % 10000:04d}"

    async def play(self, device_id: str, channel_id: str) -> PlaySession:
        """INVITE the channel, ACK, and wait for the first video the RTP brings."""
        reg = self.devices.get(device_id)
        if reg is None:
            raise PlayError(f"device {device_id} is not registered")
        await self.stop_play(device_id, channel_id)
        loop = asyncio.get_running_loop()
        invite = self._request("INVITE", channel_id, reg)
        session = PlaySession(device_id, channel_id, invite.call_id, reg.peer, invite, "")
        arrived = asyncio.Event()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _RtpReceiver(session, arrived), local_addr=(self.host, 0)
        )
        session.transport = transport
        rtp_port = transport.get_extra_info("sockname")[1]
        ssrc = self._ssrc()
        invite.body = _sdp_offer(self.server_id, self.host, rtp_port, ssrc).encode()
        invite.headers += [
            ("Content-Type", "APPLICATION/SDP"),
            ("Subject", f"{channel_id}:{ssrc},{self.server_id}:0"),
            ("Contact", f"<sip:{self.server_id}@{self.host}:{self.sip.port}>"),
        ]
        try:
            answer = await self.sip.request(invite, reg.peer, self.sip_timeout)
        except TimeoutError:
            transport.close()
            raise PlayError("INVITE unanswered") from None
        if answer.status != 200:
            transport.close()
            raise PlayError(f"INVITE answered {answer.status} {answer.reason}")
        session.to_header = answer.header("To")
        await self.sip.send(self._in_dialog("ACK", session, invite.cseq[0]), reg.peer)
        self.sessions[(device_id, channel_id)] = session
        return session

    def _in_dialog(self, method: str, session: PlaySession, number: int) -> sip.SipMessage:
        msg = sip.SipMessage(f"{method} {session.invite.uri} SIP/2.0")
        for name in ("Via", "From", "Call-ID", "Max-Forwards"):
            msg.headers.append((name, session.invite.header(name)))
        via = msg.headers[0][1].split(";branch=")[0]
        msg.headers[0] = ("Via", f"{via};branch={sip.new_branch()}")
        msg.headers.insert(2, ("To", session.to_header))
        msg.headers.append(("CSeq", f"{number} {method}"))
        return msg

    async def wait_video(self, session: PlaySession, timeout: float) -> mpegps.Received:
        """Wait until the received PS holds an SPS (so a decoder could start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = mpegps.demux(bytes(session.received))
            if got.info is not None and any(n[0] & 0x1F == 5 for n in split_annexb(got.video)):
                return got  # an SPS and a keyframe: a decoder can start
            await asyncio.sleep(0.05)
        return mpegps.Received()

    async def stop_play(self, device_id: str, channel_id: str) -> bool:
        session = self.sessions.get((device_id, channel_id))
        if session is None:
            return False
        self._cseq += 1
        bye = self._in_dialog("BYE", session, session.invite.cseq[0] + 1)
        with contextlib.suppress(TimeoutError, ConnectionError):  # a device gone: no session
            await self.sip.request(bye, session.peer, self.sip_timeout)
        self._close_session((device_id, channel_id))
        return True

    def _close_session(self, key: tuple[str, str]) -> None:
        session = self.sessions.pop(key, None)
        if session is not None and session.transport is not None:
            session.transport.close()


def _sdp_offer(server_id: str, host: str, port: int, ssrc: str) -> str:
    return (
        f"v=0\r\no={server_id} 0 0 IN IP4 {host}\r\ns=Play\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=video {port} RTP/AVP 96\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\ny={ssrc}\r\n"
    )
