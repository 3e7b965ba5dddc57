"""Hypothesis strategies for hostile inventories, and the workspace they are validated in.

Every case starts from the example city (`examples/dalian`) and changes one file: a value
replaced at a random YAML path, a key deleted, renamed or added, a line duplicated or
dropped, generated text injected, bytes that are not UTF-8, or the whole file replaced by a
nasty document (tags, alias bombs, merge keys, several documents, deep nesting...).

Two settings profiles: `fuzz-sample` (derandomised, no example database: the same ~150
examples in every `make test`) and `fuzz-long` (random, for `make fuzz`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fuzz_values import TAGGED, alias_bomb, keys, texts, values
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOLS = tuple(sorted(p.stem for p in (EXAMPLE / "schools").glob("*.yaml")))
CITY_FILE = "city.yaml"

_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.filter_too_much,
]
settings.register_profile(
    "fuzz-sample", derandomize=True, database=None, deadline=None, suppress_health_check=_HEALTH
)
settings.register_profile("fuzz-long", deadline=None, suppress_health_check=_HEALTH)


def sample(examples: int) -> settings:
    """Settings of a property's small, repeatable run in `make test`."""
    return settings(settings.get_profile("fuzz-sample"), max_examples=examples)


def long_run(examples: int) -> settings:
    """Settings of a property's big run under `pytest -m fuzz`."""
    return settings(settings.get_profile("fuzz-long"), max_examples=examples)


# --- the example city ------------------------------------------------------------------


def file_of(target: str) -> str:
    """Path inside the city of a target: 'city.yaml' or a school id."""
    return CITY_FILE if target == CITY_FILE else f"schools/{target}.yaml"


@cache
def original_text(target: str) -> str:
    return (EXAMPLE / file_of(target)).read_text(encoding="utf-8")


@cache
def original_data(target: str) -> Any:
    return yaml.safe_load(original_text(target))


@cache
def value_paths(target: str) -> tuple[tuple[Any, ...], ...]:
    """Every path to a value in the file (mapping keys and list indexes)."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), original_data(target))]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict | list):
            continue
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            found.append((*path, key))
            stack.append(((*path, key), child))
    return tuple(sorted(found, key=repr))


@cache
def mapping_paths(target: str) -> tuple[tuple[Any, ...], ...]:
    data = original_data(target)
    return ((), *(p for p in value_paths(target) if isinstance(get(data, p), dict)))


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def dump(data: Any) -> str:
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "width": 100}
    try:
        return yaml.dump(data, Dumper=yaml.CSafeDumper, **options)
    except UnicodeEncodeError:  # a lone surrogate: the Python emitter writes it as "\ud800"
        return yaml.dump(data, Dumper=yaml.SafeDumper, **options)


def write_city(root: Path, target: str, content: bytes, school: str) -> None:
    """A one-school city in `root`: `content` as the target file, the rest as in the example."""
    schools = root / "schools"
    if schools.exists():
        shutil.rmtree(schools)
    schools.mkdir(parents=True)
    shutil.copyfile(EXAMPLE / CITY_FILE, root / CITY_FILE)
    shutil.copyfile(EXAMPLE / file_of(school), root / file_of(school))
    (root / file_of(target)).write_bytes(content)


# --- whole documents -------------------------------------------------------------------


@st.composite
def documents(draw: st.DrawFn, target: str) -> str:
    """A whole replacement for a file: empty, the wrong kind, bombs, tags, many documents."""
    text = original_text(target)
    return draw(
        st.one_of(
            st.sampled_from(["", "   \n", "# only a comment\n", "---\n", "...\n", "~\n"]),
            st.sampled_from(["- 1\n- 2\n", "hello\n", "42\n", "[]\n", "{}\n", "- " + text]),
            st.just(text + "\n---\nid: second\n"),
            st.just("%YAML 1.1\n---\n" + text),
            st.builds(alias_bomb, st.integers(2, 12), st.integers(2, 10)),
            st.sampled_from(TAGGED).map(lambda tag: f"key: {tag}\n"),
            st.integers(1, 3000).map(lambda n: "x: " + "[" * n + "]" * n + "\n"),
            st.integers(1, 3000).map(lambda n: "x: " + "{a: " * n + "1" + "}" * n + "\n"),
            st.integers(1, 400).map(lambda n: "".join(" " * i + "a:\n" for i in range(n))),
            st.integers(1, 5000).map(lambda n: "".join(f"k: {i}\n" for i in range(n))),
            st.integers(1, 3000).map(lambda n: "- " * n + "x\n"),
            values.map(dump),
        )
    )


# --- mutations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One file of the example city, changed; `describe` is what a failure report shows."""

    target: str  # "city.yaml" or a school id
    describe: str
    content: bytes
    school: str = SCHOOLS[0]  # the school validated with it
    must_fail: bool = False  # a change no valid inventory survives

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example: not 20 kB
        return (
            f"Case({self.target!r}, {self.describe!r}, {len(self.content):,} bytes, "
            f"school={self.school!r}, must_fail={self.must_fail})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's printer
        printer.text(repr(self))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    del get(data, path[:-1])[path[-1]]


@cache
def leaves_of_type(target: str, kind: type) -> tuple[tuple[Any, ...], ...]:
    data = original_data(target)
    return tuple(p for p in value_paths(target) if isinstance(get(data, p), kind) and p[-1] != "id")


# Values a schema accepts but the rules may not: they reach coverage geometry and budgets.
plausible_numbers = st.one_of(
    st.floats(-1e5, 1e5),
    st.integers(-10, 100),
    st.sampled_from([0, 0.0, -0.0, 1e-9, 5e-324, 2e-308, 1e-300, 99999.999999, 359.999999]),
)
points = st.tuples(plausible_numbers, plausible_numbers).map(list)


@st.composite
def plausible_mutations(draw: st.DrawFn, data: Any, target: str) -> str:
    """Change `data` so that it may still pass the schema: the rules then meet the value."""
    kind = draw(st.sampled_from(["number", "polygon", "copy"]))
    numbers = leaves_of_type(target, float) + leaves_of_type(target, int)
    if kind == "number" and numbers:
        path, value = draw(st.sampled_from(numbers)), draw(plausible_numbers)
        _set(data, path, value)
        return f"number {path} = {value!r}"
    polygons = [p for p in value_paths(target) if p[-1] in ("polygon", "outline", "boundary")]
    if kind == "polygon" and polygons:
        path, value = draw(st.sampled_from(polygons)), draw(st.lists(points, max_size=8))
        _set(data, path, value)
        return f"polygon {path} = {value!r}"
    strings = leaves_of_type(target, str)  # another value of the file: duplicates, references
    path, other = draw(st.sampled_from(strings)), draw(st.sampled_from(strings))
    _set(data, path, get(original_data(target), other))
    return f"copy {other} to {path}"


@st.composite
def data_mutations(draw: st.DrawFn, target: str) -> tuple[str, str]:
    """(what, new text): a value replaced, deleted, added or its key renamed, at a path."""
    data = yaml.load(original_text(target), Loader=yaml.CSafeLoader)  # a private copy
    kind = draw(st.sampled_from(["replace", "delete", "add", "rename", "plausible"]))
    if kind == "plausible":
        return draw(plausible_mutations(data, target)), dump(data)
    if kind == "add":
        path = draw(st.sampled_from(mapping_paths(target)))
        key, value = draw(keys), draw(values)
        get(data, path)[key] = value
        return f"add {key!r} at {path}", dump(data)
    path = draw(st.sampled_from(value_paths(target)))
    if kind == "replace":
        value = draw(values)
        _set(data, path, value)
        return f"replace {path} with {_short(value)}", dump(data)
    if kind == "delete":
        _delete(data, path)
        return f"delete {path}", dump(data)
    parent = get(data, path[:-1])
    if not isinstance(parent, dict):
        _set(data, path, [get(data, path)])  # a list item: wrap it in a list instead
        return f"wrap {path} in a list", dump(data)
    new_key = draw(keys)
    parent[new_key] = parent.pop(path[-1])
    return f"rename {path} to {new_key!r}", dump(data)


@st.composite
def text_mutations(draw: st.DrawFn, target: str) -> tuple[str, str]:
    """(what, new text): lines duplicated or dropped, text or a tagged value injected."""
    text = original_text(target)
    lines = text.split("\n")
    kind = draw(st.sampled_from(["duplicate", "drop", "inject", "retag"]))
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "duplicate":  # in a block mapping, a duplicate key
        return f"duplicate line {i + 1}", "\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if kind == "drop":
        return f"drop line {i + 1}", "\n".join(lines[:i] + lines[i + 1 :])
    if kind == "inject":
        at = draw(st.integers(0, len(text)))
        snippet = draw(st.one_of(texts, st.sampled_from(TAGGED), values.map(dump)))
        return f"inject {_short(snippet)} at {at}", text[:at] + snippet + text[at:]
    head, sep, _ = lines[i].partition(": ")
    tag = draw(st.sampled_from(TAGGED))
    lines[i] = f"{head}{sep or ': '}{tag}"
    return f"line {i + 1} value -> {tag!r}", "\n".join(lines)


@st.composite
def byte_mutations(draw: st.DrawFn, target: str) -> tuple[str, bytes, bool]:
    """(what, bytes, must fail): BOMs, encodings, invalid UTF-8, NUL, truncation, CRs."""
    raw = original_text(target).encode("utf-8")
    at = draw(st.integers(0, len(raw)))
    kind = draw(st.sampled_from(["bom", "invalid", "nul", "utf16", "truncate", "cr", "latin1"]))
    if kind == "bom":
        return "UTF-8 BOM", b"\xef\xbb\xbf" + raw, False
    if kind == "invalid":
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"]))
        return f"bytes {junk!r} at {at}", raw[:at] + junk + raw[at:], True
    if kind == "nul":
        return f"NUL at {at}", raw[:at] + b"\x00" + raw[at:], True
    if kind == "utf16":
        return "UTF-16", original_text(target).encode("utf-16"), True
    if kind == "truncate":
        return f"truncated at byte {at}", raw[:at], False
    if kind == "latin1":
        return "Latin-1 text", "大连 café".encode("latin-1", "replace") + b"\xe9\n" + raw, True
    newline = draw(st.sampled_from([b"\r\n", b"\r"]))
    return f"line ends {newline!r}", raw.replace(b"\n", newline), False


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """One hostile change to the example city."""
    target = draw(st.sampled_from([CITY_FILE, *SCHOOLS]))
    school = target if target != CITY_FILE else draw(st.sampled_from(SCHOOLS))
    kind = draw(st.sampled_from(["data", "data", "text", "bytes", "document"]))
    if kind == "bytes":
        what, raw, must_fail = draw(byte_mutations(target))
        return Case(target, f"bytes: {what}", raw, school, must_fail)
    if kind == "document":
        text = draw(documents(target))
        return Case(target, f"file: {_short(text)}", text.encode("utf-8"), school)
    mutate: Callable[[str], Any] = data_mutations if kind == "data" else text_mutations
    what, text = draw(mutate(target))
    # Surrogates cannot be written as UTF-8: as a YAML editor would, write their escapes.
    content = text.encode("utf-8", "backslashreplace")
    return Case(target, f"{kind}: {what}", content, school)


def examples_of_each_kind() -> list[Case]:
    """Hand-picked hostile files, one of each kind the brief names, for the small run."""
    kg = SCHOOLS[0]
    text = original_text(kg)
    first_key = text.index("\nid:") + 1

    def school(content: str | bytes, what: str, must_fail: bool = False) -> Case:
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        return Case(kg, what, raw, kg, must_fail)

    return [
        school(alias_bomb(10, 9), "alias bomb", must_fail=True),
        school(text + "\n---\nid: again\n", "two documents", must_fail=True),
        school("", "empty file", must_fail=True),
        school("- 1\n- 2\n", "a list, not a mapping", must_fail=True),
        school(text[:first_key] + "id: x\n" + text[first_key:], "duplicate key", True),
        school("x: !!python/object/apply:os.system ['echo pwned']\n", "python tag", True),
        school(text + "x: " + "[" * 2000 + "]" * 2000 + "\n", "deep nesting", True),
        school(text + "~: 1\n1: 2\ntrue: 3\n", "null, number, bool keys", True),
        school(text.replace("name:", "name: " + "x" * 1_000_000 + "\nold_name:", 1), "1 MB", True),
        school(text + "big: [" + "0," * 100_000 + "0]\n", "100k items", True),
        school(b"\xef\xbb\xbf" + text.encode(), "BOM"),
        school(text[: text.index("\n", 300)] + "\nx: [1", "cut off, no final newline", True),
        school(text.replace("name:", 'name: "x\u2028y"\nbogus: 1\nold:', 1), "LS", True),
        school(text.encode().replace(b"name:", b"name: \xff", 1), "not UTF-8", True),
        Case(CITY_FILE, "city as a list", b"- a\n", kg, True),
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
