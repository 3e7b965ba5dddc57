"""Ruijie RGOS (S2910/S5750-class campus switches), netmiko's `ruijie_os` driver.

RGOS is IOS-like (`configure terminal`, `no`, `end`, `write`), with its own spellings: a port
is printed with a space before its number (`interface GigabitEthernet 0/1`, `interface VLAN
10`), a trunk's VLANs are set with `switchport trunk allowed vlan only`, the time zone is
`clock timezone <name> +8 0`, and `show version` prints `System ...` fields. Named extended
ACL entries are printed without sequence numbers, as on IOS, so they are ordered by rewriting.
References: RG-S29 Series RGOS Configuration Guide, Release 11.4(1)B12; RG-S2900G-E Series
RGOS Configuration Guide, Release 10.4(2b12)p1 (ACL and interface chapters).
"""

from __future__ import annotations

import re

from provision.drivers.switch_config import Dialect, singles
from provision.drivers.switch_platforms import cisco_ios
from provision.drivers.switch_platforms.base import SwitchPlatform, VersionFields


class RuijieOs(SwitchPlatform):
    name = "ruijie_os"
    device_type = "ruijie_os"
    uplink_port = "GigabitEthernet0/1"  # typed without the space; shown with it
    needs_enable = True
    save_command = "write"  # netmiko's; RGOS asks nothing
    version_command = "show version"
    version_fields = VersionFields(
        model=re.compile(r"System description\s*:.*\((\S+)\)"),
        serial=re.compile(r"System serial number\s*:\s*(\S+)"),
        firmware=re.compile(r"System software version\s*:\s*(\S.*?)\s*$", re.M),
    )
    dialect = Dialect(
        platform="ruijie_os", undo_word="no", exit_word="exit", show_running="show running-config",
        enter_config="configure terminal", leave_config="end", config_prompt=r"\)#[ \t]*$",
        exec_prompt=r"[^)]#[ \t]*$", save_ok=re.compile(r"\[OK\]"),
        singles=singles(*cisco_ios.SINGLES, whole_line=cisco_ios.WHOLE_LINE),
        sections=re.compile(r"interface .+|vlan \d+|ip access-list .+|class-map .+"
                            r"|policy-map .+|class .+|line .+|router .+"),
        owned=re.compile(r"ip access-list .+|class-map .+|policy-map .+"),
        noise=re.compile(r"Building configuration\.\.\.|Current configuration ?: .*|end"),
        implicit=re.compile(r"interface \S*Ethernet \d\S*"),  # ports: hardware
        spellings=((re.compile(r"^interface ([A-Za-z-]+) ?(\d)"), r"interface \1 \2"),),
        ordered=re.compile(r"ip access-list .+"),
        vlan_lists=("switchport trunk allowed vlan only",), vlan_merge=False,
    )  # fmt: skip


PLATFORM = RuijieOs()
