"""Hypothesis over the two other things a user hands provision besides YAML: a city's LED
templates (Jinja expressions over the school's facts) and a saved plan file (JSON that apply
must apply exactly, or refuse).

- Any template expression either renders to printable text the same way every time, or is the
  city's `TemplateError`; never another exception (that would be exit 3, "hit a bug").
- Any edit of a saved plan either makes it unreadable (a `ProvisionError` naming the file), or
  reads back as a plan that `plan_differences` tells apart from the fresh plan unless the edit
  left every device's changes and fingerprint as they were (edits of the created time, the
  summary or an error text change nothing apply acts on).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace as with_fields
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fuzz_strategies import EXAMPLE, long_run, sample
from hypothesis import given
from hypothesis import strategies as st

from provision.drivers.base import Change
from provision.engine.outcome import DeviceOutcome, Status
from provision.engine.planfile import load_plan, report_to_dict
from provision.engine.replan import plan_differences
from provision.engine.runs import RunReport
from provision.errors import ProvisionError, TemplateError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.inventory.selectors import Selection
from provision.templates import CITY_TEMPLATE_FILTERS, TEXT_UNSAFE, led_messages

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # Jinja compiling `1[0]`

# --- city LED templates ------------------------------------------------------------------

FACTS = [
    "school.name", "school.id", "school.tier", "school.district", "school.cameras",
    "school.security.patrol_times", "school.security.guard_count", "school.led_boards",
    "city.name", "school.students", "school.__class__", "school.nope", "city.schools",
]  # fmt: skip
LITERALS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["1e308", "-0.0", "'a'", "''", "'校园'", "[1, 'a']", "[]", "{}", "none"]),
    st.text(max_size=8).map(lambda t: repr(t)),
)
OPERATORS = ["+", "-", "/", "//", "~", "==", "<", "in", "and", "or", "is"]


def expressions() -> st.SearchStrategy[str]:
    atoms = st.one_of(st.sampled_from(FACTS), LITERALS)

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        filters = sorted(CITY_TEMPLATE_FILTERS | {"center", "map", "attr"})
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPERATORS), inner).map(" ".join),
            st.tuples(inner, st.sampled_from(filters)).map(lambda p: f"({p[0]}) | {p[1]}"),
            st.tuples(inner, st.sampled_from(["join(', ')", "default('x')", "round(2)"])).map(
                lambda p: f"({p[0]}) | {p[1]}"
            ),
            st.tuples(inner, st.sampled_from(["[0]", "[-1]", "[1:]", ".name", ".__len__"])).map(
                lambda p: f"({p[0]}){p[1]}"
            ),
            st.tuples(inner, inner, inner).map(lambda p: f"({p[0]} if {p[1]} else {p[2]})"),
            inner.map(lambda e: f"not ({e})"),
        )

    return st.recursive(atoms, grow, max_leaves=6)


def templates() -> st.SearchStrategy[str]:
    return st.one_of(
        expressions().map(lambda e: f"{{{{ {e} }}}}"),
        st.tuples(st.text(max_size=6), expressions()).map(lambda p: f"{p[0]}{{{{ {p[1]} }}}}"),
        expressions().map(lambda e: f"{{% for x in {e} %}}{{{{ x }}}}{{% endfor %}}"),
        expressions().map(lambda e: f"{{% if {e} %}}甲{{% else %}}乙{{% endif %}}"),
    )


@cache
def example_city() -> City:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    return city


def render(template: str) -> list[str] | TemplateError:
    city = with_fields(example_city(), led_templates={"t": template})
    school = city.school("dl-zs-h024")
    board = school.led_boards[0]
    message = with_fields(board.messages[0], text=None, template="t")
    try:
        return led_messages(city, school, with_fields(board, messages=(message,)))
    except TemplateError as exc:
        return exc


def check_template(template: str) -> None:
    first = render(template)
    if isinstance(first, TemplateError):
        assert str(first).startswith("LED template 't'"), first
        return
    assert all(isinstance(t, str) and not TEXT_UNSAFE.search(t) for t in first), first
    assert render(template) == first  # deterministic: no repr with an address in it


@sample(60)
@given(template=templates())
def test_any_city_template_renders_text_or_is_the_citys_template_error(template: str) -> None:
    check_template(template)


@pytest.mark.fuzz
@long_run(5000)
@given(template=templates())
def test_fuzz_any_city_template_renders_text_or_is_the_citys_template_error(
    template: str,
) -> None:
    check_template(template)


# --- saved plans -------------------------------------------------------------------------


def fresh_plan() -> RunReport:
    """A plan of three devices, as `plan --out` would save it."""
    report = RunReport("plan", str(EXAMPLE), "d1g3st", Selection(schools=("dl-zs-h024",)))
    report.outcomes = [
        DeviceOutcome(
            "dl-zs-h024/core",
            "switch",
            Status.PLANNED,
            [Change("config/sysname", "old", "dl-zs-h024-core"), Change("ntp", None, ["10.0.0.1"])],
            state_digest="aaaa",
        ),
        DeviceOutcome(
            "dl-zs-h024/gate-face",
            "camera",
            Status.PLANNED,
            [Change("encoder.main.fps", 30, 25)],
            state_digest="bbbb",
        ),
        DeviceOutcome("dl-zs-h024/gate-led", "led_board", Status.UNCHANGED, state_digest="cccc"),
    ]
    return report


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def edited_plans(draw: st.DrawFn) -> Any:
    """The saved plan's JSON with one to three edits: a value replaced, a key removed or
    added, a list item dropped or duplicated."""
    doc = report_to_dict(fresh_plan())
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path)
        action = draw(st.sampled_from(["replace", "remove", "add", "duplicate"]))
        if parent is None:
            doc = draw(JSON)
            break
        if action == "replace":
            parent[key] = draw(JSON)
        elif action == "remove":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(JSON)
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(parent[key])))
    return doc


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        found += _paths(value, (*path, key))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    if not path:
        return None, None
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def check_plan(doc: Any, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    try:
        saved = load_plan(path)
    except ProvisionError as exc:
        assert str(exc).startswith(str(path)), exc
        return
    fresh = fresh_plan().outcomes
    differences = plan_differences(saved.outcomes, fresh)
    acted_on = {o.device: (o.changes, o.state_digest) for o in saved.outcomes if o.changes}
    wanted = {o.device: (o.changes, o.state_digest) for o in fresh if o.changes}
    same = acted_on == wanted and {o.device for o in saved.outcomes} <= {o.device for o in fresh}
    assert (differences == []) == same, (differences, doc)
    # The selection apply would run with: an answer or the user's error, never a crash.
    with contextlib.suppress(ProvisionError):
        saved.selection.apply(example_city())


@sample(80)
@given(doc=edited_plans())
def test_an_edited_plan_is_unreadable_or_told_apart_unless_nothing_apply_uses_changed(
    doc: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_plan(doc, tmp_path_factory.mktemp("plan"))


@pytest.mark.fuzz
@long_run(5000)
@given(doc=edited_plans())
def test_fuzz_an_edited_plan_is_unreadable_or_told_apart(
    doc: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_plan(doc, tmp_path_factory.mktemp("plan"))
