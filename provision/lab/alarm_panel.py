"""A school's one-button alarm panel, simulated: HTTP JSON config API plus a DC-09 transmitter.

The transmitter is what makes provisioning worth checking: it keeps every event queued until
the receiver ACKs that very frame (matching sequence number), retries with exponential backoff
while the receiver is down or silent, re-stamps each retry so it stays inside the receiver's
timestamp window, and takes the clock from a NAK. It runs as one task per panel that sleeps on
an asyncio.Event with a deadline, so an idle panel costs no CPU and holds no socket.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provision.lab import netmap
from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response, basic_auth_error, nodelay
from provision.protocols import dc09

# Factory settings: nowhere to report to and an account no centre has issued.
FACTORY_CONFIG: dict[str, Any] = {
    "receiver_host": None,
    "receiver_port": 12128,
    "account": "FFFF",
    "receiver_number": "0",
    "line_number": "0",
    "protocol": dc09.ADM_CID,
    "test_interval_h": 24,
    "supervision_interval_s": 0,  # NULL link-test messages; 0 = off
    "encryption": False,
    # The button's zone leaves the factory as an ordinary zone: disarmed with the panel and
    # restoring by itself. GB 50394-2007 §5.2.3 item 1 wants it 24 h, non-disarmable, latching.
    "panic_zone_type": "instant",
    "panic_zone_disarmable": True,
    "panic_zone_latching": False,
}
PANIC, MANUAL_TEST, PERIODIC_TEST = 120, 601, 602
ZONE_TYPES = ("instant", "delay", "24h")
_HEX = re.compile(r"[0-9A-Fa-f]+")


class ConfigError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _hex(low: int, high: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not _HEX.fullmatch(value) or not low <= len(value) <= high:
            raise ValueError(f"{low}-{high} hexadecimal characters")
        return value.upper()

    return check


def _int(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"an integer from {low} to {high}")
        return value

    return check


def _protocol(value: Any) -> str:
    if value not in (dc09.ADM_CID, dc09.SIA_DCS):
        raise ValueError(f"{dc09.ADM_CID} or {dc09.SIA_DCS}")
    return str(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _zone_type(value: Any) -> str:
    if value not in ZONE_TYPES:
        raise ValueError(" or ".join(ZONE_TYPES))
    return str(value)


def _host(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not re.fullmatch(r"\S{1,253}", value)):
        raise ValueError("a host name or IP address, or null")
    return value


def _key(value: Any) -> bytes | None:
    if value is not None and (
        not isinstance(value, str) or not _HEX.fullmatch(value) or len(value) not in (32, 48, 64)
    ):
        raise ValueError("an AES key of 16, 24 or 32 bytes as hexadecimal")
    return None if value is None else bytes.fromhex(value)


SETTINGS: dict[str, Callable[[Any], Any]] = {
    "receiver_host": _host,
    "receiver_port": _int(1, 65535),
    "account": _hex(3, 16),
    "receiver_number": _hex(1, 6),
    "line_number": _hex(1, 6),
    "protocol": _protocol,
    "test_interval_h": _int(1, 254),
    "supervision_interval_s": _int(0, 86400),
    "encryption": _bool,
    "panic_zone_type": _zone_type,
    "panic_zone_disarmable": _bool,
    "panic_zone_latching": _bool,
    "key": _key,  # write-only: kept apart from the config, never read back
}


def validate_config(
    config: dict[str, Any], key: bytes | None, changes: dict[str, Any]
) -> tuple[dict[str, Any], bytes | None]:
    """Apply a partial update all-or-nothing: the new (config, key) or a ConfigError."""
    new = dict(config)
    for name, value in changes.items():
        if name not in SETTINGS:
            raise ConfigError(name, "no such setting")
        try:
            new[name] = SETTINGS[name](value)
        except ValueError as exc:
            raise ConfigError(name, str(exc)) from exc
    if "key" in changes:  # setting a key turns encryption on, clearing it turns it off
        key = new.pop("key")
        new["encryption"] = changes.get("encryption", key is not None)
    if new["encryption"] and key is None:
        raise ConfigError("encryption", "set a key first")
    return new, key


@dataclass(slots=True)
class Job:
    """One message to deliver: a queued event, or a NULL link test (code 0)."""

    event_id: int
    code: int
    qualifier: int = 1
    partition: int = 0
    zone: int = 0
    seq: int | None = None  # assigned on the first attempt, kept for every retry
    attempts: int = 0
    log: dict[str, Any] | None = None  # its entry in the panel's event log (events only)


class AlarmPanel:
    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        api_port: int = 8080,
        username: str = "admin",
        password: str = "admin",
        time_scale: float = 1.0,
        ack_timeout_s: float = 5.0,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        clock_offset_s: float = 0.0,
        serial: str | None = None,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        # Unique per unit: the lab names panels within a school, so the caller passes one
        # derived from the school too (two schools' "gate-sos" are two units).
        self.serial = serial or f"OKB{zlib.crc32(name.encode()):08X}"
        self.username, self.password = username, password
        self.time_scale, self.ack_timeout_s = time_scale, ack_timeout_s
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.clock_offset_s = clock_offset_s  # the panel's RTC error; a NAK corrects it
        self.api = HttpServer(host, api_port, self._handle_api, faults)
        self.config: dict[str, Any] = dict(FACTORY_CONFIG)
        self._key: bytes | None = None
        self.queue: deque[Job] = deque()
        self.delivered: deque[int] = deque(maxlen=100)  # event ids, oldest first
        # The panel's own record of each report: sent when, ACKed when and by which receiver,
        # read by the audit to prove delivery from the panel's side too.
        self.log: deque[dict[str, Any]] = deque(maxlen=200)
        self.counters: Counter[str] = Counter()
        self.last_ack_at: float | None = None
        self.last_error: str | None = None
        self.armed = True
        self.panic_zone_in_alarm = False  # a latching zone stays in alarm until reset
        self._seq = self._next_id = 0
        self._last_tx = time.monotonic()
        self._wake = asyncio.Event()
        self._version = 0  # bumped by config/fault changes: cuts a backoff short
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._frames = dc09.FrameReassembler()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        if not (self.faults.refuse or self.faults.dead):
            await self.api.start()
        self._task = asyncio.create_task(self._transmit(), name=f"{self.name}-dc09")
        self._arm_periodic_test()

    async def stop(self) -> None:
        if self._timer:
            self._timer.cancel()
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._disconnect()
        await self.api.stop()

    async def sync_faults(self) -> None:
        await self.api.sync_faults()
        self._poke()

    def endpoints(self) -> dict[str, int]:
        return {"http": self.api.port}

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "endpoints": self.endpoints(),
            "config": dict(self.config),
            **self.status(),
        }

    def status(self) -> dict[str, Any]:
        return {
            "queue_length": len(self.queue),
            "queued_event_ids": [job.event_id for job in self.queue],
            "delivered_event_ids": list(self.delivered),
            "last_ack_at": _iso(self.last_ack_at),
            "last_error": self.last_error,
            "connected": self._conn is not None,
            "sequence": self._seq,
            "clock_offset_s": round(self.clock_offset_s, 3),
            "armed": self.armed,
            "panic_zone_state": "alarm" if self.panic_zone_in_alarm else "normal",
            "counters": dict(self.counters),
            "faults": self.faults.active(),
        }

    def queue_event(self, code: int, qualifier: int = 1, partition: int = 0, zone: int = 0) -> int:
        self._next_id += 1
        entry = {"event_id": self._next_id, "code": str(code), "zone": zone}
        entry |= {"queued_at": _iso(time.time()), "sent_at": None, "acked_at": None}
        entry |= {"acked_by": None, "account": None, "attempts": 0}
        self.log.append(entry)
        self.queue.append(Job(self._next_id, code, qualifier, partition, zone, log=entry))
        self.counters["events_queued"] += 1
        self._wake.set()
        return self._next_id

    def _poke(self) -> None:
        self._version += 1
        self._wake.set()

    def _arm_periodic_test(self) -> None:
        if self._timer:
            self._timer.cancel()
        self._timer = None
        if self.config["receiver_host"] and self._task is not None:
            delay = self.config["test_interval_h"] * 3600 * self.time_scale
            self._timer = asyncio.get_running_loop().call_later(delay, self._periodic_test)

    def _periodic_test(self) -> None:
        # One pending periodic test says all a second one would: don't pile them up.
        if not self.faults.dead and not any(j.code == PERIODIC_TEST for j in self.queue):
            self.queue_event(PERIODIC_TEST)
            self.counters["periodic_tests"] += 1
        self._arm_periodic_test()

    # -- transmitter -----------------------------------------------------------------------
    async def _transmit(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            job = self._next_job()
            if job is None:
                self._disconnect()  # idle panels hold no socket
                await self._wait(self._supervision_delay(), for_work=True)
                continue
            try:
                delivered = await self._attempt(job)
            except Exception as exc:  # a simulator bug must not silence the panel for good
                delivered = self._failed("internal_errors", f"internal error: {exc!r}")
            if delivered:
                failures = 0
                continue
            failures += 1
            self._disconnect()
            delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (failures - 1))
            await self._wait(delay * random.uniform(0.5, 1.0), for_work=False)  # jitter: no herd

    def _next_job(self) -> Job | None:
        if self.faults.dead or not self.config["receiver_host"]:
            return None
        if self.queue:
            return self.queue[0]
        delay = self._supervision_delay()
        return Job(0, 0) if delay is not None and delay <= 0 else None

    def _supervision_delay(self) -> float | None:
        interval = self.config["supervision_interval_s"] * self.time_scale
        if not interval or not self.config["receiver_host"] or self.faults.dead:
            return None
        return self._last_tx + interval - time.monotonic()

    async def _wait(self, delay: float | None, *, for_work: bool) -> None:
        """Sleep until `delay` passes or a wake-up: any (for_work) or config/fault changes."""
        version = self._version
        deadline = None if delay is None else time.monotonic() + delay
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            try:
                async with asyncio.timeout(remaining):
                    await self._wake.wait()
            except TimeoutError:
                return
            if for_work or self._version != version:
                return
            self._wake.clear()

    async def _attempt(self, job: Job) -> bool:
        cfg = self.config
        if job.seq is None:
            self._seq = self._seq % 9999 + 1  # 0001..9999: 0000 is what a NAK carries
            job.seq = self._seq
        job.attempts += 1
        if job.log is not None:
            job.log["attempts"], job.log["account"] = job.attempts, cfg["account"]
            job.log["sent_at"] = job.log["sent_at"] or _iso(time.time())
        if job.attempts > 1:
            self.counters["retries"] += 1
        conn = self._conn
        try:
            if conn is None:
                async with asyncio.timeout(self.ack_timeout_s):
                    conn = await asyncio.open_connection(
                        *netmap.translate(cfg["receiver_host"], cfg["receiver_port"])
                    )
                nodelay(conn[1])
                self._conn, self._frames = conn, dc09.FrameReassembler()
        except (OSError, TimeoutError) as exc:
            return self._failed("connect_failures", f"connect: {exc or 'timeout'}")
        for _ in range(2):  # after a NAK, one immediate resend with the corrected clock
            reply = await self._exchange(job, *conn)
            if isinstance(reply, str):
                return self._failed("ack_failures", reply)
            if reply.token in (dc09.ACK, dc09.RSP):
                return self._succeeded(job)
            if reply.token == dc09.DUH:
                return self._failed("duh_received", "receiver answered DUH")
            self.counters["nak_received"] += 1
            if reply.timestamp is not None:
                self.clock_offset_s += reply.timestamp.timestamp() - self._now()
        return self._failed("ack_failures", "receiver answered NAK twice")

    async def _exchange(
        self, job: Job, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dc09.Frame | str:
        """Send the job's frame; the matching response, or why there is none."""
        key = self._key if self.config["encryption"] else None
        writer.write(dc09.encode(self._frame(job, encrypted=key is not None), key))
        self._last_tx = time.monotonic()
        self.counters["frames_sent"] += 1
        keys = {self.config["account"]: key} if key else None
        try:
            async with asyncio.timeout(self.ack_timeout_s):
                await writer.drain()
                while chunk := await reader.read(4096):
                    for raw in self._frames.feed(chunk):
                        try:
                            reply = dc09.decode(raw, keys)
                        except dc09.Dc09Error:
                            continue
                        if reply.token == dc09.NAK or reply.seq == job.seq:
                            return reply  # anything else is a late answer to an earlier try
        except TimeoutError:
            return f"no answer within {self.ack_timeout_s} s"
        except ConnectionError as exc:
            return f"connection lost: {exc}"
        return "receiver closed the connection"

    def _frame(self, job: Job, *, encrypted: bool) -> dc09.Frame:
        cfg = self.config
        account = cfg["account"]
        if job.code == 0:
            token, data = dc09.NULL, ""
        elif cfg["protocol"] == dc09.ADM_CID:
            token = dc09.ADM_CID
            data = dc09.contact_id_data(account, job.qualifier, job.code, job.partition, job.zone)
        else:
            token = dc09.SIA_DCS
            code = dc09.SIA_FOR_CONTACT_ID.get((job.code, job.qualifier), "YN")
            data = dc09.sia_dcs_data(account, code, job.partition, job.zone)
        stamp = datetime.fromtimestamp(self._now(), UTC)  # re-stamped on every try
        line, receiver = cfg["line_number"], cfg["receiver_number"]
        assert job.seq is not None
        return dc09.Frame(token, job.seq, line, receiver, account, data, (), stamp, encrypted)

    def _now(self) -> float:
        return time.time() + self.clock_offset_s

    def _succeeded(self, job: Job) -> bool:
        self.last_ack_at = time.time()
        if job.log is not None:
            cfg = self.config
            job.log["acked_at"] = _iso(self.last_ack_at)
            job.log["acked_by"] = f"{cfg['receiver_host']}:{cfg['receiver_port']}"
        self.counters["acks"] += 1
        if job.code == 0:
            self.counters["heartbeats_acked"] += 1
        elif self.queue and self.queue[0] is job:
            self.queue.popleft()
            self.delivered.append(job.event_id)
            self.counters["events_delivered"] += 1
        return True

    def _failed(self, counter: str, message: str) -> bool:
        self.counters[counter] += 1
        self.last_error = f"{_iso(time.time())} {message}"
        return False

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn[1].close()
            self._conn = None

    # -- HTTP API --------------------------------------------------------------------------
    async def _handle_api(self, req: Request) -> Response:
        denied = basic_auth_error(req, self.username, self.password, self.faults)
        if denied is not None:
            return denied
        route = (req.method, req.path.rstrip("/"))
        try:
            if route == ("GET", "/api/config"):
                return Response.json(self.config)
            if route == ("PUT", "/api/config"):
                changes = req.json()
                if not isinstance(changes, dict):
                    return Response.json({"error": "expected a JSON object"}, 400)
                self.config, self._key = validate_config(self.config, self._key, changes)
                self._disconnect()  # a new receiver or account takes effect on the next frame
                self._arm_periodic_test()
                self._poke()
                return Response.json(self.config)
            if route == ("POST", "/api/press"):
                return self._press()
            if route == ("POST", "/api/test"):
                event_id = self.queue_event(MANUAL_TEST)
                return Response.json({"event_id": event_id, "code": str(MANUAL_TEST)}, 202)
            if route in (("POST", "/api/arm"), ("POST", "/api/disarm"), ("POST", "/api/reset")):
                return self._arming(route[1].rsplit("/", 1)[1])
            if route == ("GET", "/api/status"):
                return Response.json(self.status())
            if route == ("GET", "/api/log"):
                return Response.json(list(self.log))
            if route == ("GET", "/api/info"):
                info = {
                    "model": "OKB-100 one-button alarm",
                    "serial": self.serial,
                    "firmware": "2.3.1",
                }
                return Response.json(info)
        except ConfigError as exc:
            return Response.json({"error": str(exc), "field": exc.field}, 400)
        except ValueError as exc:  # body is not JSON
            return Response.json({"error": f"bad request body: {exc}"}, 400)
        return Response.json({"error": f"no such endpoint {req.method} {req.path}"}, 404)

    def _press(self) -> Response:
        """The one button: ignored while disarmed if its zone may be disarmed (a 24 h zone is
        never disarmed); a latching zone then stays in alarm until someone resets it."""
        cfg = self.config
        disarmed = (
            not self.armed and cfg["panic_zone_disarmable"] and cfg["panic_zone_type"] != "24h"
        )
        if disarmed:
            self.counters["presses_ignored_disarmed"] += 1
            return Response.json({"event_id": None, "ignored": "the zone is disarmed"}, 200)
        self.panic_zone_in_alarm = bool(cfg["panic_zone_latching"])
        event_id = self.queue_event(PANIC, zone=1)
        return Response.json({"event_id": event_id, "code": str(PANIC)}, 202)

    def _arming(self, action: str) -> Response:
        if action == "reset":
            self.panic_zone_in_alarm = False
        else:
            self.armed = action == "arm"
        return Response.json({"armed": self.armed, "panic_zone_in_alarm": self.panic_zone_in_alarm})


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
