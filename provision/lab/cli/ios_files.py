"""Cisco IOS flash commands: `dir [flash:/file]`, `verify /md5 flash:/file`, `copy A B`.

What NAPALM's `ios` driver needs to stage and merge a candidate configuration with netmiko's
`FileTransfer` (netmiko/scp_handler.py, 4.x): `dir flash:/f` answers "Directory of flash:/f"
with the file's line, or "%Error opening flash:/f (No such file or directory)"; `dir flash:`
ends in "N bytes total (M bytes free)"; `verify /md5 flash:/f` ends in "= <md5>"; `copy
flash:/f running-config` merges the file's lines into the running configuration, printing
IOS's own error for a line it refuses and carrying on, and `copy running-config flash:/f`
writes the configuration out. With `file prompt quiet` configured, copy asks nothing; without
it, it asks for the destination filename first, as IOS does. The files live in
`SwitchConfig.flash` (SCP writes there too: `lab/switch_flash.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from provision.lab.cli.base import Login, Reply, SwitchConfig

STAMP = "Mar 1 1993 00:01:30 +00:00"
TOTAL, FREE = 32514048, 20676096


def flash_name(text: str) -> str | None:
    """ "flash:/x.txt" or "flash:x.txt" -> "x.txt"; None for another file system."""
    if not text.startswith("flash:"):
        return None
    return text[len("flash:") :].lstrip("/")


def listing(cfg: SwitchConfig, image: str, only: str = "") -> str:
    files = [(image, 11832064), ("config.text", len(cfg.saved_text())), ("vlan.dat", 736)]
    files += [(name, len(data)) for name, data in sorted(cfg.flash.items())]
    if only:
        files = [f for f in files if f[0] == only]
        if not files:
            return f"%Error opening flash:/{only} (No such file or directory)\n"
    rows = [f"{n + 2:>5}  -rwx  {size:>10}  {STAMP}  {name}" for n, (name, size) in
            enumerate(files)]  # fmt: skip
    title = f"flash:/{only}" if only else "flash:/"
    return (
        f"Directory of {title}\n\n" + "\n".join(rows) + "\n\n"
        f"{TOTAL} bytes total ({FREE - sum(len(d) for d in cfg.flash.values())} bytes free)\n"
    )


def md5(cfg: SwitchConfig, path: str) -> str:
    name = flash_name(path)
    if name is None or name not in cfg.flash:
        return f"%Error opening {path} (No such file or directory)\n"
    digest = hashlib.md5(cfg.flash[name]).hexdigest()
    return f"....Done!\nverify /md5 ({path}) = {digest}\n"


def copy(s: Login, source: str, dest: str, merge: Callable[[str], list[str]]) -> Reply:
    """`copy flash:/f running-config` or `copy running-config flash:/f`."""
    quiet = any(n.line == "file prompt quiet" for n in s.cfg.running.children)
    src, dst = flash_name(source), flash_name(dest)
    if src is not None and dest in ("running-config", "system:running-config"):
        if src not in s.cfg.flash:
            return Reply(f"%Error opening {source} (No such file or directory)\n")
        text = s.cfg.flash[src].decode("utf-8", "replace")

        def run(_: str = "") -> Reply:
            errors = merge(text)
            size = len(s.cfg.flash[src])
            return Reply("".join(errors) + f"{size} bytes copied in 0.052 secs ({size * 19} "
                         "bytes/sec)\n")  # fmt: skip

        return run() if quiet else s.ask("Destination filename [running-config]? ", run)
    if source in ("running-config", "system:running-config") and dst:

        def write(_: str = "") -> Reply:
            s.cfg.flash[dst] = s.cfg.running_text().encode()
            size = len(s.cfg.flash[dst])
            return Reply(f"{size} bytes copied in 0.210 secs ({size * 5} bytes/sec)\n")

        return write() if quiet else s.ask(f"Destination filename [{dst}]? ", write)
    return Reply(f"%Error opening {dest} (Permission denied)\n")
