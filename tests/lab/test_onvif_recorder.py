"""The lab's ONVIF Profile G recorder over raw SOAP 1.2 with WS-Security: every answer valid
against the WSDLs' schemas onvif-zeep ships, the faults the specifications name, search paging,
and a recording index that follows its jobs and the recording faults (on a clock of the test's).
One recorder serves the module; each test starts from an empty recorder (`fresh`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from lxml import etree
from test_camera_support import (
    LabLoop,
    SoapClient,
    assert_valid,
    body_element,
    fault_codes,
)

from provision.lab.faults import Faults
from provision.lab.nvr_history import DISK_FULL_DAYS
from provision.lab.onvif_recorder import OnvifRecorder
from provision.lab.onvif_search import iso

PASSWORD = "rec-S3cret"
CAMERAS = {"10.9.0.11": 2048, "10.9.0.12": 4096}
NOW = 1_790_000_000.0
TRC = "http://www.onvif.org/ver10/recording/wsdl"
TSE = "http://www.onvif.org/ver10/search/wsdl"
TRV = "http://www.onvif.org/ver10/receiver/wsdl"
NS = {"trc": TRC, "tse": TSE, "trv": TRV, "tt": "http://www.onvif.org/ver10/schema"}
DECLARE = f'xmlns:trc="{TRC}" xmlns:tse="{TSE}" xmlns:trv="{TRV}"'


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class RecorderClient(SoapClient):
    """The camera tests' raw SOAP client, its tokens stamped in the recorder's (test) clock."""

    def __init__(self, rec: OnvifRecorder, password: str = PASSWORD) -> None:
        self.base = f"http://{rec.host}:{rec.endpoints()['http']}"
        self.user, self.password = "admin", password
        self.session = requests.Session()
        self.clock = rec.settings.clock

    def post(self, path: str, body: str, header: str | None = None) -> requests.Response:
        self.skew = datetime.fromtimestamp(self.clock(), UTC) - datetime.now(UTC)
        return super().post(path, body, header)

    def call(self, service: str, body: str) -> etree._Element:
        name = re.match(r"<[\w:]+", body)
        assert name is not None
        body = f"{name[0]} {DECLARE}{body[name.end() :]}"
        return body_element(self.post(f"/onvif/{service}_service", body))


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def rec(lab: LabLoop, clock: Clock) -> Iterator[OnvifRecorder]:
    recorder = OnvifRecorder(
        "lab-rec",
        "127.0.0.1",
        faults=Faults(),
        cameras=CAMERAS,
        disks_tb=(8.0, 8.0),
        http_port=0,
        admin=("admin", PASSWORD),
        max_recordings=2,
        now=NOW,
    )
    recorder.settings.clock = clock
    lab.run(recorder.start())
    yield recorder
    lab.run(recorder.stop())


@pytest.fixture(scope="module")
def outages(rec: OnvifRecorder) -> dict[int, list[tuple[float, float]]]:
    """The history the recorder started with, which each test starts from again."""
    return {c: list(o) for c, o in rec.settings.index.outages.items()}


@pytest.fixture
def client(
    rec: OnvifRecorder, lab: LabLoop, clock: Clock, outages: dict[int, list[tuple[float, float]]]
) -> RecorderClient:
    def fresh() -> None:
        rec.settings.index.outages = {c: list(o) for c, o in outages.items()}
        rec.settings.recordings.clear()
        rec.settings.jobs.clear()
        rec.settings.receivers.clear()
        rec.settings.searches.clear()
        rec.faults.clear()
        rec.settings.sync_faults()

    clock.now = NOW
    lab.call(fresh)
    return RecorderClient(rec)


def receiver_body(host: str) -> str:
    return (
        "<trv:CreateReceiver><trv:Configuration><tt:Mode>AlwaysConnect</tt:Mode><tt:MediaUri>"
        f"rtsp://admin:cam-pw@{host}:554/Streaming/Channels/101</tt:MediaUri><tt:StreamSetup>"
        "<tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol>"
        "</tt:Transport></tt:StreamSetup></trv:Configuration></trv:CreateReceiver>"
    )


def recording_body(host: str, name: str) -> str:
    return (
        "<trc:CreateRecording><trc:RecordingConfiguration><tt:Source><tt:SourceId>"
        f"http://{host}/onvif/device_service</tt:SourceId><tt:Name>{name}</tt:Name><tt:Location>"
        "school</tt:Location><tt:Description>gate</tt:Description><tt:Address>"
        f"rtsp://{host}:554/Streaming/Channels/101</tt:Address></tt:Source><tt:Content>x"
        "</tt:Content><tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime>"
        "</trc:RecordingConfiguration></trc:CreateRecording>"
    )


def job_body(recording: str, receiver: str, mode: str = "Active") -> str:
    return (
        f"<trc:CreateRecordingJob><trc:JobConfiguration><tt:RecordingToken>{recording}"
        f"</tt:RecordingToken><tt:Mode>{mode}</tt:Mode><tt:Priority>1</tt:Priority><tt:Source>"
        f"<tt:SourceToken><tt:Token>{receiver}</tt:Token></tt:SourceToken><tt:Tracks>"
        "<tt:SourceTag>video</tt:SourceTag><tt:Destination>VIDEO001</tt:Destination></tt:Tracks>"
        "</tt:Source></trc:JobConfiguration></trc:CreateRecordingJob>"
    )


def record(client: RecorderClient, host: str, name: str) -> tuple[str, str]:
    """(recording, job) of a camera recorded by an Active job, as the driver sets it up."""
    made = client.call("receiver", receiver_body(host))
    receiver = made.findtext("trv:Receiver/tt:Token", namespaces=NS)
    recording = client.call("recording", recording_body(host, name)).findtext(
        "trc:RecordingToken", namespaces=NS
    )
    job = client.call("recording", job_body(recording, receiver)).findtext(
        "trc:JobToken", namespaces=NS
    )
    return recording, job


def information(client: RecorderClient, recording: str) -> etree._Element:
    return client.call(
        "search",
        f"<tse:GetRecordingInformation><tse:RecordingToken>{recording}</tse:RecordingToken>"
        "</tse:GetRecordingInformation>",
    )


def edges(client: RecorderClient, recording: str) -> tuple[float, float]:
    info = information(client, recording)
    return tuple(  # type: ignore[return-value]
        datetime.fromisoformat(
            info.findtext(f"tse:RecordingInformation/tt:{edge}", namespaces=NS).replace(
                "Z", "+00:00"
            )
        ).timestamp()
        for edge in ("EarliestRecording", "LatestRecording")
    )


def test_every_answer_follows_the_wsdls_schemas(client: RecorderClient) -> None:
    recording, job = record(client, "10.9.0.11", "gate-face")
    for op in ("GetServices", "GetCapabilities", "GetDeviceInformation", "GetSystemDateAndTime"):
        body = "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability>"
        body = body + "</tds:GetServices>" if op == "GetServices" else f"<tds:{op}/>"
        assert_valid("devicemgmt", client.device(body))
    assert_valid("receiver", client.call("receiver", "<trv:GetReceivers/>"))
    assert_valid("recording", client.call("recording", "<trc:GetRecordings/>"))
    assert_valid("recording", client.call("recording", "<trc:GetRecordingJobs/>"))
    state = (
        f"<trc:GetRecordingJobState><trc:JobToken>{job}</trc:JobToken></trc:GetRecordingJobState>"
    )
    assert_valid("recording", client.call("recording", state))
    assert_valid("search", client.call("search", "<tse:GetRecordingSummary/>"))
    assert_valid("search", information(client, recording))
    search = client.call(
        "search",
        "<tse:FindRecordings><tse:Scope/><tse:KeepAliveTime>PT10S</tse:KeepAliveTime>"
        "</tse:FindRecordings>",
    )
    assert_valid("search", search)
    token = search.findtext("tse:SearchToken", namespaces=NS)
    results = client.call(
        "search",
        f"<tse:GetRecordingSearchResults><tse:SearchToken>{token}</tse:SearchToken>"
        "</tse:GetRecordingSearchResults>",
    )
    assert_valid("search", results)
    assert results.findtext("tse:ResultList/tt:SearchState", namespaces=NS) == "Completed"


def test_the_receivers_password_is_write_only(client: RecorderClient, rec: OnvifRecorder) -> None:
    record(client, "10.9.0.11", "gate-face")
    answer = etree.tostring(client.call("receiver", "<trv:GetReceivers/>")).decode()
    assert "rtsp://admin@10.9.0.11:554/Streaming/Channels/101" in answer
    assert "cam-pw" not in answer
    assert [r.password for r in rec.settings.receivers.values()] == ["cam-pw"]


def test_refusals_carry_the_specifications_fault_codes(
    client: RecorderClient, rec: OnvifRecorder
) -> None:
    wrong = RecorderClient(rec, password="wrong")
    assert fault_codes(wrong.call("recording", "<trc:GetRecordings/>")) == [
        "env:Sender",
        "ter:NotAuthorized",
    ]
    gone = (
        "<trc:DeleteRecording><trc:RecordingToken>nope</trc:RecordingToken></trc:DeleteRecording>"
    )
    assert fault_codes(client.call("recording", gone))[1:] == [
        "ter:InvalidArgVal",
        "ter:NoRecording",
    ]
    assert fault_codes(information(client, "nope"))[1:] == ["ter:InvalidArgVal", "ter:InvalidToken"]
    record(client, "10.9.0.11", "gate-face")
    record(client, "10.9.0.12", "gate-plaza")
    full = client.call("recording", recording_body("10.9.0.13", "third"))
    assert fault_codes(full) == ["env:Receiver", "ter:Action", "ter:MaxRecordings"]
    [recording] = [t for t, r in rec.settings.recordings.items() if r.source.name == "gate-face"]
    [receiver] = list(rec.settings.receivers)[:1]
    bad = client.call("recording", job_body(recording, receiver, mode="Sometimes"))
    assert fault_codes(bad)[1:] == ["ter:InvalidArgVal", "ter:BadConfiguration"]
    unknown = client.call("search", "<tse:FindPTZPosition/>")
    assert fault_codes(unknown)[:2] == ["env:Receiver", "ter:ActionNotSupported"]
    broken = body_element(client.post("/onvif/recording_service", "<trc:GetRecordings>"))
    assert fault_codes(broken)[1] == "ter:WellFormed"


def test_search_results_come_in_pages_until_completed(client: RecorderClient) -> None:
    record(client, "10.9.0.11", "gate-face")
    record(client, "10.9.0.12", "gate-plaza")
    token = client.call(
        "search",
        "<tse:FindRecordings><tse:Scope/><tse:KeepAliveTime>PT10S</tse:KeepAliveTime>"
        "</tse:FindRecordings>",
    ).findtext("tse:SearchToken", namespaces=NS)
    page = (
        f"<tse:GetRecordingSearchResults><tse:SearchToken>{token}</tse:SearchToken>"
        "<tse:MaxResults>1</tse:MaxResults></tse:GetRecordingSearchResults>"
    )
    states = []
    for _ in range(2):
        result = client.call("search", page).find("tse:ResultList", namespaces=NS)
        states.append(result.findtext("tt:SearchState", namespaces=NS))
        assert len(result.findall("tt:RecordingInformation", namespaces=NS)) == 1
    assert states == ["Searching", "Completed"]
    assert fault_codes(client.call("search", page))[2] == "ter:InvalidToken"  # session over


def test_the_index_follows_the_jobs_and_the_recording_faults(
    client: RecorderClient, rec: OnvifRecorder, lab: LabLoop, clock: Clock
) -> None:
    recording, job = record(client, "10.9.0.11", "gate-face")
    oldest, newest = edges(client, recording)
    assert newest == NOW and (NOW - oldest) / 86400 == pytest.approx(40, abs=0.01)
    idle = f"<trc:SetRecordingJobMode><trc:JobToken>{job}</trc:JobToken><trc:Mode>Idle</trc:Mode>"
    client.call("recording", idle + "</trc:SetRecordingJobMode>")
    clock.now = NOW + 7200  # two hours on, the Idle job has recorded nothing
    assert edges(client, recording)[1] == NOW
    active = idle.replace(">Idle<", ">Active<") + "</trc:SetRecordingJobMode>"
    client.call("recording", active)
    clock.now = later = NOW + 7800  # recording again for ten minutes
    assert edges(client, recording)[1] == later
    # The two hours stay in the history: the track's data stopped, then came back.
    assert history(client, recording, NOW - 3600) == [(NOW, False), (NOW + 7200, True)]
    rec.faults.update({"recording_gap": ["gate-face:6"]})
    assert edges(client, recording)[1] == later - 6 * 3600
    rec.faults.update({"recording_gap": [], "disk_full": True})
    oldest, _newest = edges(client, recording)
    assert (later - oldest) / 86400 == pytest.approx(DISK_FULL_DAYS, abs=0.01)
    rec.faults.update({"disk_full": False, "hdd_fail": True})
    lab.call(rec.settings.sync_faults)
    state = (
        f"<trc:GetRecordingJobState><trc:JobToken>{job}</trc:JobToken></trc:GetRecordingJobState>"
    )
    answer = client.call("recording", state)
    assert answer.findtext("trc:State/tt:State", namespaces=NS) == "Error"
    clock.now = NOW + 3 * 7200
    assert edges(client, recording)[1] == later  # nothing since the disk failed


def history(client: RecorderClient, recording: str, start: float) -> list[tuple[float, bool]]:
    """(time, IsDataPresent) of the recording's track-state events since `start`."""
    token = client.call(
        "search",
        f"<tse:FindEvents><tse:StartPoint>{iso(start)}</tse:StartPoint><tse:Scope>"
        f"<tt:IncludedRecordings>{recording}</tt:IncludedRecordings></tse:Scope>"
        "<tse:SearchFilter/><tse:IncludeStartState>false</tse:IncludeStartState>"
        "<tse:KeepAliveTime>PT10S</tse:KeepAliveTime></tse:FindEvents>",
    ).findtext("tse:SearchToken", namespaces=NS)
    answer = client.call(
        "search",
        f"<tse:GetEventSearchResults><tse:SearchToken>{token}</tse:SearchToken>"
        "</tse:GetEventSearchResults>",
    )
    assert_valid("search", answer)
    out = []
    for result in answer.iterfind("tse:ResultList/tt:Result", namespaces=NS):
        at = datetime.fromisoformat(
            result.findtext("tt:Time", namespaces=NS).replace("Z", "+00:00")
        )
        [item] = [i for i in result.iter("{*}SimpleItem") if i.get("Name") == "IsDataPresent"]
        out.append((at.timestamp(), item.get("Value") == "true"))
    return out


def test_the_history_events_start_with_the_state_at_the_start_point(
    client: RecorderClient,
) -> None:
    recording, _job = record(client, "10.9.0.12", "gate-plaza")
    token = client.call(
        "search",
        f"<tse:FindEvents><tse:StartPoint>{iso(NOW - 86400)}</tse:StartPoint><tse:Scope/>"
        "<tse:SearchFilter/><tse:IncludeStartState>true</tse:IncludeStartState>"
        "<tse:KeepAliveTime>PT10S</tse:KeepAliveTime></tse:FindEvents>",
    ).findtext("tse:SearchToken", namespaces=NS)
    page = (
        f"<tse:GetEventSearchResults><tse:SearchToken>{token}</tse:SearchToken>"
        "<tse:MaxResults>1</tse:MaxResults></tse:GetEventSearchResults>"
    )
    first = client.call("search", page)
    assert_valid("search", first)
    [result] = first.iterfind("tse:ResultList/tt:Result", namespaces=NS)
    assert result.findtext("tt:StartStateEvent", namespaces=NS) == "true"
    assert result.findtext("tt:RecordingToken", namespaces=NS) == recording
