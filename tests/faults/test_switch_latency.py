"""A slow link changes nothing but the time: plan and verify of a switch, with every switch
fault, give the same result at 100 ms and 300 ms of latency as without any.

The switch driver (netmiko, each platform's own driver) runs against lab switches of every
platform, one per latency, concurrently (the waiting is on the link, not the CPU). On each
switch, in order: plan from factory settings without a fault, then with each fault the lab
can show a switch; apply once, fault-free and at full speed (apply is not compared);
verify (read and diff) without a fault, then with each fault. An outcome is the plan's
changes, or the error with the address and the time taken out. The outcomes at 100 and
300 ms must be those at 0 ms.

Affordability: `make test` runs the fault-free plan and verify, `auth_failure` and `ssh_drop`
at both latencies on every platform. `timeout`, `refuse` and `dead` (no byte of the CLI is
exchanged, so the link's delay matters least; `timeout` costs the connector's timeout per
operation) are the `slow` test: `pytest -m slow tests/faults/test_switch_latency.py`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from labsupport import LabLoop

from provision.drivers.base import Target
from provision.drivers.connect import Connector
from provision.drivers.switch import SwitchDriver
from provision.drivers.switch_platforms import platform_names
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.lab.faults import FAULT_KINDS, Faults
from provision.lab.switch import Switch as LabSwitch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
CITY = load_inventory(EXAMPLE).city
assert CITY is not None
SCHOOLS = {  # an example school whose only switch is of the platform
    "huawei": "dl-zs-h024",
    "cisco_ios": "dl-xg-m016",
    "hp_comware": "dl-zs-p007",
    "ruijie_os": "dl-xg-k003",
}
PLATFORMS = list(platform_names())
LATENCIES = (100, 300)
SECRET_VAR = "PROVISION_NETWORK_PASSWORD"
PASSWORD = "Latency-pw-81c2"
TIMEOUT_S = 3.0  # per operation; a 300 ms link answers each exchange well within it
# What a switch can be told to show, besides latency itself (cameras and alarms have the rest).
SWITCH_FAULTS = ("timeout", "refuse", "auth_failure", "ssh_drop", "dead")
SLOW_FAULTS = ("timeout", "refuse", "dead")  # see the docstring: only under `-m slow`
assert set(SWITCH_FAULTS) < set(FAULT_KINDS)


@dataclass(frozen=True)
class RoutedConnector(Connector):
    """The field connector with the switch's inventory SSH address routed to its simulator."""

    routes: Mapping[tuple[str, int], tuple[str, int]] = field(default_factory=dict)

    def address(self, host: str, port: int) -> tuple[str, int]:
        return self.routes[(host, port)]


@dataclass
class Outcomes:
    plan: dict[str, str] = field(default_factory=dict)  # fault ("" = none) -> outcome
    verify: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def outcome(driver: SwitchDriver, verify: bool) -> str:
    """The plan's (or verify's) changes as text, or the error: device, operation and the kind
    of failure (the exception netmiko raised). The detail after the kind is left out: for a
    silent switch paramiko words it by whichever of its timers fires first, with or without
    latency ("Error reading SSH protocol banner", "No existing session")."""
    try:
        changes = driver.diff(driver.read(), driver.desired())
    except DeviceError as exc:
        text = re.sub(r"127\.0\.0\.1:\d+", "ADDR", str(exc))
        return "error: " + re.sub(r"(failed: \w+):.*", r"\1", text, flags=re.S)
    finally:
        driver.close()
    kind = "verify" if verify else "plan"
    return f"{kind}: " + "\n".join(
        f"{c.setting}: {c.before!r} -> {c.after!r}" for c in sorted(changes, key=str)
    )


def set_fault(lab: LabLoop, sim: LabSwitch, fault: str, on: bool) -> None:
    lab.call(lambda: sim.faults.update({fault: on}))
    lab.run(sim.sync_faults())


def run_switch(
    lab: LabLoop, platform: str, latency: int, known_hosts: Path, faults: tuple[str, ...]
) -> Outcomes:
    school = CITY.school(SCHOOLS[platform])
    spec = school.network.switches[0]
    assert spec.credentials is not None
    sim = LabSwitch(f"lat-{platform}-{latency}", "127.0.0.1", faults=Faults(latency_ms=latency),
                    platform=platform, ssh_port=0, username=spec.credentials.username,
                    password=PASSWORD)  # fmt: skip
    lab.run(sim.start())
    connector = RoutedConnector(
        timeout=TIMEOUT_S,
        known_hosts=str(known_hosts),
        routes={(spec.host, 22): ("127.0.0.1", sim.port)},
    )
    target = Target(CITY, school, spec, connector)
    found, started = Outcomes(), time.monotonic()
    try:
        for step in ("plan", "verify"):
            results = found.plan if step == "plan" else found.verify
            for fault in ("", *faults):
                if fault:
                    set_fault(lab, sim, fault, True)
                try:
                    results[fault] = outcome(SwitchDriver(target), step == "verify")
                finally:
                    if fault:
                        set_fault(lab, sim, fault, False)
            if step == "plan":  # converge; the link's speed during apply is not compared
                lab.call(lambda: sim.faults.update({"latency_ms": 0}))
                driver = SwitchDriver(target)
                try:
                    driver.apply(driver.diff(driver.read(), driver.desired()))
                finally:
                    driver.close()
                    lab.call(lambda: sim.faults.update({"latency_ms": latency}))
    finally:
        lab.run(sim.stop())
    found.seconds = round(time.monotonic() - started, 1)
    return found


def all_stories(
    known_hosts: Path, faults: tuple[str, ...]
) -> Iterator[dict[tuple[str, int], Future[Outcomes]]]:
    """Every (platform, latency) switch's story, all at once, started when the fixture is."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(SECRET_VAR, PASSWORD)
        lab = LabLoop()
        pairs = [(p, lat) for p in PLATFORMS for lat in (0, *LATENCIES)]
        pool = ThreadPoolExecutor(len(pairs))
        try:
            yield {
                (p, lat): pool.submit(run_switch, lab, p, lat, known_hosts / f"{p}-{lat}", faults)
                for p, lat in pairs
            }
        finally:
            pool.shutdown(wait=True)
            lab.close()


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, int], Future[Outcomes]]]:
    fast = tuple(f for f in SWITCH_FAULTS if f not in SLOW_FAULTS)
    yield from all_stories(tmp_path_factory.mktemp("known_hosts"), fast)


@pytest.fixture(scope="module")
def slow_outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, int], Future[Outcomes]]]:
    yield from all_stories(tmp_path_factory.mktemp("known_hosts"), SLOW_FAULTS)


def same_as_without_latency(
    outcomes: dict[tuple[str, int], Future[Outcomes]], platform: str, latency: int
) -> None:
    base = outcomes[(platform, 0)].result(timeout=240)
    slow = outcomes[(platform, latency)].result(timeout=240)
    print(f"{platform} at {latency} ms: {slow.seconds} s (at 0 ms: {base.seconds} s)")
    assert base.plan[""].startswith("plan: config/")  # factory settings: there is work to do
    assert base.verify[""] == "verify: "  # converged: nothing drifted
    assert slow.plan == base.plan
    assert slow.verify == base.verify


@pytest.mark.parametrize("latency", LATENCIES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_plan_and_verify_are_the_same_on_a_slow_link(
    outcomes: dict[tuple[str, int], Future[Outcomes]], platform: str, latency: int
) -> None:
    same_as_without_latency(outcomes, platform, latency)


@pytest.mark.slow
@pytest.mark.parametrize("latency", LATENCIES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_unreachable_switches_fail_the_same_on_a_slow_link(
    slow_outcomes: dict[tuple[str, int], Future[Outcomes]], platform: str, latency: int
) -> None:
    same_as_without_latency(slow_outcomes, platform, latency)
