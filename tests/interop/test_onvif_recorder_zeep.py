"""The lab's ONVIF Profile G recorder judged by onvif-zeep (its ONVIFCamera and the recording,
search and receiver WSDLs it ships, zeep deserialising every answer strictly): a recording set
up and read back as a Profile G client does it, the search's oldest and newest video, and the
faults a real recorder answers.

onvif-zeep finds service addresses in GetCapabilities' top-level categories only, where a
recorder's Recording, Search and Receiver are under Extension; so, as its users do, the test
fills `xaddrs` from GetServices before creating those services. One recorder for the module.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError

from provision.lab.faults import Faults
from provision.lab.onvif_recorder import OnvifRecorder

USER, PASSWORD = "admin", "Rec0rder-pw"
CAMERA = "10.9.0.21"


def wsdl_dir() -> str:
    import onvif

    return str(Path(onvif.__file__).resolve().parent.parent / "wsdl")


@pytest.fixture(scope="module")
def rec() -> Iterator[OnvifRecorder]:
    loop = LabLoop()
    recorder = OnvifRecorder(
        "interop-rec",
        "127.0.0.1",
        faults=Faults(),
        cameras={CAMERA: 4096},
        disks_tb=(4.0,),
        http_port=0,
        admin=(USER, PASSWORD),
        max_recordings=1,
    )
    loop.run(recorder.start())
    yield recorder
    loop.run(recorder.stop())
    loop.close()


def profile_g(rec: OnvifRecorder, password: str = PASSWORD) -> ONVIFCamera:
    cam = ONVIFCamera(rec.host, rec.endpoints()["http"], USER, password, wsdl_dir())
    for service in cam.devicemgmt.GetServices({"IncludeCapability": False}):
        cam.xaddrs[service.Namespace] = service.XAddr
    return cam


def test_onvif_zeep_sets_up_a_recording_and_reads_it_back(rec: OnvifRecorder) -> None:
    cam = profile_g(rec)
    receivers = cam.create_receiver_service()
    recording = cam.create_recording_service()
    search = cam.create_search_service()
    receiver = receivers.CreateReceiver(
        {
            "Configuration": {
                "Mode": "AlwaysConnect",
                "MediaUri": f"rtsp://admin:cam-pw@{CAMERA}:554/Streaming/Channels/101",
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
            }
        }
    )
    token = recording.CreateRecording(
        {
            "RecordingConfiguration": {
                "Source": {
                    "SourceId": f"http://{CAMERA}/onvif/device_service",
                    "Name": "gate-face",
                    "Location": "school",
                    "Description": "gate",
                    "Address": f"rtsp://{CAMERA}:554/Streaming/Channels/101",
                },
                "Content": "gate-face",
                "MaximumRetentionTime": "PT0S",
            }
        }
    )
    job = recording.CreateRecordingJob(
        {
            "JobConfiguration": {
                "RecordingToken": token,
                "Mode": "Active",
                "Priority": 1,
                "Source": [
                    {
                        "SourceToken": {"Token": receiver.Token},
                        "Tracks": [{"SourceTag": "video", "Destination": "VIDEO001"}],
                    }
                ],
            }
        }
    )
    [item] = recording.GetRecordings()
    assert item.Configuration.Source.Name == "gate-face"
    assert [t.TrackToken for t in item.Tracks.Track] == ["VIDEO001", "AUDIO001", "META001"]
    [held] = recording.GetRecordingJobs()
    assert (held.JobToken, held.JobConfiguration.Mode) == (job.JobToken, "Active")
    assert recording.GetRecordingJobState({"JobToken": job.JobToken}).State == "Active"
    [listed] = receivers.GetReceivers()
    assert "cam-pw" not in listed.Configuration.MediaUri  # write-only

    search_token = search.FindRecordings({"Scope": {}, "KeepAliveTime": "PT10S"})
    results = search.GetRecordingSearchResults({"SearchToken": search_token, "MaxResults": 10})
    assert results.SearchState == "Completed"
    [info] = results.RecordingInformation
    days = (time.time() - _epoch(info.EarliestRecording)) / 86400
    assert days == pytest.approx(40, abs=0.1)  # the lab's history
    assert time.time() - _epoch(info.LatestRecording) < 60
    assert {t.TrackType for t in info.Track} == {"Video", "Audio", "Metadata"}
    summary = search.GetRecordingSummary()
    assert summary.NumberRecordings == 1
    same = search.GetRecordingInformation({"RecordingToken": token})
    assert same.EarliestRecording == info.EarliestRecording

    with pytest.raises(ONVIFError, match=r"MaxRecordings|maximum"):
        recording.CreateRecording({"RecordingConfiguration": _config("second")})
    with pytest.raises(ONVIFError, match="no recording"):
        recording.DeleteRecording({"RecordingToken": "nope"})
    recording.DeleteRecording({"RecordingToken": token})
    assert recording.GetRecordings() == [] and recording.GetRecordingJobs() == []


def test_onvif_zeep_with_a_wrong_password_is_not_authorized(rec: OnvifRecorder) -> None:
    with pytest.raises(ONVIFError, match=r"[Nn]ot Authorized"):
        profile_g(rec, password="wrong")


def _config(name: str) -> dict[str, Any]:
    return {
        "Source": {
            "SourceId": "x",
            "Name": name,
            "Location": "",
            "Description": "",
            "Address": f"rtsp://{CAMERA}/",
        },
        "Content": "",
        "MaximumRetentionTime": "PT0S",
    }


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
