"""How drivers reach devices: the `Connector` contract and the field's connector (inventory
addresses, secrets from the environment). The lab's connector (`provision.lab.connector`)
implements the same contract; nothing here knows of it.

Drivers never build addresses, read secrets or decide whom to trust themselves; they ask the
connector, so one code path serves both, and the lab is exercised exactly as the field would be.

Trust is checked, never assumed: HTTPS certificates are verified (against certifi's CAs, or a
CA bundle the city gives; `verify=False` only when a person asked for it), and SSH host keys
are learned on first use into a known_hosts file and enforced from then on.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from shlex import quote
from typing import IO, TYPE_CHECKING

from provision.drivers.pacing import DEFAULT_DEADLINE_S
from provision.errors import DeviceError, SecretError
from provision.i18n import _
from provision.inventory.secrets import SecretRef

if TYPE_CHECKING:  # paramiko (and its crypto) is imported only by commands that use SSH
    import paramiko

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_KNOWN_HOSTS = ".provision/known_hosts"
KNOWN_HOSTS_ENV = "PROVISION_KNOWN_HOSTS"
SSH_DEFAULT_PORT = 22

# One writer at a time: the threads of a run (a lock per process) and other runs (flock).
_known_hosts_lock = threading.Lock()


@dataclass(frozen=True)
class Connector:
    """Field connector: addresses as the inventory says, secrets from the environment.

    `verify` is requests' TLS setting for every HTTP(S) API: True (certifi's CAs), the path of
    a CA bundle, or False (no check: only from an explicit `--insecure`). `known_hosts` is the
    SSH host key file; None means $PROVISION_KNOWN_HOSTS or .provision/known_hosts.
    `timeout` bounds one exchange with a device, `deadline` all of a device's exchanges in
    one run (see `pacing`).
    """

    timeout: float = DEFAULT_TIMEOUT_S
    # Each device's overall time in a run (all its exchanges), None for none (pacing).
    deadline: float | None = DEFAULT_DEADLINE_S
    # Never in a repr: the environment (or a --secrets file) holds every password.
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)
    verify: bool | str = True
    known_hosts: str | None = None

    @property
    def lab(self) -> bool:
        return False

    def address(self, host: str, port: int) -> tuple[str, int]:
        return host, port

    def secret(self, ref: SecretRef | None) -> str:
        """Resolve a secret at the moment a device is contacted; unset is an error here."""
        if ref is None:
            raise SecretError(_("the inventory gives no password for this device"))
        value = self.env.get(ref.name)
        if not value:
            raise SecretError(
                _("secret {ref} is not set: export {name}").format(ref=ref, name=ref.name)
            )
        return value

    def press_alarm_button(self, device: str) -> bool:
        """Press the alarm button of `device` ("<school>/<name>", a GB/T 28181 alarm column)
        as a person would; whether it was pressed. In the field no program can: a column's
        path is proved by a walk test (someone presses it while the platform is watched), so
        this answers False and verify says so."""
        return False

    def known_hosts_file(self) -> Path:
        return Path(self.known_hosts or os.environ.get(KNOWN_HOSTS_ENV) or DEFAULT_KNOWN_HOSTS)

    def trust_host_key(self, host: str, port: int) -> Path:
        """The known_hosts file to enforce for an SSH connection to host:port (as routed),
        with the key the host offers now recorded if none is yet (trust on first use)."""
        path = self.known_hosts_file()
        learn_host_key(path, host, port, self.timeout)
        return path

    def forget_command(self, host: str, port: int) -> str:
        """The command that deliberately forgets the recorded key of host:port."""
        path = self.known_hosts_file()
        explicit = "" if path == Path(DEFAULT_KNOWN_HOSTS) else f" --known-hosts {quote(str(path))}"
        return f"provision hostkey forget {quote(known_hosts_name(host, port))}{explicit}"


# --- SSH host keys: trust on first use, then enforce --------------------------------------------


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH and paramiko name host:port in known_hosts."""
    return host if port == SSH_DEFAULT_PORT else f"[{host}]:{port}"


def parse_address(address: str) -> tuple[str, int]:
    """host, host:port or [host]:port (as known_hosts and error messages write it)."""
    if address.startswith("["):
        host, _, port = address[1:].partition("]")
        return host, int(port.lstrip(":") or SSH_DEFAULT_PORT)
    host, sep, port = address.rpartition(":")
    if sep and host and ":" not in host and port.isdigit():
        return host, int(port)
    return address, SSH_DEFAULT_PORT


def recorded_line(path: Path, host: str, port: int) -> int | None:
    """The line number of host:port's key in the file, or None."""
    name = known_hosts_name(host, port)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if fields and not line.startswith("#") and name in fields[0].split(","):
            return number
    return None


def fetch_host_key(host: str, port: int, timeout: float) -> paramiko.PKey:
    """The key a host offers, from a key exchange only (nothing is authenticated or sent)."""
    import paramiko

    sock = socket.create_connection((host, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()


def has_host_key(path: Path, host: str, port: int) -> bool:
    """Whether the SSH client will find a key for host:port in the file, read as paramiko
    reads it (a line it cannot parse is skipped there, so it does not count here either)."""
    import paramiko

    if not path.exists():
        return False
    try:
        keys = paramiko.HostKeys(str(path))
    except paramiko.hostkeys.InvalidHostKey as exc:  # what the SSH client would choke on
        raise DeviceError(
            _("{path}: {line!r} is not a known_hosts line ({error}): correct or delete it").format(
                path=path, line=exc.line.strip()[:80], error=exc.exc
            )
        ) from None
    return keys.lookup(known_hosts_name(host, port)) is not None


def learn_host_key(path: Path, host: str, port: int, timeout: float) -> None:
    """Record the key host:port offers, unless the file already holds one for it (then the SSH
    client enforces that one). The handshake runs unlocked, so first contacts are parallel."""
    if has_host_key(path, host, port):
        return
    key = fetch_host_key(host, port, timeout)
    with _locked(path, "a") as fh:
        if not has_host_key(path, host, port):  # another worker or run got there first
            fh.write(f"{known_hosts_name(host, port)} {key.get_name()} {key.get_base64()}\n")


def forget_host_key(path: Path, host: str, port: int) -> int:
    """Remove host:port's keys from the file; how many lines went."""
    name = known_hosts_name(host, port)
    if not path.exists():
        return 0
    with _locked(path, "r+") as fh:
        lines = fh.read().splitlines(keepends=True)
        kept = [
            line
            for line in lines
            if line.startswith("#") or not line.split() or name not in line.split()[0].split(",")
        ]
        fh.seek(0)
        fh.truncate()
        fh.writelines(kept)
    return len(lines) - len(kept)


def keep_only_for(path: Path, header: str) -> None:
    """Start the file afresh (with `header` as its first line) unless it already has it."""
    try:
        with path.open(encoding="utf-8") as fh:
            if fh.readline().rstrip("\n") == header:
                return
    except FileNotFoundError:
        pass
    with _locked(path, "a+") as fh:
        fh.seek(0)
        if fh.readline().rstrip("\n") != header:  # not rewritten by another run meanwhile
            fh.seek(0)
            fh.truncate()
            fh.write(header + "\n")


def changed_host_key(exc: BaseException) -> paramiko.SSHException | None:
    """The host key error behind a connection failure (netmiko wraps paramiko's), if any:
    a different key than recorded, or none of the recorded key types offered at all."""
    import paramiko

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, paramiko.BadHostKeyException):
            return seen
        if isinstance(seen, paramiko.SSHException) and "no acceptable host key" in str(seen):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def host_key_changed_message(
    connector: Connector, device: str, host: str, port: int, error: BaseException
) -> str:
    path = connector.known_hosts_file()
    line = recorded_line(path, host, port)
    offered = getattr(error, "key", None)
    fingerprint = f" (it now offers {offered.get_name()} {offered.fingerprint})" if offered else ""
    return (
        f"{device}: the SSH host key of {known_hosts_name(host, port)} is not the one recorded "
        f"in {path}" + (f" line {line}" if line else "") + f"{fingerprint}. It may be another "
        "device at this address, or someone in between: no password was sent. If the switch "
        "was replaced or its key regenerated, check the new key and then run "
        f"`{connector.forget_command(host, port)}` (or delete that line); the next connection "
        "records the key it offers then."
    )


@contextmanager
def _locked(path: Path, mode: str) -> Iterator[IO[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with _known_hosts_lock, path.open(mode, encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
        yield fh
