"""verify --run-dir: each school on disk as it finishes, resume, bounded memory (no lab: the
per-school audit is replaced by a fake, so these test the runner and the run directory)."""

from __future__ import annotations

import json
import shutil
import threading
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import provision.verify as verify_module
from provision.errors import ProvisionError
from provision.inventory.model import School
from provision.inventory.selectors import Selection
from provision.lab.connector import LabConnector
from provision.validate import load_valid
from provision.verify import SchoolsNotVerified, verify
from provision.verify import runner as runner_module
from provision.verify.model import (
    FAIL,
    PASS,
    CheckResult,
    CityReport,
    Finding,
    SchoolReport,
)
from provision.verify.runner import split_workers
from provision.verify.school import AuditJob
from provision.verify.stream import RunDir

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
ORDER = ["dl-xg-k003", "dl-xg-m016", "dl-zs-h024", "dl-zs-p007"]


def fake_report(school: School, payload: str = "") -> SchoolReport:
    report = SchoolReport(school.id, school.name, school.tier, school.district, school.precinct)
    report.checks = [
        CheckResult.of(
            "policy",
            [Finding("guards", PASS, "enough"), Finding("patrols", FAIL, f"few at {school.id}")],
            "short of: patrols",
            {"payload": payload},
        )
    ]
    return report


class FakeAudit:
    """Stands in for audit_school; records which schools it was asked to verify."""

    def __init__(self, fail: Callable[[str], BaseException | None] = lambda _: None) -> None:
        self.fail, self.asked, self.lock = fail, [], threading.Lock()
        self.payload = ""

    def __call__(self, job: AuditJob, school: School) -> SchoolReport:
        with self.lock:
            self.asked.append(school.id)
        problem = self.fail(school.id)
        if problem is not None:
            raise problem
        # a fresh string per report: a report kept in memory really costs its size
        return fake_report(school, self.payload and self.payload + school.id)


@pytest.fixture
def audit(monkeypatch: pytest.MonkeyPatch) -> FakeAudit:
    fake = FakeAudit()
    monkeypatch.setattr(runner_module, "audit_school", fake)
    return fake


def run(run_dir: Path, resume: bool = False, **kw: Any) -> CityReport:
    return verify(EXAMPLE, Selection(), LabConnector(), run_dir=run_dir, resume=resume, **kw)


def lines(path: Path) -> list[str]:
    return (path / "schools.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def test_reports_round_trip_through_their_dicts() -> None:
    city, schools = load_valid(EXAMPLE, Selection())
    report = CityReport(city.id, "inv", ("policy",), lab=True, started=1_700_000_000, seconds=2.5)
    report.schools = [fake_report(s, "x" * 10) for s in schools]
    report.schools[0].checks[0].seconds = 0.25
    raw = report.to_dict()
    assert CityReport.from_dict(json.loads(json.dumps(raw))).to_dict() == raw
    one = report.schools[1]
    assert SchoolReport.from_dict(one.to_dict()) == one


def test_each_school_is_on_disk_before_anyone_hears_of_it(tmp_path: Path, audit: FakeAudit) -> None:
    on_disk_when_told: dict[str, bool] = {}

    def told(school: SchoolReport) -> None:
        written = {json.loads(line)["school"] for line in lines(tmp_path)}
        on_disk_when_told[school.school] = school.school in written

    report = run(tmp_path, on_school=told)
    assert on_disk_when_told == dict.fromkeys(ORDER, True)
    assert [s.school for s in report.schools] == ORDER  # inventory order, whatever finished first
    info = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert info["inventory"] == str(EXAMPLE) and info["checks"] == list(report.checks)
    assert info["selection"]["schools"] == [] and info["lab"] is True and info["started"]
    assert report.to_dict()["schools"] == [fake_report(s).to_dict() for s in load_schools()]


def load_schools() -> list[School]:
    return load_valid(EXAMPLE, Selection())[1]


def test_an_interrupted_run_keeps_what_finished_and_resume_does_only_the_rest(
    tmp_path: Path, audit: FakeAudit
) -> None:
    audit.fail = lambda school: KeyboardInterrupt() if school == ORDER[2] else None
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, workers=1)  # one school at a time: the first two finished
    kept = lines(tmp_path)
    assert [json.loads(line)["school"] for line in kept] == ORDER[:2]

    audit.fail, audit.asked = lambda _: None, []
    report = run(tmp_path, resume=True)
    assert sorted(audit.asked) == ORDER[2:]  # the finished schools are not verified again
    assert lines(tmp_path)[:2] == kept  # and what finished is kept byte for byte
    assert [s.school for s in report.schools] == ORDER
    info = RunDir(tmp_path).read_info()
    assert len(info.sessions) == 2 and report.seconds == pytest.approx(info.seconds)


def test_a_torn_last_line_is_cut_and_that_school_verified_again(
    tmp_path: Path, audit: FakeAudit
) -> None:
    run(tmp_path)
    whole = lines(tmp_path)
    torn = "".join(whole[:3]) + whole[3][: len(whole[3]) // 2]  # killed mid-write
    (tmp_path / "schools.jsonl").write_text(torn, encoding="utf-8")
    assert RunDir(tmp_path).done() == set(ORDER[:3])

    audit.asked = []
    report = run(tmp_path, resume=True)
    assert audit.asked == [ORDER[3]]
    assert lines(tmp_path) == whole  # the half line is gone, the school written whole
    assert [s.school for s in report.schools] == ORDER


def test_a_school_that_cannot_be_verified_fails_the_run_and_resume_retries_it(
    tmp_path: Path, audit: FakeAudit
) -> None:
    audit.fail = lambda school: RuntimeError("worker lost") if school == ORDER[1] else None
    with pytest.raises(SchoolsNotVerified) as caught:
        run(tmp_path)
    assert caught.value.failures == {ORDER[1]: "RuntimeError: worker lost"}
    assert f"--resume {tmp_path}" in str(caught.value)
    assert RunDir(tmp_path).done() == set(ORDER) - {ORDER[1]}

    audit.fail, audit.asked = lambda _: None, []
    assert [s.school for s in run(tmp_path, resume=True).schools] == ORDER
    assert audit.asked == [ORDER[1]]


def test_another_run_is_not_mixed_into_a_run_directory(tmp_path: Path, audit: FakeAudit) -> None:
    run(tmp_path)
    with pytest.raises(ProvisionError, match="already holds a verify run"):
        run(tmp_path)
    with pytest.raises(ProvisionError, match="checks: the run has"):
        run(tmp_path, resume=True, checks=("policy",))
    with pytest.raises(ProvisionError, match="this command --school dl-xg-k003"):
        verify(
            EXAMPLE,
            Selection(schools=("dl-xg-k003",)),
            LabConnector(),
            run_dir=tmp_path,
            resume=True,
        )
    with RunDir(tmp_path).writing(), pytest.raises(ProvisionError, match="another verify"):
        run(tmp_path, resume=True)


def test_memory_stays_bounded_by_the_schools_in_flight(
    tmp_path: Path, audit: FakeAudit, monkeypatch: pytest.MonkeyPatch
) -> None:
    city, schools = load_valid(EXAMPLE, Selection())
    many = [replace(schools[n % 4], id=f"school-{n:03d}") for n in range(96)]
    monkeypatch.setattr(verify_module, "load_valid", lambda *_: (city, many))
    audit.payload = "x" * 400_000  # 96 schools x 400 kB: ~38 MB if the reports were kept
    in_use: list[int] = []
    tracemalloc.start()
    try:
        run(
            tmp_path,
            workers=4,
            on_school=lambda _: in_use.append(tracemalloc.get_traced_memory()[0]),
        )
    finally:
        tracemalloc.stop()
    assert len(in_use) == 96 and len(lines(tmp_path)) == 96
    growth = max(in_use) - in_use[0]
    assert growth < 8_000_000, f"memory grew {growth / 1e6:.1f} MB over the run"


@pytest.mark.parametrize(
    ("workers", "schools", "split"),
    [(20, 1, (1, 20)), (20, 4, (4, 5)), (20, 45, (40, 1)), (20, 1000, (40, 1)), (1, 4, (1, 1))],
)
def test_workers_are_split_between_schools_and_their_devices(
    workers: int, schools: int, split: tuple[int, int]
) -> None:
    assert split_workers(workers, schools) == split


def test_schools_waiting_on_their_devices_do_not_hold_back_the_others(
    tmp_path: Path, audit: FakeAudit
) -> None:
    # Two CPU slots, four schools: all four are in flight at once (SCHOOLS_PER_SLOT), as
    # schools whose audits mostly wait should be. One school per slot would leave two of them
    # waiting at the barrier for the other two, which never start: the run would fail.
    everyone = threading.Barrier(len(ORDER), timeout=60)

    def meet(_school: str) -> None:
        everyone.wait()  # BrokenBarrierError, the school's failure, if they never all meet

    audit.fail = meet
    report = run(tmp_path / "run", workers=2)
    assert sorted(audit.asked) == sorted(ORDER) and [s.school for s in report.schools] == ORDER


def test_a_finished_run_is_read_back_without_loading_the_inventory(
    tmp_path: Path, audit: FakeAudit, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = run(tmp_path / "run").to_dict()

    def not_loaded(*_: Any) -> None:
        raise AssertionError("the inventory was loaded to read back a finished run")

    monkeypatch.setattr(verify_module, "load_valid", not_loaded)
    audit.asked = []
    again = run(tmp_path / "run", resume=True)
    assert audit.asked == [] and [s.school for s in again.schools] == ORDER
    assert {**again.to_dict(), "seconds": 0} == {**whole, "seconds": 0}
    assert len(RunDir(tmp_path / "run").read_info().sessions) == 2


def test_a_finished_run_of_other_bytes_is_not_read_back_as_it_was(
    tmp_path: Path, audit: FakeAudit
) -> None:
    inventory = tmp_path / "city"
    shutil.copytree(EXAMPLE, inventory)
    verify(inventory, Selection(), LabConnector(), run_dir=tmp_path / "run")
    school = inventory / "schools" / f"{ORDER[1]}.yaml"
    school.write_text(school.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(ProvisionError, match="files changed since the run started"):
        verify(inventory, Selection(), LabConnector(), run_dir=tmp_path / "run", resume=True)


def test_a_school_added_since_a_finished_run_is_not_left_out_of_its_read_back(
    tmp_path: Path, audit: FakeAudit
) -> None:
    """The run's digest names the schools it started with: a school file added since, which
    the selection (the whole city) now takes, sends resume down the validating path (which
    here finds the copy's addresses taken: what matters is that it looked)."""
    inventory = tmp_path / "city"
    shutil.copytree(EXAMPLE, inventory)
    verify(inventory, Selection(), LabConnector(), run_dir=tmp_path / "run")
    source = inventory / "schools" / f"{ORDER[1]}.yaml"
    added = inventory / "schools" / "dl-zs-p999.yaml"
    added.write_text(
        source.read_text(encoding="utf-8").replace(ORDER[1], "dl-zs-p999"), encoding="utf-8"
    )
    with pytest.raises(ProvisionError, match="no device was touched"):
        verify(inventory, Selection(), LabConnector(), run_dir=tmp_path / "run", resume=True)
