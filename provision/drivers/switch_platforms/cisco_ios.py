"""Cisco IOS (Catalyst 2960-class switches), netmiko's `cisco_ios` driver.

IOS takes lines back with `no`, prints ACL entries without sequence numbers (so entries are
ordered by rewriting), replaces a trunk's VLAN list rather than adding to it, and may land a
login in user EXEC, from which the driver runs `enable`.
"""

from __future__ import annotations

import re

from provision.drivers.switch_config import Dialect, singles
from provision.drivers.switch_platforms.base import SwitchPlatform, VersionFields

SINGLES = (
    r"(hostname) \S+", r"(clock timezone) .+", r"(description) .+", r"(ip address) \S+ \S+",
    r"(shutdown)", r"(name) \S+", r"(switchport mode) .+", r"(switchport access vlan) \d+",
    r"(switchport trunk native vlan) \d+", r"(switchport trunk allowed vlan) .+",
    r"(switchport nonegotiate)", r"(spanning-tree mode) \S+", r"(spanning-tree portfast)(?: .*)?",
    r"(speed) \S+", r"(duplex) \S+", r"(ip default-gateway) \S+", r"(ip domain-name) \S+",
    r"(snmp-server (?:location|contact)) .+", r"(login)(?: .*)?", r"(transport input) .+",
    r"(exec-timeout) .+",
)  # fmt: skip
# Bindings and marks are taken back by their whole line (`no service-policy output VIDEO-OUT`).
WHOLE_LINE = [
    (r"(service-policy) (input|output) \S+", r"\1 \2"),
    (r"(ip access-group) \S+ (in|out)", r"\1 \2"),
    (r"(set (?:dscp|precedence|cos|ip dscp)) \S+", r"\1"), (r"(police) .+", r"\1"),
    (r"(bandwidth) .+", r"\1"), (r"(priority)(?: .*)?", r"\1"),
]  # fmt: skip


class CiscoIos(SwitchPlatform):
    name = "cisco_ios"
    device_type = "cisco_ios"
    uplink_port = "GigabitEthernet0/1"
    needs_enable = True
    save_command = "write memory"  # netmiko's `write mem`; IOS asks nothing
    version_command = "show version"
    version_fields = VersionFields(
        model=re.compile(r"Model number\s*:\s*(\S+)"),
        serial=re.compile(r"(?i)serial number\s*:?\s*(\S+)"),
        firmware=re.compile(r"Version ([^,\s]+(?:, Release \S+)?)"),
    )
    dialect = Dialect(
        platform="cisco_ios", undo_word="no", exit_word="exit", show_running="show running-config",
        enter_config="configure terminal", leave_config="end", config_prompt=r"\)#[ \t]*$",
        exec_prompt=r"[^)]#[ \t]*$", save_ok=re.compile(r"\[OK\]"),
        singles=singles(*SINGLES, whole_line=WHOLE_LINE),
        sections=re.compile(r"interface \S+|vlan \d+|ip access-list .+|class-map .+"
                            r"|policy-map .+|class .+|line .+|router .+"),
        owned=re.compile(r"ip access-list .+|class-map .+|policy-map .+"),
        noise=re.compile(r"Building configuration\.\.\.|Current configuration ?: .*|end"),
        identities=((re.compile(r"class-map (?:match-\S+ )?(\S+)"), r"class-map \1"),),
        ordered=re.compile(r"ip access-list .+"),  # entries print without sequence numbers
        vlan_lists=("switchport trunk allowed vlan",), vlan_merge=False,
    )  # fmt: skip


PLATFORM = CiscoIos()
