"""What every switch dialect declares, and the device memory the sessions share.

A `Dialect` supplies the per-mode command tables, prompts, error texts and display formats
(vendor wording lives only in the dialect modules). `SwitchConfig` is one device's memory:
running and saved config trees, shared by all SSH sessions of a switch for its lifetime. The
mode machine that walks the tables for one login is `session.CliSession`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from provision.lab.cli.tree import (
    Failure,
    Kind,
    Node,
    Resolved,
    Rule,
    Table,
    parse_indented,
    parse_vlans,
)


@dataclass(slots=True)
class Reply:
    text: str = ""  # what the device prints after the echoed command, before the next prompt
    close: bool = False  # the session ends (quit/exit from the top level)


@dataclass(slots=True)
class Mode:
    name: str
    rules: list[Rule]
    config: bool = True  # a configuration mode (ssh_drop and fallback apply)
    table: Table = field(init=False)
    config_table: Table = field(init=False)  # without ACTIONs: what enclosing modes lend

    def __post_init__(self) -> None:
        self.table = Table(self.rules)
        self.config_table = Table([r for r in self.rules if r.kind is not Kind.ACTION])


@dataclass(slots=True)
class Frame:
    mode: str
    node: Node | None = None  # the section this mode edits (root for system/config)
    label: str = ""  # prompt label, e.g. "GigabitEthernet0/0/1" or "vlan10"


class Login(Protocol):
    """What a dialect's actions use of a login (`session.CliSession` is the one there is):
    declared here so that the dialects and the mode machine do not import each other."""

    cfg: SwitchConfig
    frames: list[Frame]
    enable_secret: str | None

    def ask(self, text: str, handler: Callable[[str], Reply], *, secret: bool = False) -> Reply: ...
    def fail(self, failure: Failure, offset: int = 0) -> Reply: ...
    def enter_config(self) -> None: ...
    def piped(self, table: Table, line: str, offset: int = 0) -> Reply: ...
    def execute(self, raw: str) -> Reply: ...
    def fork(self) -> Login: ...  # another login on the same device (IOS `copy` types a file)


class Dialect:
    """Vendor specifics. Subclasses fill the tables and texts; see huawei.py for an example."""

    scp_enable = ""  # the config line that lets SCP write to flash ("" = no SCP server)
    platform = ""  # the switch platform's name (provision.drivers.switch_platforms)
    default_hostname = ""
    model = ""  # what the version display names the hardware
    ssh_version = ""  # what the vendor's sshd says in its version banner (audits look at it)
    serial_prefix = ""  # serial numbers in the vendor's format: a fixed prefix ...
    serial_digits = 0  # ... and this many hex digits
    undo_word = "undo"
    comment = "#"
    login_mode = "user"  # first mode after login
    unprivileged_mode = ""  # IOS: with an enable secret, login lands here ("user", `>`)
    config_mode = "system"  # the top configuration mode (edits the root)
    vlan_merge = True  # VLAN lists add to what is there (VRP) rather than replace (IOS)
    modes: dict[str, Mode]

    def factory_config(self, hostname: str) -> str:
        raise NotImplementedError

    def render(self, root: Node) -> list[str]:
        """The whole configuration as `display current-configuration`/`show run` prints it."""
        raise NotImplementedError

    def render_body(self, root: Node) -> list[str]:
        """Just the lines with the vendor's separators, no header/trailer."""
        raise NotImplementedError

    def canonical(self, table: Table, found: Resolved) -> Resolved:
        """Map an alias spelling to the one the device stores (e.g. Comware `acl number`)."""
        return found

    def format_vlans(self, ids: set[int]) -> str:
        raise NotImplementedError

    def prompt(self, s: Login) -> str:
        raise NotImplementedError

    def error(self, kind: str, column: int, line: str) -> str:
        raise NotImplementedError

    def banner(self, cfg: SwitchConfig) -> str:
        return ""

    # Devices print top-level lines in a fixed feature order, not in the order typed. `order`
    # lists line prefixes (first match wins); new top-level lines go after their peers.
    order: tuple[str, ...] = ()

    def rank(self, line: str) -> int:
        words = line.split()
        for i, prefix in enumerate(self.order):
            want = prefix.split()
            if words[: len(want)] == want:
                return i
        return len(self.order)

    def insert(self, parent: Node, node: Node, root: Node) -> None:
        if parent is root:
            rank = self.rank(node.line)
            for i, child in enumerate(parent.children):
                if self.rank(child.line) > rank:
                    parent.children.insert(i, node)
                    return
        parent.children.append(node)

    def after_set(self, cfg: SwitchConfig, parent: Node, node: Node) -> None:
        """Hook for settings that imply others (e.g. VRP `vlan 10` extends `vlan batch`)."""

    def after_undo(self, cfg: SwitchConfig, parent: Node, found: Resolved, ids: set[int]) -> None:
        """Hook run after an undo/no; `ids` holds VLAN ids removed from a VLANS rule."""

    # --- generic actions; dialect tables refer to them by name ---------------------------------

    def act_quit(self, s: Login, r: Resolved) -> Reply:
        if len(s.frames) == 1:
            return Reply(close=True)
        s.frames.pop()
        return Reply()

    def act_top(self, s: Login, r: Resolved) -> Reply:
        del s.frames[1:]
        return Reply()

    def act_noop(self, s: Login, r: Resolved) -> Reply:
        return Reply()

    def act_running(self, s: Login, r: Resolved) -> Reply:
        return Reply(s.cfg.running_text())

    def act_saved(self, s: Login, r: Resolved) -> Reply:
        return Reply(s.cfg.saved_text())

    def act_this(self, s: Login, r: Resolved) -> Reply:
        node = s.frames[-1].node
        if node is None:
            return Reply()
        if node is s.cfg.running:
            return Reply(s.cfg.running_text())
        holder = Node("")
        holder.children.append(node)
        return Reply("\n".join(self.render_body(holder)) + "\n")

    def act_version(self, s: Login, r: Resolved) -> Reply:
        return Reply(self.version(s.cfg))

    def version(self, cfg: SwitchConfig) -> str:
        raise NotImplementedError


class SwitchConfig:
    """Running and saved configuration of one switch; lives as long as the Switch object."""

    def __init__(self, dialect: Dialect, hostname: str | None, serial: str) -> None:
        self.dialect = dialect
        self.serial = serial
        self.booted = time.monotonic()
        root_mode = dialect.modes[dialect.config_mode]
        tables = {name: m.config_table for name, m in dialect.modes.items()}
        factory = dialect.factory_config(hostname or dialect.default_hostname)
        self.running = parse_indented(factory, root_mode.config_table, tables)
        self.saved = self.running.copy()
        self.saves = 0
        # Files on the device's flash (name -> bytes): what `dir`, `copy` and SCP see.
        self.flash: dict[str, bytes] = {}

    @property
    def hostname(self) -> str:
        for node in self.running.children:
            if node.rule is not None and node.rule.tag == "hostname":
                return node.line.split(None, 1)[1]
        return self.dialect.default_hostname

    def save(self) -> None:
        self.saved = self.running.copy()
        self.saves += 1

    @property
    def unsaved(self) -> bool:
        return not self.running.same_config(self.saved)

    def summary(self) -> dict[str, object]:
        """JSON-friendly digest for the lab API: what an operator glances at, no secrets."""
        vlans: set[int] = set()
        interfaces: dict[str, list[str]] = {}
        for node in self.running.children:
            tag = node.rule.tag if node.rule else ""
            if tag == "vlan-batch":
                vlans |= parse_vlans(node.line.split(None, 2)[2])
            elif tag == "vlan":
                vlans.add(int(node.line.split()[1]))
            elif node.line.startswith("interface ") and node.children:
                interfaces[node.line.split(None, 1)[1]] = [c.line for c in node.children]
        return {
            "hostname": self.hostname,
            "vlans": sorted(vlans),
            "configured_interfaces": interfaces,
            "unsaved_changes": self.unsaved,
            "saves": self.saves,
        }

    def uptime_minutes(self) -> int:
        return int((time.monotonic() - self.booted) // 60)

    def running_text(self) -> str:
        return "\n".join(self.dialect.render(self.running)) + "\n"

    def saved_text(self) -> str:
        return "\n".join(self.dialect.render(self.saved)) + "\n"
