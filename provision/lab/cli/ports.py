"""What a lab switch's everyday displays report, read from its running configuration.

The show/display commands of every dialect (`show interfaces`, `display vlan`, ...) print the
same facts in the vendor's layout: which interfaces exist, their description, address, admin
and link state, access VLAN or trunk; which VLANs exist and their names. This module reads
those facts from the config tree once, so that each dialect only formats them.

Link state is the lab's one invention: a lab switch has no cables, so the first front-panel
port (the uplink every template configures) is up and the other ports are down ("notconnect");
a port with `shutdown` is administratively down; a VLAN interface is up when not shut down.
MAC addresses are derived from the serial number, stable per device and port.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field

from provision.lab.cli.base import SwitchConfig
from provision.lab.cli.tree import Node, parse_vlans

_SVI = re.compile(r"^(?:Vlan|Vlanif|Vlan-interface|VLAN) ?(\d+)$", re.IGNORECASE)
ACCESS_VLAN = ("switchport access vlan ", "port default vlan ", "port access vlan ")
_LOGICAL = re.compile(r"^(?:NULL|LoopBack|Loopback|MEth|M-GigabitEthernet)", re.IGNORECASE)


@dataclass(slots=True)
class Port:
    name: str
    description: str = ""
    shutdown: bool = False
    address: str = ""  # "10.12.10.1"
    mask: str = ""  # "255.255.255.0"
    mode: str = "access"  # access | trunk | routed (SVIs, loopbacks)
    access_vlan: int = 1
    trunk_vlans: str = ""  # as configured, e.g. "10,20,30" / "10 20 30" / "all"
    physical: bool = True
    link_up: bool = False
    mac: str = ""  # "aabb.ccdd.eeff"

    @property
    def vlan_id(self) -> int | None:
        m = _SVI.match(self.name)
        return int(m.group(1)) if m else None

    @property
    def status(self) -> str:
        """The state word most displays use: up, down or administratively down."""
        if self.shutdown:
            return "administratively down"
        return "up" if self.link_up else "down"

    @property
    def prefix_length(self) -> int:
        return sum(bin(int(octet)).count("1") for octet in self.mask.split(".")) if self.mask else 0


@dataclass(slots=True)
class Vlan:
    vid: int
    name: str = ""
    access_ports: list[str] = field(default_factory=list)
    trunk_ports: list[str] = field(default_factory=list)


def ports(cfg: SwitchConfig) -> list[Port]:
    """Every interface of the running config, in the order the device shows them."""
    found: list[Port] = []
    first_physical = True
    for node in cfg.running.children:
        if not node.line.startswith("interface "):
            continue
        port = _port(node.line.split(None, 1)[1], node.children)
        port.mac = _mac(cfg.serial, port.name)
        if port.vlan_id is not None or _LOGICAL.match(port.name):
            port.physical, port.mode = False, "routed"
            port.link_up = not port.shutdown
        elif first_physical:
            port.link_up, first_physical = not port.shutdown, False
        found.append(port)
    return found


def _port(name: str, children: list[Node]) -> Port:
    port = Port(name)
    for child in children:
        words = child.line.split()
        line = child.line
        if words[0] == "description":
            port.description = line.split(None, 1)[1]
        elif words == ["shutdown"]:
            port.shutdown = True
        elif words[:2] == ["ip", "address"] and len(words) == 4:
            port.address, port.mask = words[2], _mask(words[3])
        elif words[:2] == ["switchport", "mode"] or words[:2] == ["port", "link-type"]:
            port.mode = "trunk" if words[2] == "trunk" else "access"
        elif line.startswith(ACCESS_VLAN):
            port.access_vlan = int(words[-1])
        elif line.startswith(
            ("switchport trunk allowed vlan ", "port trunk allow-pass vlan ",
             "port trunk permit vlan ")
        ):  # fmt: skip
            port.trunk_vlans = line.split(" vlan ", 1)[1].removeprefix("only ").strip()
    return port


def _mask(text: str) -> str:
    """VRP and Comware accept a mask length ("24") where IOS wants "255.255.255.0"."""
    if "." in text:
        return text
    bits = (0xFFFFFFFF << (32 - int(text))) & 0xFFFFFFFF
    return ".".join(str(bits >> shift & 0xFF) for shift in (24, 16, 8, 0))


def _mac(serial: str, name: str) -> str:
    digest = hashlib.sha1(f"{serial}/{name}".encode()).hexdigest()
    # 00e0.fc is a Huawei OUI and 7c1e.06 a Cisco one; any vendor's OUI will do for a lab.
    return f"7c1e.06{digest[:2]}.{digest[2:6]}"


def vlans(cfg: SwitchConfig, found_ports: list[Port] | None = None) -> list[Vlan]:
    """VLAN 1 and every VLAN the config creates, with their names and member ports."""
    named: dict[int, str] = {1: ""}
    for node in cfg.running.children:
        tag = node.rule.tag if node.rule else ""
        if tag == "vlan-batch":
            named.update({vid: named.get(vid, "") for vid in parse_vlans(node.line[11:])})
        elif tag == "vlan" or re.fullmatch(r"vlan \d+", node.line):
            vid = int(node.line.split()[1])
            names = [c.line.split(None, 1)[1] for c in node.children if c.line.startswith("name ")]
            names += [  # VRP shows a VLAN's `description` where others show its name
                c.line.split(None, 1)[1] for c in node.children if c.line.startswith("description ")
            ]
            named[vid] = names[0] if names else named.get(vid, "")
    result = {vid: Vlan(vid, name) for vid, name in sorted(named.items())}
    for port in found_ports if found_ports is not None else ports(cfg):
        if not port.physical:
            continue
        if port.mode == "access" and port.access_vlan in result:
            result[port.access_vlan].access_ports.append(port.name)
        elif port.mode == "trunk":
            allowed = (
                set(result) if port.trunk_vlans in ("", "all") else parse_vlans(port.trunk_vlans)
            )
            for vid in sorted(allowed & set(result)):
                result[vid].trunk_ports.append(port.name)
    return list(result.values())


def clock(cfg: SwitchConfig) -> tuple[time.struct_time, str, int]:
    """Local time by the configured `clock timezone`, its name, and its offset in minutes."""
    name, offset = "UTC", 0
    for node in cfg.running.children:
        words = node.line.split()
        if words[:2] != ["clock", "timezone"] or len(words) < 4:
            continue
        name = words[2]
        if words[3] in ("add", "minus"):  # VRP/Comware: "CST add 08:00:00"
            hours, minutes = (int(x) for x in words[4].split(":")[:2])
            offset = (hours * 60 + minutes) * (1 if words[3] == "add" else -1)
        else:  # IOS/RGOS: "CST 8 0" / "CST +8 0"
            hours = int(words[3])
            minutes = int(words[4]) if len(words) > 4 else 0
            offset = hours * 60 + (minutes if hours >= 0 else -minutes)
    return time.gmtime(time.time() + offset * 60), name, offset


def short_name(name: str, table: dict[str, str]) -> str:
    """ "GigabitEthernet0/1" -> "Gi0/1" by a dialect's abbreviation table."""
    m = re.match(r"([A-Za-z-]+) ?(.*)", name)
    if not m:
        return name
    return table.get(m.group(1), m.group(1)) + m.group(2)


__all__ = ["Port", "Vlan", "clock", "ports", "short_name", "vlans"]
