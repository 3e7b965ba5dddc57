"""Ruijie RGOS 11.x everyday displays where they differ from IOS's (`ios_show.py`).

RGOS names ports with a space before the number, and lays out three tables its own way.
Captured RGOS output kept in public network notes and tool sources (found through code search,
quoted there from S2910/S5750 11.4 switches and an AP controller) shows:
- `show vlan`: "VLAN Name Status Ports" with a 35-wide ports rule, the VLAN id right-aligned in
  four columns, default names `VLAN0001`, status `STATIC`, four ports a row, every port that
  carries the VLAN (trunks included); no 1002-1005 rows.
- `show ip interface brief`: "Interface / IP-Address(Pri) / IP-Address(Sec) / Status /
  Protocol" at columns 0, 41, 62, 83, 106 (a parser written for the S5750, 11.4, splits there),
  addresses as `a.b.c.d/len`, `no address` where none.
- `show interfaces status`: "Interface Status Vlan Duplex Speed Type" over a dashed rule,
  full port names, `Unknown` duplex and speed on a port without link, type `copper`.
"""

from __future__ import annotations

from provision.lab.cli.base import SwitchConfig
from provision.lab.cli.ports import ports, short_name, vlans

SHORT = {"GigabitEthernet": "Gi", "TenGigabitEthernet": "Te", "FastEthernet": "Fa",
         "AggregatePort": "Ag"}  # fmt: skip


def vlan(cfg: SwitchConfig) -> str:
    out = ["VLAN Name                             Status    Ports",
           "---- -------------------------------- --------- " + "-" * 35]  # fmt: skip
    for row in vlans(cfg):
        members = [short_name(p, SHORT) for p in sorted(
            row.access_ports + row.trunk_ports, key=_port_order)]  # fmt: skip
        chunks = [", ".join(members[i : i + 4]) for i in range(0, len(members), 4)] or [""]
        name = row.name or f"VLAN{row.vid:04d}"
        out.append(f"{row.vid:>4} {name[:32]:<32} STATIC    {chunks[0]}".rstrip())
        out += [f"{'':48}{chunk}" for chunk in chunks[1:]]
    return "\n".join(out) + "\n"


def _port_order(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in name.split()[-1].split("/") if n.isdigit())


def ip_interface_brief(cfg: SwitchConfig) -> str:
    out = [f"{'Interface':<41}{'IP-Address(Pri)':<21}{'IP-Address(Sec)':<21}{'Status':<23}"
           "Protocol"]  # fmt: skip
    for port in ports(cfg):
        primary = f"{port.address}/{port.prefix_length}" if port.address else "no address"
        protocol = "up" if port.link_up else "down"
        out.append(f"{port.name:<41}{primary:<21}{'no address':<21}{port.status:<23}{protocol}")
    return "\n".join(out) + "\n"


def interfaces_status(cfg: SwitchConfig) -> str:
    out = ["Interface                        Status    Vlan   Duplex   Speed     Type",
           "-" * 32 + " --------  ----   -------  --------- ------"]  # fmt: skip
    for port in ports(cfg):
        if not port.physical:
            continue
        status = "up" if port.link_up else "down"
        vlan_id = "1" if port.mode == "trunk" else str(port.access_vlan)
        duplex, speed = ("Full", "1000M") if port.link_up else ("Unknown", "Unknown")
        out.append(f"{port.name:<32} {status:<9} {vlan_id:<6} {duplex:<8} {speed:<9} copper")
    return "\n".join(out) + "\n"
