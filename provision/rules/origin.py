"""Where an inherited value was written: a school's own file, or its tier's, district's or the
city's defaults. A problem with an inherited value points at the line that set it, not at a
school file that never mentions it."""

from __future__ import annotations

from typing import Any

from provision.inventory.loader import Inventory
from provision.inventory.model import School
from provision.yamlsource import SourceDoc, YamlPath


def value_at(data: Any, path: YamlPath) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def origin(
    inv: Inventory, school: School, default: YamlPath, *own: YamlPath
) -> tuple[SourceDoc, YamlPath]:
    """The document and path that set a school's value: first any of the school's `own` paths,
    then `defaults.<default>` in the school, its tier, its district and the city (the reverse of
    the order they are merged in). Falls back to the school file itself."""
    school_doc = inv.docs[school.id]
    for path in (*own, ("defaults", *default)):
        if value_at(school_doc.data, path) is not None:
            return school_doc, path
    for path in (
        ("tiers", school.tier, "defaults", *default),
        ("districts", school.district, "defaults", *default),
        ("defaults", *default),
    ):
        if value_at(inv.city_doc.data, path) is not None:
            return inv.city_doc, path
    return school_doc, ()
