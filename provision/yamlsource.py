"""Read YAML safely and remember where every value came from.

PyYAML silently keeps the last of two duplicate keys and expands aliases without limit, and
its objects forget their positions. We compose the node graph with the C safe loader (fast,
no arbitrary tags), bound what aliases may expand to (a "billion laughs" document is an
error, not an outage), build plain values with a safe constructor that reports duplicate
keys, and keep the node graph: a value's line and column are looked up only when a problem
needs them, so valid files (the common case) pay nothing for locations.

Whatever the bytes, reading a file never raises: text that is not UTF-8, control
characters, numbers too long to be numbers, NaN, `!!int abc` all become located problems.
"""

from __future__ import annotations

import bisect
import math
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from provision.diagnostics import Location, Problem, Severity, format_path, quote
from provision.i18n import _

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class _Composer(_Loader):
    """The loader with its implicit-tag lookup remembered: a city writes the same keys and
    many of the same values in every file, and each lookup is a Python call and a regex."""

    _tags: ClassVar[dict[tuple[str, tuple[bool, bool]], str]] = {}

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return str(super().resolve(kind, value, implicit))
        tag = self._tags.get((value, implicit))
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))
            if len(self._tags) < MAX_REMEMBERED_TAGS:
                self._tags[value, implicit] = tag
        return tag


MAX_REMEMBERED_TAGS = 100_000  # a few MB at most
MAX_NODES = 2_000_000  # values in one file once aliases are expanded
MAX_DEPTH = 64
MAX_FILE_BYTES = 16 * 1024 * 1024  # a school file is ~20 kB; 16 MB is not an inventory
MAX_NUMBER_CHARS = 100  # longer numerals overflow floats (and Python's int parser)
MAX_DUPLICATE_REPORTS = 50  # per file: a generated file could repeat one key 100,000 times

YamlPath = tuple[str | int, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(slots=True)
class SourceDoc:
    """A parsed YAML file: its data, its node graph (for positions) and its problems."""

    file: str
    data: Any = None
    root: yaml.Node | None = None
    problems: list[Problem] = field(default_factory=list)
    # Positions kept after the node graph is dropped (see `detached`), by path.
    index: dict[YamlPath, tuple[int, int]] | None = None
    # The text parsed, to turn libyaml's marks into the lines an editor shows (see position).
    text: str = ""
    line_starts: list[int] | None = None  # where each line of `text` starts, once needed
    # Values already reported while reading (a NaN, a 500-digit number): the schema would
    # only repeat "None is not a number" about them.
    invalid_paths: set[YamlPath] = field(default_factory=set)

    def detached(self, paths: list[YamlPath]) -> SourceDoc:
        """A light copy that still locates `paths` (and their ancestors): what a worker
        process sends back instead of the whole node graph."""
        index = {}
        for path in paths:
            loc = self.where(path)
            index[path] = (loc.line, loc.column)
        return SourceDoc(self.file, index=index)

    def position(self, index: int) -> tuple[int, int]:
        """(line, column) from 1 of a character index (a libyaml mark's), in the lines an
        editor shows: libyaml's own lines also break at NEL, LS and PS, and put "end of
        stream" past the last line of a file without a final newline."""
        if self.line_starts is None:
            self.line_starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        index = max(0, min(index, len(self.text)))
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def located(self, node: yaml.Node) -> Location:
        return Location(self.file, *self.position(node.start_mark.index))

    def node_at(self, path: YamlPath) -> yaml.Node | None:
        """The value node at exactly `path`, or None if the file has no such value."""
        node: yaml.Node | None = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in reversed(node.value) if _key_is(k, part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if 0 <= part < len(node.value) else None
            else:
                return None
        return node

    def _nodes(self, path: YamlPath) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) of the deepest existing prefix of `path`."""
        node, key = self.root, None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = next(((k, v) for k, v in reversed(node.value) if _key_is(k, part)), None)
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
            if node is target:
                return path
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    sub = (*path, str(k.value))
                    if k is target:
                        return sub
                    stack.append((v, sub))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((v, (*path, i)) for i, v in enumerate(node.value))
        return ()

    def where(self, path: YamlPath, *, key: bool = False) -> Location:
        """Position of the value at `path` (or of its key), else of its nearest ancestor."""
        if self.root is None:
            probe = tuple(path)
            while self.index and probe:
                if probe in self.index:
                    return Location(self.file, *self.index[probe])
                probe = probe[:-1]
            return Location(self.file)
        key_node, node = self._nodes(path)
        target = key_node if key and key_node is not None else node
        return self.located(target) if target else Location(self.file)

    def error(self, code: str, message: str, at: yaml.Node | Location | None = None) -> None:
        """Record an error found while reading, at a node (with its path) or a location."""
        if isinstance(at, yaml.Node):
            loc, path = self.located(at), format_path(self.path_of(at))
        else:
            loc, path = at or Location(self.file), ""
        self.problems.append(Problem(Severity.ERROR, code, message, loc, path))

    def problem(
        self, path: YamlPath, message: str, code: str, *, warning: bool = False, key: bool = False
    ) -> Problem:
        sev = Severity.WARNING if warning else Severity.ERROR
        return Problem(sev, code, message, self.where(path, key=key), format_path(path))


def _key_is(node: yaml.Node, part: object) -> bool:
    """Whether a key node is the key `part` of the data: "1" as written for a str, and
    for a key YAML made a number, boolean or null (`1:`, `true:`, `~:`) that value."""
    if not isinstance(node, yaml.ScalarNode):
        return False
    if isinstance(part, str):
        return bool(node.value == part)
    try:
        value = SafeConstructor().construct_object(node)
    except (yaml.YAMLError, ValueError, KeyError, TypeError):
        return False
    return type(value) is type(part) and bool(value == part)


class _Constructor(SafeConstructor):
    """SafeConstructor that reports duplicate keys instead of keeping the last one, and
    values no inventory holds (NaN, 500-digit numbers) instead of building them."""

    def __init__(self, doc: SourceDoc) -> None:
        super().__init__()
        self.doc = doc
        # Each mapping's own keys, taken before a merge key (`<<: *base`) splices the keys
        # it brings in: those may be overridden, only the mapping's own may not repeat.
        self.own_keys: dict[int, list[yaml.Node]] = {}
        self.duplicates = 0

    def _bad_value(self, node: yaml.Node, message: str) -> None:
        self.doc.invalid_paths.add(self.doc.path_of(node))
        self.doc.error("yaml-value", message, node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # `!!int ''`
            tag = node.tag.rpartition(":")[2]
            raise ConstructorError(
                None,
                None,
                _("{value} is not a valid {tag}").format(value=quote(node.value), tag=tag),
                node.start_mark,
            ) from exc

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        self.own_keys.setdefault(id(node), [k for k, _ in node.value if k.tag != MERGE_TAG])
        super().flatten_mapping(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # `!!map [1, 2]`, `!!set [1]`
            tag, found = node.tag.rpartition(":")[2], node.id
            msg = _("!!{tag} needs a mapping, found a {found}").format(tag=tag, found=found)
            raise ConstructorError(None, None, msg, node.start_mark)
        self.flatten_mapping(node)
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
        seen: dict[str, yaml.Node] = {}
        for key_node in self.own_keys[id(node)]:
            key = key_node.value  # the key as written; cheaper than constructing it twice
            first = seen.setdefault(key, key_node)
            if first is not key_node and self.duplicates < MAX_DUPLICATE_REPORTS:
                self.duplicates += 1
                line = self.doc.position(first.start_mark.index)[0]
                msg = _("duplicate key {key} (first defined at line {line})").format(
                    key=quote(key), line=line
                )
                self.doc.error("duplicate-key", msg, key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:  # type: ignore[override]
        # YAML turns 2026-09-01 into a date; the schema speaks strings.
        return str(self.construct_scalar(node))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | None:  # type: ignore[override]
        if len(node.value) > MAX_NUMBER_CHARS:
            self._bad_value(
                node,
                _("a number of {n:,} characters is not a value").format(n=len(node.value)),
            )
            return None
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float | None:  # type: ignore[override]
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            self._bad_value(node, _("{value} is not a finite number").format(value=node.value))
            return None
        return value


for _tag, _method in (
    ("timestamp", _Constructor.construct_yaml_timestamp),
    ("int", _Constructor.construct_yaml_int),
    ("float", _Constructor.construct_yaml_float),
):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _method)  # type: ignore[type-var]


class _Slow(Exception):
    """The document needs the full constructor: a merge key, a tag beyond the plain ones,
    a duplicate key, a number that is not a plain decimal, a value no inventory holds."""


_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")


def _plain_scalar(node: yaml.ScalarNode) -> Any:
    """A scalar as SafeConstructor (and _Constructor) builds it, for the common tags."""
    tag, value = node.tag, node.value
    if tag == _TAG + "str" or tag == _TAG + "timestamp":  # dates stay text (see above)
        return value
    if tag == _TAG + "int" and len(value) <= MAX_NUMBER_CHARS and _INT.match(value):
        return int(value)
    if tag == _TAG + "float" and _FLOAT.match(value):
        number = float(value)
        if math.isfinite(number):
            return number
    elif tag == _TAG + "null":
        return None
    elif tag == _TAG + "bool" and value.lower() in SafeConstructor.bool_values:
        return SafeConstructor.bool_values[value.lower()]
    raise _Slow


def _plain_data(root: yaml.Node) -> Any:
    """The data of a node graph that needs none of what `_Constructor` is for, built without
    its per-node machinery (a third of the time a city spends reading); raises _Slow for
    anything else, and the caller then builds the document with `_Constructor`."""
    built: dict[int, Any] = {}  # an aliased mapping or list is one object, as PyYAML makes it

    def build(node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return _plain_scalar(node)
        done = built.get(id(node))
        if done is not None:
            return done
        if isinstance(node, yaml.SequenceNode) and node.tag == _TAG + "seq":
            items: list[Any] = []
            built[id(node)] = items
            items.extend(build(v) for v in node.value)
            return items
        if not isinstance(node, yaml.MappingNode) or node.tag != _TAG + "map":
            raise _Slow
        built[id(node)] = mapping = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
                raise _Slow
            key = _plain_scalar(key_node)
            if key in mapping:
                raise _Slow  # reported, with both lines, by _Constructor
            mapping[key] = build(value_node)
        if len(mapping) != len({k.value for k, _ in node.value}):
            raise _Slow  # `1:` and `'1':` are two keys here, one as written
        return mapping

    return build(root)


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
        # Scalars count 1 each: only collections are worth a call.
        if isinstance(node, yaml.MappingNode):
            parts = [n for pair in node.value for n in pair]
        else:
            parts = node.value if isinstance(node, yaml.SequenceNode) else []
        if parts and depth + 1 > MAX_DEPTH:
            raise RecursionError
        total = 1 + sum(1 if isinstance(n, yaml.ScalarNode) else size(n, depth + 1) for n in parts)
        sizes[id(node)] = total = min(total, MAX_NODES + 1)
        return total

    return size(root, 0)


def _syntax_error(doc: SourceDoc, exc: yaml.YAMLError) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = Location(doc.file, *doc.position(mark.index)) if mark else None
    what = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
    if isinstance(exc, yaml.reader.ReaderError):  # a control character, e.g. NUL
        # libyaml counts this offset in UTF-8 bytes, the pure-Python reader in characters.
        chars = exc.position
        if _Loader is not yaml.SafeLoader:
            chars = len(doc.text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        where = Location(doc.file, *doc.position(chars))
        what = _("character {character!r} is not allowed in YAML ({reason})").format(
            character=exc.character, reason=exc.reason
        )
    doc.error("yaml-syntax", what, where)


def _data(doc: SourceDoc, node: yaml.Node) -> Any:
    try:
        return _plain_data(node)
    except (_Slow, RecursionError):
        return _Constructor(doc).construct_document(node)


def parse_yaml(text: str, file: str) -> SourceDoc:
    """Parse one YAML document; problems are collected on the result, never raised."""
    text = text.removeprefix("\ufeff")  # a BOM is no character of the first line
    doc = SourceDoc(file, text=text)
    try:
        node = yaml.compose(text, Loader=_Composer)
        # Aliases need anchors: only a document with '&' can expand beyond its own size.
        if node is not None and "&" in text and _expanded_size(node) > MAX_NODES:
            msg = _("expands to more than {n:,} values through aliases (an alias bomb?)").format(
                n=MAX_NODES
            )
            doc.error("yaml-too-big", msg, doc.located(node))
            return doc
        doc.root = node
        doc.data = {} if node is None else _data(doc, node)
    except ConstructorError as exc:  # a tag we do not build: !!python/..., !custom, !!int x
        mark = exc.problem_mark
        where = Location(file, *doc.position(mark.index)) if mark else None
        doc.error("yaml-tag", _("unsupported YAML: {problem}").format(problem=exc.problem), where)
    except yaml.YAMLError as exc:  # syntax, control characters, several documents
        _syntax_error(doc, exc)
    except RecursionError:  # anchors and aliases past MAX_DEPTH, or Python's own limit
        doc.error("yaml-too-big", "nests too deep to read")
    return doc


def _unreadable(name: str, code: str, message: str, line: int = 1, column: int = 1) -> SourceDoc:
    doc = SourceDoc(name)
    doc.error(code, message, Location(name, line, column))
    return doc


def load_yaml(path: Path, display: str | None = None) -> SourceDoc:
    name = display or str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a directory named x.yaml, a FIFO
            return _unreadable(name, "yaml-read", "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            return _unreadable(
                name, "yaml-too-big", _("file is larger than {limit} MB").format(limit=limit)
            )
        raw = path.read_bytes()
    except OSError as exc:  # no permission, gone since it was listed
        return _unreadable(
            name, "yaml-read", _("cannot read: {reason}").format(reason=exc.strerror or exc)
        )
    try:
        # Universal newlines, as open() reads text: a lone CR ends a line, CRLF is one break.
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        return _unreadable(
            name, "yaml-encoding", _("not UTF-8: {reason}").format(reason=exc.reason), line, column
        )
    return parse_yaml(text, name)
