"""One plain test per bug the fuzzers found (or that reading for them found): each failed,
with a traceback or a wrong answer, before its fix. A few guards of limits are marked so."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace as with_fields
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fuzz_strategies import CITY_FILE, EXAMPLE, original_text, write_city

from provision import yamlsource
from provision.cli.main import cli
from provision.diagnostics import Problem
from provision.errors import TemplateError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.schemas import SCHEMA_FILES, schema
from provision.templates import led_messages, timezone_facts
from provision.validate import validate
from provision.yamlsource import parse_yaml

KG = "dl-xg-k003"


def city_with(root: Path, edit: Callable[[str], str], target: str = KG) -> list[Problem]:
    """Validate a one-school city whose `target` file is the example's, edited."""
    write_city(root, target, edit(original_text(target)).encode("utf-8"), KG)
    return validate(root, workers=1).problems


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


def errors(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.yaml_path) for p in problems if p.is_error]


def line_of(problem: Problem) -> str:
    return (
        Path(problem.location.file)
        .read_text(encoding="utf-8")
        .split("\n")[problem.location.line - 1]
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # int() refuses 4,300+ digits with ValueError: the whole validate raised.
        ("students: 235", "students: " + "9" * 5000, ("yaml-value", "students")),
        # float(10**400) raised OverflowError in the coverage geometry.
        ("x: 26,", "x: " + "9" * 400 + ",", ("yaml-value", "cameras[0].mount.x")),
        # NaN passes every minimum and maximum; the coverage geometry raised on it.
        ("height: 3.5", "height: .nan", ("yaml-value", "cameras[0].mount.height")),
        ("x: 26,", "x: -.inf,", ("yaml-value", "cameras[0].mount.x")),
        # The CIDR pattern let 300.x through and the identity rule raised on it.
        (
            "video: 10.34.29.0/24",
            "video: 300.34.29.0/24",
            ("schema-pattern", "network.subnets.video"),
        ),
        # `!!int ''` raised IndexError inside PyYAML; `!!map [1, 2]` a TypeError in ours.
        ("students: 235", "students: !!int ''", ("yaml-tag", "")),
        ("students: 235", "students: !!map [1, 2]", ("yaml-tag", "")),
        # Schema-valid (exclusiveMinimum 0) yet 5e-324: tan() of it is 0, and the coverage
        # rule raised ZeroDivisionError; as a sensor width, a 0° field of view (ValueError).
        (
            "lens: &id001 {hfov_deg: 100}",
            "lens: &id001 {hfov_deg: 5.0e-324}",
            ("schema-minimum", "cameras[7].lens.hfov_deg"),
        ),
        (
            "sensor_width_mm: 5.57}",
            "sensor_width_mm: 5.0e-324}",
            ("schema-minimum", "cameras[0].lens.sensor_width_mm"),
        ),
    ],
)
def test_values_that_crashed_validate_are_located_problems(
    tmp_path: Path, old: str, new: str, expected: tuple[str, str]
) -> None:
    problems = city_with(tmp_path, replace(old, new))
    assert expected in errors(problems)
    found = next(p for p in problems if (p.code, p.yaml_path) == expected)
    assert new.split(":")[0].strip() in line_of(found) or found.code == "yaml-tag"


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        # Python's `$` matches before a final newline: "core\n" passed ^[a-z0-9...]$.
        (
            "interface: GigabitEthernet0/1",
            'interface: "GigabitEthernet0/1\\n"',
            "network.uplink.interface",
        ),
        ("switch: core,", 'switch: "core\\n",', "network.uplink.switch"),
        # U+2028 and C1 controls were allowed in text that reaches OSDs and boards.
        ("name: 大连市西岗区实验幼儿园", 'name: "大连\\u2028西岗"', "name"),
        ("name: 大连市西岗区实验幼儿园", 'name: "大连\\x85西岗"', "name"),
        ("name: 大连市西岗区实验幼儿园", 'name: "大连\\u202e西岗"', "name"),
    ],
)
def test_line_breaks_the_regex_dollar_let_through_are_refused(
    tmp_path: Path, old: str, new: str, path: str
) -> None:
    assert ("schema-pattern", path) in errors(city_with(tmp_path, replace(old, new)))


def test_two_cameras_with_one_name_are_reported_not_raised(tmp_path: Path) -> None:
    # The identity rule reported it, then the coverage rule raised "duplicate camera names"
    # (a school with no other error is not skipped as broken).
    problems = city_with(tmp_path, replace("name: gate-plaza-w", "name: gate-face"))
    assert errors(problems) == [("duplicate-name", "cameras[1].name")]


def test_an_unknown_time_zone_fails_validate_not_render(tmp_path: Path) -> None:
    problems = city_with(
        tmp_path, replace("timezone: Asia/Shanghai", "timezone: Asia/Nowhere"), CITY_FILE
    )
    [problem] = [p for p in problems if p.code == "timezone"]
    assert problem.yaml_path == "defaults.timezone" and problem.location.file.endswith(CITY_FILE)
    # rendering a model that skipped validate: a refusal, not ZoneInfoNotFoundError (a bug)
    with pytest.raises(TemplateError, match="unknown time zone"):
        timezone_facts("Asia/Nowhere")
    with pytest.raises(TemplateError, match="unknown time zone"):
        timezone_facts("x" * 5000)  # OSError: file name too long


def test_a_zone_whose_abbreviation_no_switch_takes_fails_validate(tmp_path: Path) -> None:
    problems = city_with(
        tmp_path, replace("students: 235", "students: 235\ndefaults: {timezone: Asia/Dubai}")
    )
    assert ("timezone", "defaults.timezone") in errors(problems)


@pytest.mark.parametrize(("key", "shown"), [("~", "[None]"), ("1", "[1]"), ("true", "[True]")])
def test_keys_yaml_reads_as_null_number_or_bool_are_unknown_fields(
    tmp_path: Path, key: str, shown: str
) -> None:
    # difflib.get_close_matches(None, ...) raised TypeError; the key was located at line 2.
    problems = city_with(tmp_path, replace("students: 235", f"students: 235\n{key}: 1"))
    [problem] = [p for p in problems if p.code == "schema-additionalProperties"]
    assert problem.yaml_path == shown and "quote it for text" in problem.message
    assert line_of(problem) == f"{key}: 1"


def test_a_key_with_escapes_prints_on_one_line(tmp_path: Path) -> None:
    problems = city_with(
        tmp_path, replace("students: 235", 'students: 235\n"\\e[2J\\u202e\\nx": 1')
    )
    [problem] = [p for p in problems if p.code == "schema-additionalProperties"]
    shown = problem.format()
    assert shown.isprintable() and "\\x1b[2J\\u202e\\nx" in shown


@pytest.mark.parametrize(
    ("content", "code", "line", "column"),
    [
        ("a: 1\nb: 大连\x00\n".encode(), "yaml-syntax", 2, 6),  # was line 0: no location
        (b"a: 1\nb: \xe5\xa4\xa7\xff\n", "yaml-encoding", 2, 5),  # was line 0
        (b"a: 1\nb: [1", "yaml-syntax", 2, 6),  # was line 3 of a 2-line file
        ('a: "x\u2028y"\nb: [1\n'.encode(), "yaml-syntax", 3, 1),  # LS is no editor line
        ('id: "x\x85y"\nzz: 1\n'.encode(), "schema-additionalProperties", 2, 1),  # nor NEL
    ],
)
def test_problems_point_at_lines_an_editor_shows(
    tmp_path: Path, content: bytes, code: str, line: int, column: int
) -> None:
    write_city(tmp_path, KG, content, KG)
    problems = validate(tmp_path, workers=1).problems
    found = [(p.location.line, p.location.column) for p in problems if p.code == code]
    assert (line, column) in found, [p.format() for p in problems]


def test_merge_keys_override_without_a_duplicate_key_error() -> None:
    doc = parse_yaml("base: &b {fps: 10, gop: 20}\ncam: {<<: *b, fps: 25}\n", "m.yaml")
    assert doc.data["cam"] == {"fps": 25, "gop": 20} and not doc.problems
    doc = parse_yaml("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, x: 3}\n", "n.yaml")
    assert doc.data["c"] == {"x": 3, "y": 2} and not doc.problems
    doc = parse_yaml("base: &b {fps: 10}\ncam: {<<: *b, fps: 25, fps: 30}\n", "d.yaml")
    assert [p.code for p in doc.problems] == ["duplicate-key"]  # its own keys still may not


def test_a_key_repeated_100000_times_reports_the_first_50() -> None:
    doc = parse_yaml("".join("k: 1\n" for _ in range(100_000)), "k.yaml")
    assert len(doc.problems) == yamlsource.MAX_DUPLICATE_REPORTS


def test_huge_values_give_short_messages_and_a_bounded_report(tmp_path: Path) -> None:
    huge = "recorders: [" + ", ".join(["1"] * 100_000) + "]\nname: " + "x" * 1_000_000
    problems = city_with(tmp_path, lambda t: t.replace("recorders:", "recorders_old:") + huge)
    assert len(problems) < 250 and max(len(p.format()) for p in problems) < 1200
    assert [p.code for p in problems].count("schema-more") == 1


def test_deep_nesting_gives_problems_not_a_recursion_error(tmp_path: Path) -> None:
    """990 levels (libyaml stops at 1,000) through the schema, the builder of a school that
    broke it, and every rule: the secrets rule walked values recursively (RecursionError)."""
    deep = "extra: " + "[" * 990 + "'${PROVISION_DEEP}'" + "]" * 990 + "\n"
    no_anchor = replace("lens: &id001 {hfov_deg: 100}", "lens: {hfov_deg: 100}")
    problems = city_with(
        tmp_path, lambda t: no_anchor(t).replace("*id001", "{hfov_deg: 100}") + deep
    )
    assert ("schema-additionalProperties", "extra") in errors(problems)
    with_anchor = city_with(tmp_path, lambda t: t + deep)  # the alias-size walk stops at 64
    assert ("yaml-too-big", "") in errors(with_anchor)


def test_unreadable_and_oversized_files_are_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_city(tmp_path, KG, original_text(KG).encode(), KG)
    (tmp_path / "schools" / "dir.yaml").mkdir()
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 1000)
    codes = {p.code for p in validate(tmp_path, workers=1).problems}
    assert {"yaml-read", "yaml-too-big"} <= codes


def test_a_school_too_broken_to_build_is_skipped_not_raised(tmp_path: Path) -> None:
    """A guard: the builder of a school that broke the schema may raise anything."""
    problems = city_with(tmp_path, replace("lens: {focal_mm: 8.0", "lens: {focal_mm: 0"))
    assert ("schema-minimum", "cameras[0].lens.focal_mm") in errors(problems)


def test_a_bom_is_no_character_of_the_first_line(tmp_path: Path) -> None:
    write_city(tmp_path, KG, b"\xef\xbb\xbf" + original_text(KG).encode(), KG)
    assert not errors(validate(tmp_path, workers=1).problems)


def test_cli_prints_one_printable_line_per_problem(tmp_path: Path) -> None:
    """A guard (values were quoted with repr already; keys were not, see above)."""
    write_city(tmp_path, KG, b'id: "\\u202e\\x1b[31m"\n', KG)
    result = CliRunner().invoke(cli, ["validate", "-i", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert all(p["message"].isprintable() for p in doc["problems"])


# --- city LED templates: inventory text that Jinja2 would run --------------------------


@cache
def example_city() -> City:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    return city


def led_with(template: str) -> list[str]:
    """The messages of a board showing the city LED template `template`."""
    city = with_fields(example_city(), led_templates={"t": template})
    school = city.school("dl-zs-h024")
    board = school.led_boards[0]
    message = with_fields(board.messages[0], text=None, template="t")
    return led_messages(city, school, with_fields(board, messages=(message,)))


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{{ cycler.__init__.__globals__.os.system('id') }}", "call"),  # ran os.system
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "call"),
        ("{{ 'x' * 1000000000 }}", "mul"),  # a gigabyte of text
        ("{{ 9 ** 9 ** 9 }}", "pow"),  # hours of CPU
        ("{{ '%999999999s' % 'x' }}", "mod"),
        ("{% set a = school.name %}{% set a = a ~ a %}{{ a }}", "assign"),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "macro"),
        (
            "{% for a in school.cameras %}{% for b in school.cameras %}{% endfor %}{% endfor %}",
            "nested",
        ),
        ("{{ school.name | center(1000000000) }}", "filter 'center'"),
        ("{{ school.__class__ }}", "unsafe"),  # the sandbox's own refusal
        ("{% for c in school.cameras %}{{ school.cameras | join }}{% endfor %}", "characters"),
        ("line one\nline two", "control character"),  # a second line on the board
    ],
)
def test_city_led_templates_only_show_facts(template: str, why: str) -> None:
    with pytest.raises(TemplateError, match=why):
        led_with(template)


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{{ 1/0 }}", "division by zero"),
        ("{{ [1, 'a'] | sort }}", "wrong type"),
        ("{{ school.cameras | sum }}", "wrong type"),
        ("{{ school.cameras | min }}", "wrong type"),
        ("{{ 'a' - 1 }}", "wrong type"),
        ("{{ (1e308 + 1e308) | int }}", "fails when rendered"),  # Jinja folds it to `inf`
        # A bound method's repr holds its address: different bytes on every run.
        ("{{ ''.format_map }}", "renders a function value"),
        ("{{ school.cameras | first }}", "renders a Camera value"),
    ],
)
def test_a_city_led_template_that_fails_is_the_citys_located_mistake(
    template: str, why: str
) -> None:
    with pytest.raises(TemplateError, match=f"LED template 't'.*{why}"):
        led_with(template)


def test_validate_and_render_report_a_failing_city_template_and_exit_1(tmp_path: Path) -> None:
    city = tmp_path / "city"
    shutil.copytree(EXAMPLE, city)
    doc = yaml.safe_load((city / "city.yaml").read_text(encoding="utf-8"))
    doc["led_templates"] = {"broken": "{{ 1/0 }}"}
    (city / "city.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    school = city / "schools" / "dl-zs-h024.yaml"
    source = school.read_text(encoding="utf-8")
    assert "{template: patrol_notice}" in source
    school.write_text(source.replace("{template: patrol_notice}", "{template: broken}", 1))

    checked = CliRunner().invoke(cli, ["validate", "-i", str(city), "--format", "json"])
    assert checked.exit_code == 1, checked.output
    problems = json.loads(checked.stdout)["problems"]
    located = [p for p in problems if p["code"] == "led-template"]
    assert len(located) == 1 and "division by zero" in located[0]["message"]
    where = located[0]["location"]
    assert where["file"].endswith("dl-zs-h024.yaml") and where["line"] > 0
    rendered = CliRunner().invoke(cli, ["render", "-i", str(city), "--out", str(tmp_path / "o")])
    assert rendered.exit_code == 1, rendered.output
    assert "division by zero" in rendered.output


def test_a_city_led_template_still_shows_the_schools_facts() -> None:
    assert led_with("{{ school.name }} {{ school.security.patrol_times | join(' ') }}") == [
        "大连市第二十四中学 07:30 11:30 16:30 18:00 21:00"
    ]


def test_schemas_hold_no_keywords_split_off_a_description() -> None:
    # "description": "Device name, unique in the school." had become two keys, the second
    # "unique in the school.": null, which JSON Schema ignores and editors show as noise.
    def nulls(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [k for k, v in node.items() if v is None] + [
                n for v in node.values() for n in nulls(v)
            ]
        return [n for v in node for n in nulls(v)] if isinstance(node, list) else []

    assert [n for name in SCHEMA_FILES for n in nulls(schema(name))] == []
