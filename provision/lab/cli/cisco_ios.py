"""Cisco IOS (Catalyst 2960G-class switch) as netmiko's `cisco_ios` driver expects it.

netmiko's CiscoIosSSH: sends `terminal width 511` and `terminal length 0`, finds the prompt by
`#`/`>`, runs `enable` (answering `Password:` with the secret), enters config with
`configure terminal` (checks for `)#`), leaves with `end`, saves with `write mem`, logs out with
`exit`. After each config line it waits for the old hostname or any `#`, so a `hostname` change
mid-template still completes.

Everyday displays are laid out in `ios_show.py`; flash files (`dir`, `verify /md5`, `copy`
to and from `running-config`, SCP uploads once `ip scp server enable` is set) in
`ios_files.py` and `lab/switch_flash.py`, as NAPALM's `ios` driver uses them.
"""

from __future__ import annotations

from provision.lab.cli import ios_files, ios_show
from provision.lab.cli.base import Dialect, Frame, Login, Mode, Reply, SwitchConfig
from provision.lab.cli.tree import (
    IFNAME,
    VID,
    VLIST_COMMAS,
    A,
    Failure,
    Kind,
    Node,
    R,
    Resolved,
    format_vlans_commas,
    interface_canon,
)

IP = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}"
NAME = r"[\w.:/-]+"
INTERFACE_TYPES = (
    "GigabitEthernet",
    "FastEthernet",
    "TenGigabitEthernet",
    "Vlan",
    "Port-channel",
    "Loopback",
    "Ethernet",
)
PORTS = [f"GigabitEthernet0/{n}" for n in range(1, 25)]
HOSTNAME = "Switch"
ACE = r"(?:permit|deny|remark)"

CONFIG_VERBS = [A("exit", "quit"), A("end", "top"), A("do", "do", r".+")]
EXEC_COMMON = [
    A("terminal length", "noop", r"\d+"),
    A("terminal width", "noop", r"\d+"),
    A("terminal monitor", "noop"),
    A("show version", "version"),
    A("show clock", "show_clock"),
    A("show interfaces", "show_interfaces"),
    A("show interfaces status", "show_interfaces_status"),
    A("show ip interface", "show_ip_interface"),
    A("show ip interface brief", "show_ip_interface_brief"),
    A("show ipv6 interface", "noop"),  # no IPv6 configured: IOS prints nothing
    A("show vlan", "show_vlan"),
    A("show vlan brief", "show_vlan_brief"),
    A("show vlan id", "show_vlan_id", VID),
    A("show hosts", "show_hosts"),
    A("exit", "quit"),
    A("logout", "quit"),
]
# Privileged only (IOS user EXEC has no `dir` or `show archive`).
PRIV_SHOWS = [
    A("dir", "dir", r"(?:flash:\S*)?"),
    A("show archive", "show_archive"),
    A("verify", "verify_md5", r"/md5 \S+"),
    A("copy", "copy_file", r"\S+ \S+"),
]

CONFIG = [
    R("hostname", NAME, Kind.SINGLE, tag="hostname", default=f"hostname {HOSTNAME}"),
    R("vlan", VID, Kind.SECTION, mode="config-vlan", label="{0}", tag="vlan"),
    R("interface", IFNAME, Kind.SECTION, mode="config-if", label="{0}",
      canon=interface_canon(INTERFACE_TYPES)),
    R("ip access-list extended", NAME, Kind.SECTION, mode="config-ext-nacl"),
    R("ip access-list standard", NAME, Kind.SECTION, mode="config-std-nacl"),
    R("class-map", rf"(?:match-any |match-all )?{NAME}", Kind.SECTION, mode="config-cmap",
      key=r"class-map (?:match-\S+ )?(\S+)"),
    R("policy-map", NAME, Kind.SECTION, mode="config-pmap"),
    R("line vty", r"\d+(?: \d+)?", Kind.SECTION, mode="config-line"),
    R("line con", r"0", Kind.SECTION, mode="config-line"),
    R("ntp server", rf"{IP}(?: .*)?", key=r"ntp server (\S+)"),
    R("clock timezone", r"\S+ -?\d+(?: \d+)?", Kind.SINGLE),
    R("ip route", rf"{IP} {IP} \S+(?: .*)?"),
    R("ip default-gateway", IP, Kind.SINGLE),
    R("ip domain-name", NAME, Kind.SINGLE),
    R("logging host", rf"{IP}(?: .*)?", key=r"logging host (\S+)"),
    R("snmp-server location", r".+", Kind.SINGLE),
    R("snmp-server contact", r".+", Kind.SINGLE),
    R("spanning-tree mode", r"pvst|rapid-pvst|mst", Kind.SINGLE),
    R("spanning-tree extend system-id", None, Kind.SINGLE),
    R("vlan internal allocation policy", r"ascending|descending", Kind.SINGLE),
    R("ip scp server enable", None, Kind.SINGLE),
    R("file prompt", r"quiet|noisy|alert", Kind.SINGLE),
]  # fmt: skip

INTERFACE = [
    R("description", r".+", Kind.SINGLE),
    R("ip address", rf"{IP} {IP}", Kind.SINGLE),
    R("shutdown", None, Kind.SINGLE),
    R("switchport mode", r"access|trunk|dynamic (?:auto|desirable)", Kind.SINGLE),
    R("switchport access vlan", VID, Kind.SINGLE),
    R("switchport trunk native vlan", VID, Kind.SINGLE),
    R("switchport trunk allowed vlan",
      rf"{VLIST_COMMAS}|(?:add|remove|except) {VLIST_COMMAS}|all|none", Kind.VLANS),
    R("switchport nonegotiate", None, Kind.SINGLE),
    R("service-policy", rf"(?:input|output) {NAME}", key=r"service-policy (input|output)"),
    R("ip access-group", rf"{NAME} (?:in|out)", key=r"ip access-group \S+ (in|out)"),
    R("spanning-tree portfast", r"(?:edge|trunk|edge trunk)?", Kind.SINGLE),
    R("speed", r"10|100|1000|auto", Kind.SINGLE),
    R("duplex", r"full|half|auto", Kind.SINGLE),
]  # fmt: skip

MODES = {
    "user": Mode("user", [*EXEC_COMMON, A("enable", "enable")], config=False),
    "priv": Mode("priv", [
        *EXEC_COMMON,
        A("enable", "noop"),
        A("disable", "disable"),
        A("configure terminal", "configure"),
        *PRIV_SHOWS,
        A("show running-config", "running"),
        A("show startup-config", "saved"),
        A("write", "save"),
        A("write memory", "save"),
        A("copy running-config startup-config", "copy_save"),
    ], config=False),
    "config": Mode("config", [*CONFIG, *CONFIG_VERBS]),
    "config-if": Mode("config-if", [*INTERFACE, *CONFIG_VERBS]),
    "config-vlan": Mode("config-vlan", [R("name", NAME, Kind.SINGLE), *CONFIG_VERBS]),
    "config-ext-nacl": Mode("config-ext-nacl", [R("", rf"{ACE} .+"), *CONFIG_VERBS]),
    "config-std-nacl": Mode("config-std-nacl", [R("", rf"{ACE} .+"), *CONFIG_VERBS]),
    "config-cmap": Mode("config-cmap", [R("match", r".+"), R("description", r".+", Kind.SINGLE),
                                        *CONFIG_VERBS]),
    "config-pmap": Mode("config-pmap", [
        R("class", NAME, Kind.SECTION, mode="config-pmap-c"),
        R("description", r".+", Kind.SINGLE), *CONFIG_VERBS]),
    "config-pmap-c": Mode("config-pmap-c", [
        R("set", r"\S+ .+", key=r"set (\S+)"),
        R("police", r".+", Kind.SINGLE),
        R("bandwidth", r".+", Kind.SINGLE),
        R("priority", r".*", Kind.SINGLE),
        *CONFIG_VERBS]),
    "config-line": Mode("config-line", [
        R("login", r"(?:local)?", Kind.SINGLE),
        R("transport input", r"ssh|telnet|all|none|telnet ssh|ssh telnet", Kind.SINGLE),
        R("exec-timeout", r"\d+(?: \d+)?", Kind.SINGLE),
        *CONFIG_VERBS]),
}  # fmt: skip


class CiscoIos(Dialect):
    platform = "cisco_ios"
    default_hostname = HOSTNAME
    ssh_version = "Cisco-1.25"
    serial_prefix, serial_digits = "FOC", 8
    undo_word = "no"
    comment = "!"
    login_mode = "priv"
    unprivileged_mode = "user"
    config_mode = "config"
    vlan_merge = False
    modes = MODES
    model = "WS-C2960G-24TC-L"
    order = ("version", "service", "no service", "hostname", "clock timezone", "ip domain-name",
             "spanning-tree", "vlan internal", "vlan", "class-map", "policy-map", "interface",
             "ip default-gateway", "ip route", "ip access-list", "logging", "snmp-server",
             "line", "ntp")  # fmt: skip

    def factory_config(self, hostname: str) -> str:
        lines = [
            "version 15.0",
            "service timestamps debug datetime msec",
            "service timestamps log datetime msec",
            "no service password-encryption",
            f"hostname {hostname}",
            "spanning-tree mode pvst",
            "spanning-tree extend system-id",
            "vlan internal allocation policy ascending",
        ]
        lines += [f"interface {p}" for p in PORTS]
        lines += ["interface Vlan1", " no ip address", " shutdown"]
        lines += ["line con 0", "line vty 0 4", " login local", " transport input ssh"]
        lines += ["line vty 5 15", " login local", " transport input ssh"]
        return "\n".join(lines)

    def format_vlans(self, ids: set[int]) -> str:
        return format_vlans_commas(ids)

    def prompt(self, s: Login) -> str:
        host, mode = s.cfg.hostname, s.frames[-1].mode
        if mode == "user":
            return f"{host}>"
        if mode == "priv":
            return f"{host}#"
        return f"{host}({mode})#"

    def error(self, kind: str, column: int, line: str) -> str:
        if kind == "incomplete":
            return "% Incomplete command.\n\n"
        if kind == "ambiguous":
            return f'% Ambiguous command:  "{line}"\n'
        return f"{' ' * column}^\n% Invalid input detected at '^' marker.\n\n"

    def render_body(self, root: Node) -> list[str]:
        out: list[str] = []
        leaf_rank = -1  # rank of the leaf group being printed; -1 after a section
        for node in root.visible():
            if (node.rule is not None and node.rule.kind is Kind.SECTION) or node.children:
                if out and out[-1] != "!":
                    out.append("!")
                out.append(node.line)
                out.extend(" " * (depth + 1) + c.line for depth, c in node.walk())
                leaf_rank = -1
            else:
                rank = self.rank(node.line)
                if out and rank != leaf_rank and out[-1] != "!":
                    out.append("!")
                out.append(node.line)
                leaf_rank = rank
        if out and out[-1] != "!":
            out.append("!")
        return out

    def render(self, root: Node) -> list[str]:
        body = self.render_body(root)
        size = sum(len(x) + 1 for x in body)
        return ["Building configuration...", "", f"Current configuration : {size} bytes", "!",
                *body, "end"]  # fmt: skip

    def act_saved(self, s: Login, r: Resolved) -> Reply:
        body = self.render_body(s.cfg.saved)
        size = sum(len(x) + 1 for x in body)
        return Reply("\n".join([f"Using {size} out of 65536 bytes", "!", *body, "end"]) + "\n")

    def version(self, cfg: SwitchConfig) -> str:
        minutes = cfg.uptime_minutes()
        return (
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11, "
            "RELEASE SOFTWARE (fc3)\n"
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2017 by Cisco Systems, Inc.\n\n"
            "ROM: Bootstrap program is C2960 boot loader\n"
            f"{cfg.hostname} uptime is {minutes // 1440} days, {minutes // 60 % 24} hours, "
            f"{minutes % 60} minutes\n"
            'System image file is "flash:/c2960-lanbasek9-mz.150-2.SE11.bin"\n\n'
            f"cisco {self.model} (PowerPC405) processor (revision D0) with 65536K bytes of "
            "memory.\n"
            f"Processor board ID {cfg.serial}\n\n"
            f"Model number                    : {self.model}\n"
            f"System serial number            : {cfg.serial}\n\n"
            "Configuration register is 0xF\n\n"
        )

    # --- everyday displays (layouts in ios_show.py) ---------------------------------------------

    image = "c2960-lanbasek9-mz.150-2.SE11.bin"
    scp_enable = "ip scp server enable"

    def act_show_clock(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.clock_text(s.cfg))

    def act_show_interfaces(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.interfaces(s.cfg))

    def act_show_interfaces_status(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.interfaces_status(s.cfg))

    def act_show_ip_interface(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.ip_interface(s.cfg))

    def act_show_ip_interface_brief(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.ip_interface_brief(s.cfg))

    def act_show_vlan(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.vlan(s.cfg, brief=False))

    def act_show_vlan_brief(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.vlan(s.cfg, brief=True))

    def act_show_vlan_id(self, s: Login, r: Resolved) -> Reply:
        text = ios_show.vlan_id(s.cfg, int(r.args))
        return Reply(text or f"VLAN id {int(r.args)} not found in current VLAN database\n")

    def act_show_hosts(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.hosts(s.cfg))

    def act_dir(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_files.listing(s.cfg, self.image, ios_files.flash_name(r.args) or ""))

    def act_verify_md5(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_files.md5(s.cfg, r.args.split()[1]))

    def act_copy_file(self, s: Login, r: Resolved) -> Reply:
        source, dest = r.args.split()

        def merge(text: str) -> list[str]:
            """The file's lines typed in configuration mode; what IOS prints for refused ones."""
            typist = s.fork()
            typist.enter_config()
            out = [typist.execute(line).text for line in text.splitlines()]
            return [o for o in out if o.strip()]

        return ios_files.copy(s, source, dest, merge)

    def act_show_archive(self, s: Login, r: Resolved) -> Reply:
        return Reply(ios_show.ARCHIVE_OFF)

    def act_configure(self, s: Login, r: Resolved) -> Reply:
        s.enter_config()
        return Reply("Enter configuration commands, one per line.  End with CNTL/Z.\n")

    def act_enable(self, s: Login, r: Resolved) -> Reply:
        def check(answer: str) -> Reply:
            if answer != s.enable_secret:
                return Reply("% Bad secrets\n\n")
            s.frames[0] = Frame("priv")
            return Reply()

        if s.enable_secret is None:  # lab convenience: no secret configured means no prompt
            s.frames[0] = Frame("priv")
            return Reply()
        return s.ask("Password: ", check, secret=True)

    def act_disable(self, s: Login, r: Resolved) -> Reply:
        s.frames[0] = Frame("user")
        return Reply()

    def act_save(self, s: Login, r: Resolved) -> Reply:
        s.cfg.save()
        return Reply("Building configuration...\n[OK]\n")

    def act_copy_save(self, s: Login, r: Resolved) -> Reply:
        def destination(answer: str) -> Reply:
            if answer not in ("", "startup-config"):
                return Reply("%Error opening flash:" + answer + " (Permission denied)\n")
            return self.act_save(s, r)

        return s.ask("Destination filename [startup-config]? ", destination)

    def act_do(self, s: Login, r: Resolved) -> Reply:
        """`do <exec command>` from any config mode, as IOS allows."""
        table = self.modes["priv"].table
        found = table.resolve(r.args.split())
        if isinstance(found, Failure) and "|" in r.args:
            return s.piped(table, r.args, offset=1)
        if isinstance(found, Failure):
            return s.fail(found, offset=1)
        if found.rule.action in ("quit", "configure"):
            return s.fail(Failure("unrecognized", 0), offset=1)
        reply: Reply = getattr(self, "act_" + found.rule.action)(s, found)
        return reply


DIALECT = CiscoIos()
