"""Render the selected schools' device configs, as a library call."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from provision.errors import InventoryError
from provision.inventory.loader import require_valid
from provision.inventory.selectors import Selection
from provision.templates import render_school
from provision.validate import validate


def render_selection(root: str | Path, selection: Selection) -> dict[str, dict[str, str]]:
    """Rendered files by school id, then by relative path. Refuses an invalid inventory."""
    only = set(selection.schools) or None
    result = validate(root, only=only)
    if result.errors:
        raise InventoryError(
            f"{root} has {len(result.errors)} error(s); fix them before rendering",
            result.errors,
        )
    inv = require_valid(result.inventory)
    assert inv.city is not None
    return {s.id: render_school(inv.city, s) for s in selection.apply(inv.city)}


def write_rendered(rendered: dict[str, dict[str, str]], out: Path) -> tuple[int, list[Path]]:
    """Write every file atomically (temp file + rename), so a reader never sees half a file;
    then remove what a school's directory held from an earlier render and this one no longer
    produces (a renamed or removed device), so OUT/<school>/ is exactly the school's configs.
    Returns the count written and the stale files removed."""
    count, stale = 0, []
    for school_id, files in rendered.items():
        for name, text in files.items():
            target = out / school_id / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
            count += 1
        stale += _remove_stale(out / school_id, set(files))
    return count, stale


def _remove_stale(school_dir: Path, produced: set[str]) -> list[Path]:
    """Files under the kinds' directories a render writes (switch/, camera/, led_board/) that
    this render did not produce. Anything else in the directory is the user's and stays."""
    kinds = {name.partition("/")[0] for name in produced} | set(RENDERED_KINDS)
    stale = []
    for kind in sorted(kinds):
        for path in sorted((school_dir / kind).glob("*")):
            ours = path.is_file() and not path.is_symlink()
            if ours and f"{kind}/{path.name}" not in produced:
                path.unlink()
                stale.append(path)
    return stale


RENDERED_KINDS = ("switch", "camera", "led_board")
