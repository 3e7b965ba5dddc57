"""Problems found in the inventory, each with the place it came from.

Like terraform's diagnostics: collected, never raised one at a time, so a single run reports
every problem with file, line, column and the YAML path of the offending value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


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
        return out

    def format(self) -> str:
        where = f" {self.yaml_path}:" if self.yaml_path else ""
        return f"{self.location}: {self.severity.value} [{self.code}]{where} {self.message}"


def format_path(path: Iterable[str | int]) -> str:
    """('cameras', 3, 'host') -> 'cameras[3].host', the way people write YAML paths."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def sort_key(problem: Problem) -> tuple[str, int, int, str]:
    loc = problem.location
    return (loc.file, loc.line, loc.column, problem.code)


def problems_to_text(problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    lines = [p.format() for p in sorted(problems, key=sort_key)]
    lines.append(f"{errors} error(s), {warnings} warning(s)")
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
