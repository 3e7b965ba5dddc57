"""SIPp (Debian sip-tester) judges the lab's GB/T 28181 platform and device agent.

As a UAC, SIPp registers against the lab platform: its first REGISTER must draw a 401 Digest
challenge, and SIPp's own `[authentication]` answer (computed by SIPp, not by us) must get 200;
with the wrong password WVP-PRO's 403. As a UAS, SIPp plays the platform for a lab agent: it
challenges the REGISTER, checks the agent's Digest with its `verifyauth` action, answers 200
and then requires a Keepalive MESSAGE. SIPp exits 0 only if its scenario ran as written.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop, wait_until
from tooling import require_program

from provision.lab.faults import Faults
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.platform import Gb28181Platform

SERVER_ID, DOMAIN = "21020200002000000001", "2102020000"
DEVICE, PASSWORD = "21020200111320000011", "sipp-secret"

# A device registering with Digest: REGISTER, the platform's 401, REGISTER again with the
# credentials; a device's scenario goes on from there (the alarm column's reports a press).
REGISTER_STEPS = """  <send retrans="500"><![CDATA[
REGISTER sip:{server}@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]
From: <sip:{device}@{domain}>;tag=[pid]reg[call_number]
To: <sip:{device}@{domain}>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:{device}@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:{server}@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]
From: <sip:{device}@{domain}>;tag=[pid]reg[call_number]
To: <sip:{device}@{domain}>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:{device}@[local_ip]:[local_port]>
[authentication username={device} password={password}]
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
"""

UAC = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="GB/T 28181 device registers">
"""
    + REGISTER_STEPS
    + """  <recv response="{final}"/>
</scenario>
"""
)

# The platform's side of a device's REGISTER dialog: a Digest challenge, the second REGISTER's
# Digest checked by SIPp (`verifyauth`); a wrong one is answered 403 and goes to the
# scenario's "failed" label, a good one to its "good" label, where the scenario answers 200.
REGISTRAR_CHALLENGE = """  <label id="register"/>
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]plat[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="{domain}",qop="auth",nonce="8a7d6f5e4c3b2a19",algorithm=MD5
Content-Length: 0

]]></send>
  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="{device}" password="{password}"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
  <send next="failed"><![CDATA[
SIP/2.0 403 Forbidden
[last_Via:]
[last_From:]
[last_To:];tag=[pid]plat[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="good"/>
"""

UAS = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="GB/T 28181 platform takes a registration and a keepalive">
  <!-- Each new Call-ID is a call of this scenario: the REGISTER dialog, then a keepalive. -->
  <recv request="REGISTER" optional="true" next="register"/>
  <recv request="MESSAGE">
    <action>
      <ereg regexp="&lt;CmdType&gt;Keepalive&lt;/CmdType&gt;" search_in="body" check_it="true"
            assign_to="keepalive"/>
    </action>
  </recv>
  <send next="end"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]plat[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"""
    + REGISTRAR_CHALLENGE
    + """  <send next="end"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]plat[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Contact:]
Expires: 3600
Content-Length: 0

]]></send>
  <!-- A wrong Digest ends here, where SIPp expects a message that never comes: it fails. -->
  <label id="failed"/>
  <recv request="INFO" timeout="100"/>
  <label id="end"/>
  <Reference variables="keepalive"/>
</scenario>
"""
)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sipp() -> str:
    return require_program("sipp", "sip-tester")


@pytest.fixture(scope="module")
def platform() -> Iterator[Gb28181Platform]:
    lab = LabLoop()
    made = Gb28181Platform(
        "precinct", "127.0.0.1", faults=Faults(), server_id=SERVER_ID, domain=DOMAIN,
        password=PASSWORD, sip_port=0, api_port=0,
    )  # fmt: skip
    lab.run(made.start())
    yield made
    lab.run(made.stop())
    lab.close()


def sipp_platform(sipp: str, scenario: Path, port: int, calls: int, timeout_s: int) -> Any:
    """SIPp playing the platform from `scenario` on `port` until `calls` calls ran (or it gives
    up after `timeout_s`, failing); its output decoded leniently: it echoes what it refused,
    a GB2312 Catalog included."""
    return subprocess.Popen(
        [sipp, "-sf", str(scenario), "-m", str(calls), "-i", "127.0.0.1", "-p", str(port),
         "-timeout", f"{timeout_s}s", "-timeout_error", "-nostdin", "-trace_err"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, errors="replace", cwd=scenario.parent,
    )  # fmt: skip


def run_sipp(sipp: str, scenario: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sipp, *args, "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1"]
    command += ["-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=scenario.parent)


@pytest.mark.parametrize(("password", "final"), [(PASSWORD, 200), ("not-the-password", 403)])
def test_sipp_registers_after_the_digest_challenge(
    sipp: str, platform: Gb28181Platform, tmp_path: Path, password: str, final: int
) -> None:
    scenario = tmp_path / "register.xml"
    scenario.write_text(
        UAC.format(server=SERVER_ID, domain=DOMAIN, device=DEVICE, password=password, final=final),
        encoding="ascii",
    )
    target = f"127.0.0.1:{platform.sip.port}"
    done = run_sipp(sipp, scenario, target, "-p", str(free_port()))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (DEVICE in platform.devices) == (final == 200)
    platform.devices.pop(DEVICE, None)


def test_sipp_as_platform_takes_the_agents_register_and_keepalive(
    sipp: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "platform.xml"
    scenario.write_text(UAS.format(domain=DOMAIN, device=DEVICE, password=PASSWORD), "ascii")
    port = free_port()
    server = sipp_platform(sipp, scenario, port, calls=2, timeout_s=20)
    lab = LabLoop()
    # The agent retries its REGISTER every half second, so SIPp may start listening late.
    agent = DeviceAgent("gate", "127.0.0.1", faults=Faults(), retry_s=0.5)
    try:
        settings = {
            "server_id": SERVER_ID, "domain": DOMAIN, "server_address": "127.0.0.1",
            "server_port": port, "transport": "UDP", "device_id": DEVICE,
            "channels": (), "password": PASSWORD, "heartbeat_s": 1,
        }  # fmt: skip
        lab.run(agent.configure(settings))
        out, err = server.communicate(timeout=30)
        assert server.returncode == 0, out[-2000:] + err[-2000:]
        # SIPp exits as soon as it has sent the keepalive's 200: the agent counts the keepalive
        # when that answer reaches it on the lab's loop, which a busy machine may run later.
        wait_until(
            lambda: lab.call(lambda: agent.keepalives_sent >= 1),
            timeout=10,
            what="the agent to take the keepalive's 200",
        )
        assert lab.call(lambda: agent.last_register["status"]) == 200
    finally:
        if server.poll() is None:
            server.kill()
        lab.run(agent.stop())
        lab.close()
    errors = [line for p in tmp_path.glob("*_errors.log") for line in protocol_errors(p)]
    assert not errors, errors


def protocol_errors(log: Path) -> list[str]:
    """SIPp's error log without its own scheduling watchdog: "Overload warning: the minor
    watchdog timer ... tripped" says SIPp itself waited for the CPU (a busy CI machine), not
    that a peer misbehaved."""
    lines = log.read_text(errors="replace").splitlines()
    return [
        line
        for line in lines
        if line.strip()
        and "watchdog timer" not in line
        and line.strip() != "The following events occurred:"
    ]
