"""The local runner: schools verified on threads of this process, as they finish.

`--workers N` bounds the device operations at once. Device I/O waits on the network (an ONVIF
call is a round trip or two; the alarm test waits for the centre), so threads overlap it; but
parsing SOAP answers (zeep, lxml) and the coverage geometry are CPU work under one GIL, so on
the 2-core machines this runs on, beyond about 20 the threads contend more than they overlap.
The N are CPU slots (`drivers.pacing`): all schools together run at most N devices' Python at
once, while each school gathers up to OVERLAP times its share of devices, waiting on the
network with their slot given back. A single school gets all N for its devices; a city keeps
`SCHOOLS_PER_SLOT` x N schools in flight with one device slot each.

Why more schools than slots: a school's audit mostly waits, on any link. Its budgets check
plays each camera's RTP for a GOP (1-3 s, 8 cameras at a time), the alarm self-test waits for
the centre's receipt, its NVR answers ~120 requests in order; measured on the lab
(`bench/city.py --sizes 45 --no-dask --latency-ms 50`, 2 cores), a school takes ~0.4 s of CPU
over 12-20 s. With one school per slot the slots sat idle behind those waits: 45 schools took
32 s instant and 53 s at 50 ms per exchange (0.62x; issue 16 aims at >= 0.8x). Two per slot:
31 and 35 s (0.89x). Three: 32 and 35 s (0.92x), but each school in flight holds its device
states and its streams' buffers until its report is out (~2 MiB): 60 schools in flight at 450
schools peaked at 323 MiB against 209 MiB for 45 schools (1.55x; 213 and 166 MiB with one per
slot); two per slot keep the same 40 in flight at both sizes: 200 and 214 MiB (1.07x). The
schools in flight also bound, with `bitrates.MAX_RUN_STREAMS`, the RTP the verifier pulls at
once.
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
SCHOOLS_PER_SLOT = 2  # measured, see the module docstring


def split_workers(workers: int, schools: int) -> tuple[int, int]:
    """(schools in flight, device slots per school): `workers` CPU slots shared by up to
    SCHOOLS_PER_SLOT x `workers` schools, a lone school's devices getting them all. One
    worker is one school at a time, in inventory order, as someone slowing a run down to
    follow it expects."""
    per_slot = SCHOOLS_PER_SLOT if workers > 1 else 1
    in_flight = max(1, min(workers * per_slot, schools))
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
