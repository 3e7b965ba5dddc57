"""Verify checks meet one contract: a new check is one module and one registry line, checks
run after those whose results they read, and an unknown name is an error naming the valid ones.

No lab: the checks used here read only the inventory, or device states handed in by a
stand-in for `gather`, so these test the contract, the registry and the audit's wiring."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from provision.errors import ProvisionError
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.lab.connector import LabConnector
from provision.validate import load_valid
from provision.verify import (
    CHECKS,
    NEEDS_STATE,
    REGISTRY,
    AuditJob,
    Check,
    CheckContext,
    CheckRegistry,
    audit_school,
    parse_checks,
    verify,
)
from provision.verify import school as school_module
from provision.verify.dask_runner import WorkerJob
from provision.verify.gather import DeviceState
from provision.verify.model import ERROR, PASS, WARN, CheckResult, Finding, SchoolReport
from provision.verify.runner import run_local

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture(scope="module")
def city() -> tuple[City, list[School]]:
    return load_valid(EXAMPLE, Selection())


@pytest.fixture
def no_gather(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks that need no device state must never cause a gather (it would touch devices)."""

    def refuse(*_: Any) -> Any:
        raise AssertionError("gathered device state no chosen check needs")

    monkeypatch.setattr(school_module, "gather", refuse)


# --- "a new check is one module": this section is that module ----------------------------
# It reads policy's result (so it runs after policy) and counts the school's guards.


def guard_roster(ctx: CheckContext) -> CheckResult:
    policy = ctx.earlier("policy")
    guards = ctx.school.security.guard_count
    finding = Finding("roster", PASS, f"{guards} guard(s) on the roster")
    summary = f"policy said: {policy.summary}" if policy else "policy not run"
    return CheckResult.of("guard_roster", [finding], summary, {"guards": guards})


GUARD_ROSTER = Check("guard_roster", guard_roster, after=("policy",))

# --- ...and "one registry line": the default registry plus that line ------------------------
WITH_ROSTER = CheckRegistry((*REGISTRY, GUARD_ROSTER))


def job(city: City, checks: tuple[str, ...], registry: CheckRegistry = REGISTRY) -> AuditJob:
    return AuditJob(city, LabConnector(), checks, workers=1, registry=registry)


def test_the_registry_lists_every_check_in_report_order_and_says_which_need_state() -> None:
    assert CHECKS == (
        "reachability",
        "drift",
        "streams",
        "coverage",
        "alarm",
        "budgets",
        "recording",
        "policy",
        "gb28181",
    )
    assert set(NEEDS_STATE) == {
        "reachability",
        "drift",
        "coverage",
        "budgets",
        "alarm",
        "recording",
    }
    # the checks run in the order reports show them: policy is already after what it reads
    assert [c.name for c in REGISTRY.execution_order(CHECKS)] == list(CHECKS)
    assert REGISTRY["policy"].after == ("coverage", "budgets", "recording")


def test_checks_parse_as_given_and_an_unknown_one_lists_the_valid_ones() -> None:
    assert parse_checks(None) == parse_checks("") == CHECKS
    assert parse_checks(" policy, coverage ,") == ("policy", "coverage")
    with pytest.raises(ProvisionError) as caught:
        parse_checks("drift,polcy,strams")
    assert str(caught.value) == (
        "unknown check(s) polcy, strams; valid: "
        "reachability, drift, streams, coverage, alarm, budgets, recording, policy, gb28181"
    )


def test_a_new_check_in_a_registry_runs_in_a_school_audit_after_what_it_reads(
    city: tuple[City, list[School]], no_gather: None
) -> None:
    the_city, schools = city
    ran: list[str] = []
    traced = CheckRegistry(
        Check(c.name, _recording(c, ran), c.needs_state, c.after) for c in WITH_ROSTER
    )
    # chosen with the new check first: it still runs after policy, whose result it reads
    report = audit_school(job(the_city, ("guard_roster", "policy"), traced), schools[0])
    assert ran == ["policy", "guard_roster"]
    assert [c.check for c in report.checks] == ["policy", "guard_roster"]  # report order
    roster = report.check("guard_roster")
    assert roster is not None and roster.verdict == PASS
    assert roster.evidence == {"guards": schools[0].security.guard_count}
    policy = report.check("policy")
    assert policy is not None and roster.summary == f"policy said: {policy.summary}"
    assert "guard_roster" not in CHECKS  # the default registry is untouched


def _recording(check: Check, ran: list[str]) -> Any:
    def run(ctx: CheckContext) -> CheckResult:
        ran.append(check.name)
        return check.run(ctx)

    return run


def test_runs_after_orders_but_never_pulls_in_what_was_not_chosen(
    city: tuple[City, list[School]], no_gather: None
) -> None:
    the_city, schools = city
    # policy alone (as `--checks policy`): coverage, budgets and recording are not run for it
    report = audit_school(job(the_city, ("policy",)), schools[0])
    [policy] = report.checks
    unchecked = {f.subject: f.verdict for f in policy.findings if f.verdict == WARN}
    assert unchecked == {"coverage_targets": WARN, "retention_days": WARN, "recorded_days": WARN}
    # and a new check alone finds policy's result missing, as policy finds coverage's
    alone = audit_school(job(the_city, ("guard_roster",), WITH_ROSTER), schools[0])
    assert [(c.check, c.summary) for c in alone.checks] == [("guard_roster", "policy not run")]


def test_execution_order_follows_runs_after_whatever_the_registry_order() -> None:
    def noop(ctx: CheckContext) -> CheckResult:
        return CheckResult.of("noop", [], "")

    registry = CheckRegistry(
        (
            Check("summary", noop, after=("late", "early")),
            Check("late", noop, after=("early",)),
            Check("early", noop),
            Check("aside", noop),
        )
    )
    assert [c.name for c in registry.execution_order(registry.names)] == [
        "early",
        "late",
        "summary",
        "aside",
    ]
    assert registry.report_order(["aside", "early", "summary"]) == ["summary", "early", "aside"]
    assert [c.name for c in registry.execution_order(["summary", "aside"])] == ["summary", "aside"]


def test_a_registry_with_an_unknown_predecessor_a_cycle_or_a_twin_is_refused() -> None:
    def noop(ctx: CheckContext) -> CheckResult:
        return CheckResult.of("noop", [], "")

    with pytest.raises(ValueError, match="'b' runs after unknown check\\(s\\) nope; registered"):
        CheckRegistry((Check("a", noop), Check("b", noop, after=("nope",))))
    with pytest.raises(ValueError, match="cycle among: a, b"):
        CheckRegistry((Check("a", noop, after=("b",)), Check("b", noop, after=("a",))))
    with pytest.raises(ValueError, match="cycle among: a"):
        CheckRegistry((Check("a", noop, after=("a",)),))
    with pytest.raises(ValueError, match="two verify checks are called 'a'"):
        CheckRegistry((Check("a", noop), Check("a", noop)))


def test_a_check_that_breaks_or_reads_an_undeclared_result_errs_alone(
    city: tuple[City, list[School]], no_gather: None
) -> None:
    the_city, schools = city

    def breaks(ctx: CheckContext) -> CheckResult:
        raise RuntimeError("boom")

    def sneaks(ctx: CheckContext) -> CheckResult:
        ctx.earlier("policy")  # not declared in `after`
        return CheckResult.of("sneaky", [], "")

    registry = CheckRegistry(
        (*REGISTRY, Check("broken", breaks), Check("sneaky", sneaks, after=("broken",)))
    )
    report = audit_school(job(the_city, ("policy", "broken", "sneaky"), registry), schools[0])
    verdicts = {c.check: (c.verdict, c.summary) for c in report.checks}
    assert verdicts["broken"] == (ERROR, "the check could not run: boom")
    sneaky_verdict, sneaky_summary = verdicts["sneaky"]
    assert sneaky_verdict == ERROR and "without declaring it in `after`" in sneaky_summary
    assert verdicts["policy"][0] != ERROR  # the others still ran


def test_a_check_that_needs_state_gets_what_gather_read_for_its_school(
    city: tuple[City, list[School]], monkeypatch: pytest.MonkeyPatch
) -> None:
    the_city, schools = city
    school = schools[1]
    state = DeviceState(f"{school.id}/core", "switch", reachable=True)
    asked: list[tuple[list[str], int]] = []

    def fake_gather(
        city: City, chosen: list[School], connector: Any, workers: int, **pacing: Any
    ) -> dict[str, dict[str, DeviceState]]:
        asked.append(([s.id for s in chosen], workers))
        return {school.id: {"core": state}}

    def count_reachable(ctx: CheckContext) -> CheckResult:
        up = sum(s.reachable for s in ctx.states.values())
        return CheckResult.of("up", [Finding("devices", PASS, f"{up} up")], f"{up} up")

    monkeypatch.setattr(school_module, "gather", fake_gather)
    registry = CheckRegistry((Check("up", count_reachable, needs_state=True),))
    report = audit_school(AuditJob(the_city, LabConnector(), ("up",), 1.0, 3, registry), school)
    assert asked == [([school.id], 3)]  # one school, the job's device workers
    assert [c.summary for c in report.checks] == ["1 up"]


def test_the_local_runner_audits_each_school_with_the_job_it_is_given(
    city: tuple[City, list[School]], no_gather: None
) -> None:
    the_city, schools = city
    done: list[SchoolReport] = []
    failures = run_local(job(the_city, ("guard_roster",), WITH_ROSTER), schools, done.append)
    assert failures == {}
    assert sorted(r.school for r in done) == sorted(s.id for s in schools)
    assert all([c.check for c in r.checks] == ["guard_roster"] for r in done)


def test_verify_refuses_an_unknown_check_before_touching_anything(tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="unknown check\\(s\\) coverag; valid: "):
        verify(EXAMPLE, Selection(), LabConnector(), ("coverag",), run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_worker_job_is_small_carries_no_secret_and_becomes_the_same_audit(
    city: tuple[City, list[School]],
) -> None:
    the_city, _ = city
    connector = LabConnector(timeout=7.0, env={"CAM_PASSWORD": "s3cret-value"})
    audit = AuditJob(the_city, connector, ("policy", "alarm"), 2.5, 12)
    worker_job = WorkerJob.of("/srv/inventory", audit)
    assert b"s3cret-value" not in pickle.dumps(worker_job)
    assert the_city.id.encode() not in pickle.dumps(worker_job)  # the city stays behind
    again = worker_job.audit_job(the_city, workers=4)
    assert (again.checks, again.threshold, again.workers) == (("policy", "alarm"), 2.5, 4)
    assert type(again.connector) is LabConnector and again.connector.timeout == 7.0
    assert "CAM_PASSWORD" not in again.connector.env  # the worker's own environment instead
    with pytest.raises(ProvisionError, match="only the default verify checks"):
        WorkerJob.of("/srv/inventory", job(the_city, ("guard_roster",), WITH_ROSTER))
