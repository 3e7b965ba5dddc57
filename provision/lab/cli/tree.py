"""The running-config as a tree of lines, and the per-mode command tables that build it.

A switch CLI is a set of modes; each mode accepts a table of command *heads* (literal keywords
the user may abbreviate, like real CLIs do) followed by arguments checked by a regex. The table
entry (`Rule`) also says how the accepted line changes the config tree: open a section, replace
a single-valued setting, add a keyed entry, or merge a VLAN list. Dialects only declare tables;
the session in `base.py` walks them, so adding a command is one line in a dialect module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    SECTION = "section"  # opens a sub-mode; re-entering finds the existing section
    SINGLE = "single"  # at most one line of this rule per section: a new value replaces the old
    LEAF = "leaf"  # many lines; same `key` groups replace, otherwise appended (deduplicated)
    VLANS = "vlans"  # a VLAN list merged into one line (vlan batch, trunk allow-pass ...)
    ACTION = "action"  # not stored: a session verb (display, save, quit ...)


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    head: tuple[str, ...]
    args: re.Pattern[str] | None  # fullmatch on the words after the head; None = no arguments
    kind: Kind
    mode: str = ""  # SECTION: the mode entered
    label: str = ""  # SECTION: prompt label, str.format(args, *groups)
    key: re.Pattern[str] | None = None  # LEAF/SECTION identity: groups of a match on the line
    canon: Callable[[str], str] | None = None  # normalise the arguments before storing
    default: str = ""  # SINGLE: line restored by undo (e.g. the factory sysname)
    hide_empty: bool = False  # SECTION: not displayed while it has no sub-lines
    tag: str = ""  # lets a dialect hook recognise the rule (e.g. "vlan", "vlan-batch")
    undo_args: re.Pattern[str] | None = None  # what may follow the head in undo/no form
    action: str = ""  # ACTION: name of the session handler

    @property
    def text(self) -> str:
        return " ".join(self.head)


def R(
    head: str,
    args: str | None = None,
    kind: Kind = Kind.LEAF,
    *,
    key: str | None = None,
    undo: str | None = None,
    **kw: object,
) -> Rule:
    """Compact rule constructor for the dialect tables (regexes are case-insensitive)."""
    flags = re.IGNORECASE
    return Rule(
        head=tuple(head.split()),
        args=re.compile(args, flags) if args is not None else None,
        kind=kind,
        key=re.compile(key, flags) if key else None,
        undo_args=re.compile(undo, flags) if undo is not None else None,
        **kw,  # type: ignore[arg-type]
    )


def A(head: str, action: str, args: str | None = None) -> Rule:
    """An ACTION rule: a verb handled by the session, never stored in the config."""
    return R(head, args, Kind.ACTION, action=action)


class Node:
    """One config line; a section opener has children (indented one space more when shown)."""

    __slots__ = ("children", "line", "rule")

    def __init__(self, line: str, rule: Rule | None = None) -> None:
        self.line = line
        self.rule = rule
        self.children: list[Node] = []

    def copy(self) -> Node:
        twin = Node(self.line, self.rule)
        twin.children = [c.copy() for c in self.children]
        return twin

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Node]]:
        for child in self.children:
            yield depth, child
            yield from child.walk(depth + 1)

    def visible(self) -> list[Node]:
        return [c for c in self.children if not (c.rule and c.rule.hide_empty and not c.children)]

    def same_config(self, other: Node) -> bool:
        return self.line == other.line and [c.line for _, c in self.walk()] == [
            c.line for _, c in other.walk()
        ]


def identity(rule: Rule, line: str) -> tuple[str, ...] | str:
    """What makes two lines of the same rule "the same setting" (so the new one replaces)."""
    if rule.kind in (Kind.SINGLE, Kind.VLANS):
        return ()
    if rule.key is not None:
        m = rule.key.match(line)
        if m:
            return tuple(g.lower() if g else "" for g in m.groups())
    return line


@dataclass(slots=True)
class Resolved:
    rule: Rule
    args: str  # argument text after the head, as typed (whitespace collapsed)
    match: re.Match[str] | None

    @property
    def line(self) -> str:
        """The canonical stored form: full keywords, normalised arguments."""
        args = self.rule.canon(self.args) if self.rule.canon else self.args
        return f"{self.rule.text} {args}".strip()


@dataclass(slots=True)
class Failure:
    kind: str  # "unrecognized" | "incomplete" | "ambiguous"
    word: int  # index of the offending word (for the caret)


@dataclass(slots=True)
class Table:
    """The rules of one mode, with the keyword trie walk real CLIs use for abbreviations."""

    rules: Sequence[Rule]
    _longest: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._longest = max((len(r.head) for r in self.rules), default=0)

    def resolve(self, words: list[str], *, undo: bool = False) -> Resolved | Failure:
        """Match typed words against the table: keywords by unique prefix, then arguments.

        Longer heads win ("vlan batch 10" over "vlan 10"). Failures carry the index of the
        word the device would put its caret under.
        """
        alive = list(self.rules)
        done: list[Rule] = []
        ambiguous = False
        i = 0
        while i < len(words) and i < self._longest:
            done.extend(r for r in alive if len(r.head) == i)
            cont = [r for r in alive if len(r.head) > i]
            keywords = {r.head[i] for r in cont}
            typed = words[i].lower()
            prefixed = [k for k in keywords if k.startswith(typed)]
            chosen = typed if typed in keywords else (prefixed[0] if len(prefixed) == 1 else "")
            if not chosen:
                ambiguous = len(prefixed) > 1
                break
            alive = [r for r in cont if r.head[i] == chosen]
            i += 1
        else:
            done.extend(r for r in alive if len(r.head) == i)
            if not done and i >= len(words) and alive:
                return Failure("incomplete", i)
        incomplete = False
        for rule in reversed(done):
            rest = " ".join(words[len(rule.head) :])
            pattern = rule.args
            if undo and rule.head and (rule.kind is not Kind.SECTION or rule.undo_args):
                # undo/no names a setting by its leading words: `undo description` is enough.
                # (A head-less rule, like IOS ACL entries, must still see its own syntax.)
                pattern = rule.undo_args or _ANYTHING
            if pattern is None:
                if not rest:
                    return Resolved(rule, rest, None)
                continue
            m = pattern.fullmatch(rest)
            if m:
                return Resolved(rule, rest, m)
            incomplete = incomplete or not rest
        if ambiguous:
            return Failure("ambiguous", i)
        if incomplete:
            return Failure("incomplete", len(words))
        return Failure("unrecognized", min(i, max(len(words) - 1, 0)))


_ANYTHING = re.compile(r".*", re.DOTALL)


def parse_indented(text: str, root_table: Table, tables: dict[str, Table]) -> Node:
    """Build a tree from indented config text (factory configs), tagging lines with their rules.

    Lines a table does not know are kept verbatim; they show up in the config but can't be
    matched by undo/no, just like odd defaults on real kit.
    """
    root = Node("")
    stack: list[tuple[int, Node, Table]] = [(-1, root, root_table)]
    for raw in text.splitlines():
        if not raw.strip() or raw.strip() in ("#", "!"):
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= depth:
            stack.pop()
        _, parent, table = stack[-1]
        found = table.resolve(raw.split())
        rule = found.rule if isinstance(found, Resolved) else None
        node = Node(found.line if isinstance(found, Resolved) else raw.strip(), rule)
        parent.children.append(node)
        if rule is not None and rule.kind is Kind.SECTION:
            stack.append((depth, node, tables[rule.mode]))
        else:
            stack.append((depth, node, Table(())))
    return root


# --- VLAN lists ---------------------------------------------------------------------------------

VID = r"(?:[1-9]\d{0,2}|[1-3]\d{3}|40[0-8]\d|409[0-4])"
VLIST_WORDS = rf"{VID}(?: to {VID})?(?: {VID}(?: to {VID})?)*"
VLIST_COMMAS = rf"{VID}(?:-{VID})?(?:,{VID}(?:-{VID})?)*"


def parse_vlans(text: str) -> set[int]:
    """Both styles: "10 20 to 25" (VRP/Comware) and "10,20-25" (IOS)."""
    ids: set[int] = set()
    text = re.sub(r"\s+to\s+", "-", text.strip(), flags=re.IGNORECASE)
    for part in re.split(r"[,\s]+", text):
        if not re.fullmatch(r"\d+(?:-\d+)?", part):
            continue  # keywords such as "all", "none", "except"
        lo, _, hi = part.partition("-")
        a, b = int(lo), int(hi or lo)
        ids.update(range(min(a, b), max(a, b) + 1))
    return ids


def _runs(ids: set[int]) -> Iterator[tuple[int, int]]:
    ordered = sorted(ids)
    start = prev = ordered[0] if ordered else 0
    for v in ordered[1:]:
        if v != prev + 1:
            yield start, prev
            start = v
        prev = v
    if ordered:
        yield start, prev


def format_vlans_words(ids: set[int]) -> str:
    """VRP style: runs of two or more print as "a to b"."""
    return " ".join(f"{a} to {b}" if b > a else str(a) for a, b in _runs(ids))


def format_vlans_commas(ids: set[int]) -> str:
    """IOS style: runs of three or more print as "a-b", pairs as "a,b"."""
    out: list[str] = []
    for a, b in _runs(ids):
        if b - a >= 2:
            out.append(f"{a}-{b}")
        else:
            out.extend(str(v) for v in range(a, b + 1))
    return ",".join(out)


# --- interface names ----------------------------------------------------------------------------

IFNAME = r"[a-z][a-z-]*\s?\d+(?:/\d+)*(?:\.\d+)?"


def interface_canon(types: Sequence[str]) -> Callable[[str], str]:
    """Normalise "g0/0/1", "gigabitethernet 0/0/1" ... to the platform's spelling."""

    def canon(text: str) -> str:
        m = re.fullmatch(r"([a-z][a-z-]*)\s?(\d.*)", text.strip(), re.IGNORECASE)
        if not m:
            return text
        typed, number = m.group(1).lower(), m.group(2)
        exact = [t for t in types if t.lower() == typed]
        prefixed = [t for t in types if t.lower().startswith(typed)]
        name = (exact or prefixed or [m.group(1)])[0]
        return f"{name}{number}"

    return canon
