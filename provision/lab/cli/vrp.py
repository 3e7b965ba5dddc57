"""What Huawei VRP and H3C Comware share: bracket prompts, `#`-separated displays, `undo`.

Comware grew out of VRP, so the two CLIs look alike: `<name>` user view, `[name]` system view,
`[name-<view label>]` sub-views, `quit`/`return`, VLAN lists as "10 20 to 25". The differences
(wording, view labels, leaf indentation, saving) live in huawei.py and hp_comware.py.
"""

from __future__ import annotations

from provision.lab.cli.base import Dialect, Login, Reply
from provision.lab.cli.tree import (
    IFNAME,
    VID,
    VLIST_WORDS,
    A,
    Kind,
    Node,
    R,
    Resolved,
    Rule,
    format_vlans_words,
)

IP = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}"
MASK = rf"(?:{IP}|[12]?\d|3[0-2])"
NAME = r"[\w.:/-]+"
TIMEZONE = r"\S+ (?:add|minus) \d{1,2}(?::\d{2}){1,2}"

# Verbs valid in every view (VRP and Comware both allow display/save from sub-views).
EVERYWHERE = [
    A("display current-configuration", "running"),
    A("display saved-configuration", "saved"),
    A("display version", "version"),
    A("display this", "this"),
    A("display vlan", "display_vlan"),
    A("display interface brief", "display_interface_brief"),
    A("display clock", "display_clock"),
    A("quit", "quit"),
    A("return", "top"),
]

# Interface sub-lines common to both: description, addressing, and shutdown.
INTERFACE_COMMON = [
    R("description", r".+", Kind.SINGLE),
    R("ip address", rf"{IP} {MASK}", Kind.SINGLE),
    R("shutdown", None, Kind.SINGLE),
    R("port link-type", r"access|trunk|hybrid", Kind.SINGLE),
    R("port access vlan", VID, Kind.SINGLE),
    R("stp edged-port enable", None, Kind.SINGLE),
]

ACL_RULE = R(
    "rule",
    r"\d+ (?:permit|deny)(?: \S+.*)?",
    key=r"rule (\d+)",
    undo=r"\d+(?: .*)?",
)


def system_rules(default_hostname: str) -> list[Rule]:
    """System-view settings whose syntax is the same on VRP and Comware."""
    return [
        R("sysname", NAME, Kind.SINGLE, tag="hostname", default=f"sysname {default_hostname}"),
        R("clock timezone", TIMEZONE, Kind.SINGLE),
        R("ntp-service unicast-server", rf"{IP}(?: .*)?", key=r"ntp-service unicast-server (\S+)"),
        R("info-center loghost", rf"{IP}(?: .*)?", key=r"info-center loghost (\S+)"),
        R("ip route-static", rf"{IP} {MASK} {IP}(?: .*)?"),
        R("snmp-agent sys-info location", r".+", Kind.SINGLE),
        R("snmp-agent sys-info contact", r".+", Kind.SINGLE),
        R("stp mode", r"stp|rstp|mstp|pvst", Kind.SINGLE),
        R("lldp global enable", None, Kind.SINGLE),
        R("traffic classifier", rf"({NAME})(?: operator (?:and|or))?", Kind.SECTION,
          mode="classifier", label="classifier-{1}", key=r"traffic classifier (\S+)"),
        R("traffic behavior", rf"({NAME})", Kind.SECTION, mode="behavior", label="behavior-{1}"),
    ]  # fmt: skip


QOS_RULES: dict[str, list[Rule]] = {
    "classifier": [R("if-match", r".+")],
    "behavior": [
        R("remark", r"(?:dscp|8021p|local-precedence) \S+", key=r"remark (\S+)"),
        R("car cir", r"\d+(?: .*)?", Kind.SINGLE),
        R("permit", None, Kind.SINGLE),
        R("deny", None, Kind.SINGLE),
    ],
}


class BracketDialect(Dialect):
    """VRP-family behaviour; subclasses set wording, labels and tables."""

    comment = "#"
    undo_word = "undo"
    login_mode = "user"
    config_mode = "system"
    leaf_indent = ""  # Comware prints top-level single lines with one leading space
    header: tuple[str, ...] = ()
    error_prefix = "Error: "
    interface_types: tuple[str, ...] = ()

    def format_vlans(self, ids: set[int]) -> str:
        return format_vlans_words(ids)

    def prompt(self, s: Login) -> str:
        host, frame = s.cfg.hostname, s.frames[-1]
        if frame.mode == "user":
            return f"<{host}>"
        if frame.mode == "system":
            return f"[{host}]"
        return f"[{host}-{frame.label}]"

    def error(self, kind: str, column: int, line: str) -> str:
        what = {"incomplete": "Incomplete", "ambiguous": "Ambiguous"}.get(kind, "Unrecognized")
        return f"{' ' * column}^\n{self.error_prefix}{what} command found at '^' position.\n"

    def render_body(self, root: Node) -> list[str]:
        out: list[str] = []
        leaf_rank = -1  # rank of the leaf group being printed; -1 after a section
        for node in root.visible():
            section = node.rule is not None and node.rule.kind is Kind.SECTION
            if section or node.children:
                out.append("#")
                out.append(node.line)
                out.extend(" " * (depth + 1) + c.line for depth, c in node.walk())
                leaf_rank = -1
            else:
                rank = self.rank(node.line)
                if rank != leaf_rank:
                    out.append("#")
                out.append(self.leaf_indent + node.line)
                leaf_rank = rank
        out.append("#")
        return out

    def render(self, root: Node) -> list[str]:
        return [*self.header, *self.render_body(root), "return"]

    def act_this(self, s: Login, r: Resolved) -> Reply:
        reply = super().act_this(s, r)
        return reply if reply.text.endswith("return\n") else Reply(reply.text + "return\n")

    # The everyday displays; each dialect lays them out (vrp_display.py).
    def act_display_vlan(self, s: Login, r: Resolved) -> Reply:
        raise NotImplementedError

    def act_display_interface_brief(self, s: Login, r: Resolved) -> Reply:
        raise NotImplementedError

    def act_display_clock(self, s: Login, r: Resolved) -> Reply:
        raise NotImplementedError

    def act_dir(self, s: Login, r: Resolved) -> Reply:
        raise NotImplementedError

    def act_system(self, s: Login, r: Resolved) -> Reply:
        s.enter_config()
        return Reply(self.system_view_notice)

    system_view_notice = ""


__all__ = [
    "ACL_RULE",
    "EVERYWHERE",
    "IFNAME",
    "INTERFACE_COMMON",
    "IP",
    "MASK",
    "NAME",
    "QOS_RULES",
    "VID",
    "VLIST_WORDS",
    "BracketDialect",
    "system_rules",
]
