"""--changed-since GIT_REF: the schools whose own file, or whose inherited defaults, changed.

A pipeline plans only what a commit touched. A school is selected when its file changed (or is
new), or when city.yaml changed in a way that reaches it: its effective defaults (city →
district → tier), its tier's standard, its precinct's endpoints, or the LED templates.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from provision.errors import ProvisionError
from provision.inventory.build import school_defaults
from provision.inventory.loader import CITY_FILE, SCHOOLS_DIR, school_files


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=60
        )
    except FileNotFoundError as exc:
        raise ProvisionError("--changed-since needs git on PATH") from exc
    except subprocess.CalledProcessError as exc:
        raise ProvisionError(f"git {' '.join(args)}: {exc.stderr.strip()}") from exc
    return done.stdout


def _context(city: dict[str, Any], school: dict[str, Any]) -> Any:
    """Everything a school inherits from city.yaml."""
    precinct = next(
        (p for p in city.get("precincts", []) if p.get("id") == school.get("precinct")), None
    )
    tier = (city.get("tiers") or {}).get(school.get("tier"), {})
    return (
        school_defaults(city, school),
        precinct,
        (tier or {}).get("standard"),
        city.get("led_templates"),
    )


def changed_schools(root: str | Path, ref: str) -> set[str]:
    root = Path(root).resolve()
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    rel = root.relative_to(top)
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    changed = _git(root, "diff", "--name-only", ref, "--", ".").split()
    changed += _git(root, "ls-files", "--others", "--exclude-standard", "--", ".").split()
    # git prints paths relative to the top for diff and to the cwd (-C root) for ls-files
    names = {Path(p).name if "/" not in p else p for p in changed}
    result = {Path(p).stem for p in changed if Path(p).parent.name == SCHOOLS_DIR}
    city_changed = any(p.endswith(CITY_FILE) for p in names)
    if not city_changed:
        return result
    try:
        old_city = yaml.safe_load(_git(root, "show", f"{ref}:{(rel / CITY_FILE).as_posix()}"))
    except ProvisionError:
        old_city = {}  # city.yaml is new since ref: everything changed
    new_city = yaml.safe_load((root / CITY_FILE).read_text(encoding="utf-8"))
    for path in school_files(root):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict) or _context(old_city or {}, raw) != _context(new_city, raw):
            result.add(path.stem)
    return result
