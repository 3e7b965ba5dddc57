"""Which schools a command works on: --school (repeatable), --district, --tier, --precinct."""

from __future__ import annotations

from dataclasses import dataclass

from provision.errors import InventoryError
from provision.i18n import _
from provision.inventory.model import City, School


@dataclass(frozen=True, slots=True)
class Selection:
    schools: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    precincts: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.schools or self.districts or self.tiers or self.precincts)

    def matches(self, school: School) -> bool:
        return (
            (not self.schools or school.id in self.schools)
            and (not self.districts or school.district in self.districts)
            and (not self.tiers or school.tier in self.tiers)
            and (not self.precincts or school.precinct in self.precincts)
        )

    def apply(self, city: City) -> list[School]:
        """The selected schools; a selector naming nothing that exists is an error."""
        known = {s.id for s in city.schools}
        missing = [s for s in self.schools if s not in known]
        if missing:
            raise InventoryError(
                _("no school {schools} in {root}").format(
                    schools=", ".join(missing), root=city.root
                )
            )
        for value, pool, what in (
            (self.districts, city.districts, "district"),
            (self.precincts, city.precincts, "precinct"),
        ):
            unknown = [v for v in value if v not in pool]
            if unknown:
                raise InventoryError(
                    _("unknown {what} {unknown}; valid: {valid}").format(
                        what=what, unknown=", ".join(unknown), valid=", ".join(sorted(pool))
                    )
                )
        chosen = [s for s in city.schools if self.matches(s)]
        if not chosen and not self.empty:
            # Each selector names something real, but together they match no school: a run
            # that checks nothing must not look like one that found nothing wrong.
            raise InventoryError(
                _("no school in {root} matches {selection}").format(
                    root=city.root, selection=self.describe()
                )
            )
        return chosen

    def describe(self) -> str:
        """The selectors as a reader says them: "school dl-xg-k003 and tier high"."""
        parts = [
            f"{what} {' or '.join(values)}"
            for what, values in (
                ("school", self.schools),
                ("district", self.districts),
                ("tier", self.tiers),
                ("precinct", self.precincts),
            )
            if values
        ]
        return " and ".join(parts) or "any school"
