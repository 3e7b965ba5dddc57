"""MANSCDP XML bodies (GB/T 28181-2016 §9 and Appendix A): Keepalive, Catalog query/response,
and the alarm notification (§9.4: `<Notify><CmdType>Alarm</CmdType>` with AlarmPriority 1-4,
AlarmMethod 1-7, AlarmTime, AlarmDescription; WVP-PRO reads exactly these in
AlarmNotifyMessageHandler.java, its DeviceID being the alarm channel).

Devices send these in SIP MESSAGE bodies of type `Application/MANSCDP+xml`, most of them in
GB2312 (the standard's examples declare it), some in UTF-8; WVP-PRO keeps a charset per device
for that reason (`Device.charset`, default GB2312 in RegisterRequestProcessor.java). Python's
XML parser cannot read multi-byte legacy encodings itself, so `parse` decodes the bytes with
the declared codec first (GB18030, a superset of GB2312, so a device that strays beyond
GB2312 still reads) and parses the text.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

CONTENT_TYPE = "Application/MANSCDP+xml"
DECLARED = re.compile(rb'^\s*<\?xml[^>]*encoding\s*=\s*["\']([A-Za-z0-9_\-]+)["\'][^>]*\?>')
CODECS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "utf-8": "utf-8"}


class ManscdpError(ValueError):
    """A body that is not MANSCDP XML."""


@dataclass(frozen=True, slots=True)
class Channel:
    device_id: str
    name: str
    civil_code: str = ""
    parent_id: str = ""
    status: str = "ON"
    manufacturer: str = "provision-lab"


def encode(root: ET.Element, charset: str = "GB2312") -> bytes:
    text = ET.tostring(root, encoding="unicode")
    declaration = f'<?xml version="1.0" encoding="{charset}"?>\r\n'
    return (declaration + text + "\r\n").encode(CODECS.get(charset.lower(), charset))


def parse(body: bytes) -> ET.Element:
    found = DECLARED.match(body)
    charset = found.group(1).decode().lower() if found else "utf-8"
    try:
        text = body.decode(CODECS.get(charset, charset))
        return ET.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    except (LookupError, UnicodeDecodeError, ET.ParseError) as exc:
        raise ManscdpError(f"not MANSCDP XML ({charset}): {exc}") from exc


def _element(tag: str, fields: dict[str, str]) -> ET.Element:
    root = ET.Element(tag)
    for name, value in fields.items():
        ET.SubElement(root, name).text = value
    return root


def keepalive(device_id: str, sn: int) -> ET.Element:
    return _element(
        "Notify", {"CmdType": "Keepalive", "SN": str(sn), "DeviceID": device_id, "Status": "OK"}
    )


def catalog_query(device_id: str, sn: int) -> ET.Element:
    return _element("Query", {"CmdType": "Catalog", "SN": str(sn), "DeviceID": device_id})


def catalog_response(device_id: str, sn: int, channels: list[Channel]) -> ET.Element:
    root = _element(
        "Response",
        {"CmdType": "Catalog", "SN": str(sn), "DeviceID": device_id, "SumNum": str(len(channels))},
    )
    items = ET.SubElement(root, "DeviceList", Num=str(len(channels)))
    for ch in channels:
        item = ET.SubElement(items, "Item")
        for name, value in (
            ("DeviceID", ch.device_id),
            ("Name", ch.name),
            ("Manufacturer", ch.manufacturer),
            ("Owner", "Owner"),
            ("CivilCode", ch.civil_code),
            ("Parental", "0"),
            ("ParentID", ch.parent_id or device_id),
            ("SafetyWay", "0"),
            ("RegisterWay", "1"),
            ("Secrecy", "0"),
            ("Status", ch.status),
        ):
            ET.SubElement(item, name).text = value
    return root


# AlarmMethod (报警方式) in GB/T 28181-2016's Appendix A schema: 1 telephone, 2 device, 3 SMS,
# 4 GPS, 5 video, 6 device fault, 7 other (as WVP-PRO's DeviceAlarmMethod enumerates them; the
# exact clause number was not confirmed). A button wired to an alarm input is a device alarm.
ALARM_METHOD_DEVICE = "2"
ALARM_PRIORITY_FIRST = "1"  # 一级警情, the highest of 1-4
ALARM_TIME = "%Y-%m-%dT%H:%M:%S"  # xs:dateTime as devices send it (WVP parses no fraction)


def alarm_notify(channel_id: str, sn: int, at: float, description: str = "一键报警") -> ET.Element:
    """A button press as the device reports it: a first-priority device alarm of `channel_id`
    (the alarm input's ID) at `at` (epoch seconds, the device's clock)."""
    return _element(
        "Notify",
        {
            "CmdType": "Alarm",
            "SN": str(sn),
            "DeviceID": channel_id,
            "AlarmPriority": ALARM_PRIORITY_FIRST,
            "AlarmMethod": ALARM_METHOD_DEVICE,
            "AlarmTime": time.strftime(ALARM_TIME, time.localtime(at)),
            "AlarmDescription": description,
        },
    )


def text(root: ET.Element, tag: str) -> str:
    return (root.findtext(tag) or "").strip()


def channels(root: ET.Element) -> list[Channel]:
    """The channels of a Catalog response."""
    return [
        Channel(
            device_id=text(item, "DeviceID"),
            name=text(item, "Name"),
            civil_code=text(item, "CivilCode"),
            parent_id=text(item, "ParentID"),
            status=text(item, "Status") or "ON",
            manufacturer=text(item, "Manufacturer"),
        )
        for item in root.iter("Item")
    ]
