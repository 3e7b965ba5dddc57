"""Read YAML safely and remember where every value came from.

PyYAML silently keeps the last of two duplicate keys and expands aliases without limit, and
its objects forget their positions. We compose the node graph with the C safe loader (fast,
no arbitrary tags), bound what aliases may expand to (a "billion laughs" document is an
error, not an outage), build plain values with a safe constructor that reports duplicate
keys, and keep the node graph: a value's line and column are looked up only when a problem
needs them, so valid files (the common case) pay nothing for locations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from provision.diagnostics import Location, Problem, Severity, format_path

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 2_000_000  # values in one file once aliases are expanded
MAX_DEPTH = 64

YamlPath = tuple[str | int, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass(slots=True)
class SourceDoc:
    """A parsed YAML file: its data, its node graph (for positions) and its problems."""

    file: str
    data: Any = None
    root: yaml.Node | None = None
    problems: list[Problem] = field(default_factory=list)
    # Positions kept after the node graph is dropped (see `detached`), by path.
    index: dict[YamlPath, tuple[int, int]] | None = None

    def detached(self, paths: list[YamlPath]) -> SourceDoc:
        """A light copy that still locates `paths` (and their ancestors): what a worker
        process sends back instead of the whole node graph."""
        index = {}
        for path in paths:
            loc = self.where(path)
            index[path] = (loc.line, loc.column)
        return SourceDoc(self.file, index=index)

    def _nodes(self, path: YamlPath) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) of the deepest existing prefix of `path`."""
        node, key = self.root, None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = next(
                    (
                        (k, v)
                        for k, v in reversed(node.value)
                        if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                    ),
                    None,
                )
                if found is None:
                    break
                key, node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                key, node = None, node.value[part]
            else:
                break
        return key, node

    def path_of(self, target: yaml.Node) -> YamlPath:
        """The YAML path of a key or value node (for problems found while constructing)."""
        stack: list[tuple[yaml.Node, YamlPath]] = [(self.root, ())] if self.root else []
        seen: set[int] = set()
        while stack:
            node, path = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    sub = (*path, str(k.value))
                    if k is target or v is target:
                        return sub
                    stack.append((v, sub))
            elif isinstance(node, yaml.SequenceNode):
                for i, v in enumerate(node.value):
                    if v is target:
                        return (*path, i)
                    stack.append((v, (*path, i)))
        return ()

    def where(self, path: YamlPath, *, key: bool = False) -> Location:
        """Position of the value at `path` (or of its key), else of its nearest ancestor."""
        if self.root is None:
            probe = tuple(path)
            while self.index and probe:
                if probe in self.index:
                    return Location(self.file, *self.index[probe])
                probe = probe[:-1]
            return Location(self.file, 1, 1)
        key_node, node = self._nodes(path)
        target = key_node if key and key_node is not None else node
        return Location(self.file, *_mark(target)) if target else Location(self.file, 1, 1)

    def problem(
        self, path: YamlPath, message: str, code: str, *, warning: bool = False, key: bool = False
    ) -> Problem:
        sev = Severity.WARNING if warning else Severity.ERROR
        return Problem(sev, code, message, self.where(path, key=key), format_path(path))


class _Constructor(SafeConstructor):
    """SafeConstructor that reports duplicate keys instead of keeping the last one."""

    def __init__(self, doc: SourceDoc) -> None:
        super().__init__()
        self.doc = doc

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
            key = key_node.value  # the key as written; cheaper than constructing it twice
            if key in seen:
                line = seen[key].start_mark.line + 1
                self.doc.problems.append(
                    Problem(
                        Severity.ERROR,
                        "duplicate-key",
                        f"duplicate key {key!r} (first defined at line {line})",
                        Location(self.doc.file, *_mark(key_node)),
                        format_path(self.doc.path_of(key_node)),
                    )
                )
            seen.setdefault(key, key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:  # type: ignore[override]
        # YAML turns 2026-09-01 into a date; the schema speaks strings.
        return str(self.construct_scalar(node))


_Constructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp
)


def _expanded_size(root: yaml.Node) -> int:
    """Values the graph holds once aliases are expanded, without expanding them."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise RecursionError
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = MAX_NODES + 1  # a cycle counts as too big
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v, depth + 1) for v in node.value)
        else:
            total = 1
        sizes[id(node)] = total = min(total, MAX_NODES + 1)
        return total

    return size(root, 0)


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
    except RecursionError:
        doc.problems.append(
            Problem(Severity.ERROR, "yaml-too-big", "nesting too deep", Location(file))
        )
        return doc
    if node is None:
        doc.data = {}
        return doc
    doc.root = node
    try:
        # Aliases need anchors: only a document with '&' can expand beyond its own size.
        too_big = "&" in text and _expanded_size(node) > MAX_NODES
    except RecursionError:
        too_big = True
    if too_big:
        doc.problems.append(
            Problem(
                Severity.ERROR,
                "yaml-too-big",
                f"document expands to more than {MAX_NODES:,} values through aliases (an alias "
                "bomb?) or nests more than {MAX_DEPTH} levels deep",
                Location(file, *_mark(node)),
            )
        )
        return doc
    try:
        doc.data = _Constructor(doc).construct_document(node)
    except RecursionError:
        doc.problems.append(
            Problem(Severity.ERROR, "yaml-too-big", "nesting too deep", Location(file))
        )
    except ConstructorError as exc:
        mark = exc.problem_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        doc.problems.append(
            Problem(Severity.ERROR, "yaml-tag", f"unsupported YAML: {exc.problem}", loc)
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
