"""The one contract every verify check meets, and the registry that orders them.

A check is a `Check`: its name (the word `--checks` takes and reports show), whether it needs
the school's gathered device state, the checks it runs after (those whose results it reads),
and a function from one `CheckContext` to its `CheckResult`. A new check is one module that
declares a `Check` and one line in `provision.verify.registry`, as a rule is one function and
one line in `provision.rules`.

"Runs after" orders, it never pulls in: a check whose predecessor was not chosen in this run
still runs and finds that result missing (policy alone says coverage was "not checked in this
run"). The registry's order is the order reports show; the execution order is derived from
it, predecessors first, and a registry naming an unknown predecessor or holding a cycle is an
error when it is built, that is, when the package is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from provision.drivers.connect import Connector
from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.model import City, School
from provision.verify.gather import DeviceState
from provision.verify.model import CheckResult


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a check may read about one school, in one object."""

    city: City
    school: School
    connector: Connector
    states: dict[str, DeviceState]  # by device name; empty when no chosen check needs state
    threshold: float  # seconds the alarm self-test waits for the precinct's receipt
    after: tuple[str, ...] = ()  # the checks this one declared it runs after
    results: dict[str, CheckResult] = field(default_factory=dict)

    def earlier(self, name: str) -> CheckResult | None:
        """The result of `name`, a check this one runs after; None when this run did not
        choose it. Reading one that is not declared is a bug: the order would not hold."""
        if name not in self.after:
            raise LookupError(
                f"a check read the result of {name!r} without declaring it in `after` "
                f"(it declares: {', '.join(self.after) or 'none'})"
            )
        return self.results.get(name)


CheckRun = Callable[[CheckContext], CheckResult]


@dataclass(frozen=True, slots=True)
class Check:
    """One verify check: what it is called, what it needs and what it runs after."""

    name: str
    run: CheckRun
    needs_state: bool = False  # reads the devices' gathered state (a gather runs first)
    after: tuple[str, ...] = ()  # checks whose results it reads, so they run before it


class CheckRegistry:
    """Checks in the order reports show them, and the order they run in."""

    def __init__(self, checks: Iterable[Check]) -> None:
        self._checks: dict[str, Check] = {}
        for check in checks:
            if check.name in self._checks:
                raise ValueError(f"two verify checks are called {check.name!r}")
            self._checks[check.name] = check
        for check in self._checks.values():
            unknown = [name for name in check.after if name not in self._checks]
            if unknown:
                raise ValueError(
                    f"verify check {check.name!r} runs after unknown check(s) "
                    f"{', '.join(unknown)}; registered: {', '.join(self._checks)}"
                )
        self._execution = _predecessors_first(self._checks)

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __getitem__(self, name: str) -> Check:
        return self._checks[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Every check, in report order."""
        return tuple(self._checks)

    @property
    def needs_state(self) -> frozenset[str]:
        """The checks that read gathered device state."""
        return frozenset(c.name for c in self._checks.values() if c.needs_state)

    def parse(self, text: str | None) -> tuple[str, ...]:
        """`--checks a,b` as names, in the order given; nothing given means every check."""
        if not text:
            return self.names
        return self.known(c.strip() for c in text.split(",") if c.strip())

    def known(self, chosen: Iterable[str]) -> tuple[str, ...]:
        """`chosen`, unchanged, once every name in it is known (else an error naming them)."""
        chosen = tuple(chosen)
        unknown = [c for c in chosen if c not in self._checks]
        if unknown:
            raise ProvisionError(
                _("unknown check(s) {unknown}; valid: {valid}").format(
                    unknown=", ".join(unknown), valid=", ".join(self._checks)
                )
            )
        return chosen

    def execution_order(self, chosen: Iterable[str]) -> list[Check]:
        """The chosen checks in the order they run: each after those it reads."""
        wanted = set(self.known(chosen))
        return [c for c in self._execution if c.name in wanted]

    def report_order(self, names: Iterable[str]) -> list[str]:
        """`names` in the order reports show them."""
        present = set(names)
        return [name for name in self._checks if name in present]


def _predecessors_first(checks: dict[str, Check]) -> list[Check]:
    """Every check after those it runs after; otherwise in registry order (so a registry
    already in a valid order runs as listed). A cycle is an error naming its checks."""
    placed: dict[str, Check] = {}
    waiting = list(checks.values())
    while waiting:
        ready = next((c for c in waiting if all(a in placed for a in c.after)), None)
        if ready is None:
            names = ", ".join(c.name for c in waiting)
            raise ValueError(f"verify checks wait on each other in a cycle among: {names}")
        placed[ready.name] = ready
        waiting.remove(ready)
    return list(placed.values())
