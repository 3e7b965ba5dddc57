"""Simulated switch CLIs (Huawei VRP, Cisco IOS, H3C Comware) for the lab's SSH switches.

`new_config(platform, hostname, serial)` gives a device's persistent configuration memory;
`CliSession(config)` is one interactive login over it. The SSH transport is `lab/switch.py`.
"""

from __future__ import annotations

from provision.lab.cli.base import Dialect, Reply, SwitchConfig
from provision.lab.cli.cisco_ios import CiscoIos
from provision.lab.cli.hp_comware import Comware
from provision.lab.cli.huawei import Huawei
from provision.lab.cli.session import CliSession

DIALECTS: dict[str, Dialect] = {d.platform: d for d in (Huawei(), CiscoIos(), Comware())}
PLATFORMS = tuple(DIALECTS)


def new_config(platform: str, hostname: str | None = None, serial: str = "") -> SwitchConfig:
    """Factory-default configuration memory for one switch of `platform`."""
    dialect = DIALECTS.get(platform)
    if dialect is None:
        raise ValueError(f"unknown switch platform {platform!r}; valid: {', '.join(PLATFORMS)}")
    return SwitchConfig(dialect, hostname, serial)


__all__ = ["DIALECTS", "PLATFORMS", "CliSession", "Reply", "SwitchConfig", "new_config"]
