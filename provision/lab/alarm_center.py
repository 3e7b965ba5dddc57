"""The police precinct's alarm-receiving centre, simulated: a SIA DC-09 receiver over TCP and
UDP that stores every accepted event in SQLite before it ACKs, plus a JSON API the audit reads.

It takes events only from the accounts in its book, addressed to its own receiver and line
(`alarm_accounts`); anything else is NAKed and not stored. DC-09 runs over TCP or UDP (both
independent implementations this lab is judged by, pysiaalarm and dc09-spt, offer both); over
UDP a datagram is one frame, answered to the sender's address from the same port number as
the TCP listener, which is where dc09-spt's UDP path (`TransPathUDP.sendAndReceive`) expects
the answer. Test windows: `alarm_windows`.

The order "store, then ACK" is the whole point of an alarm receiver: the ACK tells the panel it
may forget the event, so an ACKed event that is not yet durable is a lost alarm.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from provision.lab.alarm_accounts import AccountBook
from provision.lab.alarm_windows import TestWindow, TestWindows, parse_request
from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response, nodelay
from provision.protocols import dc09

# ANSI/SIA DC-09-2013 §5.5.1.8 (time stamp) with §5.5.3.2 (NAK): the receiver rejects a message
# whose timestamp lies outside +20/-40 s of its own clock, i.e. at most 20 s ahead of it or 40 s
# behind it (transit and retry delay make "behind" the larger side). pysiaalarm's default
# allowed_timeband=(40, 20) is the same window; the "-20/+40" reading would accept stale replays.
# The standard requires the test for encrypted messages; like pysiaalarm we apply it to every
# message that carries a timestamp, so a panel with a wrong clock shows even when unencrypted.
MAX_BEHIND_S = 40.0
MAX_AHEAD_S = 20.0
# Errors that mean the bytes were damaged in transit: DC-09 test C.2.3.5 requires the receiver
# not to answer a frame with a bad CRC; the panel's ACK timer then resends it.
SILENT_ERRORS = frozenset({"framing", "length", "crc"})
# How often a listening receiver records that it is alive: after a crash, the de-dup windows
# are paused from the last mark, so this bounds how much of the window a crash can add.
ALIVE_TICK_S = 10.0


def iso_ms(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _epoch(text: str, name: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {text!r} is not an ISO 8601 time") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, protocol TEXT NOT NULL, seq INTEGER NOT NULL,
    receiver TEXT, line TEXT NOT NULL, qualifier INTEGER, code TEXT NOT NULL, partition TEXT,
    zone TEXT, data TEXT NOT NULL, panel_timestamp TEXT, received_at TEXT NOT NULL,
    received_epoch REAL NOT NULL, is_test INTEGER NOT NULL, encrypted INTEGER NOT NULL,
    peer TEXT NOT NULL, dedup_key TEXT NOT NULL, last_seen_epoch REAL NOT NULL,
    on_test INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS events_dedup ON events (dedup_key, last_seen_epoch);
CREATE INDEX IF NOT EXISTS events_account ON events (account, received_epoch);
CREATE TABLE IF NOT EXISTS heartbeats (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, protocol TEXT NOT NULL, seq INTEGER NOT NULL,
    receiver TEXT, line TEXT NOT NULL, panel_timestamp TEXT, received_at TEXT NOT NULL,
    received_epoch REAL NOT NULL, encrypted INTEGER NOT NULL, peer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS heartbeats_account ON heartbeats (account, received_epoch);
CREATE TABLE IF NOT EXISTS receiver_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1), alive_epoch REAL NOT NULL);
"""
EVENT_COLUMNS = (
    "id, account, code, qualifier, zone, partition, protocol, seq, receiver, line, received_at,"
    " panel_timestamp, is_test, encrypted, on_test"
)
HEARTBEAT_COLUMNS = "id, account, protocol, seq, receiver, line, received_at, panel_timestamp"
T = TypeVar("T")
Stored = tuple[int, bool]  # (row id, True when the row repeats an event already stored)
MAX_BATCH = 1000  # rows per transaction: bounds how long one commit holds the others


class EventStore:
    """SQLite behind one worker thread (`call`), so an fsync never stalls the event loop that
    also runs thousands of other lab devices.

    WAL with synchronous=FULL: in WAL mode NORMAL skips the fsync at commit, so a power cut
    could lose the last events after their ACKs went out; FULL syncs the WAL on every commit,
    which is the durability an ACK promises. WAL still lets the API read while a write runs.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._pool: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="alarm-db")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def shut(self) -> None:
        """Close the database and end the worker thread."""
        await self.call(self.close)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def open(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
        if "on_test" not in columns:  # a file written before test windows existed
            db.execute("ALTER TABLE events ADD COLUMN on_test INTEGER NOT NULL DEFAULT 0")
        self._db = db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("event store is not open")
        return self._db

    def write(self, batch: list[tuple[str, dict[str, Any]]], window_s: float) -> list[Stored]:
        """Store (table, row) pairs in ONE transaction, so one fsync covers the whole batch;
        for each, (row id, True when it repeats an event already stored)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.mark_alive(max(row["received_epoch"] for _, row in batch))
            return [
                self._add_event(row, window_s)
                if table == "events"
                else (self.insert(table, row), False)
                for table, row in batch
            ]

    def _add_event(self, row: dict[str, Any], window_s: float) -> Stored:
        """A repeat is an event with the same key last seen within `window_s`.

        The window slides with every repeat, so a panel that keeps retrying through a long
        stretch of lost ACKs still gets one row, while the window itself can stay short. It
        counts only time the receiver was listening (see `resume`).
        """
        now = row["last_seen_epoch"] = row["received_epoch"]
        seen = self.db.execute(
            "SELECT id FROM events WHERE dedup_key = ? AND last_seen_epoch >= ? LIMIT 1",
            (row["dedup_key"], now - window_s),
        ).fetchone()
        if seen is None:
            return self.insert("events", row), False
        self.db.execute("UPDATE events SET last_seen_epoch = ? WHERE id = ?", (now, seen[0]))
        return seen[0], True

    def mark_alive(self, now: float) -> None:
        """Record that the receiver was listening at `now` (durable with the next commit)."""
        self.db.execute(
            "INSERT OR REPLACE INTO receiver_clock (id, alive_epoch) VALUES (1, ?)", (now,)
        )

    def resume(self, now: float, window_s: float) -> float:
        """Pause the de-dup windows over the time the receiver was not listening; the gap.

        A panel retries an event whose ACK it never got (the centre died after the commit)
        as soon as the centre is back, however long that took. Measured in wall time, a
        restart after more than `window_s` would store that retry a second time; so the
        windows still open when the receiver last ran are moved on by the gap.
        """
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            last = self.db.execute("SELECT alive_epoch FROM receiver_clock").fetchone()
            gap = max(0.0, now - last[0]) if last else 0.0  # a clock set back: no gap
            if gap:
                self.db.execute(
                    "UPDATE events SET last_seen_epoch = last_seen_epoch + ?"
                    " WHERE last_seen_epoch >= ?",
                    (gap, last[0] - window_s),
                )
            self.mark_alive(now)
        return gap

    def insert(self, table: str, row: dict[str, Any]) -> int:
        names, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
        cur = self.db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", row)
        return int(cur.lastrowid or 0)

    def query(self, table: str, filters: dict[str, Any], newest: bool = False) -> list[dict]:
        where, args = [], []
        for name, clause in (
            ("account", "account = ?"),
            ("code", "code = ?"),
            ("since", "received_epoch >= ?"),
            ("until", "received_epoch < ?"),
        ):
            if name in filters and (table == "events" or name != "code"):
                where.append(clause)
                args.append(filters[name])
        columns = EVENT_COLUMNS if table == "events" else HEARTBEAT_COLUMNS
        sql = f"SELECT {columns} FROM {table}" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += f" ORDER BY id {'DESC' if newest else ''} LIMIT ?"
        rows = [dict(r) for r in self.db.execute(sql, [*args, filters.get("limit", 1000)])]
        for row in rows:
            flags = ("is_test", "encrypted", "on_test")
            row.update({flag: bool(row[flag]) for flag in flags if flag in row})
            if table == "events":  # what a dispatcher is shown: neither a test code nor on test
                row["dispatched"] = not (row["is_test"] or row["on_test"])
        return rows

    def accounts(self) -> list[dict[str, Any]]:
        sql = (
            "SELECT account, COUNT(*) AS events, MAX(received_at) AS last_event_at,"
            " (SELECT MAX(received_at) FROM heartbeats h WHERE h.account = e.account)"
            " AS last_heartbeat_at FROM events e GROUP BY account ORDER BY account"
        )
        return [dict(r) for r in self.db.execute(sql)]

    def counts(self) -> dict[str, int]:
        count = "SELECT COUNT(*) FROM "
        return {t: self.db.execute(count + t).fetchone()[0] for t in ("events", "heartbeats")}


class GroupCommit:
    """Rows from every connection go to the store in batches: whatever arrived while the
    previous commit was syncing is written by the next, in one transaction.

    One fsync per event made a burst (a city's panels at once, or their retries after a
    centre restart) queue behind the disk: 50 panels waited ~50 fsyncs for each ACK, and on
    a slow disk long enough for their ACK timers to fire and pile retries on top. A row's
    ACK still waits for the commit that holds it; an idle centre writes at once.
    """

    def __init__(self, store: EventStore, window_s: float) -> None:
        self.store, self.window_s = store, window_s
        self._pending: list[tuple[str, dict[str, Any], asyncio.Future[Stored]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0

    async def write(self, table: str, row: dict[str, Any]) -> Stored:
        done: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._pending.append((table, row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            rows = [(table, row) for table, row, _ in batch]
            try:
                results = await self.store.call(self.store.write, rows, self.window_s)
            except Exception as exc:  # nothing of the batch is stored: none of it is ACKed
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            self.batches += 1
            for (*_, done), result in zip(batch, results, strict=True):
                if not done.done():  # its connection may have gone meanwhile
                    done.set_result(result)


def _row(frame: dc09.Frame, received: float, peer: str) -> dict[str, Any]:
    """The columns events and heartbeats share."""
    return {
        "account": frame.account or "",
        "protocol": frame.token,
        "seq": frame.seq,
        "receiver": frame.receiver,
        "line": frame.line,
        "panel_timestamp": frame.timestamp.isoformat().replace("+00:00", "Z")
        if frame.timestamp
        else None,
        "received_at": iso_ms(received),
        "received_epoch": received,
        "encrypted": frame.encrypted,
        "peer": peer,
    }


class AlarmCenter:
    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        db_path: str,
        dc09_port: int = 12128,
        api_port: int = 8081,
        keys: dict[str, bytes | str] | None = None,
        dedup_window_s: float = 300.0,  # > a panel's longest gap between two retries
        accounts: dict[str, bytes | str | None] | None = None,
        receiver_number: str | None = None,
        line: str | None = None,
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.dc09_port = dc09_port
        self.store = EventStore(db_path)
        self.commits = GroupCommit(self.store, dedup_window_s)
        self.api = HttpServer(host, api_port, self._handle_api, faults)
        self.book = AccountBook.of(accounts, keys, receiver_number, line)
        self._keys = self.book.keys
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self.windows = TestWindows()
        self._conns: set[asyncio.StreamWriter] = set()
        self._clock: asyncio.Task[None] | None = None
        self.resumed_after_s = 0.0  # how long the receiver was not listening before it last began
        self.counters: Counter[str] = Counter()
        self.ack_latencies: deque[float] = deque(maxlen=10_000)  # s, frame read → ACK ready

    @property
    def dedup_window_s(self) -> float:
        return self.commits.window_s

    @dedup_window_s.setter
    def dedup_window_s(self, seconds: float) -> None:
        self.commits.window_s = seconds

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.store.call(self.store.open)
        await self.store.call(lambda: self.windows.load(self.store.db))
        if not (self.faults.refuse or self.faults.dead):
            await self.api.start()
        await self._sync_receiver()

    async def stop(self) -> None:
        await self._close_receiver()
        await self.api.stop()
        await self.store.shut()

    async def sync_faults(self) -> None:
        """receiver_down closes only the DC-09 listener; refuse/dead close the API too."""
        await self.api.sync_faults()
        await self._sync_receiver()

    def endpoints(self) -> dict[str, int]:
        return {"dc09": self.dc09_port, "http": self.api.port}

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "endpoints": self.endpoints(),
            "receiver_listening": self._server is not None,
            "encrypted_accounts": sorted(self._keys),
            **self.book.describe(),
            "dedup_window_s": self.dedup_window_s,
            "resumed_after_s": self.resumed_after_s,
            "counters": dict(self.counters),
            "faults": self.faults.active(),
        }

    async def _sync_receiver(self) -> None:
        down = self.faults.receiver_down or self.faults.refuse or self.faults.dead
        if down:
            await self._close_receiver()
        elif self._server is None:
            self._server = await asyncio.start_server(
                self._serve_dc09, self.host, self.dc09_port, reuse_address=True
            )
            self.dc09_port = self._server.sockets[0].getsockname()[1]
            self._udp, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: _Dc09Datagrams(self), local_addr=(self.host, self.dc09_port)
            )
            gap = await self.store.call(self.store.resume, time.time(), self.dedup_window_s)
            self.resumed_after_s = round(gap, 3)
            self._clock = asyncio.create_task(self._keep_clock(), name=f"{self.name}-clock")

    async def _keep_clock(self) -> None:
        """Mark the receiver alive while it listens, so a crash's gap is known to a tick."""
        tick = min(ALIVE_TICK_S, self.dedup_window_s / 4)
        while True:
            await asyncio.sleep(tick)
            try:
                await self.store.call(self.store.mark_alive, time.time())
            except sqlite3.Error:  # a busy disk: the next tick (or event) marks it
                self.counters["clock_errors"] += 1

    async def _close_receiver(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            await asyncio.gather(self._clock, return_exceptions=True)
            self._clock = None
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        for writer in list(self._conns):  # a receiver that goes down drops its links too
            writer.close()
        self._conns.clear()

    # -- DC-09 -----------------------------------------------------------------------------
    async def _serve_dc09(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nodelay(writer)
        self._conns.add(writer)
        peer = writer.get_extra_info("peername")
        peer_text = f"{peer[0]}:{peer[1]}" if peer else ""
        frames = dc09.FrameReassembler()
        try:
            while chunk := await reader.read(4096):
                for raw in frames.feed(chunk):
                    reply = await self.respond(raw, peer_text)
                    if reply is not None:
                        writer.write(reply)
                        await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.discard(writer)
            writer.close()

    async def respond(self, raw: bytes, peer: str) -> bytes | None:
        """The answer to one frame as the faults let it out (TCP and UDP alike); None: none."""
        if self.faults.timeout:
            return None  # hung receiver: reads the frame, never processes or answers
        if self.faults.latency_ms:  # a slow link: the frame, and so its answer, arrive late
            await asyncio.sleep(self.faults.latency_ms / 1000)
        reply = await self._answer(raw, peer)
        if reply is None:
            return None
        if self.faults.drop_acks:
            self.counters["responses_dropped"] += 1
            return None
        return reply

    async def _answer(self, raw: bytes, peer: str) -> bytes | None:
        """The response to one frame, after the event is stored; None to stay silent."""
        self.counters["frames"] += 1
        started, received = time.perf_counter(), time.time()
        now = datetime.fromtimestamp(received, UTC)
        try:
            frame = dc09.decode(raw, self._keys)
            if frame.token not in dc09.EVENT_TOKENS:
                raise dc09.Dc09Error("format", f"a receiver does not take {frame.token}", frame)
            event = None if frame.token == dc09.NULL else dc09.parse_event(frame)
        except dc09.Dc09Error as exc:
            self.counters[f"rejected_{exc.reason}"] += 1
            if exc.reason in SILENT_ERRORS:
                return None
            if exc.reason == "no_key" and exc.header and not self.book.knows(exc.header.account):
                return self._nak(now, "unknown_account")  # not ours: no key is expected
            self.counters["duh_sent"] += 1
            return dc09.encode(dc09.duh_for(exc.header))
        refusal = self.book.refusal(frame, event.account if event else None)
        if refusal is not None:
            return self._nak(now, refusal)
        if not self._timestamp_ok(frame, received):
            return self._nak(now, "timestamp")
        row = _row(frame, received, peer)
        try:
            if event is None:
                await self.commits.write("heartbeats", row)
                self.counters["heartbeats"] += 1
            else:
                # A retry repeats seq and data (DC-09 5.5.1.5) but carries a fresh timestamp: it
                # has to, to stay inside the window above. So the timestamp is not in the key.
                key = (frame.token, row["account"], frame.receiver, frame.line, frame.seq)
                row |= {
                    "account": event.account or row["account"],
                    "qualifier": event.qualifier,
                    "code": event.code,
                    "partition": event.partition,
                    "zone": event.zone,
                    "data": frame.data,
                    "is_test": event.is_test,
                    "on_test": self.windows.covers(event.account or row["account"], received),
                    "dedup_key": repr((*key, frame.data, frame.extended)),
                }
                _id, duplicate = await self.commits.write("events", row)
                self.counters["duplicates" if duplicate else "events"] += 1
        except Exception:  # not stored means no ACK: the panel will resend
            self.counters["store_errors"] += 1
            return None
        self.counters["ack_sent"] += 1
        self.ack_latencies.append(time.perf_counter() - started)
        key_bytes = self._keys.get(frame.account or "") if frame.encrypted else None
        return dc09.encode(dc09.ack_for(frame, now), key_bytes)

    def _nak(self, now: datetime, reason: str) -> bytes:
        self.counters["nak_sent"] += 1
        self.counters[f"nak_{reason}"] += 1
        return dc09.encode(dc09.nak_frame(now))

    @staticmethod
    def _timestamp_ok(frame: dc09.Frame, received: float) -> bool:
        if frame.timestamp is None:
            return not frame.encrypted  # 5.5.1.8: required when encrypted, optional otherwise
        ahead = frame.timestamp.timestamp() - received
        # The wire format has whole seconds, so a timestamp is up to 1 s behind its moment.
        return -MAX_BEHIND_S - 1 <= ahead <= MAX_AHEAD_S

    # -- JSON API --------------------------------------------------------------------------
    async def _handle_api(self, req: Request) -> Response:
        path = req.path.rstrip("/")
        window = re.fullmatch(r"/api/accounts/([0-9A-Fa-f]{3,16})/test-window", path)
        if window:
            return await self._test_window(req, window[1].upper())
        if req.method != "GET":
            return Response.json({"error": "method not allowed"}, 405)
        try:
            if path == "/api/test-windows":
                now = time.time()
                return Response.json([w.as_json() for w in self.windows.current(now)])
            if path == "/api/health":
                return Response.json(await self._health(req.query.get("samples") == "1"))
            if path in ("/api/events", "/api/heartbeats"):
                filters = self._filters(req.query)
                table = "events" if path == "/api/events" else "heartbeats"
                return Response.json(await self.store.call(self.store.query, table, filters))
            if path == "/api/accounts":
                return Response.json(await self.store.call(self.store.accounts))
            last = re.fullmatch(r"/api/accounts/([0-9A-Fa-f]{3,16})/last", path)
            if last:
                account = last[1].upper()
                one = {"account": account, "limit": 1}
                events = await self.store.call(self.store.query, "events", one, True)
                beats = await self.store.call(self.store.query, "heartbeats", one, True)
                if not events and not beats:
                    return Response.json({"error": f"nothing received from {account}"}, 404)
                body = {"account": account, "event": events[0] if events else None}
                body["heartbeat"] = beats[0] if beats else None
                return Response.json(body)
        except ValueError as exc:
            return Response.json({"error": str(exc)}, 400)
        return Response.json({"error": f"no such endpoint {req.path}"}, 404)

    async def _test_window(self, req: Request, account: str) -> Response:
        """PUT puts the account on test for `minutes`; DELETE takes it off."""
        if not self.book.knows(account):
            return Response.json({"error": f"no account {account} at this centre"}, 404)
        now = time.time()
        if req.method == "DELETE":
            closed = await self.store.call(self.windows.close, self.store.db, account, now)
            return Response.json({"account": account, "closed": closed})
        if req.method != "PUT":
            return Response.json({"error": "method not allowed"}, 405)
        if self.faults.test_mode_refused:
            return Response.json({"error": f"account {account} cannot be put on test"}, 403)
        try:
            minutes, by = parse_request(req.json())
        except ValueError as exc:  # also a body that is not JSON
            return Response.json({"error": str(exc)}, 400)
        wanted = TestWindow(account, now, now + minutes * 60, by)
        opened = await self.store.call(self.windows.open, self.store.db, wanted)
        self.counters["test_windows_opened"] += 1
        return Response.json(opened.as_json())

    async def _health(self, samples: bool = False) -> dict[str, Any]:
        """`samples`: also every store→ACK latency kept (ms), to pool across restarts."""
        latencies_ms = sorted(round(s * 1000, 3) for s in self.ack_latencies)
        latency: dict[str, Any] = {"count": len(latencies_ms)}
        if latencies_ms:
            for name, q in (("p50", 0.50), ("p99", 0.99), ("max", 1.0)):
                latency[name] = latencies_ms[min(len(latencies_ms) - 1, int(q * len(latencies_ms)))]
        if samples:
            latency["samples"] = latencies_ms
        return {
            "status": "ok",
            "receiver_listening": self._server is not None,
            "stored": await self.store.call(self.store.counts),
            "counters": dict(self.counters),
            "commits": self.commits.batches,  # fewer than events stored: group commit at work
            "ack_latency_ms": latency,
        }

    @staticmethod
    def _filters(query: dict[str, str]) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        if query.get("account"):
            filters["account"] = query["account"].upper()
        if query.get("code"):
            filters["code"] = query["code"].upper()
        for name in ("since", "until"):
            if query.get(name):
                filters[name] = _epoch(query[name], name)
        if query.get("limit"):
            if not query["limit"].isdigit() or not 1 <= int(query["limit"]) <= 10000:
                raise ValueError("limit: an integer from 1 to 10000")
            filters["limit"] = int(query["limit"])
        return filters


class _Dc09Datagrams(asyncio.DatagramProtocol):
    """DC-09 over UDP: each datagram one frame, each answer one datagram back to its sender."""

    def __init__(self, centre: AlarmCenter) -> None:
        self.centre = centre
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        task = asyncio.create_task(self._answer(data, addr))
        self._tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.centre.counters["udp_datagrams"] += 1
        for raw in dc09.FrameReassembler().feed(data):
            reply = await self.centre.respond(raw, f"{addr[0]}:{addr[1]}/udp")
            if reply is not None and self.transport is not None:
                self.transport.sendto(reply, addr)
