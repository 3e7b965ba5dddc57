"""Hostile inventories through `provision validate`: clean, located problems, never a crash.

Each example changes one file of the example city (see fuzz_strategies) and validates a
one-school city holding it, through the library and through the CLI. Whatever the change,
every problem must point at a line and column that exist in the file it names, read as one
printable line, and the verdict must agree with the problems (exit 1 iff an error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzz_strategies import Case, cases, examples_of_each_kind, long_run, sample, write_city
from hypothesis import event, example, given
from hypothesis import strategies as st

from provision.cli.main import cli
from provision.diagnostics import Problem, problems_to_json
from provision.validate import validate

KEYED = {"duplicate-key", "schema-additionalProperties"}
LAST_KEY = re.compile(r"(?:^|\.)([A-Za-z0-9_-]+)$")
CODE = re.compile(r"[a-z][A-Za-z0-9-]*")  # schema-additionalProperties
MAX_LINE = 1200  # a problem is read by a person: no 1 MB messages


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "city"


def file_lines(path: Path) -> list[str]:
    """The lines an editor shows: UTF-8 (bad bytes as one character each), no BOM,
    CRLF or CR as one line break."""
    text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def assert_clean(problems: list[Problem], root: Path) -> None:
    for problem in problems:
        loc = problem.location
        path = Path(loc.file).resolve()
        assert path.is_relative_to(root.resolve()) and path.is_file(), problem
        lines = file_lines(path)
        assert 1 <= loc.line <= len(lines), (problem, len(lines))
        assert 1 <= loc.column <= len(lines[loc.line - 1]) + 1, (problem, lines[loc.line - 1])
        assert CODE.fullmatch(problem.code), problem
        key = LAST_KEY.search(problem.yaml_path)
        if problem.code in KEYED and key:  # located at the key itself: it is written there
            rest = lines[loc.line - 1][loc.column - 1 :].lstrip("'\"")
            assert rest.startswith(key.group(1)), (problem, lines[loc.line - 1])
        assert problem.message.strip(), problem
        shown = problem.format()
        assert shown.isprintable() and len(shown) <= MAX_LINE, shown
        shown.encode("utf-8")  # no lone surrogate survives into a report
    doc = json.loads(problems_to_json(problems))
    assert doc["valid"] == (not any(p.is_error for p in problems))


def check_library(root: Path, case: Case) -> None:
    event(case.describe.partition(":")[0])  # the mix, in --hypothesis-show-statistics
    write_city(root, case.target, case.content, case.school)
    result = validate(root, workers=1)
    assert_clean(result.problems, root)
    assert result.ok() == (not result.errors)
    if case.must_fail:
        assert result.errors, case.describe


def check_cli(root: Path, case: Case, fmt: str) -> None:
    write_city(root, case.target, case.content, case.school)
    result = CliRunner().invoke(cli, ["validate", "-i", str(root), "--format", fmt])
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert doc["valid"] == (result.exit_code == 0)
        for problem in doc["problems"]:
            assert problem["location"]["line"] >= 1 and problem["location"]["column"] >= 1
            assert problem["message"].isprintable(), problem
    else:
        assert all(line.isprintable() for line in result.stdout.splitlines())
        assert result.stdout.rstrip().endswith("warning(s)") or not result.stdout
    if case.must_fail:
        assert result.exit_code == 1


def with_examples(test: Callable[..., None]) -> Callable[..., None]:
    for case in examples_of_each_kind():
        test = example(case=case)(test)
    return test


@sample(60)
@given(case=cases())
@with_examples
def test_any_change_to_a_file_gives_located_problems(root: Path, case: Case) -> None:
    check_library(root, case)


@sample(15)
@given(case=cases(), fmt=st.sampled_from(["text", "json"]))
def test_cli_validate_exits_0_or_1_with_readable_output(root: Path, case: Case, fmt: str) -> None:
    check_cli(root, case, fmt)


@pytest.mark.fuzz
@long_run(6000)
@given(case=cases())
def test_fuzz_any_change_to_a_file_gives_located_problems(root: Path, case: Case) -> None:
    check_library(root, case)


@pytest.mark.fuzz
@long_run(1000)
@given(case=cases(), fmt=st.sampled_from(["text", "json"]))
def test_fuzz_cli_validate_exits_0_or_1(root: Path, case: Case, fmt: str) -> None:
    check_cli(root, case, fmt)
