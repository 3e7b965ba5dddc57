"""Simulated switch CLIs, one dialect module per switch platform, for the lab's SSH switches.

The platforms are the drivers' (`provision.drivers.switch_platforms`); each has its dialect in
the module of the same name here (`huawei.py` for `huawei`), which defines `DIALECT`. A platform
without one is an error at import, so the lab can simulate every platform the drivers know.
`new_config(platform, hostname, serial)` gives a device's persistent configuration memory;
`CliSession(config)` is one interactive login over it. The SSH transport is `lab/switch.py`.
"""

from __future__ import annotations

import importlib

from provision.drivers.switch_platforms import platform_names
from provision.lab.cli.base import Dialect, Reply, SwitchConfig
from provision.lab.cli.session import CliSession


def _dialects() -> dict[str, Dialect]:
    found: dict[str, Dialect] = {}
    for name in platform_names():
        dialect = getattr(importlib.import_module(f"{__name__}.{name}"), "DIALECT", None)
        if not isinstance(dialect, Dialect) or dialect.platform != name:
            raise TypeError(f"provision/lab/cli/{name}.py must define DIALECT for {name!r}")
        found[name] = dialect
    return found


DIALECTS = _dialects()
PLATFORMS = tuple(DIALECTS)


def new_config(platform: str, hostname: str | None = None, serial: str = "") -> SwitchConfig:
    """Factory-default configuration memory for one switch of `platform`."""
    dialect = DIALECTS.get(platform)
    if dialect is None:
        raise ValueError(f"unknown switch platform {platform!r}; valid: {', '.join(PLATFORMS)}")
    return SwitchConfig(dialect, hostname, serial)


__all__ = ["DIALECTS", "PLATFORMS", "CliSession", "Reply", "SwitchConfig", "new_config"]
