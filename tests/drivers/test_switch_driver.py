"""The switch driver against lab switches over real SSH (netmiko), every platform.

netmiko spends fixed delays per session, so each platform's whole story (plan from factory,
apply, verify with an independent session, roll back, apply again, hand edits, re-apply) runs
once per module in its own thread, concurrently, and the tests below assert on what each flow
observed. The fault stories (a refused login, a session dropped mid-apply) run meanwhile on
switches of their own, also once per module, so every test sees them whichever tests run and
in whatever order. The network password is a sentinel set in the environment, and no returned
setting, change, error or log line may contain it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop
from netmiko import BaseConnection, ConnectHandler

from provision.drivers.base import Change, Settings, Target
from provision.drivers.connect import Connector
from provision.drivers.switch import SwitchDriver, SwitchError, plan_lines
from provision.drivers.switch_config import decode_key, parse_config
from provision.drivers.switch_paste import blocks, mode_changes
from provision.drivers.switch_platforms import platform_named, platform_names
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.lab.faults import Faults
from provision.lab.switch import Switch as LabSwitch
from provision.templates import render_switch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
CITY = load_inventory(EXAMPLE).city
assert CITY is not None
# The example school each platform's stories run on (its only switch is of that platform).
SCHOOLS = {
    "huawei": "dl-zs-h024",
    "cisco_ios": "dl-xg-m016",
    "hp_comware": "dl-zs-p007",
    "ruijie_os": "dl-xg-k003",
}
FACTORY_NAME = {
    "huawei": "sysname HUAWEI",
    "cisco_ios": "hostname Switch",
    "hp_comware": "sysname H3C",
    "ruijie_os": "hostname Ruijie",
}
PLATFORMS = list(platform_names())
SECRET_VAR = "PROVISION_NETWORK_PASSWORD"
SENTINEL = "Sentinel-pw-5d1e9c0b"
PROMPT = r"[\]>#][ \t]*$"
ACL_CISCO = "ip access-list extended PRECINCT-IN"
RUIJIE_PORT = "interface GigabitEthernet 0/1"


@dataclass(frozen=True)
class HandEdit:
    """What an engineer types on the switch, and the plan it must cause."""

    lines: list[str]
    changes: dict[str, tuple[Any, Any]]
    unrelated: str  # a line elsewhere that must survive the re-apply


HAND = {
    "huawei": HandEdit(
        ["interface GigabitEthernet0/0/1", "undo description", "quit",
         "acl number 3000", "rule 200 permit ip", "quit",
         "interface GigabitEthernet0/0/2", "description printer-room", "quit"],
        {"config/interface GigabitEthernet0/0/1/description":
             (None, "description uplink-to-precinct-nanshajie"),
         "config/acl number 3000/rule 200 permit ip": (True, None)},
        " description printer-room",
    ),
    "cisco_ios": HandEdit(
        [ACL_CISCO, "no permit tcp 10.200.3.0 0.0.0.255 10.34.21.0 0.0.0.255 eq 80",
         "deny ip host 192.0.2.7 any", "exit",
         "interface GigabitEthernet0/2", "description printer-room", "exit"],
        {f"config/{ACL_CISCO}/permit tcp 10.200.3.0 0.0.0.255 10.34.21.0 0.0.0.255 eq 80":
             (None, True),
         f"config/{ACL_CISCO}/deny ip host 192.0.2.7 any": (True, None)},
        " description printer-room",
    ),
    "hp_comware": HandEdit(
        ["interface GigabitEthernet1/0/1", "undo description", "quit",
         "acl advanced 3000", "rule 200 permit ip", "quit",
         "interface GigabitEthernet1/0/2", "description printer-room", "quit"],
        {"config/interface GigabitEthernet1/0/1/description":
             (None, "description uplink-to-precinct-qingniwaqiao"),
         "config/acl advanced 3000/rule 200 permit ip": (True, None)},
        " description printer-room",
    ),
    "ruijie_os": HandEdit(
        ["interface GigabitEthernet0/1", "no description", "exit",
         ACL_CISCO, "deny ip host 192.0.2.7 any", "exit",
         "interface GigabitEthernet0/2", "description printer-room", "exit"],
        {f"config/{RUIJIE_PORT}/description":
             (None, "description uplink-to-precinct-renminguangchang"),
         f"config/{ACL_CISCO}/deny ip host 192.0.2.7 any": (True, None)},
        " description printer-room",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class RoutedConnector(Connector):
    """The field connector (secrets from the environment) with the switch's inventory SSH
    address routed to its simulator; any other address is a KeyError, i.e. a driver bug."""

    routes: Mapping[tuple[str, int], tuple[str, int]] = field(default_factory=dict)

    def address(self, host: str, port: int) -> tuple[str, int]:
        return self.routes[(host, port)]


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


LOGS = Captured()


def start_switch(lab: LabLoop, platform: str, timeout: float = 5.0) -> tuple[LabSwitch, Target]:
    school = CITY.school(SCHOOLS[platform])
    spec = school.network.switches[0]
    assert spec.platform == platform and spec.credentials is not None
    sim = LabSwitch(
        f"{school.id}-{spec.name}",
        "127.0.0.1",
        faults=Faults(),
        platform=platform,
        ssh_port=0,
        username=spec.credentials.username,
        password=SENTINEL,
    )
    lab.run(sim.start())
    routes = {(spec.host, 22): ("127.0.0.1", sim.port)}
    return sim, Target(CITY, school, spec, RoutedConnector(timeout=timeout, routes=routes))


def engineer(sim: LabSwitch, target: Target) -> BaseConnection:
    """An independent SSH session, as a person (or an auditor) would open."""
    assert target.device is not None and target.device.credentials is not None
    return ConnectHandler(
        device_type=platform_named(sim.platform).device_type,
        host="127.0.0.1",
        port=sim.port,
        username=target.device.credentials.username,
        password=SENTINEL,
    )


def type_by_hand(conn: BaseConnection, platform: str, lines: list[str]) -> None:
    dialect = platform_named(platform).dialect
    for line in [dialect.enter_config, *lines, dialect.leave_config]:
        out = conn.send_command(line, expect_string=PROMPT, cmd_verify=False)
        assert "rror" not in str(out) and "Invalid" not in str(out), (line, out)


def rendered(platform: str) -> list[str]:
    """The template's lines as the switch shows them (RGOS adds a space to port names)."""
    school = CITY.school(SCHOOLS[platform])
    text = render_switch(CITY, school, school.network.switches[0])
    dialect = platform_named(platform).dialect
    return [dialect.canonical(line.strip()) for line in text.splitlines() if line.strip()]


def shown_lines(text: str) -> set[str]:
    return {line.strip() for line in text.replace("\r", "").split("\n")}


@dataclass
class Flow:
    factory: str = ""
    factory_saved: str = ""
    desired: Settings = field(default_factory=dict)
    plan: list[Change] = field(default_factory=list)
    settings_after: Settings = field(default_factory=dict)
    left_after_apply: list[Change] = field(default_factory=list)
    unchanged_by_second_apply: bool = False
    shown: str = ""
    saved: str = ""
    rolled_back: str = ""
    rolled_back_saved: str = ""
    hand_plan: list[Change] = field(default_factory=list)
    after_hand: str = ""
    left_after_hand: list[Change] = field(default_factory=list)
    driver_logins: int = 0
    identity: dict[str, Any] = field(default_factory=dict)
    serial: str = ""  # the lab switch's own
    returned: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    apply_writes: list[str] = field(default_factory=list)  # what the first apply wrote


@contextlib.contextmanager
def _writes_of(driver: SwitchDriver) -> Iterator[list[str]]:
    """What the driver writes to its SSH session meanwhile (one write is one round trip)."""
    writes: list[str] = []
    conn = driver._session()
    write = conn.write_channel

    def recorded(text: str) -> None:
        if driver._conn is conn:  # not netmiko's cleanup of a dropped session
            writes.append(text)
        write(text)

    conn.write_channel = recorded  # type: ignore[method-assign,assignment]
    try:
        yield writes
    finally:
        conn.write_channel = write  # type: ignore[method-assign]


def run_flow(lab: LabLoop, platform: str) -> Flow:
    flow, (sim, target) = Flow(), start_switch(lab, platform)
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        flow.seconds[name] = round(time.monotonic() - clock, 2)
        clock = time.monotonic()

    try:
        flow.factory, flow.factory_saved = lab.call(sim.running_config), lab.call(sim.saved_config)
        driver = SwitchDriver(target)
        flow.desired = driver.desired()
        before = driver.read()
        flow.plan = driver.diff(before, flow.desired)
        lap("plan")
        with _writes_of(driver) as flow.apply_writes:
            driver.apply(flow.plan)
        lap("apply")
        flow.settings_after = driver.read()
        flow.left_after_apply = driver.diff(flow.settings_after, flow.desired)
        converged = lab.call(sim.running_config)
        flow.identity, flow.serial = driver.identity(), sim.config.serial
        driver.apply(flow.plan)  # the same changes again: nothing may move
        flow.unchanged_by_second_apply = lab.call(sim.running_config) == converged
        lap("verify and apply again")
        person = engineer(sim, target)
        flow.shown = str(person.send_command(platform_named(platform).dialect.show_running))
        flow.saved = lab.call(sim.saved_config)
        driver.apply([c.reversed() for c in reversed(flow.plan)])
        flow.rolled_back = lab.call(sim.running_config)
        flow.rolled_back_saved = lab.call(sim.saved_config)
        lap("rollback")
        driver.apply(flow.plan)
        type_by_hand(person, platform, HAND[platform].lines)
        person.paramiko_cleanup()  # hang up: netmiko's polite logout waits 2 s of silence
        hand = driver.read()
        flow.hand_plan = driver.diff(hand, flow.desired)
        driver.apply(flow.hand_plan)
        flow.left_after_hand = driver.diff(driver.read(), flow.desired)
        flow.after_hand = lab.call(sim.running_config)
        lap("hand edits")
        driver.close()
        flow.driver_logins = sim.logins - 1  # the engineer's session
        for item in (flow.desired, before, flow.settings_after, hand):
            flow.returned.append(json.dumps(item))
        for changes in (flow.plan, flow.hand_plan):
            flow.returned += [json.dumps(c.to_dict()) + c.describe() for c in changes]
    finally:
        lab.run(sim.stop())
    return flow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabLoop]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(SECRET_VAR, SENTINEL)
        # The stories connect between tests too, when no test's own known_hosts is set: keys
        # learned then stay with this module (not in a file another run's lab, with another
        # host key on the same port, has written).
        env.setenv("PROVISION_KNOWN_HOSTS", str(tmp_path_factory.mktemp("hosts") / "known_hosts"))
        root = logging.getLogger()
        level = root.level
        root.addHandler(LOGS)
        root.setLevel(logging.DEBUG)
        loop = LabLoop()
        try:
            yield loop
        finally:
            loop.close()
            root.removeHandler(LOGS)
            root.setLevel(level)


@pytest.fixture(scope="module", autouse=True)
def flows(lab: LabLoop) -> Iterator[dict[str, Future[Flow]]]:
    """Start the three flows when the module starts; fault tests run meanwhile."""
    with ThreadPoolExecutor(len(PLATFORMS)) as pool:
        yield {p: pool.submit(run_flow, lab, p) for p in PLATFORMS}


def result(flows: dict[str, Future[Flow]], platform: str) -> Flow:
    flow = flows[platform].result(timeout=90)
    print(f"{platform} seconds: {flow.seconds}")
    return flow


# --- faults (own switches, while the flows run) --------------------------------------------------


@dataclass
class Fault:
    error: DeviceError
    factory_kept: bool = True  # the running config is as before the failed apply
    nothing_landed: bool = True  # the next plan is the one the failed apply had
    # A refused line: the changes whose lines ran (by the error's account) and those held after.
    ran: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    writes: list[str] = field(default_factory=list)  # what the apply wrote to the session
    blocks: list[str] = field(default_factory=list)  # the blocks it was to write, in order


def refused_login(lab: LabLoop, platform: str) -> Fault:
    sim, target = start_switch(lab, platform)
    sim.faults.auth_failure = True
    driver = SwitchDriver(target)
    try:
        with pytest.raises(DeviceError) as caught:
            driver.read()
    finally:
        driver.close()
        lab.run(sim.stop())
    return Fault(caught.value)


def dropped_mid_apply(lab: LabLoop, platform: str) -> Fault:
    sim, target = start_switch(lab, platform, timeout=2.0)  # the drop shows as silence
    driver = SwitchDriver(target)
    try:
        plan = driver.diff(driver.read(), driver.desired())
        factory = lab.call(sim.running_config)
        sim.faults.ssh_drop = True  # consulted on every line: the first config line drops
        with pytest.raises(SwitchError) as caught:
            driver.apply(plan)
        sim.faults.ssh_drop = False
        kept = lab.call(sim.running_config) == factory
        landed = driver.diff(driver.read(), driver.desired()) != plan
    finally:
        driver.close()
        lab.run(sim.stop())
    return Fault(caught.value, factory_kept=kept, nothing_landed=not landed)


BOGUS = "frobnicate 7"  # a line no switch knows: refused in the middle of a block


def refused_mid_block(lab: LabLoop, platform: str) -> Fault:
    """A plan from factory with one line the switch refuses inside its second VLAN interface:
    the lines typed after it in the same block run too (as on the switch), the next block is
    never sent, and the error says which lines ran. Over a slow link, so that a block's output
    arrives in pieces as it does from a switch far away."""
    sim, target = start_switch(lab, platform)
    sim.faults.latency_ms = 50
    driver = SwitchDriver(target)
    factory = parse_config(lab.call(sim.running_config), driver.dialect)
    try:
        desired = driver.desired()
        plan = driver.diff(driver.read(), desired)
        svi = [k for k in desired if re.fullmatch(r"config/interface (?i:vlan)\S* ?\d+", k)][1]
        bogus = Change(f"{svi}/{BOGUS}", None, True)
        plan.insert(plan.index(next(c for c in plan if c.setting == svi)) + 1, bogus)
        lines = plan_lines(driver.dialect, plan, list(desired))
        typed = [driver.dialect.enter_config, *lines, driver.dialect.leave_config]
        expected = blocks(typed, mode_changes(typed, driver.dialect, factory))
        with _writes_of(driver) as writes, pytest.raises(SwitchError) as caught:
            driver.apply(plan)
        refused = caught.value.refusal
        assert refused is not None and refused.line == BOGUS
        ran = set(typed[: typed.index(BOGUS)]) | set(refused.ran_after)
        now = driver.read()
        held = {c.setting for c in plan if now.get(c.setting) == c.after}
        ran_changes = {c.setting for c in plan if _line_of(c) in ran}
    finally:
        driver.close()
        lab.run(sim.stop())
    sent = [w for w in writes if not w.startswith(driver.dialect.show_running)]
    return Fault(caught.value, ran=ran_changes, held=held, writes=sent,
                 blocks=["".join(f"{line}\n" for line in b) for b in expected])  # fmt: skip


def _line_of(change: Change) -> str:
    """The line a change from factory types: its value, or its key's last segment."""
    return change.after if isinstance(change.after, str) else decode_key(change.setting)[-1]


FAULTS = {
    "refused login": refused_login,
    "dropped mid-apply": dropped_mid_apply,
    "refused mid-block": refused_mid_block,
}


@pytest.fixture(scope="module", autouse=True)
def faults(lab: LabLoop) -> Iterator[dict[tuple[str, str], Future[Fault]]]:
    """Every fault story on every platform, two at a time, started with the module."""
    with ThreadPoolExecutor(2) as pool:
        yield {
            (name, p): pool.submit(story, lab, p)
            for name, story in FAULTS.items()
            for p in PLATFORMS
        }


@pytest.mark.parametrize("platform", PLATFORMS)
def test_auth_failure_is_a_device_error_naming_switch_and_operation(
    faults: dict[tuple[str, str], Future[Fault]], platform: str
) -> None:
    error = faults["refused login", platform].result(timeout=90).error
    assert isinstance(error, SwitchError)
    assert f"{SCHOOLS[platform]}/core" in str(error)
    assert "read running config failed" in str(error)
    assert "Authentication" in str(error)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_ssh_drop_mid_apply_is_a_device_error_and_the_next_read_reconnects(
    faults: dict[tuple[str, str], Future[Fault]], platform: str
) -> None:
    fault = faults["dropped mid-apply", platform].result(timeout=90)
    assert fault.factory_kept and fault.nothing_landed
    assert f"{SCHOOLS[platform]}/core" in str(fault.error)
    assert "apply failed" in str(fault.error)
    assert "the switch closed the SSH session" in str(fault.error)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_refused_line_stops_the_apply_after_its_block_and_says_what_ran(
    faults: dict[tuple[str, str], Future[Fault]], platform: str
) -> None:
    fault = faults["refused mid-block", platform].result(timeout=90)
    message = str(fault.error)
    assert f"{SCHOOLS[platform]}/core: apply: the switch refused '{BOGUS}': " in message
    assert "the lines typed after it ran too: " in message  # the rest of its block
    # Exactly what the error says ran is what the switch holds: nothing more, nothing less.
    assert fault.ran and fault.held == fault.ran
    # One write per block (a round trip each), and none after the block with the refusal.
    refused_at = next(i for i, b in enumerate(fault.blocks) if f"\n{BOGUS}\n" in f"\n{b}")
    assert fault.writes == fault.blocks[: refused_at + 1]
    assert len(fault.blocks) > refused_at + 1  # later blocks were never sent


# --- the flows -----------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_plan_from_factory_lists_every_template_line(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow = result(flows, platform)
    factory_name = FACTORY_NAME[platform]
    assert {c.setting: c.after for c in flow.plan} == flow.desired
    assert {c.setting: c.before for c in flow.plan if c.before is not None} == {
        f"config/{factory_name.split()[0]}": factory_name
    }
    named = {seg for key in flow.desired for seg in decode_key(key)}
    named |= {v for v in flow.desired.values() if isinstance(v, str)}
    dialect = platform_named(platform).dialect
    for line in rendered(platform):
        line = dialect.canonical(line)
        if line.startswith("vlan batch "):  # one setting per VLAN
            assert all(f"vlan batch {v}" in named for v in line.split()[2:])
        else:
            assert line in named


@pytest.mark.parametrize("platform", PLATFORMS)
def test_apply_from_factory_is_a_round_trip_per_block_and_one_save(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow, switch = result(flows, platform), platform_named(platform)
    lines = plan_lines(switch.dialect, flow.plan, list(flow.desired))
    typed = [switch.dialect.enter_config, *lines, switch.dialect.leave_config]
    factory = parse_config(flow.factory, switch.dialect)
    cut = blocks(typed, mode_changes(typed, switch.dialect, factory))
    expected = ["".join(f"{line}\n" for line in b) for b in cut]
    # A save that asks nothing is one line; VRP's asks [Y/N] and is answered (netmiko's).
    saves = [f"{switch.save_command}\n"] if switch.save_command else ["save\n", "y\n"]
    assert flow.apply_writes == expected + saves
    assert len(expected) < len(lines) / 3  # not a round trip per line
    # The factory's ports are entered without waiting: fewer blocks than sections entered.
    assert len(cut) < len(blocks(typed, mode_changes(typed, switch.dialect, None)))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_apply_converges_and_is_idempotent(flows: dict[str, Future[Flow]], platform: str) -> None:
    flow = result(flows, platform)
    assert flow.left_after_apply == []
    assert flow.settings_after == flow.desired
    assert flow.unchanged_by_second_apply


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_rendered_line_is_in_an_independent_show_run_and_the_saved_config(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow = result(flows, platform)
    shown, saved = shown_lines(flow.shown), shown_lines(flow.saved)
    assert [line for line in rendered(platform) if line not in shown] == []
    assert [line for line in rendered(platform) if line not in saved] == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_reversed_changes_restore_the_factory_config_exactly(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow = result(flows, platform)
    assert flow.rolled_back == flow.factory
    assert flow.rolled_back_saved == flow.factory_saved


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hand_edits_show_as_exactly_those_changes_and_are_undone(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow = result(flows, platform)
    assert {c.setting: (c.before, c.after) for c in flow.hand_plan} == HAND[platform].changes
    assert flow.left_after_hand == []
    assert HAND[platform].unrelated in flow.after_hand.splitlines()  # not ours: left alone
    if platform == "cisco_ios":  # ACL entries back in the template's order, not appended
        tree = parse_config(flow.after_hand, platform_named(platform).dialect)
        acl = next(n for n in tree if n.text == ACL_CISCO)
        template = rendered(platform)
        start = template.index(ACL_CISCO) + 1
        assert [c.text for c in acl.children] == template[start : start + len(acl.children)]
        assert template[start + len(acl.children)].startswith("ip access-list")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_identity_has_model_serial_and_firmware(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow = result(flows, platform)
    assert set(flow.identity) == {"model", "serial", "firmware"}
    assert all(flow.identity.values()), flow.identity
    assert flow.identity["serial"] == flow.serial


@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_ssh_session_serves_the_driver_throughout(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    assert result(flows, platform).driver_logins == 1


def test_the_secret_appears_in_no_setting_change_error_or_log(
    flows: dict[str, Future[Flow]], faults: dict[tuple[str, str], Future[Fault]]
) -> None:
    returned = [text for p in PLATFORMS for text in result(flows, p).returned]
    errors = [str(fault.result(timeout=90).error) for fault in faults.values()]
    assert returned and os.environ[SECRET_VAR] == SENTINEL
    assert len(errors) == len(FAULTS) * len(PLATFORMS)
    assert any("write_channel" in line for line in LOGS.lines)  # netmiko's traffic was logged
    for text in [*returned, *errors, *LOGS.lines]:
        assert SENTINEL not in text


def test_every_platform_has_an_example_school_of_its_own() -> None:
    assert sorted(SCHOOLS) == PLATFORMS
    for platform, school_id in SCHOOLS.items():
        assert [s.platform for s in CITY.school(school_id).network.switches] == [platform]
