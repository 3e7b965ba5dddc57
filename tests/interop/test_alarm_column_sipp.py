"""SIPp (Debian sip-tester) plays a GB/T 28181 alarm column against the lab platform: it
registers (answering the 401 Digest challenge itself), then sends the Alarm Notify MESSAGE a
column sends when its button is pressed (GB/T 28181-2016 §9.4). The platform must answer 200
and list the alarm at WVP-PRO's `/api/alarm/all`, as the alarm self-test reads it; with the
`alarm_refused` fault it answers 403 and records nothing. SIPp exits 0 only if its scenario
ran as written, so the platform's answers are judged by a SIP stack no one here wrote.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from labsupport import LabLoop
from test_gb28181_sipp import DOMAIN, REGISTER_STEPS, SERVER_ID, free_port
from tooling import require_program

from provision.lab.faults import Faults
from provision.lab.gb28181.platform import Gb28181Platform

COLUMN, PASSWORD = "21020200111340000051", "sipp-column-secret"
API_PASSWORD = "sipp-api"

COLUMN_UAC = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="GB/T 28181 alarm column registers and reports a press">
"""
    + REGISTER_STEPS
    + """  <recv response="200"/>
  <send retrans="500"><![CDATA[
MESSAGE sip:{server}@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]
From: <sip:{device}@{domain}>;tag=[pid]alarm[call_number]
To: <sip:{server}@{domain}>
Call-ID: [call_id]
CSeq: 3 MESSAGE
Max-Forwards: 70
Content-Type: Application/MANSCDP+xml
Content-Length: [len]

<?xml version="1.0" encoding="UTF-8"?>
<Notify>
<CmdType>Alarm</CmdType>
<SN>7</SN>
<DeviceID>{device}</DeviceID>
<AlarmPriority>1</AlarmPriority>
<AlarmMethod>2</AlarmMethod>
<AlarmTime>{alarm_time}</AlarmTime>
<AlarmDescription>one-button alarm (SIPp)</AlarmDescription>
</Notify>
]]></send>
  <recv response="{final}"/>
</scenario>
"""
)


@pytest.fixture(scope="module")
def sipp() -> str:
    return require_program("sipp", "sip-tester")


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Gb28181Platform, LabLoop]]:
    lab = LabLoop()
    made = Gb28181Platform(
        "precinct", "127.0.0.1", faults=Faults(), server_id=SERVER_ID, domain=DOMAIN,
        password=PASSWORD, sip_port=0, api_port=0, api_password=API_PASSWORD,
    )  # fmt: skip
    lab.run(made.start())
    yield made, lab
    lab.run(made.stop())
    lab.close()


def _alarms_listed(platform: Gb28181Platform) -> list[dict[str, object]]:
    """The column's alarms as the alarm self-test reads them: WVP's login, then
    /api/alarm/all filtered by device."""
    base = f"http://127.0.0.1:{platform.endpoints()['wvp_api']}"
    with requests.Session() as session:
        session.trust_env = False
        digest = hashlib.md5(API_PASSWORD.encode()).hexdigest()  # WVP takes the MD5
        login = session.get(
            f"{base}/api/user/login", params={"username": "admin", "password": digest}, timeout=10
        ).json()
        session.headers["access-token"] = login["data"]["accessToken"]
        got = session.get(
            f"{base}/api/alarm/all",
            params={"page": 1, "count": 50, "deviceId": COLUMN},
            timeout=10,
        ).json()
    return list(got["data"]["list"])


@pytest.mark.parametrize(("refused", "final"), [(False, 200), (True, 403)])
def test_sipp_as_a_column_reports_a_press_the_platform_records_or_refuses(
    sipp: str,
    platform: tuple[Gb28181Platform, LabLoop],
    tmp_path: Path,
    refused: bool,
    final: int,
) -> None:
    made, lab = platform
    before = len(_alarms_listed(made))
    scenario = tmp_path / "column.xml"
    alarm_time = time.strftime("%Y-%m-%dT%H:%M:%S")
    scenario.write_text(
        COLUMN_UAC.format(
            server=SERVER_ID,
            domain=DOMAIN,
            device=COLUMN,
            password=PASSWORD,
            alarm_time=alarm_time,
            final=final,
        ),
        encoding="ascii",
    )
    lab.run(lab_faults(made, refused))
    try:
        command = [sipp, f"127.0.0.1:{made.sip.port}", "-p", str(free_port()), "-sf"]
        command += [str(scenario), "-m", "1", "-i", "127.0.0.1", "-timeout", "20s"]
        command += ["-timeout_error", "-nostdin", "-trace_err"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    finally:
        lab.run(lab_faults(made, False))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    listed = _alarms_listed(made)
    if refused:
        assert len(listed) == before  # refused: not recorded
        return
    assert len(listed) == before + 1
    newest = listed[0]
    assert newest["deviceId"] == COLUMN and newest["alarmPriority"] == "1"
    assert newest["alarmTime"] == alarm_time.replace("T", " ")


async def lab_faults(platform: Gb28181Platform, refused: bool) -> None:
    platform.faults.update({"alarm_refused": refused})
    await platform.sync_faults()
