"""Inventory text that would inject into a device is refused twice: by validate, and again
by the templates for a model that never went through validate.

A value reaching a switch CLI may hold only letters, digits and `. _ : / , -` and be one
short word; text for people (OSD, LED messages, names) may hold anything printable,
Chinese welcome, but no control character, line break or bidi override, and not run on.
"""

from __future__ import annotations

import dataclasses
import itertools
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzz_strategies import CITY_FILE, EXAMPLE, dump, long_run, sample, write_city
from hypothesis import example, given
from hypothesis import strategies as st

from provision.diagnostics import format_path
from provision.errors import TemplateError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City, School
from provision.templates import CLI_MAX, CLI_SAFE, TEXT_MAX, cli_value, render_school, text_value
from provision.validate import validate

SCHOOL = "dl-zs-h024"  # it has every kind of device and an LED board with templates
CLI, TEXT = "cli", "text"
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9b", "\u2028", "\u2029"] + ["\u202e"]
CLI_BREAKERS = ["\n", "\r", ";", "|", "?", " ", "\t", "!", "#", "$", "&", "'", '"', "`", "\\"]

# (file, YAML path, kind of value, paths where validate may report it).
FIELDS: list[tuple[str, tuple[Any, ...], str, tuple[tuple[Any, ...], ...]]] = [
    (SCHOOL, ("id",), CLI, ()),
    (SCHOOL, ("precinct",), CLI, ()),
    (SCHOOL, ("network", "switches", 0, "name"), CLI, ()),
    (SCHOOL, ("network", "uplink", "interface"), CLI, ()),
    (SCHOOL, ("network", "uplink", "switch"), CLI, ()),
    (SCHOOL, ("cameras", 0, "name"), CLI, ()),
    (SCHOOL, ("cameras", 0, "host"), CLI, ()),
    (SCHOOL, ("led_boards", 0, "name"), CLI, ()),
    (SCHOOL, ("defaults", "ntp", 0), CLI, ()),
    (SCHOOL, ("defaults", "timezone"), CLI, ()),
    (SCHOOL, ("defaults", "credentials", "camera_operator", "username"), CLI, ()),
    (SCHOOL, ("security", "police_room_phone"), CLI, ()),
    (SCHOOL, ("security", "patrol_times", 0), CLI, ()),
    (SCHOOL, ("name",), TEXT, ()),
    (SCHOOL, ("cameras", 0, "osd"), TEXT, ()),
    (SCHOOL, ("led_boards", 0, "messages", 0, "text"), TEXT, ()),
    (CITY_FILE, ("precincts", 0, "id"), CLI, ()),
    (CITY_FILE, ("defaults", "ntp", 0), CLI, ()),
    (CITY_FILE, ("defaults", "timezone"), CLI, ()),
    (CITY_FILE, ("districts", "zhongshan", "defaults", "ntp", 0), CLI, ()),
    (CITY_FILE, ("defaults", "credentials", "camera_operator", "username"), CLI, ()),
    (CITY_FILE, ("name",), TEXT, ()),
    # A city LED template's own text: reported where the school's board renders it (or,
    # past 500 characters, at the template).
    (
        CITY_FILE,
        ("led_templates", "notice"),
        TEXT,
        (
            ("led_boards", 0, "messages"),
            ("led_boards", 0, "messages", 0),
            ("led_templates", "notice"),
        ),
    ),
]


@st.composite
def cli_payloads(draw: st.DrawFn, base: str = "Gi0/0/1", over: int = CLI_MAX) -> str:
    """`base` with something no device command may hold, or run on past `over`."""
    if draw(st.integers(0, 5)) == 0:
        return base + "x" * draw(st.integers(over, over * 40))
    bad = draw(
        st.one_of(
            st.sampled_from(CLI_BREAKERS + CONTROL),
            st.characters(exclude_categories=("Cs",)).filter(lambda c: not CLI_SAFE.fullmatch(c)),
            st.just("\nreload\n"),
            st.just("; undo acl all"),
        )
    )
    at = draw(st.integers(0, len(base)))
    return base[:at] + bad + base[at:]


@st.composite
def text_payloads(draw: st.DrawFn, base: str = "大连市第二十四中学 gate", over: int = 200) -> str:
    """`base` with a control character, line break or bidi override, or run on past `over`."""
    if draw(st.integers(0, 5)) == 0:
        return base + "长" * draw(st.integers(over, over * 20))
    bad = draw(st.sampled_from(CONTROL))
    at = draw(st.integers(0, len(base)))
    return base[:at] + bad + base[at:]


def put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set `path` in `data`, creating mappings and one-item lists on the way."""
    for part, nxt in itertools.pairwise(path):
        if isinstance(data, dict) and part not in data:
            data[part] = [None] if isinstance(nxt, int) else {}
        data = data[part]
    data[path[-1]] = value


def inject(root: Path, target: str, path: tuple[Any, ...], payload: str) -> None:
    data = yaml.safe_load((EXAMPLE / _file(target)).read_text(encoding="utf-8"))
    if path[-1] == "text":  # a board message becomes a literal one (not text + template)
        put(data, path[:-1], {"text": payload})
    else:
        put(data, path, payload)
    if path[0] == "led_templates":  # make the school's board show it
        school = yaml.safe_load((EXAMPLE / _file(SCHOOL)).read_text(encoding="utf-8"))
        school["led_boards"][0]["messages"][0] = {"template": path[1]}
        write_city(root, SCHOOL, dump(school).encode(), SCHOOL)
        (root / CITY_FILE).write_text(dump(data), encoding="utf-8")
        return
    write_city(root, target, dump(data).encode("utf-8", "backslashreplace"), SCHOOL)


def _file(target: str) -> str:
    return CITY_FILE if target == CITY_FILE else f"schools/{target}.yaml"


@st.composite
def injected_fields(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], str, tuple[Any, ...]]:
    """(file, path, unsafe value built on the value there, paths validate may report)."""
    target, path, kind, reported_at = draw(st.sampled_from(FIELDS))
    try:
        base = original(target, path)
    except (KeyError, IndexError, TypeError):
        base = None
    base = base if isinstance(base, str) else "x"
    payload = draw(cli_payloads(base) if kind == CLI else text_payloads(base))
    if path[0] == "led_templates":  # its output is stripped: a control char must be inside
        payload = f"【{payload}】"
    return target, path, payload, reported_at


@cache
def _data(target: str) -> Any:
    return yaml.safe_load((EXAMPLE / _file(target)).read_text(encoding="utf-8"))


def original(target: str, path: tuple[Any, ...]) -> Any:
    data = _data(target)
    for part in path:
        data = data[part]
    return data


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inject") / "city"


def check_refused_by_validate(root: Path, field: tuple[Any, ...]) -> None:
    target, path, payload, reported_at = field
    inject(root, target, path, payload)
    result = validate(root, workers=1)
    where = {format_path(p) for p in reported_at or (path,)}
    located = [p for p in result.errors if p.yaml_path in where]
    assert located, (payload, [p.format() for p in result.errors][:5])


TEMPLATE = (CITY_FILE, ("led_templates", "notice"))


@sample(25)
@given(field=injected_fields())
@example(field=(SCHOOL, ("network", "uplink", "interface"), "Gi0/0/1\nreload", ()))
@example(field=(SCHOOL, ("network", "uplink", "interface"), "Gi0/0/1\n", ()))  # `$` of re
@example(field=(SCHOOL, ("cameras", 0, "osd"), "gate\u2028reload", ()))
@example(field=(SCHOOL, ("name",), "大连\x85二十四中", ()))  # NEL, a C1 control
@example(field=(SCHOOL, ("defaults", "timezone"), "Asia/Shanghai\n", ()))
@example(field=(SCHOOL, ("defaults", "timezone"), "Asia/Nowhere", ()))
@example(field=(*TEMPLATE, "a\nb", FIELDS[-1][3]))
def test_validate_refuses_injected_values_where_they_are(root: Path, field: Any) -> None:
    check_refused_by_validate(root, field)


@pytest.mark.fuzz
@long_run(1500)
@given(field=injected_fields())
def test_fuzz_validate_refuses_injected_values(root: Path, field: Any) -> None:
    check_refused_by_validate(root, field)


# --- render time: cli_value, text_value, and a model that skipped validate -------------


def unsafe_text_char(ch: str) -> bool:
    """What text for people may not hold: controls, line/paragraph separators, bidi."""
    return (
        unicodedata.category(ch) == "Cc"
        or ch in "\u2028\u2029"
        or "\u202a" <= ch <= "\u202e"
        or "\u2066" <= ch <= "\u2069"
    )


def check_hooks(value: str, payload: str, text: str) -> None:
    """The hooks pass exactly the clean values, and refuse every payload."""
    cli_clean = len(value) <= CLI_MAX and all(
        c.isascii() and (c.isalnum() or c in "._:/,-") for c in value
    )
    text_clean = len(value) <= TEXT_MAX and not any(unsafe_text_char(c) for c in value)
    for hook, clean in ((cli_value, cli_clean), (text_value, text_clean)):
        if clean:
            assert hook(value) == value
        else:
            with pytest.raises(TemplateError, match="refusing"):
                hook(value)
    with pytest.raises(TemplateError, match="refusing"):
        cli_value(payload)
    with pytest.raises(TemplateError, match="refusing"):
        text_value(text)


anything = st.text(st.characters(exclude_categories=()), max_size=200)


@sample(15)
@given(value=anything, payload=cli_payloads(), text=text_payloads(over=TEXT_MAX))
@example(value="a\x85b", payload="Gi0/0/1\n", text="x\u202e")
def test_render_hooks_pass_exactly_the_clean_values(value: str, payload: str, text: str) -> None:
    check_hooks(value, payload, text)


@pytest.mark.fuzz
@long_run(1000)
@given(value=anything, payload=cli_payloads(), text=text_payloads(over=TEXT_MAX))
def test_fuzz_render_hooks_pass_exactly_the_clean_values(
    value: str, payload: str, text: str
) -> None:
    check_hooks(value, payload, text)


@cache
def example_city() -> tuple[City, School]:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    return city, city.school(SCHOOL)


def _school_with(school: School, where: str, value: str) -> School:
    """The school with `value` in one of its template-bound fields."""
    rep = dataclasses.replace
    net, cam, board, sec = school.network, school.cameras[0], school.led_boards[0], school.security
    changes: dict[str, Any] = {
        "interface": lambda: {"network": rep(net, uplink=rep(net.uplink, interface=value))},
        "switch": lambda: {"network": rep(net, switches=(rep(net.switches[0], name=value),))},
        "id": lambda: {"id": value},
        "ntp": lambda: {"ntp": (value, *school.ntp[1:])},
        "timezone": lambda: {"timezone": value},
        "osd": lambda: {"cameras": (rep(cam, osd=value), *school.cameras[1:])},
        "camera": lambda: {"cameras": (rep(cam, name=value), *school.cameras[1:])},
        "phone": lambda: {"security": rep(sec, police_room_phone=value)},
        "patrol": lambda: {"security": rep(sec, patrol_times=(value,))},
        "led": lambda: {
            "led_boards": (
                rep(board, messages=(rep(board.messages[0], text=value, template=None),)),
            )
        },
    }
    return rep(school, **changes[where]())


RENDER_CLI = ["interface", "switch", "id", "ntp", "timezone"]
RENDER_TEXT = ["osd", "camera", "phone", "patrol", "led", "id", "ntp"]


@st.composite
def corrupted_models(draw: st.DrawFn) -> tuple[str, str]:
    if draw(st.booleans()):
        return draw(st.sampled_from(RENDER_CLI)), draw(cli_payloads(base="x", over=CLI_MAX))
    return draw(st.sampled_from(RENDER_TEXT)), draw(text_payloads(base="x", over=TEXT_MAX))


def check_render_refuses(where: str, value: str) -> None:
    city, school = example_city()
    with pytest.raises(TemplateError):
        render_school(city, _school_with(school, where, value))


@sample(15)
@given(change=corrupted_models())
@example(change=("interface", "GigabitEthernet0/0/1\nundo acl all"))
@example(change=("osd", "gate\nface"))  # JSON would escape it; the camera would not
@example(change=("timezone", "Asia/Nowhere"))
def test_render_refuses_a_model_with_injected_values(change: tuple[str, str]) -> None:
    check_render_refuses(*change)


@pytest.mark.fuzz
@long_run(500)
@given(change=corrupted_models())
def test_fuzz_render_refuses_a_model_with_injected_values(change: tuple[str, str]) -> None:
    check_render_refuses(*change)


def test_the_unchanged_model_renders() -> None:
    """The refusals above are the injected values', not a model that never renders."""
    city, school = example_city()
    assert render_school(city, school)
