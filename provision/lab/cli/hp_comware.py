"""H3C/HPE Comware 7 (S5130-class switch) as netmiko's `hp_comware` driver expects it.

netmiko's HPComwareSSH: waits for `to continue|[>\\]]`, sends `screen-length disable`, enters
config with `system-view`, leaves with `return`, saves with `save force` (no question), logs
out with `quit`. It disables command-echo checking, so it types config lines ahead of the
prompts; the session must process pipelined input in order.
"""

from __future__ import annotations

from provision.lab.cli import vrp_display
from provision.lab.cli.base import Login, Mode, Reply, SwitchConfig
from provision.lab.cli.tree import Kind, R, Resolved, Table, interface_canon
from provision.lab.cli.vrp import (
    ACL_RULE,
    EVERYWHERE,
    IFNAME,
    INTERFACE_COMMON,
    NAME,
    QOS_RULES,
    VID,
    VLIST_WORDS,
    A,
    BracketDialect,
    system_rules,
)

INTERFACE_TYPES = (
    "GigabitEthernet",
    "Ten-GigabitEthernet",
    "FortyGigE",
    "Vlan-interface",
    "Bridge-Aggregation",
    "LoopBack",
    "M-GigabitEthernet",
    "NULL",
)
PORTS = [f"GigabitEthernet1/0/{n}" for n in range(1, 25)] + [
    f"Ten-GigabitEthernet1/0/{n}" for n in range(25, 29)
]
HOSTNAME = "H3C"

SYSTEM = [
    *system_rules(HOSTNAME),
    R("vlan", VID, Kind.SECTION, mode="vlan", label="vlan{0}", tag="vlan"),
    R("interface", IFNAME, Kind.SECTION, mode="interface", label="{0}",
      canon=interface_canon(INTERFACE_TYPES)),
    R("acl basic", r"(2\d{3})", Kind.SECTION, mode="acl-basic", label="acl-ipv4-basic-{1}"),
    R("acl advanced", r"(3\d{3})", Kind.SECTION, mode="acl-adv", label="acl-ipv4-adv-{1}"),
    # Comware 5 syntax, still accepted by Comware 7 and stored as `acl basic|advanced N`.
    R("acl number", r"([23]\d{3})", Kind.SECTION, mode="acl-adv", tag="acl-number"),
    R("qos policy", rf"({NAME})", Kind.SECTION, mode="qospolicy", label="qospolicy-{1}"),
    R("line vty", r"(\d+) (\d+)", Kind.SECTION, mode="line", label="line-vty{1}-{2}"),
    R("ssh server enable", None, Kind.SINGLE),
]  # fmt: skip

INTERFACE = [
    *INTERFACE_COMMON,
    R("port link-mode", r"bridge|route", Kind.SINGLE),
    R("port trunk permit vlan", rf"{VLIST_WORDS}|all", Kind.VLANS, undo=rf"{VLIST_WORDS}|all"),
    R("port trunk pvid vlan", VID, Kind.SINGLE),
    R("qos apply policy", rf"{NAME} (?:inbound|outbound)",
      key=r"qos apply policy \S+ (inbound|outbound)"),
    R("packet-filter", r"(?:name \S+|\d+) (?:inbound|outbound)",
      key=r"packet-filter .*(inbound|outbound)"),
]  # fmt: skip

MODES = {
    "user": Mode(
        "user",
        [*EVERYWHERE, A("system-view", "system"), A("save", "save"),
         A("save force", "save_force"), A("screen-length disable", "noop"),
         A("dir", "dir", r"(?:flash:/?)?"), A("display vlan brief", "display_vlan_brief")],
        config=False,
    ),
    "system": Mode("system", [*SYSTEM, *EVERYWHERE, A("save", "save"),
                              A("save force", "save_force")]),
    "interface": Mode("interface", [*INTERFACE, *EVERYWHERE]),
    "vlan": Mode("vlan", [R("name", NAME, Kind.SINGLE), R("description", r".+", Kind.SINGLE),
                          *EVERYWHERE]),
    "acl-basic": Mode("acl-basic", [R("rule", r"\d+ (?:permit|deny)(?: source .*)?",
                                      key=r"rule (\d+)", undo=r"\d+(?: .*)?"),
                                    R("description", r".+", Kind.SINGLE), *EVERYWHERE]),
    "acl-adv": Mode("acl-adv", [ACL_RULE, R("description", r".+", Kind.SINGLE), *EVERYWHERE]),
    "classifier": Mode("classifier", [*QOS_RULES["classifier"], *EVERYWHERE]),
    "behavior": Mode("behavior", [*QOS_RULES["behavior"], *EVERYWHERE]),
    "qospolicy": Mode("qospolicy", [
        R("classifier", rf"{NAME} behavior {NAME}(?: .*)?", key=r"classifier (\S+)"),
        *EVERYWHERE]),
    "line": Mode("line", [
        R("authentication-mode", r"scheme|password|none", Kind.SINGLE),
        R("protocol inbound", r"ssh|telnet|all", Kind.SINGLE),
        R("user-role", NAME, key=r"user-role (\S+)"),
        R("idle-timeout", r"\d+(?: \d+)?", Kind.SINGLE),
        *EVERYWHERE]),
}  # fmt: skip


class HpComware(BracketDialect):
    platform = "hp_comware"
    default_hostname = HOSTNAME
    ssh_version = "Comware-7.1.070"
    serial_prefix, serial_digits = "219801", 14
    leaf_indent = " "
    header = ("#", " version 7.1.070, Release 6728P22")
    error_prefix = " % "
    modes = MODES
    model = "S5130S-28S-EI"
    order = ("sysname", "clock timezone", "lldp", "stp", "ntp-service", "vlan",
             "traffic classifier", "traffic behavior", "qos policy", "interface",
             "ip route-static", "info-center", "snmp-agent", "acl", "line",
             "ssh server")  # fmt: skip

    def factory_config(self, hostname: str) -> str:
        lines = [f"sysname {hostname}", "vlan 1", "interface NULL0", "interface Vlan-interface1"]
        lines += [f"interface {p}" for p in PORTS]
        lines += [
            "line vty 0 63",
            " authentication-mode scheme",
            " user-role network-operator",
            "ssh server enable",
        ]
        return "\n".join(lines)

    def canonical(self, table: Table, found: Resolved) -> Resolved:
        if found.rule.tag != "acl-number" or found.match is None:
            return found
        number = found.match.group(1)
        kind = "basic" if number.startswith("2") else "advanced"
        again = table.resolve(["acl", kind, number])
        return again if isinstance(again, Resolved) else found

    def banner(self, cfg: SwitchConfig) -> str:
        star = "*" * 78
        return (
            f"\n{star}\n"
            "* Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.*\n"
            "* Without the owner's prior written consent,                                 *\n"
            "* no decompiling or reverse-engineering shall be allowed.                    *\n"
            f"{star}\n\n"
        )

    def version(self, cfg: SwitchConfig) -> str:
        minutes = cfg.uptime_minutes()
        return (
            "H3C Comware Software, Version 7.1.070, Release 6728P22\n"
            "Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.\n"
            f"H3C {self.model} uptime is 0 weeks, {minutes // 1440} days, "
            f"{minutes // 60 % 24} hours, {minutes % 60} minutes\n"
            "Last reboot reason : Cold reboot\n"
            f"Serial number: {cfg.serial}\n"
        )

    def act_display_vlan(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.comware_vlan(s.cfg))

    def act_display_vlan_brief(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.comware_vlan_brief(s.cfg))

    def act_display_interface_brief(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.comware_interface_brief(s.cfg))

    def act_display_clock(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.comware_clock(s.cfg))

    def act_dir(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.comware_dir(s.cfg))

    def act_save_force(self, s: Login, r: Resolved) -> Reply:
        s.cfg.save()
        return Reply(
            "Validating file. Please wait...\n"
            "Saved the current configuration to mainboard device successfully.\n"
        )

    def act_save(self, s: Login, r: Resolved) -> Reply:
        def filename(answer: str) -> Reply:
            if answer not in ("", "flash:/startup.cfg", "startup.cfg"):
                return Reply(" % The file name is invalid.\n")
            return self.act_save_force(s, r)

        def confirm(answer: str) -> Reply:
            if answer.lower() not in ("y", "yes"):
                return Reply()
            return s.ask(
                "Please input the file name(*.cfg)[flash:/startup.cfg]\n"
                "(To leave the existing filename unchanged, press the enter key):",
                filename,
            )

        return s.ask(
            "The current configuration will be written to the device. Are you sure? [Y/N]:",
            confirm,
        )


DIALECT = HpComware()
