"""The recording audit's disk finding, below the lab: a failed disk in an array that survives
it is a warning (degraded, nothing lost), a failed disk used on its own a failure; and the
recorder driver reads the array from the Storage document the lab NVR answers."""

from __future__ import annotations

from lxml import etree

from provision.drivers.recorder_recordings import arrays, disks
from provision.inventory.model import Recorder
from provision.verify.checks.recording import _disks

NVR = Recorder("nvr-1", "10.0.0.9", (), None, (4.0, 4.0, 4.0), raid_level="raid5")
NS = "http://www.hikvision.com/ver20/XMLSchema"


def storage(raid: str) -> etree._Element:
    hdds = "".join(
        f"<hdd><id>{i}</id><status>{'error' if i == 1 else 'ok'}</status>"
        f"<capacity>3814697</capacity><freeSpace>0</freeSpace></hdd>"
        for i in (1, 2, 3)
    )
    return etree.fromstring(
        f'<storage version="2.0" xmlns="{NS}"><hddList>{hdds}</hddList>{raid}</storage>'
    )


DEGRADED = (
    "<raidList><raid><id>1</id><raidLevel>raid5</raidLevel><status>Degraded</status>"
    "<capacity>7629394</capacity><memberList><hddID>1</hddID><hddID>2</hddID><hddID>3</hddID>"
    "</memberList><failedList><hddID>1</hddID></failedList></raid></raidList>"
)


def test_a_degraded_array_warns_that_nothing_is_lost_yet() -> None:
    doc = storage(DEGRADED)
    [array] = arrays(doc)
    assert array == {
        "id": "1",
        "level": "raid5",
        "status": "Degraded",
        "capacity_tb": 8.0,
        "failed": ["1"],
    }
    found = _disks(NVR, disks(doc), [array])
    assert found.verdict == "warn"
    assert found.message == (
        "disk(s) 1 failed; array 1 (raid5) is degraded: nothing is lost and its capacity is "
        "unchanged, but one more failure loses it; replace the disk(s) now"
    )


def test_a_failed_disk_without_redundancy_fails() -> None:
    doc = storage("")
    assert arrays(doc) == []
    found = _disks(NVR, disks(doc), [])
    assert found.verdict == "fail"
    assert found.message == "disk 1 reports error: replace it (what it held is lost)"


def test_a_lost_array_fails() -> None:
    offline = DEGRADED.replace("Degraded", "Offline")
    found = _disks(NVR, disks(storage(offline)), arrays(storage(offline)))
    assert found.verdict == "fail"
