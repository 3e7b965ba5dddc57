from __future__ import annotations

from provision.yamlsource import parse_yaml


def test_values_and_their_locations() -> None:
    doc = parse_yaml("a: 1\nb:\n  - {x: 1, y: [1, 2]}\n  - z: 3\n", "f.yaml")
    assert doc.data == {"a": 1, "b": [{"x": 1, "y": [1, 2]}, {"z": 3}]}
    assert not doc.problems
    assert str(doc.where(("b", 1, "z"))) == "f.yaml:4:8"
    assert str(doc.where(("b", 0, "y", 1))) == "f.yaml:3:19"
    assert str(doc.where(("b",), key=True)) == "f.yaml:2:1"
    # A path that does not exist points at its nearest existing ancestor.
    assert str(doc.where(("b", 0, "missing"))) == "f.yaml:3:5"


def test_duplicate_key_is_an_error_with_both_lines() -> None:
    doc = parse_yaml("cameras:\n  - name: a\n    host: 10.0.0.1\n    host: 10.0.0.2\n", "s.yaml")
    [problem] = doc.problems
    assert problem.code == "duplicate-key"
    assert str(problem.location) == "s.yaml:4:5"
    assert problem.yaml_path == "cameras[0].host"
    assert "first defined at line 3" in problem.message


def test_unsafe_tag_is_refused_not_executed() -> None:
    doc = parse_yaml("x: !!python/object/apply:os.system ['echo hacked']\n", "t.yaml")
    assert doc.data is None
    assert [p.code for p in doc.problems] == ["yaml-tag"]
    assert doc.problems[0].location.line == 1


def test_alias_bomb_is_refused_quickly() -> None:
    text = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    doc = parse_yaml(text, "bomb.yaml")
    assert doc.data is None
    assert [p.code for p in doc.problems] == ["yaml-too-big"]


def test_anchors_and_merge_keys_within_limits_work() -> None:
    doc = parse_yaml("base: &b {fps: 25}\ncam: {<<: *b, gop: 50}\n", "m.yaml")
    assert doc.data["cam"] == {"fps": 25, "gop": 50}
    assert not doc.problems


def test_dates_stay_strings_and_syntax_errors_are_located() -> None:
    assert parse_yaml("d: 2026-09-01\n", "d.yaml").data == {"d": "2026-09-01"}
    doc = parse_yaml("a: [1, 2\nb: 3\n", "bad.yaml")
    assert doc.data is None
    [problem] = doc.problems
    assert problem.code == "yaml-syntax"
    assert problem.location.file == "bad.yaml" and problem.location.line >= 1
