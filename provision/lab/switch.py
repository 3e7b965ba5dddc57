"""A simulated uplink switch: an SSH server whose shell is one platform's CLI (`lab/cli`).

Provisioning code drives real switches with netmiko over SSH; this lets it drive a lab switch
the same way, unmodified. One asyncio process holds ~100 of these, so a switch costs a
listening socket, one accept coroutine and its config tree; the SSH host key is generated once
per process and shared: a lab restart offers a new key, which is why `--lab` keeps its
known_hosts in the lab's state directory.

The accept loop is ours rather than `asyncssh.listen`, because the `timeout` fault needs to
accept TCP and then say nothing (asyncssh sends its version banner the moment it takes over a
socket); every other connection is handed to `asyncssh.run_server`.

Lines typed ahead (a pasted block, as the switch driver types its configuration) are run one
after another as they come, each whatever the one before it answered, and an error is printed
under the line it belongs to: a real CLI does not drop the rest of a paste after an error
(the sources are in `provision/drivers/switch_paste.py`).

The `latency_ms` fault is a slow link (`_SlowLink`): everything the switch prints, the echo of
what is typed included, arrives that much later, as it would over a long or congested path.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
from typing import Any

from provision.lab.cli import DIALECTS, PLATFORMS, CliSession, Reply, new_config
from provision.lab.faults import Faults
from provision.lab.quiet_asyncssh import asyncssh
from provision.lab.switch_flash import FlashServer

log = logging.getLogger(__name__)

_host_key: asyncssh.SSHKey | None = None

MAX_HELD = 64  # connections parked by the `timeout` fault before the oldest is let go


def host_key() -> asyncssh.SSHKey:
    """The process-wide host key, generated on first use (ECDSA: fast, and paramiko speaks it)."""
    global _host_key
    if _host_key is None:
        _host_key = asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    return _host_key


def serial_number(name: str, platform: str) -> str:
    """Stable per device name, in the vendor's format, so audits can key on it."""
    dialect = DIALECTS[platform]
    digest = hashlib.sha1(name.encode()).hexdigest().upper()
    return dialect.serial_prefix + digest[: dialect.serial_digits]


class _Login(asyncssh.SSHServer):
    """Password check for one connection; also tracks live connections for stop()."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.switch._conns.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.switch._conns.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        sw = self.switch
        if sw.faults.auth_failure or sw.faults.dead:
            return False
        return username == sw.username and password == sw.password


class Switch:
    """One lab switch. `platform` is one of `lab.cli.PLATFORMS` (the drivers' platforms)."""

    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        platform: str,
        ssh_port: int = 2222,
        username: str = "admin",
        password: str = "admin",
        enable_secret: str | None = None,
        hostname: str | None = None,
    ) -> None:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown switch platform {platform!r}; valid: {', '.join(PLATFORMS)}")
        self.name, self.host, self.faults, self.platform = name, host, faults, platform
        self.port = ssh_port
        self.username, self.password, self.enable_secret = username, password, enable_secret
        self.config = new_config(platform, hostname, serial_number(name, platform))
        self.logins = 0
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._conns: set[asyncssh.SSHServerConnection] = set()
        self._held: list[socket.socket] = []
        self._handshakes: set[asyncio.Task[None]] = set()
        self._options: asyncssh.SSHServerConnectionOptions | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the SSH port (learning it when 0), then honour refuse/dead."""
        if self._options is None:
            self._options = asyncssh.SSHServerConnectionOptions(
                server_factory=lambda: _Login(self),
                server_host_keys=[host_key()],
                server_version=self.config.dialect.ssh_version,
                process_factory=self._shell,
                # `scp -t flash:/...` when the dialect has an SCP server (switch_flash.py)
                allow_scp=bool(self.config.dialect.scp_enable),
                sftp_factory=(
                    (lambda chan: FlashServer(chan, self.config))
                    if self.config.dialect.scp_enable
                    else None
                ),
                public_key_auth=False,
                kbdint_auth=False,
                line_editor=False,  # we echo ourselves, as a switch's own CLI does
                errors="replace",
                login_timeout=60,
            )
        if self._listener is None:
            self._open()
        await self.sync_faults()

    async def stop(self) -> None:
        self._close_listener()
        for conn in list(self._conns):
            conn.abort()
        self._conns.clear()
        self._release_held()
        for task in list(self._handshakes):
            task.cancel()

    async def sync_faults(self) -> None:
        """Open or close the listener to match refuse/dead; free parked `timeout` sockets."""
        down = self.faults.refuse or self.faults.dead
        if down and self._listener is not None:
            await self.stop()
        elif not down and self._listener is None:
            self._open()
        if not self.faults.timeout:
            self._release_held()

    def endpoints(self) -> dict[str, int]:
        return {"ssh": self.port}

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "platform": self.platform,
            "listening": self._listener is not None,
            "sessions": len(self._conns),
            "logins": self.logins,
            "serial": self.config.serial,
            **self.config.summary(),
        }

    def running_config(self) -> str:
        return self.config.running_text()

    def saved_config(self) -> str:
        return self.config.saved_text()

    # --- transport ------------------------------------------------------------------------------

    def _open(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._accepting = asyncio.get_running_loop().create_task(self._accept(sock))

    def _close_listener(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
            self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _release_held(self) -> None:
        for sock in self._held:
            sock.close()
        self._held.clear()

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:
                if self._listener is not listener:
                    return  # closed by stop()/refuse
                log.warning("%s: accept failed: %s", self.name, exc)  # e.g. out of descriptors
                await asyncio.sleep(0.5)
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.faults.timeout:
                # Accept and stay silent: the client's banner timeout fires, as with a hung box.
                self._held.append(conn)
                if len(self._held) > MAX_HELD:
                    self._held.pop(0).close()
                continue
            task = loop.create_task(self._handshake(conn))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _handshake(self, conn: socket.socket) -> None:
        try:
            await asyncssh.run_server(conn, options=self._options)
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            log.debug("%s: ssh handshake ended: %s", self.name, exc)
            conn.close()

    def _execute(self, session: CliSession, line: str) -> Reply:
        try:
            return session.execute(line)
        except Exception:  # a simulator bug must not kill the lab or the session
            log.exception("%s: CLI failed on %r", self.name, line)
            return Reply("% Internal error in the lab switch CLI\n")

    async def _shell(self, process: asyncssh.SSHServerProcess[str]) -> None:
        """One SSH session: echo what is typed, run complete lines, print replies and prompts."""
        self.logins += 1
        session = CliSession(self.config, enable_secret=self.enable_secret)
        out = _SlowLink(process.stdout, self.faults)
        try:
            if process.command:  # `ssh switch 'display version'`: one command, then exit
                out.write(_crlf(self._execute(session, process.command).text))
                return
            out.write(_crlf(self.config.dialect.banner(self.config)) + session.prompt())
            typed, echoed, after_cr = "", 0, False
            while True:
                data = await process.stdin.read(4096)
                if not data:
                    return
                lines: list[tuple[str, int]] = []
                for ch in data:
                    if ch in "\r\n":
                        if not (ch == "\n" and after_cr):
                            lines.append((typed, echoed))
                            typed, echoed = "", 0
                        after_cr = ch == "\r"
                        continue
                    after_cr = False
                    if ch in "\x7f\x08":
                        if typed and len(typed) <= echoed:
                            out.write("\b \b")
                            echoed -= 1
                        typed = typed[:-1]
                    elif ch >= " " or ch == "\t":
                        typed += ch  # control characters (netmiko's keepalive NUL) are ignored
                for line, already in lines:
                    if self.faults.ssh_drop and session.in_config and line.strip():
                        process.channel.get_connection().abort()
                        return
                    out.write(("" if session.question_secret else line[already:]) + "\r\n")
                    reply = self._execute(session, line)
                    out.write(_crlf(reply.text))
                    if reply.close:
                        return
                    out.write(session.prompt())
                if typed[echoed:] and not session.question_secret:
                    out.write(typed[echoed:])
                    echoed = len(typed)
                await out.drain()
        except (OSError, asyncssh.Error) as exc:
            log.debug("%s: session ended: %s", self.name, exc)
        finally:
            with contextlib.suppress(OSError, asyncssh.Error):
                await out.flush()  # what is still on the slow link arrives before the close
                process.exit(0)


class _SlowLink:
    """A session's output as a slow link delivers it (the `latency_ms` fault): every write
    arrives `latency_ms` after the switch made it, in order, echo included, while the switch
    goes on reading and answering. A link delays; it does not make the switch slower, so lines
    typed ahead are answered back to back, not one latency apart each."""

    def __init__(self, out: asyncssh.SSHWriter[str], faults: Faults) -> None:
        self.out, self.faults = out, faults
        self._queue: asyncio.Queue[tuple[float, str]] | None = None
        self._delivering: asyncio.Task[None] | None = None

    def write(self, text: str) -> None:
        delay = self.faults.latency_ms / 1000
        if self._queue is None and not delay:
            self.out.write(text)
            return
        loop = asyncio.get_running_loop()
        if self._queue is None:  # from now on everything queues, so nothing overtakes
            self._queue = asyncio.Queue()
            self._delivering = loop.create_task(self._deliver(self._queue))
        self._queue.put_nowait((loop.time() + delay, text))

    async def _deliver(self, queue: asyncio.Queue[tuple[float, str]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, text = await queue.get()
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            with contextlib.suppress(OSError, asyncssh.Error):
                self.out.write(text)
            queue.task_done()

    async def drain(self) -> None:
        await self.out.drain()

    async def flush(self) -> None:
        if self._queue is not None and self._delivering is not None:
            await self._queue.join()
            self._delivering.cancel()


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")
