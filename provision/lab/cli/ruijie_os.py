"""Ruijie RGOS (S2910-class campus switch) as netmiko's `ruijie_os` driver expects it.

netmiko's RuijieOSSSH: reads up to a prompt (`[>#]`, answering `n` to a "Do you want to change
the password" question, which this switch never asks), runs `enable`, `terminal width 256`
and `terminal length 0`, enters config with `configure terminal` (checks for `)#`), leaves with
`end`, saves with `write` (expects the text before the next prompt), logs out with `exit`.

The CLI is IOS-like, so this builds on `cisco_ios.py`, with what RGOS does its own way: ports
shown with a space before the number (`interface GigabitEthernet 0/1`, `interface VLAN 10`,
however they are typed), trunk VLANs set and shown as `switchport trunk allowed vlan only
10,20,30`, time zones as `clock timezone CST +8 0`, and a `show version` of `System ...`
fields. Named ACL entries are shown without sequence numbers (as the 10.4 guide's `show
access-lists` examples print them). References: RG-S29 Series Switch RGOS Configuration Guide,
Release 11.4(1)B12 (CLI, basic management); RG-S2900G-E Series RGOS Configuration Guide,
Release 10.4(2b12)p1 (interfaces, VLANs, ACLs).

Everyday displays: `show vlan`, `show ip interface brief` and `show interfaces status` in
RGOS's own layouts (`rgos_show.py`, with the captures they follow); `show interfaces`, `show
ip interface`, `show vlan id N`, `show clock` and `dir` are inherited from the IOS dialect
(`ios_show.py`) with RGOS's port names, their layouts IOS's and not checked against an RGOS
capture; so are the flash commands and SCP to flash (`ios_files.py`, `ip scp server enable`).
"""

from __future__ import annotations

import re

from provision.lab.cli import cisco_ios as ios
from provision.lab.cli import rgos_show
from provision.lab.cli.base import Login, Mode, Reply, SwitchConfig
from provision.lab.cli.tree import (
    IFNAME,
    VLIST_COMMAS,
    Kind,
    Node,
    R,
    Resolved,
    Rule,
    interface_canon,
)

HOSTNAME = "Ruijie"
PORTS = [f"GigabitEthernet 0/{n}" for n in range(1, 25)]
INTERFACE_TYPES = ("GigabitEthernet", "TenGigabitEthernet", "FastEthernet", "VLAN",
                   "AggregatePort", "Loopback")  # fmt: skip
_ios_name = interface_canon(INTERFACE_TYPES)


def port_name(text: str) -> str:
    """ "g0/1", "GigabitEthernet0/1" and "gi 0/1" are all shown "GigabitEthernet 0/1"."""
    return re.sub(r"^([A-Za-z-]+)(\d)", r"\1 \2", _ios_name(text))


def _replaced(rules: list[Rule], *new: Rule) -> list[Rule]:
    """The IOS table with the rules of the same command as `new` swapped for RGOS's."""
    heads = {rule.head for rule in new}
    return [*(r for r in rules if r.head not in heads), *new]


CONFIG = _replaced(
    ios.CONFIG,
    R("hostname", ios.NAME, Kind.SINGLE, tag="hostname", default=f"hostname {HOSTNAME}"),
    R("interface", IFNAME, Kind.SECTION, mode="config-if", label="{0}", canon=port_name),
    R("clock timezone", r"\S+ [+-]?\d+(?: \d+)?", Kind.SINGLE),
)
INTERFACE = _replaced(
    ios.INTERFACE,
    R("switchport trunk allowed vlan",
      rf"(?:only |add |remove |except )?{VLIST_COMMAS}|all|none", Kind.VLANS),
)  # fmt: skip
MODES = {
    **ios.MODES,
    "config": Mode("config", [*CONFIG, *ios.CONFIG_VERBS]),
    "config-if": Mode("config-if", [*INTERFACE, *ios.CONFIG_VERBS]),
}


class RuijieOs(ios.CiscoIos):
    platform = "ruijie_os"
    default_hostname = HOSTNAME
    ssh_version = "RGOS_SSH"
    serial_prefix, serial_digits = "G1", 11
    modes = MODES
    model = "S2910-24GT4XS-E"
    software = "S29_RGOS 11.4(1)B12P13"

    def factory_config(self, hostname: str) -> str:
        lines = [f"version {self.software}", f"hostname {hostname}", "vlan 1"]
        lines += [f"interface {p}" for p in PORTS]
        lines += ["interface VLAN 1"]
        lines += ["line con 0", "line vty 0 4", " login local", " transport input ssh"]
        return "\n".join(lines)

    def after_set(self, cfg: SwitchConfig, parent: Node, node: Node) -> None:
        """A trunk's VLAN list is shown with RGOS's `only` (`add`/`remove` fold into it)."""
        rule = node.rule
        if rule is not None and rule.kind is Kind.VLANS:
            rest = node.line[len(rule.text) :].strip()
            if re.fullmatch(VLIST_COMMAS, rest):
                node.line = f"{rule.text} only {rest}"

    def act_show_vlan(self, s: Login, r: Resolved) -> Reply:
        return Reply(rgos_show.vlan(s.cfg))

    act_show_vlan_brief = act_show_vlan  # the same table (no RGOS capture of `brief` was found)

    def act_show_ip_interface_brief(self, s: Login, r: Resolved) -> Reply:
        return Reply(rgos_show.ip_interface_brief(s.cfg))

    def act_show_interfaces_status(self, s: Login, r: Resolved) -> Reply:
        return Reply(rgos_show.interfaces_status(s.cfg))

    def version(self, cfg: SwitchConfig) -> str:
        minutes = cfg.uptime_minutes()
        uptime = f"{minutes // 1440}:{minutes // 60 % 24:02d}:{minutes % 60:02d}:00"
        return (
            "System description      : Ruijie Full Gigabit Security & Intelligence Access "
            f"Switch({self.model}) By Ruijie Networks\n"
            "System start time       : 2026-01-15 08:00:00\n"
            f"System uptime           : {uptime}\n"
            "System hardware version : 1.00\n"
            f"System software version : {self.software}\n"
            "System patch number     : NA\n"
            f"System serial number    : {cfg.serial}\n"
            "System boot version     : 1.3.8\n"
        )


DIALECT = RuijieOs()
