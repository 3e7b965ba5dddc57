"""Cisco IOS everyday `show` displays, laid out as a Catalyst 2960 running 15.0(2)SE prints them.

Layouts follow real device captures kept as parser test data by ntc-templates
(github.com/networktocode/ntc-templates, tests/cisco_ios/: show_interfaces/*.raw,
show_interfaces_status/*.raw, show_ip_interface_brief/*.raw, show_ip_interface/*.raw,
show_vlan/*.raw, show_clock/*.raw, show_archive/cisco_ios_show_archive.raw) and
what NAPALM's `ios` driver (napalm/ios/ios.py, 5.x) parses out of them: get_facts reads
`show version` ("uptime is", "Processor board ID", "Cisco IOS Software, ", "bytes of"),
`show hosts` ("Default domain is") and `show ip interface brief`; get_interfaces `show
interfaces` ("is up, line protocol is", "address is", "Description:", "MTU ... BW ... Kbit");
get_interfaces_ip `show ip interface` ("Internet address is a.b.c.d/n") and `show ipv6
interface` (nothing on a switch without IPv6); get_vlans `show vlan all-ports`, then, on
invalid input, `show vlan brief` and `show vlan id N`. The lab answers `all-ports` with invalid
input (whether 15.0(2)SE has it was not checked), so NAPALM takes the second path.
The facts come from `ports.py` (`dir` and the other flash commands are in `ios_files.py`,
after tests/cisco_ios/dir/*.raw); `show archive` answers "Archive feature not enabled" because
the lab has no `archive` configuration.
"""

from __future__ import annotations

import time

from provision.lab.cli.base import SwitchConfig
from provision.lab.cli.ports import Port, Vlan, clock, ports, short_name, vlans

SHORT = {
    "GigabitEthernet": "Gi", "FastEthernet": "Fa", "TenGigabitEthernet": "Te",
    "Port-channel": "Po", "Ethernet": "Et", "Loopback": "Lo", "Vlan": "Vl",
}  # fmt: skip
DEFAULT_VLANS = ((1002, "fddi-default"), (1003, "token-ring-default"),
                 (1004, "fddinet-default"), (1005, "trnet-default"))  # fmt: skip


def _bandwidth(port: Port) -> int:
    """Kbit/s as IOS prints BW: a VLAN interface says 1000000 too on a 2960."""
    return 1000000 if port.physical or port.vlan_id is not None else 8000000


def interfaces(cfg: SwitchConfig) -> str:
    out: list[str] = []
    for port in ports(cfg):
        protocol = "up" if port.link_up else "down"
        suffix = ""
        if port.physical:
            suffix = (
                " (connected)"
                if port.link_up
                else (" (disabled)" if port.shutdown else " (notconnect)")
            )
        out.append(f"{port.name} is {port.status}, line protocol is {protocol}{suffix}")
        hardware = "Gigabit Ethernet" if port.physical else "EtherSVI"
        out.append(f"  Hardware is {hardware}, address is {port.mac} (bia {port.mac})")
        if port.description:
            out.append(f"  Description: {port.description}")
        if port.address:
            out.append(f"  Internet address is {port.address}/{port.prefix_length}")
        out.append(f"  MTU 1500 bytes, BW {_bandwidth(port)} Kbit/sec, DLY 10 usec, ")
        out.append("     reliability 255/255, txload 1/255, rxload 1/255")
        out.append("  Encapsulation ARPA, loopback not set")
        if port.physical:
            out.append("  Keepalive set (10 sec)")
            out.append("  Auto-duplex, Auto-speed, media type is 10/100/1000BaseTX")
        out.append("  ARP type: ARPA, ARP Timeout 04:00:00")
        out.append('  Last clearing of "show interface" counters never')
        out.append("  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0")
        out.append("  Queueing strategy: fifo")
        out.append("  Output queue: 0/40 (size/max)")
        out.append("  5 minute input rate 0 bits/sec, 0 packets/sec")
        out.append("  5 minute output rate 0 bits/sec, 0 packets/sec")
        out.append("     0 packets input, 0 bytes, 0 no buffer")
        out.append("     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored")
        out.append("     0 packets output, 0 bytes, 0 underruns")
        out.append("     0 output errors, 0 collisions, 0 interface resets")
    return "\n".join(out) + "\n"


def interfaces_status(cfg: SwitchConfig) -> str:
    out = ["", "Port      Name               Status       Vlan       Duplex  Speed Type"]
    for port in ports(cfg):
        if not port.physical:
            continue
        status = "disabled" if port.shutdown else ("connected" if port.link_up else "notconnect")
        vlan = "trunk" if port.mode == "trunk" else str(port.access_vlan)
        duplex, speed = ("a-full", "a-1000") if port.link_up else ("auto", "auto")
        out.append(
            f"{short_name(port.name, SHORT):<9} {port.description[:18]:<18} {status:<12} "
            f"{vlan:<10} {duplex:>6} {speed:>6} 10/100/1000BaseTX"
        )
    return "\n".join(out) + "\n"


def ip_interface_brief(cfg: SwitchConfig) -> str:
    out = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for port in ports(cfg):
        address = port.address or "unassigned"
        method = "NVRAM" if port.address else "unset"
        protocol = "up" if port.link_up else "down"
        out.append(f"{port.name:<22} {address:<15} YES {method:<6} {port.status:<21} {protocol}")
    return "\n".join(out) + "\n"


def ip_interface(cfg: SwitchConfig) -> str:
    out: list[str] = []
    for port in ports(cfg):
        protocol = "up" if port.link_up else "down"
        out.append(f"{port.name} is {port.status}, line protocol is {protocol}")
        if not port.address:
            out.append("  Internet protocol processing disabled")
            continue
        out.append(f"  Internet address is {port.address}/{port.prefix_length}")
        out.append("  Broadcast address is 255.255.255.255")
        out.append("  Address determined by non-volatile memory")
        out.append("  MTU is 1500 bytes")
        out.append("  Helper address is not set")
        out.append("  Directed broadcast forwarding is disabled")
        out.append("  Outgoing access list is not set")
        out.append("  Inbound  access list is not set")
        out.append("  Proxy ARP is enabled")
    return "\n".join(out) + "\n"


def _vlan_rows(rows: list[Vlan], *, defaults: bool) -> list[str]:
    out = ["", "VLAN Name                             Status    Ports",
           "---- -------------------------------- --------- -------------------------------",
           ]  # fmt: skip
    for vlan in rows:
        name = vlan.name or ("default" if vlan.vid == 1 else f"VLAN{vlan.vid:04d}")
        members = [short_name(p, SHORT) for p in vlan.access_ports]
        chunks = [", ".join(members[i : i + 4]) for i in range(0, len(members), 4)] or [""]
        out.append(f"{vlan.vid:<4} {name[:32]:<32} active    {chunks[0]}".rstrip())
        out += [f"{'':48}{chunk}" for chunk in chunks[1:]]
    if defaults:
        out += [f"{vid:<4} {name:<32} act/unsup" for vid, name in DEFAULT_VLANS]
    return out


def _vlan_types(rows: list[Vlan]) -> list[str]:
    out = ["", "VLAN Type  SAID       MTU   Parent RingNo BridgeNo Stp  BrdgMode Trans1 Trans2",
           "---- ----- ---------- ----- ------ ------ -------- ---- -------- ------ ------",
           ]  # fmt: skip
    out += [f"{v.vid:<4} enet  {100000 + v.vid:<10} 1500  -      -      -        -    -        "
            "0      0" for v in rows]  # fmt: skip
    return out


def vlan(cfg: SwitchConfig, *, brief: bool) -> str:
    rows = vlans(cfg)
    out = _vlan_rows(rows, defaults=True)
    if not brief:
        out += _vlan_types(rows)
        out += ["", "Remote SPAN VLANs",
                "------------------------------------------------------------------------------",
                "", "", "Primary Secondary Type              Ports",
                "------- --------- ----------------- ------------------------------------------",
                ]  # fmt: skip
    return "\n".join(out) + "\n"


def vlan_id(cfg: SwitchConfig, vid: int) -> str | None:
    """`show vlan id N`, or None when VLAN N does not exist (the caller prints the error)."""
    rows = [v for v in vlans(cfg) if v.vid == vid]
    if not rows:
        return None
    return "\n".join([*_vlan_rows(rows, defaults=False), *_vlan_types(rows)]) + "\n"


def clock_text(cfg: SwitchConfig) -> str:
    now, zone, _ = clock(cfg)
    millis = int(time.time() * 1000) % 1000
    # No NTP association has synchronised the lab's clock: IOS marks that with a leading "*".
    return time.strftime(f"*%H:%M:%S.{millis:03d} {zone} %a %b %d %Y", now) + "\n"


def hosts(cfg: SwitchConfig) -> str:
    domain = next(
        (n.line.split()[-1] for n in cfg.running.children if n.line.startswith("ip domain-name")),
        "",
    )
    return (
        "Name lookup view: Global\n"
        f"Default domain is {domain or 'not set'}\n"
        "Name/address lookup uses domain service\n"
        "Name servers are 255.255.255.255\n"
    )


ARCHIVE_OFF = " Archive feature not enabled\n"
