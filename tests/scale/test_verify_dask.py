"""verify on Dask workers gives what a local run gives, survives a worker that dies, and
refuses a worker whose copy of the inventory differs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from distributed import Client, LocalCluster, get_task_stream
from distributed.diagnostics.plugin import WorkerPlugin
from scalelab import EXAMPLE, Lab

from provision.inventory.selectors import Selection
from provision.lab.connector import LabConnector
from provision.verify import SchoolsNotVerified, verify
from provision.verify.dask_runner import dask_client
from provision.verify.dask_worker import samples_stacks_safely

THRESHOLD = 1.0  # the slow precinct's schools wait this long for their test alarms
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/


def _mask(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "#", text)  # latencies, queue lengths, minutes since...


def findings(report: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Verdicts and findings per school and check, without what timing changes."""
    return {
        (school["school"], check["check"]): (
            check["verdict"],
            [(f["subject"], f["verdict"], _mask(f["message"])) for f in check["findings"]],
        )
        for school in report["schools"]
        for check in school["checks"]
    }


@pytest.fixture(scope="module")
def local(lab: Lab) -> dict[str, Any]:
    report = verify(EXAMPLE, Selection(), LabConnector(), threshold=THRESHOLD).to_dict()
    verdicts = {(s, c): v for (s, c), (v, _) in findings(report).items()}
    # the lab's faults are found, and the rest passes: the comparison below means something
    assert verdicts[("dl-xg-k003", "coverage")] == "fail"
    assert verdicts[("dl-zs-h024", "alarm")] == verdicts[("dl-zs-p007", "alarm")] == "fail"
    assert verdicts[("dl-xg-m016", "alarm")] == verdicts[("dl-xg-m016", "streams")] == "pass"
    return report


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_dask_workers_find_what_a_local_run_finds(local: dict[str, Any], cluster: Client) -> None:
    address = cluster.scheduler.address
    with get_task_stream(cluster) as tasks:
        report = verify(
            EXAMPLE, Selection(), LabConnector(), threshold=THRESHOLD, dask=address
        ).to_dict()
    assert findings(report) == findings(local)
    ran = {t["key"].rsplit("-", 1)[0] for t in tasks.data if t["key"].startswith("verify-")}
    assert ran == {f"verify-{s['school']}" for s in local["schools"]}  # each school a task


def test_the_cli_dispatches_to_a_scheduler_and_streams_to_a_run_dir(
    local: dict[str, Any], cluster: Client, lab: Lab, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "provision", "verify", "-i", str(EXAMPLE), "--lab"),
            *("--dask", cluster.scheduler.address, "--run-dir", str(run_dir)),
            *("--alarm-threshold", str(THRESHOLD), "--format", "json"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **lab.env},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr  # the faults fail their checks
    assert findings(json.loads(done.stdout)) == findings(local)
    assert len((run_dir / "schools.jsonl").read_text(encoding="utf-8").splitlines()) == 4


def test_a_worker_with_another_copy_of_the_inventory_is_refused(
    cluster: Client, tmp_path: Path
) -> None:
    copy = tmp_path / "city"
    shutil.copytree(EXAMPLE, copy)
    school = copy / "schools" / "dl-xg-m016.yaml"
    school.write_text(school.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(SchoolsNotVerified) as caught:
        verify(
            EXAMPLE,
            Selection(tiers=("middle", "kindergarten")),
            LabConnector(),
            checks=("policy",),
            dask=cluster.scheduler.address,
            worker_inventory=str(copy),
        )
    assert list(caught.value.failures) == ["dl-xg-m016"]  # its neighbour, unchanged, passed
    assert "differs from the client's" in caught.value.failures["dl-xg-m016"]


def test_workers_do_not_sample_their_threads_where_that_deadlocks(cluster: Client) -> None:
    """On Python 3.11, distributed's stack sampler can hang a worker for good (see
    provision/verify/dask_worker.py): the client provision opens stops it on every worker."""
    with dask_client(cluster.scheduler.address):
        sampling = cluster.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    assert len(sampling) == 2
    assert set(sampling.values()) == {samples_stacks_safely()}


class ExitOnce(WorkerPlugin):
    """Kills the first worker process that starts a verify task (once, across restarts)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing" or not str(key).startswith("verify-"):
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(key).encode())
        os.close(fd)
        os._exit(1)  # as a worker killed by the OOM killer or a lost machine


# Was out of `make test` (a fresh-clone run sat in this module for over 8 minutes): that was
# a worker deadlocked by Python 3.11's stack sampling (provision/verify/dask_worker.py, and
# the test above). A deadline of its own all the same: a hang fails instead of waiting.
DEATH_DEADLINE_S = 180


def test_a_school_whose_worker_dies_is_requeued_and_the_run_completes(
    local: dict[str, Any], cluster: Client, tmp_path: Path
) -> None:
    marker = tmp_path / "killed"
    cluster.register_plugin(ExitOnce(str(marker)), name="exit-once")
    pool = ThreadPoolExecutor(1)
    run = pool.submit(
        verify,
        EXAMPLE,
        Selection(),
        LabConnector(),
        threshold=THRESHOLD,
        dask=cluster.scheduler.address,
        run_dir=tmp_path / "run",
    )
    try:
        report = run.result(timeout=DEATH_DEADLINE_S).to_dict()
    except FutureTimeout:
        # (a deadlocked worker answers nothing: `py-spy dump --pid` on it tells where it is)
        pytest.fail(f"no report in {DEATH_DEADLINE_S} s: a worker hangs")
    finally:
        cluster.unregister_worker_plugin("exit-once")
        pool.shutdown(wait=False)
    killed = marker.read_text(encoding="utf-8")  # a worker did die running this school...
    assert killed.startswith("verify-dl-")
    assert findings(report) == findings(local)  # ...and it was verified all the same
