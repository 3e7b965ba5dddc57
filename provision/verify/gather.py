"""Gather what each device holds, read-only: the Nornir half of verify.

One task per device reads its settings (the same read as plan, so drift is plan's diff), its
identity and the live facts audits need; nothing is written. A device that does not answer
is recorded as unreachable and every check that needs it says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nornir.core import Nornir
from nornir.core.task import Result, Task
from nornir.plugins.runners import ThreadedRunner

from provision.drivers.base import Change, Settings, Target
from provision.drivers.connect import Connector
from provision.drivers.registry import UNMANAGED, driver_class
from provision.inventory.model import City, School
from provision.inventory.nornir_plugin import city_to_nornir
from provision.tasks.converge import _error


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
        state.error = _error(exc)
    finally:
        if driver is not None:
            try:
                driver.close()
            except Exception as exc:  # closing must not hide the state
                state.error = state.error or _error(exc)
    return Result(host, result=state, failed=not state.reachable)


def gather(
    city: City, schools: list[School], connector: Connector, workers: int
) -> dict[str, dict[str, DeviceState]]:
    """Device states by school id, then by device name."""
    inventory = city_to_nornir(city, schools)
    for name in [n for n, h in inventory.hosts.items() if h.data["kind"] in UNMANAGED]:
        del inventory.hosts[name]
    nr = Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=workers))
    results = nr.run(task=gather_device, city=city, connector=connector)
    out: dict[str, dict[str, DeviceState]] = {s.id: {} for s in schools}
    for multi in results.values():
        state: DeviceState = multi[0].result
        school_id, name = state.device.split("/", 1)
        out[school_id][name] = state
    return out
