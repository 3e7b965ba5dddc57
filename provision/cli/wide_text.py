"""A help formatter that wraps Chinese by terminal columns.

click wraps help text with textwrap, which breaks lines only at spaces and counts characters:
a Chinese paragraph has no spaces, so it is cut every `width` characters, and each of those
takes two columns — lines twice as wide as the terminal, the indentation lost as the terminal
folds them. Text with wide characters is wrapped here instead: a line may break between any
two CJK characters or at a space, measured in columns (i18n.display_width), with closing
punctuation kept on the line it closes. Text without wide characters is left to click, so
the English help is exactly click's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import click

from provision.i18n import display_width

# One CJK character, a run of other non-space characters up to a comma (a word, an option, a
# path, one item of a list), or space.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s,{_CJK}]+,?|,|\s+")
# Punctuation a line must not start with (it closes what came before it).
_CLOSING = set("。，、；：？！）」』】》〉”’….,;:)]")


def is_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in "WF" for ch in text)


def wrap_line(text: str, width: int) -> list[str]:
    """One paragraph as lines of at most `width` columns."""
    lines: list[list[str]] = [[]]
    for token in _TOKEN.findall(text.replace("\n", " ").strip()):
        line = lines[-1]
        if token.isspace() or not line or display_width("".join(line) + token) <= width:
            if line or not token.isspace():
                line.append(token)
            continue
        # A closing mark never starts a line: the word it closes moves down with it.
        carried = [line.pop()] if token[0] in _CLOSING and len(line) > 1 else []
        while line and line[-1].isspace():
            line.pop()
        lines.append([*carried, token])
    return ["".join(line).rstrip() for line in lines if line]


def wrap_help(text: str, width: int) -> list[str]:
    """Help text as click writes it: paragraphs rewrapped, a paragraph marked \\b verbatim."""
    out: list[str] = []
    for para in text.split("\n\n"):
        lines = para.strip("\n").splitlines()
        if out:
            out.append("")
        if lines and lines[0].strip() == "\b":
            out += lines[1:]
        elif lines:
            out += wrap_line(" ".join(lines), width)
    return out


class WideTextFormatter(click.HelpFormatter):
    """click's HelpFormatter, with text that holds wide characters wrapped by `wrap_help`."""

    def write_text(self, text: str) -> None:
        if not is_wide(text):
            super().write_text(text)
            return
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        for line in wrap_help(text, width):
            self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        if not any(is_wide(second) for _first, second in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        first_col = min(max(display_width(first) for first, _ in rows), col_max) + col_spacing
        hang = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + hang)
            lines = wrap_help(second, max(self.width - first_col - 2, 10)) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{hang}{line}\n")


class WideTextContext(click.Context):
    formatter_class = WideTextFormatter
