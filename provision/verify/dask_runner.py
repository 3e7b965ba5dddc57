"""The Dask runner: schools dispatched to Dask workers, one task per school.

Each task runs the same per-school code as a local run (`audit_school`): the worker loads the
inventory from its own path, checks that its copy of city.yaml and the school's file has the
bytes the client validated (a stale copy on one machine would otherwise audit another
inventory), gathers and checks the school, and returns the SchoolReport as a dict. Secrets
come from the worker's environment: they never travel over the scheduler's connections.

A task that raises is retried (`retries`); a worker that dies mid-task has its school
re-queued by the scheduler (up to `distributed.scheduler.allowed-failures`, 3 by default).
A school that still fails is reported, never silently left out.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from provision import i18n
from provision.drivers.connect import Connector
from provision.errors import InventoryError, ProvisionError
from provision.i18n import _
from provision.inventory.loader import CITY_FILE, school_files
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.validate import load_valid
from provision.verify.model import SchoolReport
from provision.verify.registry import REGISTRY
from provision.verify.runner import OnDone, describe, split_workers
from provision.verify.school import AuditJob, audit_school

RETRIES = 2
LOCAL = "local"
SCHOOLS_PER_LOCAL_WORKER = 10  # each worker process overlaps this many schools' device I/O


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """What every task needs besides its school id: small and picklable. The worker makes an
    `AuditJob` of it with its own copy of the city and a connector of its own."""

    inventory: str  # the inventory's path as the workers see it
    checks: tuple[str, ...]
    threshold: float
    connector: type[Connector]  # field or lab
    settings: dict[str, Any]  # the connector's fields but its environment (timeout, TLS...)
    workers: int  # device operations at once per worker process, split among its threads
    language: str = i18n.ENGLISH  # the client's: findings are written in it on the worker

    @classmethod
    def of(cls, inventory: str, job: AuditJob) -> WorkerJob:
        """`job` for workers that read the inventory at `inventory` and reach devices as its
        connector does, with their own secrets (paths it names, such as a CA bundle, are
        read on the workers). Workers run the default check registry: a job with another
        cannot be sent, since a registry is code the workers would not have."""
        if job.registry is not REGISTRY:
            raise ProvisionError("only the default verify checks run on Dask workers")
        connector = job.connector
        settings = {f.name: getattr(connector, f.name) for f in fields(connector)}
        settings.pop("env", None)  # the secrets: each worker's own environment
        return cls(
            inventory,
            job.checks,
            job.threshold,
            type(connector),
            settings,
            job.workers,
            i18n.current(),
        )

    def audit_job(self, city: City, workers: int) -> AuditJob:
        """The audit this worker runs, `workers` device operations at once per school."""
        connector = self.connector(**self.settings)
        return AuditJob(
            city,
            connector,
            self.checks,
            self.threshold,
            workers,
            cpu_slots=self.workers,  # the worker process's schools share its slots
        )


def school_digests(root: Path, ids: set[str]) -> dict[str, str]:
    """A fingerprint per school of city.yaml and that school's file."""
    city = hashlib.sha256((root / CITY_FILE).read_bytes()).digest()
    return {
        path.stem: hashlib.sha256(city + path.read_bytes()).hexdigest()[:20]
        for path in school_files(root)
        if path.stem in ids
    }


def _worker_threads() -> int:
    from distributed import get_worker

    try:
        return max(1, int(get_worker().state.nthreads))
    except ValueError:  # called outside a worker (tests, a debugger)
        return 1


def audit_on_worker(job: WorkerJob, school_id: str, digest: str) -> dict[str, Any]:
    """The task: verify one school on this worker and return its SchoolReport as a dict."""
    # A worker process speaks the language of the run it works for (findings are text).
    i18n.activate(job.language)
    root, machine = Path(job.inventory), os.uname().nodename
    if not (root / CITY_FILE).is_file():
        raise InventoryError(
            _(
                "worker {machine} has no inventory at {root}: copy it there or give its"
                " path with --worker-inventory"
            ).format(machine=machine, root=root)
        )
    if school_digests(root, {school_id}).get(school_id) != digest:
        raise InventoryError(
            _(
                "worker {machine}: its copy of {root} differs from the client's for "
                "{school_id} (city.yaml or schools/{school_id}.yaml): sync it and "
                "resume"
            ).format(machine=machine, root=root, school_id=school_id)
        )
    city, schools = load_valid(root, Selection(schools=(school_id,)))
    _threads, per_school = split_workers(job.workers, _worker_threads())
    return audit_school(job.audit_job(city, per_school), schools[0]).to_dict()


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A client of the scheduler at `address`, or of a LocalCluster of this machine's cores
    (worker processes: SOAP parsing and geometry then use every core, not one GIL)."""
    from distributed import Client, LocalCluster

    from provision.verify.dask_worker import NoStackSampling

    if address == LOCAL:
        processes = os.cpu_count() or 2
        cluster = LocalCluster(
            n_workers=processes,
            threads_per_worker=SCHOOLS_PER_LOCAL_WORKER,
            processes=True,
            dashboard_address=":0",  # a free port: never clash with another cluster
        )
        try:
            with Client(cluster) as client:
                client.register_plugin(NoStackSampling())
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout="15s")
    except (OSError, TimeoutError) as exc:
        raise ProvisionError(
            _("cannot reach the Dask scheduler at {address}: {exc}").format(
                address=address, exc=exc
            )
        ) from exc
    with client:
        client.register_plugin(NoStackSampling())
        yield client


def run_dask(
    address: str,
    job: WorkerJob,
    root: Path,
    schools: list[School],
    on_done: OnDone,
) -> dict[str, str]:
    """Verify `schools` on the Dask cluster at `address` ("local": a LocalCluster), calling
    `on_done` as each finishes. Returns the schools that failed, with why."""
    from distributed import as_completed

    digests = school_digests(root, {s.id for s in schools})
    failures: dict[str, str] = {}
    token = uuid.uuid4().hex[:8]
    with dask_client(address) as client:
        futures = {
            client.submit(
                audit_on_worker,
                job,
                school.id,
                digests.get(school.id, ""),
                key=f"verify-{school.id}-{token}",
                retries=RETRIES,
                pure=False,
            ): school.id
            for school in schools
        }
        try:
            for future in as_completed(list(futures)):
                school_id = futures.pop(future)
                if future.status == "finished":
                    on_done(SchoolReport.from_dict(future.result()))
                else:
                    failures[school_id] = describe(future.exception())
                future.release()  # the scheduler and the worker may forget the result now
        except BaseException:
            client.cancel(list(futures))
            raise
    return failures
