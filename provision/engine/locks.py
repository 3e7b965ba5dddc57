"""Per-school locks, so two applies can never interleave on one school.

An advisory `flock` per school under .provision/locks: the kernel releases it when the holder
exits, even on SIGKILL, so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from provision.errors import ProvisionError
from provision.i18n import _

DEFAULT_DIR = ".provision/locks"


class LockBusy(ProvisionError):
    pass


@contextlib.contextmanager
def school_locks(
    schools: list[str], directory: str | Path | None = None, wait_s: float = 0.0
) -> Iterator[None]:
    """Hold the locks of every school (taken in sorted order, so two runs cannot deadlock)."""
    root = Path(directory or os.environ.get("PROVISION_LOCK_DIR") or DEFAULT_DIR)
    root.mkdir(parents=True, exist_ok=True)
    held: list[int] = []
    try:
        for school in sorted(set(schools)):
            fd = os.open(root / f"{school}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            held.append(fd)
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                        raise LockBusy(
                            _(
                                "school {school} is locked by another run (pid {owner}); "
                                "wait for it or pass --lock-wait SECONDS"
                            ).format(school=school, owner=owner)
                        ) from None
                    time.sleep(0.2)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        for fd in held:
            os.close(fd)  # closing releases the flock
