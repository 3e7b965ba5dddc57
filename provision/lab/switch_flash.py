"""A lab switch's flash file system as its SCP server sees it (`SwitchConfig.flash`, in memory).

Cisco IOS accepts `scp` uploads to `flash:` once `ip scp server enable` is configured, and that
is how NAPALM's `ios` driver stages a candidate configuration (netmiko's `FileTransfer`:
`scp -t flash:/merge_config.txt`, then `dir` and `verify /md5` on the CLI). asyncssh's SCP
server works through an `SFTPServer`; this one keeps files in the switch's memory, flat (no
directories, as on a 2960's flash), and refuses every path while the dialect's enabling line
is absent from the running configuration, as IOS refuses SCP then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from provision.lab.cli.base import SwitchConfig
from provision.lab.quiet_asyncssh import asyncssh

_PREFIX = re.compile(rb"^(?:/?flash:)?/*")


@dataclass(slots=True)
class _Open:
    name: str
    data: bytearray = field(default_factory=bytearray)
    writing: bool = False


class FlashServer(asyncssh.SFTPServer):
    """File operations SCP needs (stat, open, read, write, close) on `cfg.flash`."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], cfg: SwitchConfig) -> None:
        super().__init__(chan)
        self.cfg = cfg

    def _name(self, path: bytes) -> str:
        enable = self.cfg.dialect.scp_enable
        if not enable or not any(n.line == enable for n in self.cfg.running.children):
            raise asyncssh.SFTPPermissionDenied("SCP is not enabled on this device")
        name = _PREFIX.sub(b"", path).decode("utf-8", "replace")
        if "/" in name:
            raise asyncssh.SFTPNoSuchPath(f"flash:/{name}: no such directory")
        return name

    def stat(self, path: bytes) -> asyncssh.SFTPAttrs:
        name = self._name(path)
        if not name:
            return asyncssh.SFTPAttrs(
                type=asyncssh.constants.FILEXFER_TYPE_DIRECTORY, permissions=0o40755
            )
        if name not in self.cfg.flash:
            raise asyncssh.SFTPNoSuchFile(f"flash:/{name}: no such file")
        size = len(self.cfg.flash[name])
        return asyncssh.SFTPAttrs(
            type=asyncssh.constants.FILEXFER_TYPE_REGULAR, size=size, permissions=0o100644
        )

    lstat = stat

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._name(path)  # times and modes are not kept

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        name = self._name(path)
        if pflags & asyncssh.FXF_WRITE:
            return _Open(name, writing=True)
        if name not in self.cfg.flash:
            raise asyncssh.SFTPNoSuchFile(f"flash:/{name}: no such file")
        return _Open(name, bytearray(self.cfg.flash[name]))

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        assert isinstance(file_obj, _Open)
        return bytes(file_obj.data[offset : offset + size])

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        assert isinstance(file_obj, _Open)
        file_obj.data[offset : offset + len(data)] = data
        return len(data)

    def close(self, file_obj: object) -> None:
        assert isinstance(file_obj, _Open)
        if file_obj.writing:
            self.cfg.flash[file_obj.name] = bytes(file_obj.data)
