"""The local runner: schools verified on threads of this process, as they finish.

`--workers N` bounds the device operations at once. Device I/O waits on the network (an ONVIF
call is a round trip or two; the alarm test waits for the centre), so threads overlap it; but
parsing SOAP answers (zeep, lxml) and the coverage geometry are CPU work under one GIL, so on
the 2-core machines this runs on, beyond about 20 the threads contend more than they overlap.
The N are split between schools in flight and devices within a school: a single school gets
all N for its devices; a city keeps N schools in flight with one device each, which holds the
same N device operations at once, pipelines one school's checks with another's gathering, and
holds at most N schools' device states in memory. The N are CPU slots (`drivers.pacing`):
each school gathers up to OVERLAP times its share of devices at once, waiting on the network
with their slot given back, while all schools together run at most N devices' Python at once
(issue 16: a city at 50 ms per exchange verifies about as fast as an instant one).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from itertools import islice

from provision.engine.nornir_run import SIGNAL_CHECK_S
from provision.inventory.model import School
from provision.verify.model import SchoolReport
from provision.verify.school import AuditJob, audit_school

OnDone = Callable[[SchoolReport], None]


def split_workers(workers: int, schools: int) -> tuple[int, int]:
    """(schools in flight, device threads per school), using about `workers` in all."""
    in_flight = max(1, min(workers, schools))
    return in_flight, max(1, workers // in_flight)


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def run_local(job: AuditJob, schools: list[School], on_done: OnDone) -> dict[str, str]:
    """Verify `schools` with `job.workers` device operations at once, calling `on_done` (in
    this thread) as each one finishes. Returns the schools that could not be verified at all,
    with why (a device fault is a finding, not this: this is a bug or a broken environment,
    and the other schools still run)."""
    in_flight, per_school = split_workers(job.workers, len(schools))
    school_job = replace(job, workers=per_school, cpu_slots=job.cpu_slots or job.workers)
    failures: dict[str, str] = {}
    pending: dict[Future[SchoolReport], str] = {}
    queue = iter(schools)
    # Only `in_flight` schools are submitted at a time: a queue of 10,000 futures would hold
    # every finished report until the loop reached it.
    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="verify") as pool:

        def top_up() -> None:
            for school in islice(queue, in_flight - len(pending)):
                future = pool.submit(audit_school, school_job, school)
                pending[future] = school.id

        try:
            top_up()
            while pending:
                # In slices: a Ctrl-C the kernel handed to another thread is handled here.
                finished, _ = wait(pending, SIGNAL_CHECK_S, return_when=FIRST_COMPLETED)
                for future in finished:
                    school_id = pending.pop(future)
                    try:
                        report = future.result()
                    except Exception as exc:
                        failures[school_id] = describe(exc)
                    else:
                        on_done(report)
                top_up()
        except BaseException:  # Ctrl-C or a sink that cannot write: start nothing more
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return failures
