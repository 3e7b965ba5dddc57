"""The compiled schema check only ever skips jsonschema for files jsonschema finds valid."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provision.schemas import quick_check, validator
from provision.schemas.fastcheck import compile_schema, surely_valid
from provision.yamlsource import load_yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOLS = [load_yaml(p).data for p in sorted((EXAMPLE / "schools").glob("*.yaml"))]
CITY = load_yaml(EXAMPLE / "city.yaml").data
ODD_VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        1.0,
        2.5,
        -1e9,
        10**12,
        "",
        "x",
        "10.0.0.256",
        "1.2.3.4",
        "${PROVISION_X}",
        "a\n",
        [],
        [1],
        ["a", "a"],
        {},
        {"x": 1},
    ]
)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*path, i))
    return out


def _changed(data: Any, path: tuple[Any, ...], value: Any, drop: bool) -> Any:
    data = copy.deepcopy(data)
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


@pytest.mark.parametrize("kind", ["city", "school"])
def test_every_schema_is_compiled(kind: str) -> None:
    assert quick_check(kind) is not None


def test_the_example_files_pass_without_jsonschema() -> None:
    assert surely_valid(quick_check("city"), CITY)
    for data in SCHOOLS:
        assert surely_valid(quick_check("school"), data)


def test_an_unknown_keyword_is_not_compiled() -> None:
    assert compile_schema({"type": "object", "if": {"required": ["a"]}}) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["city", "school"]))
def test_a_changed_file_is_passed_only_if_jsonschema_passes_it(data: Any, kind: str) -> None:
    doc = CITY if kind == "city" else SCHOOLS[0]
    path = data.draw(st.sampled_from(_paths(doc)), label="path")
    drop = bool(path) and data.draw(st.booleans(), label="drop")
    changed = _changed(doc, path, data.draw(ODD_VALUES, label="value"), drop)
    errors = list(validator(kind).iter_errors(changed))
    if surely_valid(quick_check(kind), changed):
        assert errors == []
