"""README's "Your first city" is what `provision init` writes, and it works on the lab."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from provision.cli.init import STARTER_FILES, starter_text
from provision.cli.main import cli

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- starter: (?P<name>[\w/.-]+) -->\n```yaml\n(?P<text>.*?)```", re.S)


def test_the_readme_shows_exactly_the_starter_files() -> None:
    shown = {m["name"]: m["text"] for m in BLOCK.finditer(README.read_text(encoding="utf-8"))}
    assert set(shown) == set(STARTER_FILES)
    for name in STARTER_FILES:
        assert shown[name] == starter_text(name), f"README's {name} differs from the starter"


def test_init_refuses_an_existing_inventory_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "already holds an inventory" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.yaml"]
    assert (tmp_path / "city.yaml").read_text(encoding="utf-8") == "mine\n"


def _provision(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PROVISION_LAB_DIR": str(tmp / "lab"),
        "PROVISION_JOURNAL": str(tmp / "journal.sqlite"),
        "PROVISION_LOCK_DIR": str(tmp / "locks"),
    }
    return subprocess.run(
        [sys.executable, "-m", "provision", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=300,
    )


def test_the_starter_city_validates_applies_converges_and_passes_verify(tmp_path: Path) -> None:
    steps = [
        ("init", "mycity"),
        ("validate", "-i", "mycity"),
        ("lab", "up", "-i", "mycity"),
    ]
    try:
        for step in steps:
            done = _provision(tmp_path, *step)
            assert done.returncode == 0, (step, done.stdout, done.stderr)
        applied = _provision(tmp_path, "apply", "-i", "mycity", "--lab", "--yes")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        planned = _provision(tmp_path, "plan", "-i", "mycity", "--lab")
        assert planned.returncode == 0 and "0 to change" in planned.stdout, planned.stdout
        verified = _provision(tmp_path, "verify", "-i", "mycity", "--lab", "--out", "r.json")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "Result: 1/1 school" in verified.stdout and "pass" in verified.stdout
    finally:
        _provision(tmp_path, "lab", "down")
