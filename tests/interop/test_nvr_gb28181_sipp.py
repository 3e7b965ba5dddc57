"""A lab Hikvision NVR's GB/T 28181 access, judged by two clients no one here wrote.

`hikvisionapi` (PyPI, in its own venv) adds two input channels, writes their channel IDs to
SIPInfo and then the platform's access to the SIP server list, as integrators script it on a
real NVR, and reads the list back (the password is write-only). SIPp (Debian sip-tester) plays
the precinct's platform: it challenges the NVR's REGISTER, checks its Digest with `verifyauth`,
answers 200, sends a Catalog query in that dialog and requires the NVR's Catalog response to
list both channel IDs under SumNum 2 (GB/T 28181-2016 §9.5, the Catalogs WVP-PRO users see
come back empty or wrong). SIPp exits 0 only if its scenario ran as written. One NVR and one
run for the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from labsupport import LabLoop
from test_gb28181_sipp import (
    DOMAIN,
    REGISTRAR_CHALLENGE,
    SERVER_ID,
    free_port,
    protocol_errors,
    sipp_platform,
)
from tooling import client, require_program, run_client

from provision.lab.faults import Faults
from provision.lab.nvr import IsapiNvr

ADMIN = "SENTINEL-nvr-sipp-admin-4e1a"
NVR_ID = "21020200111180000071"  # type code 118: an NVR
CHANNELS = ("21020200111310000072", "21020200111310000073")  # 131: cameras
SIP_PASSWORD = "SENTINEL-nvr-sip-secret-9c2d"

CLIENT = r"""
import json, sys
from hikvisionapi import Client

url, password, sip_port, nvr_id, sip_password, server, domain = sys.argv[1:8]
channels = json.loads(sys.argv[8])
api = Client(url, "admin", password, timeout=5)
NS = 'version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"'
for n in (1, 2):  # cameras at loopback addresses where nothing listens: offline channels
    api.ContentMgmt.InputProxy.channels(method="post", data=(
        f"<InputProxyChannel {NS}><id>{n}</id><name>cam-{n}</name><sourceInputPortDescriptor>"
        "<proxyProtocol>HIKVISION</proxyProtocol><addressingFormatType>ipaddress"
        f"</addressingFormatType><ipAddress>127.0.0.{10 + n}</ipAddress><managePortNo>8000"
        "</managePortNo><userName>admin</userName><password>x</password>"
        "</sourceInputPortDescriptor></InputProxyChannel>").encode())
inputs = "".join(
    f"<VideoInput><id>{n}</id><videoInputID>{cid}</videoInputID></VideoInput>"
    for n, cid in enumerate(channels, 1))
info = api.System.Network.SIP[1].SIPInfo(method="put", data=(
    f"<SIPInfo {NS}><VideoInputList>{inputs}</VideoInputList></SIPInfo>").encode())
servers = api.System.Network.SIP(method="put", data=(
    f"<SIPServerList {NS}><SIPServer><id>1</id><localPort>5060</localPort><GB28181>"
    f"<enabled>true</enabled><registrar>127.0.0.1</registrar><registrarPort>{sip_port}"
    f"</registrarPort><serverId>{server}</serverId><serverDomain>{domain}</serverDomain>"
    f"<authID>{nvr_id}</authID><password>{sip_password}</password><expires>3600</expires>"
    "<heartbeatTime>60</heartbeatTime><heartbeatCount>3</heartbeatCount>"
    "</GB28181></SIPServer></SIPServerList>").encode())
print(json.dumps({
    "info": info, "servers": servers,
    "read": api.System.Network.SIP(method="get", present="text"),
    "sipinfo": api.System.Network.SIP[1].SIPInfo(method="get"),
}))
"""

# Each Call-ID is a call of this scenario: the NVR's REGISTER dialog, in which the platform
# then asks for the Catalog; and the NVR's own MESSAGE carrying the Catalog response. The
# heartbeat the client sets (60 s) keeps keepalives out of the few seconds this takes.
UAS = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="GB/T 28181 platform registers an NVR and reads its Catalog">
  <recv request="REGISTER" optional="true" next="register"/>
  <recv request="MESSAGE">
    <action>
      <ereg regexp="&lt;CmdType&gt;Catalog&lt;/CmdType&gt;" search_in="body" check_it="true"
            assign_to="catalog"/>
      <ereg regexp="&lt;SumNum&gt;2&lt;/SumNum&gt;" search_in="body" check_it="true"
            assign_to="sumnum"/>
      <ereg regexp="&lt;DeviceID&gt;{first}&lt;/DeviceID&gt;" search_in="body" check_it="true"
            assign_to="first"/>
      <ereg regexp="&lt;DeviceID&gt;{second}&lt;/DeviceID&gt;" search_in="body" check_it="true"
            assign_to="second"/>
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
    + """  <send><![CDATA[
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
  <send retrans="500"><![CDATA[
MESSAGE sip:{device}@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]
From: <sip:{server}@{domain}>;tag=[pid]plat[call_number]
To: <sip:{device}@{domain}>
Call-ID: [call_id]
CSeq: 20 MESSAGE
Content-Type: Application/MANSCDP+xml
Max-Forwards: 70
Content-Length: [len]

<?xml version="1.0" encoding="GB2312"?>
<Query>
<CmdType>Catalog</CmdType>
<SN>17</SN>
<DeviceID>{device}</DeviceID>
</Query>
]]></send>
  <recv response="200" next="end"/>
  <!-- A wrong Digest ends here, where SIPp expects a message that never comes: it fails. -->
  <label id="failed"/>
  <recv request="INFO" timeout="100"/>
  <label id="end"/>
  <Reference variables="catalog,sumnum,first,second"/>
</scenario>
"""
)


@pytest.fixture(scope="module")
def sipp() -> str:
    return require_program("sipp", "sip-tester")


@pytest.fixture(scope="module")
def nvr() -> Iterator[tuple[IsapiNvr, LabLoop]]:
    loop = LabLoop()
    sim = IsapiNvr(
        "interop/nvr-gb",
        "127.0.0.1",
        faults=Faults(),
        bitrates_kbps={1: 2048, 2: 2048},
        disks_tb=(4.0,),
        http_port=0,
        admin=("admin", ADMIN),
        sip_port=0,
    )
    loop.run(sim.start())
    yield sim, loop
    loop.run(sim.stop())
    loop.close()


@pytest.fixture(scope="module")
def run(
    nvr: tuple[IsapiNvr, LabLoop], sipp: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """SIPp listening as the platform, then hikvisionapi writing the NVR: what each saw."""
    python = client("hikvisionapi")  # first: building it may outlast SIPp's timeout
    work = tmp_path_factory.mktemp("nvr-gb28181")
    scenario = work / "platform.xml"
    scenario.write_text(
        UAS.format(
            server=SERVER_ID, domain=DOMAIN, device=NVR_ID, password=SIP_PASSWORD,
            first=CHANNELS[0], second=CHANNELS[1],
        ),
        "ascii",
    )  # fmt: skip
    port = free_port()
    server = sipp_platform(sipp, scenario, port, calls=2, timeout_s=30)
    sim, _ = nvr
    try:
        url = f"http://127.0.0.1:{sim.endpoints()['http']}"
        args = (url, ADMIN, str(port), NVR_ID, SIP_PASSWORD, SERVER_ID, DOMAIN)
        seen: dict[str, Any] = json.loads(run_client(python, CLIENT, *args, json.dumps(CHANNELS)))
        out, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    seen["sipp"] = (server.returncode, out[-2000:] + err[-2000:])
    seen["sipp_errors"] = [e for log in work.glob("*_errors.log") for e in protocol_errors(log)]
    return seen


def test_hikvisionapi_writes_the_access_and_reads_it_back_without_the_password(
    run: dict[str, Any],
) -> None:
    assert run["info"]["ResponseStatus"]["statusCode"] == "1"
    assert run["servers"]["ResponseStatus"]["statusCode"] == "1"
    assert f"<authID>{NVR_ID}</authID>" in run["read"] and SIP_PASSWORD not in run["read"]
    inputs = run["sipinfo"]["SIPInfo"]["VideoInputList"]["VideoInput"]
    assert [i["videoInputID"] for i in inputs] == list(CHANNELS)


def test_sipp_as_platform_registers_the_nvr_and_reads_both_channels_in_its_catalog(
    run: dict[str, Any], nvr: tuple[IsapiNvr, LabLoop]
) -> None:
    code, said = run["sipp"]
    assert code == 0, said
    sim, loop = nvr
    state = loop.call(lambda: sim.agent.state())
    assert state["last_register"]["status"] == 200


def test_sipp_saw_no_protocol_error(run: dict[str, Any]) -> None:
    assert run["sipp_errors"] == []
