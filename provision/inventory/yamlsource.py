"""Read YAML safely and remember where every value came from.

PyYAML's loaders forget positions once objects are built, silently keep the last of two
duplicate keys, and expand aliases without limit. We compose the node graph with the C safe
loader (fast, no arbitrary tags), then build plain Python values ourselves, recording the
line and column of every value and key, reporting duplicate keys, and bounding the size of
what aliases may expand to (a "billion laughs" document is an error, not an outage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provision.diagnostics import Location, Problem, Severity, format_path

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 2_000_000  # values built from one file, aliases expanded
MAX_DEPTH = 64

YamlPath = tuple[str | int, ...]


@dataclass(slots=True)
class SourceDoc:
    """A parsed YAML file: its data plus the position of each value (and of each key)."""

    file: str
    data: Any = None
    values: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, path: YamlPath, *, key: bool = False) -> Location:
        """Position of the value at `path`, or of its nearest existing ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col)
            if key and probe in self.values:
                line, col = self.values[probe]
                return Location(self.file, line, col)
            probe = probe[:-1]
        line, col = self.values.get((), (1, 1))
        return Location(self.file, line, col)

    def problem(
        self, path: YamlPath, message: str, code: str, *, warning: bool = False, key: bool = False
    ) -> Problem:
        sev = Severity.WARNING if warning else Severity.ERROR
        return Problem(sev, code, message, self.where(path, key=key), format_path(path))


class _TooBig(Exception):
    pass


class _Builder:
    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.count = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: YamlPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(f"document expands to more than {MAX_NODES:,} values (alias bomb?)")
        if depth > MAX_DEPTH:
            raise _TooBig(f"nesting deeper than {MAX_DEPTH} levels")
        self.doc.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            value = self.scalars.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            self.doc.problems.append(
                self.doc.problem(path, f"unsupported YAML value: {exc.problem}", "yaml-tag")
            )
            return None
        if hasattr(value, "isoformat"):
            # YAML turns 2026-09-01 into a date; the schema speaks strings
            return value.isoformat()
        return value

    def _mapping(self, node: yaml.MappingNode, path: YamlPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_source(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.doc.problems.append(
                    self.doc.problem(path, "mapping keys must be plain scalars", "yaml-key")
                )
                continue
            key = str(self.scalars.construct_object(key_node))
            kpos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in out:
                first = self.doc.keys[(*path, key)]
                self.doc.problems.append(
                    Problem(
                        Severity.ERROR,
                        "duplicate-key",
                        f"duplicate key {key!r} (first defined at line {first[0]})",
                        Location(self.doc.file, *kpos),
                        format_path((*path, key)),
                    )
                )
                continue
            self.doc.keys[(*path, key)] = kpos
            out[key] = self.build(value_node, (*path, key), depth + 1)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge_source(self, node: yaml.Node, path: YamlPath, depth: int) -> dict[str, Any]:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        result: dict[str, Any] = {}
        own = self.doc.values[path]
        for item in nodes:
            value = self.build(item, path, depth + 1)
            self.doc.values[path] = own  # the merged mapping lives where `<<` points
            if isinstance(value, dict):
                for k, v in value.items():
                    result.setdefault(k, v)
        return result


def parse_yaml(text: str, file: str) -> SourceDoc:
    """Parse one YAML document; problems are collected on the result, never raised."""
    doc = SourceDoc(file)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        what = exc.problem or exc.context or "invalid YAML"
        doc.problems.append(Problem(Severity.ERROR, "yaml-syntax", what, loc))
        return doc
    except yaml.YAMLError as exc:  # e.g. several documents in one file
        doc.problems.append(Problem(Severity.ERROR, "yaml-syntax", str(exc), Location(file)))
        return doc
    if node is None:
        doc.data = {}
        return doc
    try:
        doc.data = _Builder(doc).build(node, (), 0)
    except _TooBig as exc:
        doc.data = None
        doc.problems.append(Problem(Severity.ERROR, "yaml-too-big", str(exc), Location(file)))
    except RecursionError:
        doc.data = None
        doc.problems.append(
            Problem(Severity.ERROR, "yaml-too-big", "nesting too deep", Location(file))
        )
    return doc


def load_yaml(path: Path, display: str | None = None) -> SourceDoc:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        doc = SourceDoc(name)
        doc.problems.append(
            Problem(Severity.ERROR, "yaml-encoding", f"not UTF-8: {exc.reason}", Location(name))
        )
        return doc
    return parse_yaml(text, name)
