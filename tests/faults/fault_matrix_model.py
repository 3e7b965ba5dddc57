"""The fault matrix's vocabulary (no tests here): a fault, what each command is expected to do
under it, and how an observed run is held against that expectation.

The expectations themselves are data in `test_fault_matrix.py`; `tools/fault_matrix_doc.py`
renders the same data as `docs/fault-matrix.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fault_matrix_lab import SCHOOL, Observed

COMMANDS = ("plan", "apply", "verify")
# A device that converges ends in one of these; every other status is named in `Expect.failing`.
CONVERGED = {"plan": ("would change", "unchanged"), "apply": ("changed", "unchanged")}


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str  # one of provision.lab.faults.FAULT_KINDS
    device: str  # a school device's name, or a lab id such as "precinct/<id>/alarm_center"
    value: Any
    means: str  # what it stands for in the field
    gb28181: bool = False  # run in the school's GB/T 28181 variant (fault_matrix_lab.small_city)
    # A client waits out its timeout under this fault (a hung device, a platform pull that is
    # never ready, a dropped SSH session netmiko sees as silence): the commands run with
    # fault_matrix_lab.SHORT_TIMEOUT_S, not TIMEOUT_S, so that the wait costs seconds.
    times_out: bool = False

    @property
    def lab_id(self) -> str:
        return self.device if "/" in self.device else f"{SCHOOL}/{self.device}"


@dataclass(frozen=True, slots=True)
class Bug:
    """Today's behaviour differs from `Expect` in these fields, for this reason (the cell is a
    strict xfail: fixing the product makes it pass, and the test then asks for the xfail to go)."""

    fields: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Expect:
    """What one command does with the fault on.

    failing: plan/apply: device -> status for every device that does not converge (all others
      must); verify: check -> verdict for every check that does not pass (all others must).
    says: a substring of the report's messages (device errors, rollbacks, verify findings).
    never_says: a substring that must not appear there.
    journal: apply: device -> the outcomes its rows hold, for the devices in `failing` (a changed
      device must hold exactly "applied"); plan and verify record no run.
    """

    exit_code: int
    failing: dict[str, str] = field(default_factory=dict)
    says: str = ""
    never_says: str = ""
    journal: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bug: Bug | None = None


@dataclass(frozen=True, slots=True)
class Row:
    fault: Fault
    plan: Expect
    apply: Expect
    verify: Expect

    def expect(self, command: str) -> Expect:
        expect: Expect = getattr(self, command)
        return expect


class KnownBug(AssertionError):
    """A cell differs from its expectation exactly where its `Bug` says it does."""


def _short(device: str) -> str:
    return device.split("/", 1)[1] if device.startswith(f"{SCHOOL}/") else device


def observed_failing(observed: Observed) -> dict[str, str]:
    if observed.command == "verify":
        return {c: v for c, v in observed.verdicts().items() if v != "pass"}
    converged = CONVERGED[observed.command]
    return {_short(d): s for d, s in observed.statuses().items() if s not in converged}


def mismatches(expect: Expect, observed: Observed) -> dict[str, tuple[Any, Any]]:
    """field -> (expected, observed) for every field of `expect` the run does not match."""
    out: dict[str, tuple[Any, Any]] = {}
    if observed.exit_code != expect.exit_code:
        out["exit_code"] = (expect.exit_code, observed.exit_code)
    failing = observed_failing(observed)
    if failing != expect.failing:
        out["failing"] = (expect.failing, failing)
    said = "\n".join(observed.messages())
    if expect.says and expect.says not in said:
        out["says"] = (expect.says, said)
    if expect.never_says and expect.never_says in said:
        out["never_says"] = (expect.never_says, said)
    if observed.command == "apply":
        held = {
            _short(d): tuple(sorted(outcomes))
            for d, outcomes in observed.journal.items()
            if _short(d) in expect.failing
        }
        wanted = {d: tuple(sorted(o)) for d, o in expect.journal.items()}
        if held != wanted:
            out["journal"] = (wanted, held)
    return out


def hold(expect: Expect, observed: Observed) -> None:
    """Raise KnownBug when the run differs exactly as the cell's Bug says, AssertionError when
    it differs in any other way (or when a known bug is gone)."""
    found = mismatches(expect, observed)
    detail = "\n".join(
        f"  {name}: expected {e!r}\n  {'':{len(name)}}  observed {o!r}"
        for name, (e, o) in found.items()
    )
    if expect.bug is not None and found and set(found) <= set(expect.bug.fields):
        raise KnownBug(f"{expect.bug.reason}\n{detail}")
    if found:
        raise AssertionError(f"{observed.command} differs from the matrix:\n{detail}")
