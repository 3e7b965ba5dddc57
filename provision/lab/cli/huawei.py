"""Huawei VRP (S5720-class campus switch) as netmiko's `huawei` driver expects it.

netmiko's HuaweiSSH: waits for `[\\]>]`, sends `screen-length 0 temporary`, enters config with
`system-view`, leaves with `return` (expects `>`), saves with `save` and answers `y` to a prompt
matching `[Cc]ontinue\\?`, logs out with `quit`.
"""

from __future__ import annotations

from collections.abc import Callable

from provision.lab.cli import vrp_display
from provision.lab.cli.base import Login, Mode, Reply, SwitchConfig
from provision.lab.cli.tree import (
    Kind,
    Node,
    R,
    Resolved,
    interface_canon,
    parse_vlans,
)
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
    "XGigabitEthernet",
    "Ethernet",
    "Eth-Trunk",
    "Vlanif",
    "LoopBack",
    "MEth",
    "NULL",
)
PORTS = [f"GigabitEthernet0/0/{n}" for n in range(1, 25)] + [
    f"XGigabitEthernet0/0/{n}" for n in range(1, 5)
]
HOSTNAME = "HUAWEI"
DIR = r"(?:flash:/?)?"

SYSTEM = [
    *system_rules(HOSTNAME),
    R("vlan batch", VLIST_WORDS, Kind.VLANS, tag="vlan-batch", undo=VLIST_WORDS),
    R("vlan", VID, Kind.SECTION, mode="vlan", label="vlan{0}", hide_empty=True, tag="vlan"),
    R("interface", IFNAME, Kind.SECTION, mode="interface", label="{0}",
      canon=interface_canon(INTERFACE_TYPES)),
    R("acl number", r"(2\d{3})", Kind.SECTION, mode="acl-basic", label="acl-basic-{1}"),
    R("acl number", r"(3\d{3})", Kind.SECTION, mode="acl-adv", label="acl-adv-{1}"),
    R("traffic policy", rf"({NAME})", Kind.SECTION, mode="trafficpolicy",
      label="trafficpolicy-{1}"),
    R("user-interface vty", r"(\d+) (\d+)", Kind.SECTION, mode="ui", label="ui-vty{1}-{2}"),
    R("user-interface con", r"(0)", Kind.SECTION, mode="ui", label="ui-console{1}"),
    R("dhcp enable", None, Kind.SINGLE),
    R("stelnet server enable", None, Kind.SINGLE),
]  # fmt: skip

INTERFACE = [
    *INTERFACE_COMMON,
    R("port default vlan", VID, Kind.SINGLE),
    R("port trunk allow-pass vlan", rf"{VLIST_WORDS}|all", Kind.VLANS,
      undo=rf"{VLIST_WORDS}|all"),
    R("port trunk pvid vlan", VID, Kind.SINGLE),
    R("traffic-policy", rf"{NAME} (?:inbound|outbound)",
      key=r"traffic-policy \S+ (inbound|outbound)"),
    R("traffic-filter", r"(?:inbound|outbound) acl \d+",
      key=r"traffic-filter (inbound|outbound)"),
    R("dhcp select", r"interface|global", Kind.SINGLE),
]  # fmt: skip

MODES = {
    "user": Mode(
        "user",
        [*EVERYWHERE, A("system-view", "system"), A("save", "save"), A("dir", "dir", DIR),
         A("screen-length", "paging", r"\d+ temporary")],
        config=False,
    ),
    "system": Mode("system", [*SYSTEM, *EVERYWHERE, A("save", "save")]),
    "interface": Mode("interface", [*INTERFACE, *EVERYWHERE]),
    "vlan": Mode("vlan", [R("description", r".+", Kind.SINGLE), R("name", NAME, Kind.SINGLE),
                          *EVERYWHERE]),
    "acl-basic": Mode("acl-basic", [R("rule", r"\d+ (?:permit|deny)(?: source .*)?",
                                      key=r"rule (\d+)", undo=r"\d+(?: .*)?"),
                                    R("description", r".+", Kind.SINGLE), *EVERYWHERE]),
    "acl-adv": Mode("acl-adv", [ACL_RULE, R("description", r".+", Kind.SINGLE), *EVERYWHERE]),
    "classifier": Mode("classifier", [*QOS_RULES["classifier"], *EVERYWHERE]),
    "behavior": Mode("behavior", [*QOS_RULES["behavior"], *EVERYWHERE]),
    "trafficpolicy": Mode("trafficpolicy", [
        R("classifier", rf"{NAME} behavior {NAME}(?: precedence \d+)?",
          key=r"classifier (\S+)"), *EVERYWHERE]),
    "ui": Mode("ui", [
        R("authentication-mode", r"aaa|password|none", Kind.SINGLE),
        R("protocol inbound", r"ssh|telnet|all", Kind.SINGLE),
        R("user privilege level", r"\d+", Kind.SINGLE),
        R("idle-timeout", r"\d+(?: \d+)?", Kind.SINGLE),
        *EVERYWHERE]),
}  # fmt: skip


class Huawei(BracketDialect):
    platform = "huawei"
    default_hostname = HOSTNAME
    ssh_version = "HUAWEI-1.5"
    serial_prefix, serial_digits = "2102", 16
    header = ("!Software Version V200R019C10SPC500",)
    error_prefix = "Error: "
    system_view_notice = "Enter system view, return user view with Ctrl+Z.\n"
    modes = MODES
    model = "S5720-28X-SI-AC"
    order = ("sysname", "vlan batch", "stp", "lldp", "clock timezone", "dhcp enable", "vlan",
             "acl", "traffic classifier", "traffic behavior", "traffic policy", "interface",
             "ip route-static", "info-center", "snmp-agent", "stelnet", "ntp-service",
             "user-interface")  # fmt: skip

    def factory_config(self, hostname: str) -> str:
        lines = [f"sysname {hostname}", "dhcp enable", "interface Vlanif1", "interface MEth0/0/1"]
        lines += [f"interface {p}" for p in PORTS]
        lines += [
            "stelnet server enable",
            "user-interface con 0",
            " authentication-mode password",
            "user-interface vty 0 4",
            " authentication-mode aaa",
            " protocol inbound ssh",
        ]
        return "\n".join(lines)

    def error(self, kind: str, column: int, line: str) -> str:
        # VRP really does omit the space after "Error:" for the incomplete/ambiguous forms.
        text = super().error(kind, column, line)
        return text if kind == "unrecognized" else text.replace("Error: ", "Error:")

    def banner(self, cfg: SwitchConfig) -> str:
        return (
            "\nInfo: The max number of VTY users is 5, and the number\n"
            "      of current VTY users on line is 1.\n"
        )

    def version(self, cfg: SwitchConfig) -> str:
        minutes = cfg.uptime_minutes()
        return (
            "Huawei Versatile Routing Platform Software\n"
            f"VRP (R) software, Version 5.170 ({self.model.split('-')[0]} V200R019C10SPC500)\n"
            "Copyright (C) 2000-2020 HUAWEI TECH CO., LTD\n"
            f"HUAWEI {self.model} Routing Switch uptime is 0 week, {minutes // 1440} day, "
            f"{minutes // 60 % 24} hour, {minutes % 60} minute\n"
            f"ES5D2T28S005 0(Master) : uptime is 0 week, 0 day, 0 hour, {minutes % 60} minute\n"
            f"Serial number: {cfg.serial}\n"
        )

    def act_display_vlan(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.huawei_vlan(s.cfg))

    def act_display_interface_brief(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.huawei_interface_brief(s.cfg))

    def act_display_clock(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.huawei_clock(s.cfg))

    def act_dir(self, s: Login, r: Resolved) -> Reply:
        return Reply(vrp_display.huawei_dir(s.cfg))

    def act_paging(self, s: Login, r: Resolved) -> Reply:
        return Reply("Info: The configuration takes effect on the current user terminal "
                     "interface only.\n")  # fmt: skip

    def act_save(self, s: Login, r: Resolved) -> Reply:
        def confirm(answer: str) -> Reply:
            if answer.lower() not in ("y", "yes"):
                return Reply()
            s.cfg.save()
            return Reply(
                "Now saving the current configuration to the slot 0.\n"
                "Info: Save the configuration successfully.\n"
            )

        return s.ask(
            "Warning: The current configuration will be written to the device.\n"
            "Are you sure to continue?[Y/N]:",
            confirm,
        )

    # A VLAN exists once created by `vlan batch` or `vlan N`; VRP lists every one of them on
    # the `vlan batch` line and shows `vlan N` sections only when they carry settings.
    def after_set(self, cfg: SwitchConfig, parent: Node, node: Node) -> None:
        if node.rule is not None and node.rule.tag == "vlan" and parent is cfg.running:
            self._batch(cfg, lambda ids: ids | {int(node.line.split()[1])})

    def after_undo(self, cfg: SwitchConfig, parent: Node, found: Resolved, ids: set[int]) -> None:
        if parent is not cfg.running:
            return
        if found.rule.tag == "vlan-batch":
            cfg.running.children = [
                c
                for c in cfg.running.children
                if not (c.rule and c.rule.tag == "vlan" and int(c.line.split()[1]) in ids)
            ]
        elif found.rule.tag == "vlan":
            gone = parse_vlans(found.args)
            self._batch(cfg, lambda current: current - gone)

    def _batch(self, cfg: SwitchConfig, change: Callable[[set[int]], set[int]]) -> None:
        rule = next(r for r in SYSTEM if r.tag == "vlan-batch")
        node = next((c for c in cfg.running.children if c.rule is rule), None)
        current = parse_vlans(node.line[len(rule.text) :]) if node else set()
        ids = change(current)
        if node is None and ids:
            node = Node("vlan batch", rule)
            self.insert(cfg.running, node, cfg.running)
        if node is not None:
            if ids:
                node.line = f"{rule.text} {self.format_vlans(ids)}"
            else:
                cfg.running.children.remove(node)


DIALECT = Huawei()
