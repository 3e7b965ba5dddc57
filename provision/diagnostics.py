"""Problems found in the inventory, each with the place it came from.

Like terraform's diagnostics: collected, never raised one at a time, so a single run reports
every problem with file, line, column and the YAML path of the offending value.

A problem quotes what the inventory says, and the inventory may say anything: a key with a
newline or a terminal escape in it, a lone surrogate, a 1 MB string. What a problem prints
is therefore made safe here, once: one line, no control characters, nothing a terminal or a
UTF-8 encoder chokes on, and quotes cut to a readable length.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from provision.i18n import N_, _

PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
MAX_MESSAGE = 500


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# The word the text form shows; JSON keeps the code (Severity's value).
SEVERITY_LABELS = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning")}


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file; lines and columns count from 1, as editors show them."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{printable(self.file)}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    code: str  # stable identifier, e.g. "duplicate-address"; pipelines filter on it
    message: str
    location: Location
    yaml_path: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["message"] = printable(self.message, MAX_MESSAGE)
        out["yaml_path"] = printable(self.yaml_path, MAX_MESSAGE)
        out["location"]["file"] = printable(self.location.file)
        return out

    def format(self) -> str:
        where = f" {printable(self.yaml_path, MAX_MESSAGE)}:" if self.yaml_path else ""
        message = printable(self.message, MAX_MESSAGE)
        severity = _(SEVERITY_LABELS[self.severity])
        return f"{self.location}: {severity} [{self.code}]{where} {message}"


def printable(text: str, limit: int | None = None) -> str:
    """`text` with every unprintable character escaped (\\n, \\x1b, \\u200b, \\ud800) and
    cut to `limit` characters: what a report may show of a value from the inventory.

    Unprintable is what str.isprintable() says: controls, format characters (zero-width
    spaces, bidi overrides), separators other than space, surrogates, unassigned code points.
    CJK, Arabic and every other script are shown as they are."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else _escape(ch) for ch in text)
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + "…"
    return text


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in "\n\r\t":
        return repr(ch)[1:-1]
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxlevel = 3


def quote(value: Any) -> str:
    """A short, one-line repr of a value from the inventory, for messages: a 1 MB string or
    a list of 100,000 items is shown by its beginning, and a deep one by its top levels."""
    return printable(_SHORT.repr(value), 100)


def _path_part(part: object) -> str:
    if isinstance(part, str) and PLAIN_KEY.fullmatch(part):
        return f".{part}"
    if isinstance(part, int) and not isinstance(part, bool):
        return f"[{part}]"
    # A key that is not a plain word (spaces, a dot, a number or null as key): quoted.
    return f"[{quote(part)}]"


def format_path(path: Iterable[str | int]) -> str:
    """('cameras', 3, 'host') -> 'cameras[3].host', the way people write YAML paths."""
    return "".join(_path_part(part) for part in path).removeprefix(".")


def sort_key(problem: Problem) -> tuple[str, int, int, str]:
    loc = problem.location
    return (loc.file, loc.line, loc.column, problem.code)


def problems_to_text(problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    lines = [p.format() for p in sorted(problems, key=sort_key)]
    lines.append(
        _("{errors} error(s), {warnings} warning(s)").format(errors=errors, warnings=warnings)
    )
    return "\n".join(lines)


def problems_to_json(problems: list[Problem], **summary: object) -> str:
    errors = sum(p.is_error for p in problems)
    doc = {
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(problems) - errors,
        **summary,
        "problems": [p.to_dict() for p in sorted(problems, key=sort_key)],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
