"""Everyday `display` commands of Huawei VRP (S5720, V200R019) and H3C Comware 7 (S5130).

Layouts follow real device captures kept as parser test data by ntc-templates
(github.com/networktocode/ntc-templates): tests/huawei_vrp/display_vlan/huawei_vrp_display_vlan
.raw, display_interface_brief/*.raw, dir/huawei_vrp_dir.raw; tests/hp_comware/display_clock/
*.raw, display_interface_brief/*_release_9119P17.raw (Comware 7's "Brief information on
interfaces in ... mode" wording), display_vlan_brief/*.raw. Comware's `display vlan` summary
("Total VLANs: N", "The VLANs include:", "1(default), 99, ...") is as an HPE 5940 prints it
in captures kept by public NETCONF client tests. VRP's `display clock` (date and time with
offset, weekday, "Time Zone(name) : UTC+hh:mm") is written from Huawei's documented layout
and not checked against a capture. The facts come from `ports.py`.
"""

from __future__ import annotations

import time

from provision.lab.cli.base import SwitchConfig
from provision.lab.cli.ports import clock, ports, short_name, vlans

HUAWEI_SHORT = {"GigabitEthernet": "GE", "XGigabitEthernet": "XGE", "Eth-Trunk": "Eth-Trunk"}
COMWARE_SHORT = {
    "GigabitEthernet": "GE", "Ten-GigabitEthernet": "XGE", "FortyGigE": "FGE",
    "Vlan-interface": "Vlan", "Bridge-Aggregation": "BAGG", "LoopBack": "Loop",
    "M-GigabitEthernet": "MGE",
}  # fmt: skip


def _updown(up: bool) -> str:
    return "up" if up else "down"


# --- Huawei VRP ---------------------------------------------------------------------------------


def huawei_interface_brief(cfg: SwitchConfig) -> str:
    out = ["PHY: Physical", "*down: administratively down", "^down: standby",
           "(l): loopback", "(s): spoofing", "(b): BFD down", "(e): ETHOAM down",
           "(dl): DLDP down", "(d): Dampening Suppressed",
           "InUti/OutUti: input utility/output utility",
           "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors",
           ]  # fmt: skip
    for port in ports(cfg):
        phy = "*down" if port.shutdown else _updown(port.link_up)
        protocol = "up(s)" if port.name.startswith("NULL") else _updown(port.link_up)
        out.append(f"{port.name:<27} {phy:<5} {protocol:<9} {'0%':>5} {'0%':>6} "
                   f"{0:>10} {0:>10}")  # fmt: skip
    return "\n".join(out) + "\n"


def huawei_vlan(cfg: SwitchConfig) -> str:
    found = ports(cfg)
    rows = vlans(cfg, found)
    up = {p.name for p in found if p.link_up}
    out = [f"The total number of vlans is : {len(rows)}", "-" * 80,
           "U: Up;         D: Down;         TG: Tagged;         UT: Untagged;",
           "MP: Vlan-mapping;               ST: Vlan-stacking;",
           "#: ProtocolTransparent-vlan;    *: Management-vlan;", "-" * 80, "",
           "VID  Type    Ports", "-" * 80]  # fmt: skip
    for vlan in rows:
        first = True
        for label, members in (("UT", vlan.access_ports), ("TG", vlan.trunk_ports)):
            shown = [f"{short_name(p, HUAWEI_SHORT)}({'U' if p in up else 'D'})" for p in members]
            for i in range(0, len(shown), 4):
                cells = "".join(f"{c:<16}" for c in shown[i : i + 4]).rstrip()
                lead = f"{vlan.vid:<4} common  " if first else " " * 13
                out.append(f"{lead}{label + ':' if i == 0 else '   '}{cells}")
                first = False
        if first:
            out.append(f"{vlan.vid:<4} common")
    out += ["", "VID  Status  Property      MAC-LRN Statistics Description", "-" * 80]
    out += [f"{v.vid:<4} enable  default       enable  disable    {v.name or f'VLAN {v.vid:04d}'}"
            for v in rows]  # fmt: skip
    return "\n".join(out) + "\n"


def huawei_clock(cfg: SwitchConfig) -> str:
    now, zone, offset = clock(cfg)
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return (
        time.strftime("%Y-%m-%d %H:%M:%S", now) + f"{sign}{hours:02d}:{minutes:02d}\n"
        + time.strftime("%A", now) + "\n"
        + f"Time Zone({zone}) : UTC{sign}{hours:02d}:{minutes:02d}\n"
    )  # fmt: skip


def huawei_dir(cfg: SwitchConfig) -> str:
    saved = len(cfg.saved_text())
    return (
        "Directory of flash:/\n\n"
        "  Idx  Attr     Size(Byte)  Date        Time       FileName\n"
        "    0  -rw-     35,061,888  Jan 15 2026 08:00:00   s5720-si-v200r019c10spc500.cc\n"
        f"    1  -rw-    {saved:>11,}  Jan 15 2026 08:00:00   vrpcfg.zip\n"
        "    2  drw-              -  Jan 15 2026 08:00:00   logfile\n"
        "    3  -rw-             36  Jan 15 2026 08:00:00   $_patchstate_reboot\n\n"
        "509,856 KB total (361,296 KB free)\n"
    )


# --- H3C Comware 7 ------------------------------------------------------------------------------


def comware_interface_brief(cfg: SwitchConfig) -> str:
    found = ports(cfg)
    route = ["Brief information on interfaces in route mode:",
             "Link: ADM - administratively down; Stby - standby",
             "Protocol: (s) - spoofing",
             "Interface            Link Protocol Primary IP      Description"]  # fmt: skip
    bridge = ["", "Brief information on interfaces in bridge mode:",
              "Link: ADM - administratively down; Stby - standby",
              "Speed: (a) - auto", "Duplex: (a)/A - auto; H - half; F - full",
              "Type: A - access; T - trunk; H - hybrid",
              "Interface            Link Speed     Duplex Type PVID Description"]  # fmt: skip
    for port in found:
        link = "ADM" if port.shutdown else _updown(port.link_up).upper()
        name = short_name(port.name, COMWARE_SHORT)
        if port.physical:
            speed, duplex = ("1G(a)", "F(a)") if port.link_up else ("auto", "A")
            kind = "T" if port.mode == "trunk" else "A"
            bridge.append(f"{name:<20} {link:<4} {speed:<9} {duplex:<6} {kind:<4} "
                          f"{port.access_vlan:<4} {port.description}".rstrip())  # fmt: skip
        else:
            protocol = "UP(s)" if port.name.startswith(("NULL", "LoopBack")) else link
            route.append(f"{name:<20} {link:<4} {protocol:<8} {port.address or '--':<15} "
                         f"{port.description}".rstrip())  # fmt: skip
    return "\n".join(route + bridge) + "\n"


def comware_vlan(cfg: SwitchConfig) -> str:
    ids = [v.vid for v in vlans(cfg)]
    listed = ", ".join(f"{vid}(default)" if vid == 1 else str(vid) for vid in ids)
    return f" Total VLANs: {len(ids)}\n The VLANs include:\n {listed}\n"


def comware_vlan_brief(cfg: SwitchConfig) -> str:
    out = ["Brief information about all VLANs:", "Supported Minimum VLAN ID: 1",
           "Supported Maximum VLAN ID: 4094", "Default VLAN ID: 1",
           "VLAN ID   Name                             Port"]  # fmt: skip
    for vlan in vlans(cfg):
        members = [short_name(p, COMWARE_SHORT) for p in vlan.access_ports + vlan.trunk_ports]
        chunks = ["  ".join(members[i : i + 3]) for i in range(0, len(members), 3)] or [""]
        name = vlan.name or f"VLAN {vlan.vid:04d}"
        out.append(f"{vlan.vid:<9} {name[:32]:<32} {chunks[0]}".rstrip())
        out += [f"{'':43}{chunk}" for chunk in chunks[1:]]
    return "\n".join(out) + "\n"


def comware_clock(cfg: SwitchConfig) -> str:
    now, zone, _ = clock(cfg)
    return time.strftime(f"%H:%M:%S {zone} %a %m/%d/%Y", now) + "\n"


def comware_dir(cfg: SwitchConfig) -> str:
    saved = len(cfg.saved_text())
    return (
        "Directory of flash:\n"
        "   0 -rw-    38813696 Jan 15 2026 08:00:00   s5130s_ei-cmw710-boot-r6728p22.bin\n"
        "   1 -rw-   118179840 Jan 15 2026 08:00:00   s5130s_ei-cmw710-system-r6728p22.bin\n"
        f"   2 -rw-  {saved:>10} Jan 15 2026 08:00:00   startup.cfg\n"
        "   3 -rw-       61624 Jan 15 2026 08:00:00   startup.mdb\n"
        "   4 drw-           - Jan 15 2026 08:00:00   logfile\n\n"
        "514048 KB total (346268 KB free)\n"
    )
