"""Gather what each device holds, read-only: the Nornir half of verify.

One task per device reads its settings (the same read as plan, so drift is plan's diff), its
identity and the live facts audits need; nothing is written. A device that does not answer
is recorded as unreachable and every check that needs it says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nornir.core.task import Result, Task

from provision.drivers.base import Change, Settings, Target
from provision.drivers.connect import Connector
from provision.drivers.pacing import CpuGate
from provision.drivers.registry import driver_class
from provision.engine.nornir_run import run_task, task_results
from provision.errors import describe_error
from provision.inventory.model import City, School


@dataclass(slots=True)
class DeviceState:
    device: str  # "<school>/<name>"
    kind: str
    reachable: bool = False
    error: str | None = None
    settings: Settings = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.device.split("/", 1)[1]


def gather_device(task: Task, city: City, connector: Connector) -> Result:
    host = task.host
    state = DeviceState(host.name, host.data["kind"])
    school = city.school(host.data["school"])
    driver = None
    try:
        driver = driver_class(state.kind, host.data["protocol"])(
            Target(city, school, host.data["device"], connector)
        )
        state.settings = driver.read()
        state.reachable = True
        state.changes = driver.diff(state.settings, driver.desired())
        state.identity = driver.identity()
        state.facts = driver.inspect()
    except Exception as exc:  # one device's failure is recorded, never raised
        state.error = describe_error(exc)
    finally:
        if driver is not None:
            try:
                driver.close()
            except Exception as exc:  # closing must not hide the state
                state.error = state.error or describe_error(exc)
    return Result(host, result=state, failed=not state.reachable)


def gather(
    city: City,
    schools: list[School],
    connector: Connector,
    workers: int,
    *,
    gate: CpuGate | None = None,
) -> dict[str, dict[str, DeviceState]]:
    """Device states by school id, then by device name. `workers` devices at once, up to
    `workers x OVERLAP` in flight (`engine.nornir_run`), each within the connector's
    overall deadline; `gate`: CPU slots shared with other schools in flight."""
    results = run_task(
        city,
        schools,
        gather_device,
        workers=workers,
        gate=gate,
        deadline_s=connector.deadline,
        city=city,
        connector=connector,
    )
    out: dict[str, dict[str, DeviceState]] = {s.id: {} for s in schools}
    for state in task_results(results):
        school_id, name = state.device.split("/", 1)
        out[school_id][name] = state
    return out
