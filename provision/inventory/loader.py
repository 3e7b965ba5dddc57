"""Load a city directory: city.yaml plus schools/<id>.yaml, checked against the schemas.

Loading never stops at the first problem: every file is parsed and schema-checked, every
school that is valid enough is built, and all problems come back together.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from provision.diagnostics import Location, Problem, Severity
from provision.errors import InventoryError
from provision.i18n import _
from provision.inventory import build
from provision.inventory.model import City, School
from provision.schemas import schema_problems
from provision.yamlsource import SourceDoc, load_yaml

CITY_FILE = "city.yaml"
SCHOOLS_DIR = "schools"


@dataclass(slots=True)
class Inventory:
    """A loaded city with the parsed source of every file, for locating problems."""

    root: Path
    city: City | None
    city_doc: SourceDoc
    docs: dict[str, SourceDoc] = field(default_factory=dict)  # school id → its file
    problems: list[Problem] = field(default_factory=list)
    # Schools built although their file broke the schema, so that one run still reports
    # their semantic problems; rules that trip over their odd values skip them.
    tainted: set[str] = field(default_factory=set)

    @property
    def schools(self) -> list[School]:
        return self.city.schools if self.city else []

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def _display(path: Path) -> str:
    """Paths relative to the working directory when possible: what a person would type."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def school_files(root: Path) -> list[Path]:
    return sorted((root / SCHOOLS_DIR).glob("*.yaml")) + sorted((root / SCHOOLS_DIR).glob("*.yml"))


def inventory_digest(root: Path, schools: list[School]) -> str:
    """Fingerprint of city.yaml and the selected schools' files: a saved plan or a verify run
    made from other bytes is stale."""
    return files_digest(root, {s.id for s in schools})


def files_digest(root: Path, wanted: set[str]) -> str:
    """`inventory_digest` of the schools whose ids are `wanted` (those that have a file)."""
    digest = hashlib.sha256((root / CITY_FILE).read_bytes())
    for path in school_files(root):
        if path.stem in wanted:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def load_inventory(root: str | Path, only: set[str] | None = None) -> Inventory:
    """Parse, schema-check and build a city. `only` limits which school files are read."""
    root = Path(root)
    city_path = root / CITY_FILE
    if not city_path.is_file():
        raise InventoryError(
            _(
                "{root} is not a city inventory: {city_file} not found (expected "
                "{city_file} and {schools_dir}/<id>.yaml)"
            ).format(root=_display(root), city_file=CITY_FILE, schools_dir=SCHOOLS_DIR)
        )
    city_doc = load_yaml(city_path, _display(city_path))
    inv = Inventory(root, None, city_doc, problems=list(city_doc.problems))
    if city_doc.data is not None and not isinstance(city_doc.data, dict):
        inv.problems.append(city_doc.problem((), "city.yaml must be a mapping", "schema-type"))
    elif city_doc.data is not None:
        city_schema = list(schema_problems("city", city_doc))
        inv.problems += city_schema
        if not city_schema and not city_doc.problems:
            inv.city = build.build_city(city_doc, str(root))
    for path in school_files(root):
        if only is not None and path.stem not in only:
            continue
        school = _load_school(inv, path)
        if school is not None and inv.city is not None:
            inv.city.schools.append(school)
    return inv


def _load_school(inv: Inventory, path: Path) -> School | None:
    doc = load_yaml(path, _display(path))
    inv.problems += doc.problems
    if doc.data is None:
        return None
    if not isinstance(doc.data, dict):
        inv.problems.append(doc.problem((), "a school file must be a mapping", "schema-type"))
        return None
    found = list(schema_problems("school", doc))
    inv.problems += found
    school_id = doc.data.get("id")
    if isinstance(school_id, str) and school_id != path.stem:
        inv.problems.append(
            doc.problem(
                ("id",),
                _("id {school_id!r} does not match the file name {name}").format(
                    school_id=school_id, name=path.name
                ),
                "id-mismatch",
            )
        )
        # Not built: selections, shares of a parallel validate and plans find a school by its
        # file name, so one whose id says otherwise would be checked (or twice) by chance.
        return None
    if doc.problems or inv.city is None or not isinstance(school_id, str):
        return None
    if school_id in inv.docs:
        first = inv.docs[school_id].file
        inv.problems.append(
            doc.problem(
                ("id",),
                _("school id {school_id!r} is also used by {first}").format(
                    school_id=school_id, first=first
                ),
                "duplicate-id",
            )
        )
        return None
    try:
        defaults = build.school_defaults(inv.city_doc.data, doc.data)
        school = build.build_school(doc.data, defaults, doc.file)
    except build.Missing as exc:
        if not found:
            inv.problems.append(doc.problem(exc.path, str(exc), "missing-value"))
        return None
    except Exception:
        if not found:
            raise  # a schema-valid file must always build: this is a bug
        return None  # too broken to build; its schema problems say why
    inv.docs[school_id] = doc
    if found:
        inv.tainted.add(school_id)
    return school


def load_school(inv: Inventory, school_id: str) -> School | None:
    """School `school_id` of `inv`'s directory, built as `load_inventory` builds it (None if
    it has no file or does not build), without adding it or its parsed file to `inv`: a
    report that draws each school once holds one school at a time, not the city's."""
    for suffix in (".yaml", ".yml"):
        path = inv.root / SCHOOLS_DIR / f"{school_id}{suffix}"
        if path.is_file():
            return _load_school(Inventory(inv.root, inv.city, inv.city_doc), path)
    return None


def require_valid(inv: Inventory) -> Inventory:
    """Raise with every error when the inventory cannot be used to touch devices."""
    errors = [p for p in inv.problems if p.severity is Severity.ERROR]
    if errors or inv.tainted:
        raise InventoryError(
            _("the inventory has {n_errors} error(s); run provision validate").format(
                n_errors=len(errors)
            ),
            errors,
        )
    return inv


__all__ = [
    "Inventory",
    "Location",
    "load_inventory",
    "load_school",
    "require_valid",
    "school_files",
]
