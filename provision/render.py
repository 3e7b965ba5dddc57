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


def write_rendered(rendered: dict[str, dict[str, str]], out: Path) -> int:
    """Write every file atomically (temp file + rename), so a reader never sees half a file."""
    count = 0
    for school_id, files in rendered.items():
        for name, text in files.items():
            target = out / school_id / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
            count += 1
    return count
