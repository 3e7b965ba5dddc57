"""The command line as a new user meets it: help, schemas, the demo."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from provision.cli.main import cli
from provision.schemas import SCHEMA_FILES, registry, schema
from provision.yamlsource import load_yaml


def test_every_command_explains_itself_with_an_example() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0 and "Examples:" in top.output
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output, f"provision {name} --help has no example"
        assert f"provision {name}" in result.output


def _properties_without_description(node: Any, path: str = "") -> list[str]:
    missing = []
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                missing.append(f"{path}.{key}")
            elif isinstance(sub, dict) and "$ref" in sub and "description" not in sub:
                missing.append(f"{path}.{key} ($ref without description)")
        for key, sub in node.items():
            missing += _properties_without_description(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing += _properties_without_description(sub, f"{path}[{i}]")
    return missing


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schemas_are_valid_2020_12_and_describe_every_property(name: str) -> None:
    doc = schema(name)
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"].endswith("2020-12/schema")
    assert _properties_without_description(doc) == []


def test_schema_command_writes_schemas_that_validate_the_examples(
    tmp_path: Path, example_city: Path
) -> None:
    result = CliRunner().invoke(cli, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SCHEMA_FILES)
    written = json.loads((tmp_path / "school.schema.json").read_text(encoding="utf-8"))
    assert written == schema("school.schema.json")
    # the published (un-inlined) schemas, resolved as an editor would, accept the examples
    validator = Draft202012Validator(written, registry=registry())
    for school in (example_city / "schools").glob("*.yaml"):
        assert school.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
        assert not list(validator.iter_errors(load_yaml(school).data))


def test_a_bug_is_exit_3_with_a_log_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import provision.cli.validate as validate_cmd

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(validate_cmd, "validate", boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # this test's crash log, not /tmp's
    result = CliRunner().invoke(cli, ["validate", "-i", "."])
    assert result.exit_code == 3
    assert "provision hit a bug" in result.output and "Traceback" not in result.output
    (log,) = tmp_path.glob("provision-crash-*.log")
    assert "RuntimeError: kaboom" in log.read_text(encoding="utf-8")
