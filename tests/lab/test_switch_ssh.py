"""Lab switches driven over real SSH by netmiko's own drivers, unmodified, every platform.

netmiko spends its own fixed delays per session (Huawei's config-mode checks wait 2 s of
silence each), so the three provisioning flows run concurrently in threads, once per module,
and the per-platform tests assert on what each flow saw.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import asyncssh
import pytest
from netmiko import ConnectHandler
from netmiko.base_connection import BaseConnection
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from test_switch_support import (
    CONFIG_ENTER,
    CONFIG_LEAVE,
    ERROR_TEXT,
    SAMPLES,
    SHOW_RUN,
    LabLoop,
    config_lines,
    missing_sample_lines,
)

from provision.lab.faults import Faults
from provision.lab.switch import Switch

PROMPT_END = r"[\]>#]\s*$"
# One undo/no per platform typed in the second session, and the lines it must take away.
UNDO = {
    "huawei": (["interface GigabitEthernet0/0/1", "undo description"],
               {" description uplink-to-precinct-nanshajie": 1}),
    "cisco_ios": (["no ip access-list extended PRECINCT-IN"],
                  {"ip access-list extended PRECINCT-IN": 1, " permit ip any any": 1,
                   " permit tcp 10.200.1.0 0.0.0.255 10.12.20.0 0.0.0.255 eq 554": 1,
                   " deny ip any 10.12.20.0 0.0.0.255": 1, "!": 1}),
    "hp_comware": (["interface GigabitEthernet1/0/1", "undo qos apply policy video-out outbound"],
                   {" qos apply policy video-out outbound": 1}),
    "ruijie_os": (["interface GigabitEthernet0/1", "no switchport trunk allowed vlan",
                   "no ip access-group PRECINCT-IN in"],
                  {" switchport trunk allowed vlan only 10,20,30": 1,
                   " ip access-group PRECINCT-IN in": 1}),
}  # fmt: skip


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


STARTED: list[Switch] = []  # by the test running now; stopped even if it fails


@pytest.fixture(autouse=True)
def stop_started(lab: LabLoop) -> Iterator[None]:
    yield
    while STARTED:
        lab.run(STARTED.pop().stop())


def start_switch(lab: LabLoop, platform: str, *, track: bool = True, **kw: Any) -> Switch:
    sw = Switch(f"t-{platform}", "127.0.0.1", faults=Faults(), platform=platform, ssh_port=0, **kw)
    lab.run(sw.start())
    if track:
        STARTED.append(sw)
    return sw


def connect(platform: str, sw: Switch, **kw: Any) -> BaseConnection:
    kw.setdefault("password", "admin")
    return ConnectHandler(
        device_type=platform, host="127.0.0.1", port=sw.port, username="admin", **kw
    )


@dataclass
class Flow:
    """What one platform's provisioning run observed."""

    config_output: str = ""
    prompt_after_rename: str = ""
    save_output: str = ""
    shown_after_reconnect: str = ""
    saved_config: str = ""
    invalid_output: str = ""
    changed_by_invalid: bool = True
    removed_by_undo: Counter[str] = field(default_factory=Counter)
    added_by_undo: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)


def provision(lab: LabLoop, platform: str) -> Flow:
    flow, sw = Flow(), start_switch(lab, platform, track=False)
    t0 = time.monotonic()
    conn = connect(platform, sw)
    # After each line netmiko waits for the old prompt or `terminator`. Its Huawei driver keeps
    # the generic "#", which a VRP prompt never shows once `sysname` renames it (a real VRP box
    # hangs the same way), so pass r"\]" as its Comware driver does; the others are defaults.
    terminator = r"\]" if platform in ("huawei", "hp_comware") else "#"
    flow.config_output = conn.send_config_set(SAMPLES[platform].splitlines(), terminator=terminator)
    flow.prompt_after_rename = conn.set_base_prompt()
    flow.save_output = conn.save_config()
    conn.disconnect()
    flow.seconds["first session"] = time.monotonic() - t0

    t1 = time.monotonic()
    conn = connect(platform, sw)
    flow.shown_after_reconnect = str(conn.send_command(SHOW_RUN[platform]))
    flow.saved_config = sw.saved_config()
    conn.send_command(CONFIG_ENTER[platform], expect_string=PROMPT_END)
    before = sw.running_config()
    flow.invalid_output = str(conn.send_command("frobnicate all ports", expect_string=PROMPT_END))
    flow.changed_by_invalid = sw.running_config() != before
    for line in UNDO[platform][0]:
        conn.send_command(line, expect_string=PROMPT_END)
    conn.send_command(CONFIG_LEAVE[platform], expect_string=r"[>#]\s*$")
    after = str(conn.send_command(SHOW_RUN[platform]))
    conn.disconnect()
    flow.seconds["second session"] = time.monotonic() - t1
    shown = Counter(x for x in config_lines(flow.shown_after_reconnect) if "bytes" not in x)
    now = Counter(x for x in config_lines(after) if "bytes" not in x)
    flow.removed_by_undo, flow.added_by_undo = shown - now, now - shown
    lab.run(sw.stop())  # its own thread: not in STARTED
    return flow


@pytest.fixture(scope="module", autouse=True)
def flows(lab: LabLoop) -> Iterator[dict[str, Future[Flow]]]:
    """Start the three provisioning flows when the module starts; the fault tests below run
    meanwhile on switches of their own, and the flow tests at the end collect the results."""
    with ThreadPoolExecutor(len(SAMPLES)) as pool:
        yield {p: pool.submit(provision, lab, p) for p in SAMPLES}


@pytest.mark.parametrize("platform", list(SAMPLES))
def test_auth_failure_fault(lab: LabLoop, platform: str) -> None:
    sw = start_switch(lab, platform)
    with pytest.raises(NetmikoAuthenticationException):
        connect(platform, sw, password="wrong")
    sw.faults.auth_failure = True
    with pytest.raises(NetmikoAuthenticationException):
        connect(platform, sw)


def test_refuse_and_dead_close_the_listener(lab: LabLoop) -> None:
    sw = start_switch(lab, "cisco_ios")
    for fault in ("refuse", "dead"):
        setattr(sw.faults, fault, True)
        lab.run(sw.sync_faults())
        assert sw.state()["listening"] is False
        with pytest.raises(NetmikoTimeoutException, match="TCP connection to device failed"):
            connect("cisco_ios", sw, conn_timeout=2)
        setattr(sw.faults, fault, False)
        lab.run(sw.sync_faults())
    conn = connect("cisco_ios", sw)  # back on the same port, same config
    assert conn.find_prompt() == "Switch#"
    conn.disconnect()


def test_timeout_fault_never_sends_the_banner(lab: LabLoop) -> None:
    sw = start_switch(lab, "huawei")
    sw.faults.timeout = True
    t0 = time.monotonic()
    with pytest.raises(NetmikoTimeoutException):
        connect("huawei", sw, banner_timeout=1, conn_timeout=2)
    assert time.monotonic() - t0 < 5


def test_ssh_drop_mid_config(lab: LabLoop) -> None:
    sw = start_switch(lab, "cisco_ios")
    conn = connect("cisco_ios", sw)
    before = sw.running_config()
    sw.faults.ssh_drop = True  # consulted per exchange: no sync needed
    with pytest.raises((ReadTimeout, OSError, EOFError)):
        conn.send_config_set(["interface GigabitEthernet0/2", " description dropped"],
                             read_timeout=1)  # fmt: skip
    assert sw.running_config() == before
    assert not conn.remote_conn.get_transport().is_active()  # type: ignore[union-attr]
    conn.disconnect()


def test_enable_secret_latency_and_exec_channel(lab: LabLoop) -> None:
    sw = start_switch(lab, "cisco_ios", enable_secret="s3cret")
    conn = connect("cisco_ios", sw, secret="s3cret")
    assert conn.find_prompt() == "Switch>"
    conn.enable()
    assert conn.find_prompt() == "Switch#"
    sw.faults.latency_ms = 100
    t0 = time.monotonic()
    assert "WS-C2960G-24TC-L" in conn.send_command("show version")
    assert time.monotonic() - t0 >= 0.2  # find_prompt's empty line and the command: two answers
    sw.faults.latency_ms = 0
    conn.disconnect()

    async def exec_once() -> str:
        async with asyncssh.connect(
            "127.0.0.1", sw.port, username="admin", password="admin", known_hosts=None
        ) as ssh:
            result = await ssh.run("show version")
            return str(result.stdout)

    assert "uptime is" in lab.run(exec_once())


@pytest.mark.parametrize("platform", list(SAMPLES))
def test_netmiko_provisions_saves_and_reads_back(
    flows: dict[str, Future[Flow]], platform: str
) -> None:
    flow = flows[platform].result(timeout=60)
    print(f"{platform} netmiko timings: {flow.seconds}")
    assert ERROR_TEXT[platform] not in flow.config_output
    assert flow.prompt_after_rename == "dl-zs-m012-core"
    assert "dl-zs-m012-core" in flow.save_output.splitlines()[-1]  # the prompt after saving
    assert missing_sample_lines(platform, flow.shown_after_reconnect) == []
    assert missing_sample_lines(platform, flow.saved_config) == []


@pytest.mark.parametrize("platform", list(SAMPLES))
def test_netmiko_sees_errors_and_undo(flows: dict[str, Future[Flow]], platform: str) -> None:
    flow = flows[platform].result(timeout=60)
    assert ERROR_TEXT[platform] in flow.invalid_output
    assert any(line.strip() == "^" for line in flow.invalid_output.splitlines())
    assert not flow.changed_by_invalid
    assert flow.removed_by_undo == Counter(UNDO[platform][1])
    assert flow.added_by_undo == Counter()


def test_typed_characters_echo_as_a_terminal_expects(lab: LabLoop) -> None:
    """A human at a terminal: keystrokes echo at once, backspace rubs out, passwords don't."""
    sw = start_switch(lab, "cisco_ios", enable_secret="s3cret")

    async def type_slowly() -> list[str]:
        async with asyncssh.connect(
            "127.0.0.1", sw.port, username="admin", password="admin", known_hosts=None
        ) as ssh:
            proc = await ssh.create_process(term_type="vt100")

            async def read_until(mark: str) -> str:
                seen = ""
                while mark not in seen:
                    seen += await asyncio.wait_for(proc.stdout.read(4096), 5)
                return seen

            shown = [await read_until("Switch>")]
            for keys, mark in (("ena", "ena"), ("x", "x"), ("\x7f", "\b \b"), ("ble\r", ": ")):
                proc.stdin.write(keys)
                shown.append(await read_until(mark))
            proc.stdin.write("s3cret\r\n")
            shown.append(await read_until("Switch#"))
            proc.stdin.write("exit\r\n")
            await asyncio.wait_for(proc.wait_closed(), 5)
            return shown

    banner, echo1, echo2, rubout, enable, after_secret = lab.run(type_slowly())
    assert banner.endswith("Switch>")
    assert (echo1, echo2, rubout) == ("ena", "x", "\b \b")
    assert enable == "ble\r\nPassword: "
    assert "s3cret" not in after_secret and after_secret.endswith("Switch#")
