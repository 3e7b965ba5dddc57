"""The example pipeline (examples/ci/gitlab-ci.yml) says what the README promises: the merge
applies exactly the reviewed plan.json, with state in PostgreSQL; and every `provision`
command in it is one today's CLI accepts (an option renamed here breaks this test, not a
city's pipeline)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from provision.cli.main import cli

PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "ci" / "gitlab-ci.yml"


def _jobs() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PIPELINE.read_text("utf-8"))
    return {name: job for name, job in data.items() if isinstance(job, dict) and "script" in job}


def _provision_commands(job: dict[str, Any]) -> list[list[str]]:
    """Each `provision ...` invocation of a job's script, as argv (up to a redirection)."""
    commands = []
    for line in job["script"]:
        for part in line.split("\n"):
            if part.strip().startswith("provision "):
                words = shlex.split(part.split(">")[0].split("||")[0])
                commands.append(words[1:])
    return commands


def test_the_merge_applies_the_reviewed_plan_and_never_plans_again() -> None:
    jobs = _jobs()
    assert jobs["plan"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert "plan.json" in jobs["plan"]["artifacts"]["paths"]
    apply = jobs["apply"]
    commands = _provision_commands(apply)
    assert [c[0] for c in commands] == ["apply", "history"]  # no `provision plan` here
    (applied,) = [c for c in commands if c[0] == "apply"]
    assert "plan.json" in applied and "--yes" in applied
    fetch = next(line for line in apply["script"] if "curl" in line)
    assert "refs%2Fmerge-requests%2F$IID%2Fhead/raw/plan.json?job=plan" in fetch


def test_state_lives_in_postgresql_and_no_secret_is_in_the_file() -> None:
    jobs = _jobs()
    for argv in _provision_commands(jobs["apply"]):
        assert argv[argv.index("--state") + 1] == "$PROVISION_STATE"
    assert "journal.sqlite" not in str(jobs["apply"]["artifacts"])
    assert "postgresql://provision@" in PIPELINE.read_text("utf-8")  # no password in the URL


@pytest.mark.parametrize("job", sorted(_jobs()))
def test_every_provision_command_parses(
    job: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.json").write_text("{}")  # arguments that must exist
    for argv in _provision_commands(_jobs()[job]):
        parent = click.Context(cli, info_name="provision")
        sub = cli.get_command(parent, argv[0])
        assert sub is not None and not isinstance(sub, click.Group), argv
        sub.make_context(argv[0], argv[1:], parent=parent).close()  # raises on a bad option
