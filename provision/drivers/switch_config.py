"""Switch configuration as a tree of lines, flattened to settings, per platform.

Both the rendered template and the device's running config are parsed into the same tree
(indented lines are children of the section line above them), then flattened to one setting
per line, keyed by its section path: `config/interface GigabitEthernet0/0/1/description` holds
the whole line of a single-valued command; a multi-valued line (an ACL rule, an NTP server,
one VLAN of `vlan batch`) is its own key with the value True; a section line is a key with
the value True too, so it can be created and deleted. A `Dialect` knows, per platform, which
commands are single-valued and how each kind of line is taken back (`undo`/`no`); each
platform's own dialect lives in its module under `switch_platforms`. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from provision.drivers.base import Settings
from provision.i18n import _

PREFIX = "config/"
# What a switch prints when it refuses a line (VRP, IOS, Comware wordings).
ERROR = re.compile(
    r"^[ \t]*(?:Error:.*|%[ \t]?(?:Invalid|Incomplete|Ambiguous|Unrecognized|Unknown|Too many"
    r"|Wrong|Bad|Error).*|.*Unrecognized command.*)$",
    re.M,
)
PORT_SECTIONS = r"interface \S*(?:Ethernet|GE|GigE|MEth)\S*"  # hardware: see Dialect.implicit
_VLAN_LIST = re.compile(r"\d+(?:(?: to |-)\d+)?(?:(?:,| )\d+(?:(?: to |-)\d+)?)*")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(slots=True)
class ConfigLine:
    text: str
    children: list[ConfigLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Single:
    """A command with one value per section; `name` (a match template) is its setting name."""

    pattern: re.Pattern[str]
    name: str
    undo_line: bool  # take it back by the whole line (bindings), not by the command alone
    negated: str = ""  # IOS prints `no ip address`: the bare command that sets this too

    def match(self, line: str, *, negated: bool = False) -> str | None:
        if negated:
            return self.negated if line == self.negated else self.match(line)
        m = self.pattern.fullmatch(line)
        return m.expand(self.name) if m else None


def singles(*specs: str, whole_line: Iterable[tuple[str, str]] = ()) -> tuple[Single, ...]:
    def bare(pattern: str) -> str:  # the literal command of "(ip address) \S+ \S+"
        m = re.match(r"\(([a-z -]+)\)", pattern)
        return m.group(1) if m else ""

    """Single-valued commands of a platform: in each pattern the first group names the setting;
    `whole_line` pairs (pattern, name) are taken back by their whole line (bindings)."""
    plain = [Single(re.compile(p), r"\1", False, bare(p)) for p in specs]
    return (*plain, *(Single(re.compile(p), n, True) for p, n in whole_line))


def parse_vlans(text: str) -> set[int]:
    ids: set[int] = set()
    for part in re.sub(r" to ", "-", text).replace(",", " ").split():
        lo, _, hi = part.partition("-")
        ids.update(range(int(lo), int(hi or lo) + 1))
    return ids


def _runs(ids: set[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for v in sorted(ids):
        if runs and runs[-1][1] == v - 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


@dataclass(frozen=True)
class Dialect:
    platform: str
    undo_word: str
    exit_word: str  # leave one sub-mode
    show_running: str
    enter_config: str
    leave_config: str
    config_prompt: str  # regex for the prompt in any configuration mode
    exec_prompt: str  # regex for the prompt outside configuration mode
    save_ok: re.Pattern[str]
    singles: tuple[Single, ...]
    sections: re.Pattern[str]  # lines that open a section, even while empty
    owned: re.Pattern[str]  # top-level sections a template holds completely when it has them
    noise: re.Pattern[str]  # display header/trailer lines that are not configuration
    identities: tuple[tuple[re.Pattern[str], str], ...] = ()  # section line -> its name
    # Sections that exist without us get no setting of their own: ports are hardware
    # (`undo interface GigabitEthernet0/0/1` is no way to unconfigure one).
    implicit: re.Pattern[str] = re.compile(PORT_SECTIONS)
    # How a line may be typed -> how the device prints it (e.g. a space in a port name).
    spellings: tuple[tuple[re.Pattern[str], str], ...] = ()
    ordered: re.Pattern[str] | None = None  # sections whose entry order matters, unnumbered
    vlan_lists: tuple[str, ...] = ()  # single-valued VLAN-list commands
    vlan_merge: bool = True  # a VLAN list adds to what is there (VRP) rather than replaces
    vlan_batch: bool = False  # VRP: every VLAN is listed on one `vlan batch` line
    rule_numbers: bool = False  # ACL rules are numbered and taken back by number

    # --- reading --------------------------------------------------------------------------------

    def is_noise(self, line: str) -> bool:
        return bool(self.noise.fullmatch(line))

    def canonical(self, line: str) -> str:
        """Whitespace collapsed; VLAN lists and other spellings as the device prints them."""
        line = " ".join(line.split())
        for pattern, printed in self.spellings:
            line = pattern.sub(printed, line)
        for head in self.vlan_lists:
            rest = line[len(head) + 1 :]
            if line.startswith(head + " ") and _VLAN_LIST.fullmatch(rest):
                return f"{head} {self.format_vlans(parse_vlans(rest))}"
        return line

    def format_vlans(self, ids: set[int]) -> str:
        if self.vlan_merge:  # VRP/Comware: "10 to 12 20"
            return " ".join(f"{a} to {b}" if b > a else str(a) for a, b in _runs(ids))
        parts: list[str] = []  # IOS: "10-12,20,21"
        for a, b in _runs(ids):
            parts += [f"{a}-{b}"] if b - a >= 2 else [str(v) for v in range(a, b + 1)]
        return ",".join(parts)

    def is_section(self, line: str) -> bool:
        return bool(self.sections.fullmatch(line))

    def is_implicit(self, line: str) -> bool:
        return bool(self.implicit.fullmatch(line))

    def is_ordered(self, line: str) -> bool:
        return bool(self.ordered and self.ordered.fullmatch(line))

    def identity(self, line: str) -> str:
        """A section's name without qualifiers that can change in place."""
        for pattern, name in self.identities:
            m = pattern.fullmatch(line)
            if m:
                return m.expand(name)
        return line

    def is_owned(self, top: str) -> bool:
        return bool(self.owned.fullmatch(top))

    def setting_name(self, line: str) -> str | None:
        """The setting a single-valued line sets (IOS `no X` sets the same one as `X`)."""
        negated = self.undo_word == "no" and line.startswith("no ")
        for rule in self.singles:
            name = rule.match(line[3:], negated=True) if negated else rule.match(line)
            if name is not None:
                return name
        return None

    def leaf_settings(self, line: str) -> list[tuple[str, object]]:
        if self.vlan_batch and line.startswith("vlan batch "):
            return [(f"vlan batch {v}", True) for v in sorted(parse_vlans(line[11:]))]
        name = self.setting_name(line)
        return [(line, True)] if name is None else [(name, line)]

    # --- writing --------------------------------------------------------------------------------

    def check_safe(self, line: str) -> None:
        if not line or line != line.strip() or _UNSAFE.search(line):
            raise ValueError(
                _("refusing to type {line!r} into a switch: not one clean line").format(line=line)
            )

    def undo_section(self, line: str) -> str:
        # IOS takes the whole line back (`no class-map match-any VIDEO`); VRP/Comware want the
        # bare name (`undo traffic classifier video`, without `operator or`).
        return f"no {line}" if self.undo_word == "no" else f"undo {self.identity(line)}"

    def undo_leaf(self, line: str) -> str:
        m = re.match(r"rule (\d+) ", line)
        if self.rule_numbers and m:
            return f"{self.undo_word} rule {m.group(1)}"
        return f"{self.undo_word} {line}"

    def undo_single(self, line: str) -> str:
        negated = self.undo_word == "no" and line.startswith("no ")
        body = line[3:] if negated else line
        for rule in self.singles:
            name = rule.match(body, negated=negated)
            if name is None:
                continue
            if name in self.vlan_lists and self.vlan_merge:  # `undo ... vlan all` if unparsed
                vlans = self.format_vlans(self.vlans_of(body)) or "all"
                return f"{self.undo_word} {name} {vlans}"
            return f"{self.undo_word} {body if rule.undo_line else name}"
        raise ValueError(
            _("{line!r} is not a single-valued {platform} command").format(
                line=line, platform=self.platform
            )
        )

    def vlans_of(self, line: str) -> set[int]:
        head = next((h for h in self.vlan_lists if line.startswith(h + " ")), None)
        rest = line[len(head) + 1 :] if head else ""
        return parse_vlans(rest) if _VLAN_LIST.fullmatch(rest) else set()

    def vlans_to_drop(self, before: str, after: str) -> list[str]:
        """VRP/Comware lists add up: replacing one first takes away the VLANs that go."""
        name = self.setting_name(after)
        if not self.vlan_merge or name not in self.vlan_lists or self.setting_name(before) != name:
            return []
        dropped = self.vlans_of(before) - self.vlans_of(after)
        return [f"{self.undo_word} {name} {self.format_vlans(dropped)}"] if dropped else []


# --- keys ---------------------------------------------------------------------------------------
# Segments are config lines joined by "/". Interface names carry "/" followed by a digit and no
# command starts with a digit, so a "/" before a non-digit is the separator; any other "/" or
# leading digit is %-escaped, which keeps ordinary keys readable and every key reversible.


def _encode_segment(segment: str) -> str:
    text = re.sub(r"/(?![0-9])", "%2F", segment.replace("%", "%25"))
    return f"%{ord(text[0]):02X}{text[1:]}" if text and text[0] in "0123456789" else text


def encode_key(segments: Iterable[str]) -> str:
    return PREFIX + "/".join(_encode_segment(s) for s in segments)


def decode_key(key: str) -> tuple[str, ...]:
    if not key.startswith(PREFIX) or len(key) == len(PREFIX):
        raise ValueError(_("not a switch config setting: {key!r}").format(key=key))
    parts = re.split(r"/(?=[^0-9])", key[len(PREFIX) :])
    return tuple(re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), p) for p in parts)


# --- parsing ------------------------------------------------------------------------------------


def parse_config(text: str, dialect: Dialect) -> list[ConfigLine]:
    """The top-level lines of a template or a running-config display, children attached.

    Depth is measured from the first line after a separator ("#", "!"), not from column 0:
    Comware prints top-level single lines indented by one space (" sysname H3C") and section
    children with one space too, and only the separator tells them apart.
    """
    root = ConfigLine("")
    stack: list[tuple[int, ConfigLine]] = [(-1, root)]
    base: int | None = None
    for raw in text.replace("\r", "").split("\n"):
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip(" "))
        if not stripped:
            continue
        if stripped in ("#", "!") or dialect.is_noise(stripped):
            if indent == 0:
                base, stack = None, [(-1, root)]
            continue
        if base is None or indent < base:
            base = indent
        depth = indent - base
        while stack[-1][0] >= depth:
            stack.pop()
        node = ConfigLine(dialect.canonical(stripped))
        stack[-1][1].children.append(node)
        stack.append((depth, node))
    return root.children


def flatten(lines: list[ConfigLine], dialect: Dialect) -> Settings:
    """One setting per line, in the order of the text (apply orders its work by it)."""
    out: Settings = {}

    def walk(nodes: list[ConfigLine], path: tuple[str, ...]) -> None:
        for node in nodes:
            if node.children or dialect.is_section(node.text):
                if not dialect.is_implicit(node.text):
                    out[encode_key((*path, node.text))] = True
                walk(node.children, (*path, node.text))
                continue
            for name, value in dialect.leaf_settings(node.text):
                out[encode_key((*path, name))] = value

    walk(lines, ())
    return out


def find_section(lines: list[ConfigLine], path: tuple[str, ...]) -> ConfigLine | None:
    node: ConfigLine | None = None
    children = lines
    for segment in path:
        node = next((c for c in children if c.text == segment), None)
        if node is None:
            return None
        children = node.children
    return node
