"""One login on a lab switch: the CLI mode machine shared by every dialect.

`CliSession` keeps a stack of modes (user → system/config → sub-views), a pending question
(save confirmations, enable password) and `execute(line)`, which returns the text to print.

Like IOS and VRP, a line not valid in the current sub-mode is tried in the enclosing modes and,
if valid there, leaves the sub-mode: that is what makes a flat template (`interface X`, its
sub-lines, then `vlan 10`) paste correctly without explicit `quit`/`exit` lines.
"""

from __future__ import annotations

from collections.abc import Callable

from provision.lab.cli.base import Frame, Mode, Reply, SwitchConfig
from provision.lab.cli.tree import Failure, Kind, Node, Resolved, Table, identity, parse_vlans

PIPE_ACTIONS = {"running", "saved", "version", "this"}
PIPE_PREFIXES = ("show_", "display_")  # the everyday displays filter too


Question = Callable[[str], Reply]


class CliSession:
    """One interactive login on a switch."""

    def __init__(self, cfg: SwitchConfig, *, enable_secret: str | None = None) -> None:
        self.cfg = cfg
        self.dialect = cfg.dialect
        self.enable_secret = enable_secret
        self.frames: list[Frame] = [Frame(self.dialect.login_mode)]
        if enable_secret is not None and self.dialect.unprivileged_mode:
            self.frames = [Frame(self.dialect.unprivileged_mode)]
        self.raw = ""  # the line being executed, for actions that report errors (IOS `do`)
        self.prompt_len = 0
        self.question: Question | None = None
        self.question_secret = False  # the pending answer must not be echoed (passwords)

    @property
    def mode(self) -> Mode:
        return self.dialect.modes[self.frames[-1].mode]

    @property
    def in_config(self) -> bool:
        return len(self.frames) > 1

    def prompt(self) -> str:
        return "" if self.question else self.dialect.prompt(self)

    def ask(self, text: str, handler: Question, *, secret: bool = False) -> Reply:
        self.question, self.question_secret = handler, secret
        return Reply(text)

    def fork(self) -> CliSession:
        return CliSession(self.cfg, enable_secret=self.enable_secret)

    def enter_config(self) -> None:
        self.frames.append(Frame(self.dialect.config_mode, self.cfg.running))

    def execute(self, raw: str) -> Reply:
        """Run one typed line; the caller has already echoed it after the prompt."""
        if self.question is not None:
            handler, self.question, self.question_secret = self.question, None, False
            return handler(raw.strip())
        prompt_len = self.prompt_len = len(self.dialect.prompt(self))
        self.raw = raw
        line = raw.strip()
        if not line or line.startswith(self.dialect.comment):
            return Reply()
        words = line.split()
        undo = self.mode.config and words[0].lower() == self.dialect.undo_word
        if undo and len(words) == 1:
            return self._fail(Failure("incomplete", 1), raw, prompt_len)
        if undo:
            found, level = self._resolve(words[1:], undo=True)
        else:
            found, level = self._resolve(words)
            if isinstance(found, Failure) and "|" in line:
                return self.piped(self.mode.table, line)
        if isinstance(found, Failure):
            found.word += 1 if undo else 0
            return self._fail(found, raw, prompt_len)
        found = self.dialect.canonical(self.dialect.modes[self.frames[level].mode].table, found)
        if undo and found.rule.kind is Kind.ACTION:  # `undo quit` is not a thing
            return self._fail(Failure("unrecognized", 1), raw, prompt_len)
        if found.rule.kind is Kind.ACTION:
            reply: Reply = getattr(self.dialect, "act_" + found.rule.action)(self, found)
            return reply
        del self.frames[level + 1 :]
        node = self.frames[level].node
        assert node is not None
        if undo:
            self._remove(node, found)
        else:
            self._apply(level, node, found)
        return Reply()

    def _resolve(self, words: list[str], *, undo: bool = False) -> tuple[Resolved | Failure, int]:
        """Current mode first, then the enclosing configuration modes (config rules only)."""
        level = len(self.frames) - 1
        found = self.mode.table.resolve(words, undo=undo)
        best = found
        while isinstance(found, Failure) and self.mode.config and level > 1:
            level -= 1
            found = self.dialect.modes[self.frames[level].mode].config_table.resolve(
                words, undo=undo
            )
            if isinstance(found, Failure) and isinstance(best, Failure) and found.word > best.word:
                best = found
        if isinstance(found, Resolved):
            return found, level
        return best, len(self.frames) - 1

    def piped(self, table: Table, line: str, offset: int = 0) -> Reply:
        """`display ... | include X` / `show ... | begin X`: filter a display's lines."""
        base, _, filt = line.partition("|")
        found = table.resolve(base.split())
        fwords = filt.split()
        if not (
            isinstance(found, Resolved)
            and (found.rule.action in PIPE_ACTIONS or found.rule.action.startswith(PIPE_PREFIXES))
            and len(fwords) >= 2
            and fwords[0].lower() in ("include", "exclude", "begin", "i", "e", "b", "inc", "exc")
        ):
            return self.fail(Failure("unrecognized", len(base.split())), offset)
        text = getattr(self.dialect, "act_" + found.rule.action)(self, found).text
        needle, how = " ".join(fwords[1:]), fwords[0][0].lower()
        lines = text.splitlines()
        if how == "i":
            lines = [x for x in lines if needle in x]
        elif how == "e":
            lines = [x for x in lines if needle not in x]
        else:
            lines = next((lines[n:] for n, x in enumerate(lines) if needle in x), [])
        return Reply("".join(x + "\n" for x in lines))

    def fail(self, failure: Failure, offset: int = 0) -> Reply:
        """Error reply for the current line; `offset` words were consumed before (IOS `do`)."""
        failure.word += offset
        return self._fail(failure, self.raw, self.prompt_len)

    def _fail(self, failure: Failure, raw: str, prompt_len: int) -> Reply:
        starts = [i for i, ch in enumerate(raw) if ch != " " and (i == 0 or raw[i - 1] == " ")]
        column = starts[failure.word] if failure.word < len(starts) else len(raw.rstrip())
        return Reply(self.dialect.error(failure.kind, prompt_len + column, raw.strip()))

    def _apply(self, level: int, parent: Node, found: Resolved) -> None:
        rule, line = found.rule, found.line
        if rule.kind is Kind.VLANS:
            self._merge_vlans(parent, found)
            return
        ident = identity(rule, line)
        existing = next(
            (c for c in parent.children if c.rule is rule and identity(rule, c.line) == ident),
            None,
        )
        if existing is None:
            existing = Node(line, rule)
            self.dialect.insert(parent, existing, self.cfg.running)
        elif rule.kind is not Kind.SECTION:
            existing.line = line
        if rule.kind is Kind.SECTION:
            groups = found.match.groups() if found.match else ()
            label = rule.label.format(line[len(rule.text) :].strip(), *groups)
            self.frames.append(Frame(rule.mode, existing, label))
        self.dialect.after_set(self.cfg, parent, existing)

    def _merge_vlans(self, parent: Node, found: Resolved) -> None:
        rule = found.rule
        words = found.args.split()
        op = words[0].lower() if words else ""
        existing = next((c for c in parent.children if c.rule is rule), None)
        current = parse_vlans(existing.line[len(rule.text) :]) if existing else set()
        if (
            existing
            and existing.line.endswith(" all")
            and op != "remove"
            and (self.dialect.vlan_merge or op == "add")
        ):
            return  # adding to "all" changes nothing
        if op in ("all", "none"):
            text = f"{rule.text} {op}"
        else:
            if op in ("add", "remove", "except"):
                ids = parse_vlans(" ".join(words[1:]))
            else:
                ids = parse_vlans(found.args)
            if op == "remove":
                ids = current - ids
            elif op == "add" or self.dialect.vlan_merge:
                ids = current | ids
            text = f"{rule.text} {self.dialect.format_vlans(ids)}".strip()
            if op == "except":
                text = f"{rule.text} except {self.dialect.format_vlans(ids)}"
        if existing is None:
            existing = Node(text, rule)
            self.dialect.insert(parent, existing, self.cfg.running)
        existing.line = text
        self.dialect.after_set(self.cfg, parent, existing)

    def _remove(self, parent: Node, found: Resolved) -> None:
        rule = found.rule
        same = [c for c in parent.children if c.rule is rule]
        removed_ids: set[int] = set()
        if rule.kind is Kind.VLANS and found.args.strip():
            ids = parse_vlans(found.args)
            for node in same:
                current = parse_vlans(node.line[len(rule.text) :])
                removed_ids |= current & ids
                left = current - ids
                if left:
                    node.line = f"{rule.text} {self.dialect.format_vlans(left)}"
                else:
                    parent.children.remove(node)
        elif rule.kind is Kind.SINGLE and rule.default:
            for node in same:
                node.line = rule.default
        elif rule.kind is Kind.SINGLE:  # one value per section: whatever it is, it goes
            for node in same:
                parent.children.remove(node)
        else:
            target = found.line.split()
            doomed = [c for c in same if c.line.split()[: len(target)] == target]
            if not doomed and rule.kind is not Kind.SECTION:
                doomed = [c for c in same if _subsequence(target, c.line.split())]
            for node in doomed:
                parent.children.remove(node)
        self.dialect.after_undo(self.cfg, parent, found, removed_ids)


def _subsequence(short: list[str], long: list[str]) -> bool:
    """`undo traffic-policy outbound` names `traffic-policy video-out outbound` this way."""
    it = iter(long)
    return all(word in it for word in short)
