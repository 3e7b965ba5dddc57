"""--changed-since: the schools a commit touched, directly or through inherited defaults."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner

from provision.citygen import dump
from provision.cli.main import cli
from provision.inventory.changes import changed_schools


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _repo(city_copy: Path) -> Path:
    _git(city_copy, "init", "-q")
    _git(city_copy, "-c", "user.email=t@example.org", "-c", "user.name=t", "add", ".")
    _git(city_copy, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "x")
    return city_copy


def _edit_city(city: Path, change) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load((city / "city.yaml").read_text(encoding="utf-8"))
    change(doc)
    (city / "city.yaml").write_text(dump(doc, "x.json"), encoding="utf-8")


def test_nothing_changed_selects_nothing(city_copy: Path) -> None:
    repo = _repo(city_copy)
    assert changed_schools(repo, "HEAD") == set()
    result = CliRunner().invoke(cli, ["plan", "-i", str(repo), "--changed-since", "HEAD"])
    assert result.exit_code == 0 and "no school changed since HEAD" in result.output


def test_a_school_file_edit_selects_that_school(city_copy: Path) -> None:
    repo = _repo(city_copy)
    path = repo / "schools" / "dl-zs-p007.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("students: ", "students: 1"), encoding="utf-8"
    )
    assert changed_schools(repo, "HEAD") == {"dl-zs-p007"}


def test_inherited_defaults_select_the_schools_they_reach(city_copy: Path) -> None:
    repo = _repo(city_copy)
    _edit_city(repo, lambda d: d["districts"]["xigang"]["defaults"].update(ntp=["10.0.0.9"]))
    assert changed_schools(repo, "HEAD") == {"dl-xg-m016", "dl-xg-k003"}
    _git(repo, "checkout", "-q", "--", "city.yaml")
    _edit_city(repo, lambda d: d["tiers"]["kindergarten"]["standard"].update(retention_days=90))
    assert changed_schools(repo, "HEAD") == {"dl-xg-k003"}
    _git(repo, "checkout", "-q", "--", "city.yaml")
    _edit_city(repo, lambda d: d["defaults"]["camera"]["video"].update(fps=20))
    assert len(changed_schools(repo, "HEAD")) == 4


def test_a_new_school_file_is_selected(city_copy: Path) -> None:
    repo = _repo(city_copy)
    src = repo / "schools" / "dl-zs-p007.yaml"
    (repo / "schools" / "dl-zs-p008.yaml").write_text(
        src.read_text(encoding="utf-8").replace("dl-zs-p007", "dl-zs-p008"), encoding="utf-8"
    )
    assert changed_schools(repo, "HEAD") == {"dl-zs-p008"}
