"""Two machines, one school, one PostgreSQL state: applies never interleave, and each
machine's history and rollback see the other's runs.

Two `provision apply` processes start together from two working directories (so their
SQLite defaults and flock directories are apart: only the shared state can serialise them),
one given the state as `--state URL`, the other as PROVISION_STATE. Both target one school of
an in-process lab (tests/faults/fault_matrix_lab.py). The journal in PostgreSQL must show two
runs whose spans do not overlap; then the second machine rolls back the first machine's run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_matrix_lab import SCHOOL, FaultLab, small_city
from pgserver import PgServer

from provision.engine.journal import Journal


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    root = small_city(tmp_path_factory.mktemp("city"))
    faults = FaultLab(root, tmp_path_factory.mktemp("work"))
    faults.start()
    yield faults
    faults.stop()


def _provision(
    lab: FaultLab, cwd: Path, *args: str, state: str | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "PROVISION_LAB_DIR": lab.env["PROVISION_LAB_DIR"]}
    for name in ("PROVISION_JOURNAL", "PROVISION_LOCK_DIR", "PROVISION_STATE"):
        env.pop(name, None)  # each machine's own defaults, under its own cwd
    if state:
        env["PROVISION_STATE"] = state
    cwd.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "provision", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    return out


def test_two_machines_never_interleave_and_see_each_others_runs(
    lab: FaultLab, tmp_path: Path, postgres_server: PgServer
) -> None:
    url = postgres_server.database()
    apply = ["apply", "-i", str(lab.root), "--school", SCHOOL, "--lab", "--yes"]
    apply += ["--lock-wait", "240", "--format", "json"]
    laptop = _provision(lab, tmp_path / "laptop", *apply, "--state", url)
    pipeline = _provision(lab, tmp_path / "pipeline", *apply, state=url)
    reports = [json.loads(_finish(laptop)), json.loads(_finish(pipeline))]

    journal = Journal(url)
    try:
        runs = sorted(journal.runs(), key=lambda r: r.started)
        assert {r.run_id for r in runs} == {r["run_id"] for r in reports}
        first, second = runs
        assert first.status == second.status == "ok"
        assert first.finished is not None and first.finished <= second.started  # one at a time
        assert any(True for _ in journal.applied(first.run_id))  # the first converged the school
    finally:
        journal.close()
    for machine in ("laptop", "pipeline"):  # nothing was kept on either machine
        assert not (tmp_path / machine / ".provision" / "journal.sqlite").exists()

    # the pipeline's machine lists the laptop's run, and rolls it back
    history = json.loads(
        _finish(_provision(lab, tmp_path / "pipeline", "history", "--json", state=url))
    )
    assert first.run_id in {r["run_id"] for r in history}
    rollback = ["rollback", first.run_id, "-i", str(lab.root), "--lab", "--format", "json"]
    undone = json.loads(_finish(_provision(lab, tmp_path / "pipeline", *rollback, state=url)))
    assert undone["run_id"] and any(d["changes"] for d in undone["devices"])
