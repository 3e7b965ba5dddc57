"""Passwords the lab's devices accept.

A lab device takes the secret the inventory refers to from the environment when it is set,
exactly as the real device would have been provisioned; otherwise a documented lab-only
default derived from the variable's name (`lab-` + name in lower case; for a `..._KEY`,
128 hex bits derived from it), so a fresh checkout
runs the demo without anyone exporting passwords. The same rule is used by commands run
with `--lab`, so both sides always agree. Never use lab defaults on real devices.
"""

from __future__ import annotations

import hashlib
import os

from provision.inventory.secrets import SecretRef


def lab_secret(ref: SecretRef | None, fallback: str = "admin") -> str:
    if ref is None:
        return fallback
    if value := os.environ.get(ref.name):
        return value
    if ref.name.endswith("KEY"):  # DC-09 AES keys are hex: a 128-bit default
        return hashlib.sha256(ref.name.encode()).hexdigest()[:32]
    return f"lab-{ref.name.lower()}"
