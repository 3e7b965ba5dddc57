#!/usr/bin/env python3
"""Benchmark: provision N lab cameras from factory state, per protocol, then re-apply.

    .venv/bin/python bench/apply.py                   # N = 100 and 1,000 (a few minutes)
    .venv/bin/python bench/apply.py --cameras 100     # one size
    .venv/bin/python bench/apply.py --naive 20        # a shorter naive run
    .venv/bin/python bench/apply.py --protocols isapi # Hikvision ISAPI cameras only
    .venv/bin/python bench/apply.py --cameras 20 --ways provision,floor --protocols isapi,dahua

Each protocol (ONVIF, Hikvision ISAPI, Dahua CGI) is measured on its own cameras against its
own floor, in the same run. For ISAPI the floor is bench/isapi_floor.py: the same resources over
one raw socket, Digest by hand, documents from templates; for Dahua bench/dahua_floor.py: the
same CGI requests over one raw socket, Digest by hand, `key=value` answers split by hand.
There is no naive way for ISAPI or Dahua.

Cameras are the first N of a generated city (provision.citygen), simulated by one lab process
on their own 127.x addresses. Per camera, "apply" is read + diff + apply + read again to verify
(factory → desired: hostname, NTP, clock, encoder, OSD, two accounts); "re-apply" is a fresh
session's read + diff, which finds nothing to do. Workers: a thread pool (16 by default), as
the task layer runs devices. Each way runs in its own client process against a freshly started
lab, so CPU, peak memory and the lab's own CPU are its own:

  provision  CameraDriver: WSDLs parsed once per process, zeep-built requests, lean HTTP;
  floor      the same SOAP envelopes with no SOAP library: XML and WS-Security written by
             hand, raw sockets, lxml to read answers (what any ONVIF client must at least do);
  naive      onvif-zeep as documented: one ONVIFCamera per camera and session (a new one to
             verify, since the camera's clock jumps when NTP is set), on the first --naive.

Prints per-camera client CPU and wall time (phase time / cameras, workers in parallel), SOAP
exchanges per camera, peak RSS, the lab's CPU per camera, and the ratios. A benchmark, not a
test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.camera import CameraDriver
from provision.drivers.registry import driver_class
from provision.inventory.loader import load_inventory
from provision.inventory.model import Camera, City, School
from provision.lab.connector import LabConnector

Pair = tuple[School, Camera]
WAYS = ("provision", "floor", "naive")


DAHUA_MODEL = "DH-IPC-HFW2441S-S"


def first_cameras(city: City, count: int, protocol: str = "onvif") -> list[Pair]:
    pairs = [
        (s, cam)
        for s in city.schools
        for cam in s.cameras
        if cam.protocol == protocol and (protocol != "dahua" or cam.model == DAHUA_MODEL)
    ]
    if len(pairs) < count:
        raise SystemExit(f"the city has {len(pairs)} {protocol} cameras, fewer than {count}")
    return pairs[:count]


def make_city(out: Path, count: int, protocols: list[str]) -> None:
    from provision.citygen import write_city

    schools = max(4, count // 20)
    while True:
        write_city(out, schools)
        city = load_inventory(out).city
        assert city is not None
        cams = [c for s in city.schools for c in s.cameras]
        wanted = {"isapi" if p == "dahua" else p for p in protocols}  # see dahua_city
        if all(sum(c.protocol == p for c in cams) >= count for p in wanted):
            if "dahua" in protocols:
                dahua_city(out)
            return
        schools += max(1, schools // 4)


def dahua_city(city: Path) -> Path:
    """The same city with Dahua cameras wherever it has the default Hikvision model: a generated
    city has Dahua cameras in one school only, too few to measure."""
    out = city.parent / "city-dahua"
    if not out.exists():
        shutil.copytree(city, out)
        text = (out / "city.yaml").read_text(encoding="utf-8")
        default = "    protocol: isapi\n    model: DS-2CD2T47G2-L\n"
        assert default in text, "the generated city's camera defaults changed"
        dahua = f"    protocol: dahua\n    model: {DAHUA_MODEL}\n"
        (out / "city.yaml").write_text(text.replace(default, dahua, 1), encoding="utf-8")
    return out


# --- the lab process -------------------------------------------------------------------------


async def serve_lab(city_dir: Path, count: int, protocol: str) -> None:
    """Start the first `count` cameras, say so, serve until stdin closes, report own CPU."""
    from provision.lab.runtime import Lab, _raise_fd_limit

    city = load_inventory(city_dir).city
    assert city is not None
    lab = Lab(city, city.schools, Path(tempfile.mkdtemp()))
    lab.build()
    pairs = first_cameras(city, count, protocol)
    sims = [lab.devices[f"{s.id}/{c.name}"].sim for s, c in pairs]
    _raise_fd_limit(len(sims) * 2 + 256)
    for i in range(0, len(sims), 200):
        await asyncio.gather(*(sim.start() for sim in sims[i : i + 200]))
    print(json.dumps({"ready": len(sims)}), flush=True)
    cpu = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps({"lab_cpu_s": time.process_time() - cpu}), flush=True)
    await asyncio.gather(*(sim.stop() for sim in sims))


# --- provision's way -------------------------------------------------------------------------


def camera_driver(city: City, school: School, cam: Camera, connector: LabConnector) -> Any:
    return driver_class("camera", cam.protocol)(Target(city, school, cam, connector))


def exchanges(driver: Any) -> int:
    """Requests the driver's session sent (the Dahua driver calls its session `_cgi`)."""
    session = driver._cgi() if hasattr(driver, "_cgi") else driver._session()
    return int(getattr(session, "exchanges", 0))  # 0: a session that does not count


def provision_camera(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    driver = camera_driver(city, school, cam, connector)
    try:
        converge(driver)
        return exchanges(driver)
    finally:
        driver.close()


def provision_again(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    driver = camera_driver(city, school, cam, connector)
    try:
        if driver.diff(driver.read(), driver.desired()):
            raise AssertionError(f"{driver.label}: not converged")
        return exchanges(driver)
    finally:
        driver.close()


def converge(driver: Driver) -> None:
    want = driver.desired()
    driver.apply(driver.diff(driver.read(), want))
    left = driver.diff(driver.read(), want)
    if left:
        raise AssertionError(f"not converged: {[c.describe() for c in left]}")


# --- the floor: the same envelopes, no SOAP library --------------------------------------------

SOAP = "http://www.w3.org/2003/05/soap-envelope"
TT = "{http://www.onvif.org/ver10/schema}"
TDS = "{http://www.onvif.org/ver10/device/wsdl}"
MEDIA2_NS = "http://www.onvif.org/ver20/media/wsdl"
_HEAD = (
    f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP}"'
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    ' xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
    ' xmlns:tr2="http://www.onvif.org/ver20/media/wsdl"'
    ' xmlns:tt="http://www.onvif.org/ver10/schema"><s:Header>'
)
_WSSE = (
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
    'wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-'
    'wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken><wsse:Username>{user}</wsse:Username>'
    '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-'
    'token-profile-1.0#PasswordDigest">{digest}</wsse:Password><wsse:Nonce>{nonce}</wsse:Nonce>'
    "<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
)


class RawOnvif:
    """Hand-written SOAP over one socket: the least any ONVIF client has to do."""

    def __init__(self, address: tuple[str, int], user: str, password: str) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.user, self.password, self.offset, self.calls = user, password.encode(), 0.0, 0
        self.media_path = self.media2_path = ""

    def call(self, path: str, body: str, auth: bool = True) -> etree._Element:
        header = ""
        if auth:
            created = (datetime.now(UTC) + timedelta(seconds=self.offset)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            nonce = os.urandom(16)
            digest = hashlib.sha1(nonce + created.encode() + self.password).digest()
            header = _WSSE.format(
                user=self.user,
                digest=base64.b64encode(digest).decode(),
                nonce=base64.b64encode(nonce).decode(),
                created=created,
            )
        data = f"{_HEAD}{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>".encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: camera\r\nContent-Type: application/soap+xml; "
            f"charset=utf-8\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + data)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self.sock.recv(65536)
        head_bytes, _, rest = buf.partition(b"\r\n\r\n")
        length = int(head_bytes.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.calls += 1
        answer = etree.fromstring(rest)[-1][0]
        if answer.tag == f"{{{SOAP}}}Fault":
            said = " ".join(t.strip() for t in answer.itertext() if t.strip())
            raise RuntimeError(f"fault: {said[:300]}")
        return answer

    def device(self, body: str, auth: bool = True) -> etree._Element:
        return self.call("/onvif/device_service", body, auth)

    def media(self, body: str) -> etree._Element:
        if not self.media_path:
            caps = self.device(
                "<tds:GetCapabilities><tds:Category>Media</tds:Category></tds:GetCapabilities>"
            )
            xaddr = caps.findtext(f".//{TT}Media/{TT}XAddr") or ""
            self.media_path = "/" + xaddr.split("/", 3)[3]
        return self.call(self.media_path, body)

    def media2(self, body: str) -> etree._Element:
        """Media2 (ver20), found in GetServices as any client finds it: H.265 is set there."""
        if not self.media2_path:
            services = self.device(
                "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability>"
                "</tds:GetServices>"
            )
            for service in services:
                if service.findtext(f"{TDS}Namespace") == MEDIA2_NS:
                    self.media2_path = (
                        "/" + (service.findtext(f"{TDS}XAddr") or "").split("/", 3)[3]
                    )
            assert self.media2_path, "the camera lists no Media2 service"
        return self.call(self.media2_path, body)

    def clock(self) -> etree._Element:
        sent = time.time()
        answer = self.device("<tds:GetSystemDateAndTime/>", auth=False)
        utc = answer.find(f".//{TT}UTCDateTime")
        assert utc is not None
        parts = [int(utc.findtext(f".//{TT}{n}") or 0) for n in ("Year", "Month", "Day")]
        parts += [int(utc.findtext(f".//{TT}{n}") or 0) for n in ("Hour", "Minute", "Second")]
        stamp = datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]
        self.offset = stamp + 0.5 - (sent + time.time()) / 2
        return answer


def floor_read(raw: RawOnvif) -> tuple[Settings, dict[str, Any]]:
    clock = raw.clock()
    profile = raw.media("<trt:GetProfiles/>")[0]
    enc = profile.find(f"{TT}VideoEncoderConfiguration")
    source = profile.find(f"{TT}VideoSourceConfiguration")
    assert enc is not None and source is not None
    osds = raw.media(
        f"<trt:GetOSDs><trt:ConfigurationToken>{source.get('token')}</trt:ConfigurationToken>"
        "</trt:GetOSDs>"
    )
    users = raw.device("<tds:GetUsers/>")
    # The encoder as Media2 has it (H.265 lives there), the one the profile uses.
    enc = next(
        c
        for c in raw.media2("<tr2:GetVideoEncoderConfigurations/>")
        if c.get("token") == enc.get("token")
    )
    codec = enc.findtext(f"{TT}Encoding") or ""
    settings: Settings = {
        "hostname": raw.device("<tds:GetHostname/>").findtext(f".//{TT}Name"),
        "ntp": [e.text for e in raw.device("<tds:GetNTP/>").iter(f"{TT}IPv4Address")],
        "clock.source": clock.findtext(f".//{TT}DateTimeType"),
        "clock.timezone": clock.findtext(f".//{TT}TZ"),
        "encoder.main.resolution": "{}x{}".format(
            enc.findtext(f"{TT}Resolution/{TT}Width"), enc.findtext(f"{TT}Resolution/{TT}Height")
        ),
        "encoder.main.codec": {"H264": "H.264", "H265": "H.265"}.get(codec, codec),
        "encoder.main.fps": int(enc.findtext(f"{TT}RateControl/{TT}FrameRateLimit") or 0),
        "encoder.main.gop": int(enc.get("GovLength") or 0),
        "encoder.main.bitrate_kbps": int(enc.findtext(f"{TT}RateControl/{TT}BitrateLimit") or 0),
        "osd": osds.findtext(f".//{TT}PlainText"),
    }
    for user in users:
        settings[f"users.{user.findtext(f'{TT}Username')}"] = {
            "level": user.findtext(f"{TT}UserLevel")
        }
    return settings, {"enc": enc, "source": source.get("token"), "dst": "false"}


def floor_apply(
    raw: RawOnvif, changes: list[Change], want: Settings, state: dict[str, Any], pw: dict[str, str]
) -> None:
    """One hand-written call per changed configuration, with every field of it (from `want`)."""
    changed = {c.setting for c in changes}
    if "hostname" in changed:
        raw.device(
            f"<tds:SetHostname><tds:Name>{escape(want['hostname'])}</tds:Name></tds:SetHostname>"
        )
    if "ntp" in changed:
        hosts = "".join(
            f"<tds:NTPManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>{a}</tt:IPv4Address>"
            "</tds:NTPManual>"
            for a in want["ntp"]
        )
        raw.device(f"<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP>{hosts}</tds:SetNTP>")
        raw.clock()
    if any(k.startswith("encoder.") for k in changed):
        e = state["enc"]
        width, height = want["encoder.main.resolution"].split("x")
        enc = {"H.264": "H264", "H.265": "H265"}[want["encoder.main.codec"]]
        raw.media2(
            f'<tr2:SetVideoEncoderConfiguration><tr2:Configuration token="{e.get("token")}"'
            f' GovLength="{want["encoder.main.gop"]}" Profile="Main">'
            f"<tt:Name>{e.findtext(f'{TT}Name')}</tt:Name><tt:UseCount>1</tt:UseCount>"
            f"<tt:Encoding>{enc}</tt:Encoding><tt:Resolution><tt:Width>{width}</tt:Width>"
            f"<tt:Height>{height}</tt:Height></tt:Resolution>"
            '<tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>'
            f"{want['encoder.main.fps']}</tt:FrameRateLimit><tt:BitrateLimit>"
            f"{want['encoder.main.bitrate_kbps']}</tt:BitrateLimit></tt:RateControl>"
            f"<tt:Quality>{e.findtext(f'{TT}Quality')}</tt:Quality></tr2:Configuration>"
            "</tr2:SetVideoEncoderConfiguration>"
        )
    if "osd" in changed:
        raw.media(
            '<trt:CreateOSD><trt:OSD token=""><tt:VideoSourceConfigurationToken>'
            f"{state['source']}</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type>"
            "<tt:Position><tt:Type>UpperLeft</tt:Type></tt:Position><tt:TextString><tt:Type>"
            f"Plain</tt:Type><tt:PlainText>{escape(want['osd'])}</tt:PlainText></tt:TextString>"
            "</trt:OSD></trt:CreateOSD>"
        )
    if "clock.source" in changed:
        raw.device(
            f"<tds:SetSystemDateAndTime><tds:DateTimeType>{want['clock.source']}"
            "</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings><tds:TimeZone>"
            "<tt:TZ>CST-8</tt:TZ></tds:TimeZone></tds:SetSystemDateAndTime>"
        )
        raw.clock()
    users = [(k.removeprefix("users."), want[k]) for k in changed if k.startswith("users.")]
    if users:
        raw.device(
            "<tds:CreateUsers>"
            + "".join(
                f"<tds:User><tt:Username>{name}</tt:Username><tt:Password>{pw[name]}"
                f"</tt:Password>"
                f"<tt:UserLevel>{value['level']}</tt:UserLevel></tds:User>"
                for name, value in users
            )
            + "</tds:CreateUsers>"
        )


def user_passwords(school: School, connector: LabConnector) -> dict[str, str]:
    accounts = [c for c in (school.operator, school.auditor) if c is not None]
    return {c.username: connector.secret(c.password) for c in accounts}


def floor_camera(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    driver = CameraDriver(Target(city, school, cam, connector))  # desired() only: pure
    assert cam.credentials is not None
    address = connector.address(cam.host, 80)
    raw = RawOnvif(address, cam.credentials.username, connector.secret(cam.credentials.password))
    settings, state = floor_read(raw)
    want = driver.desired()
    changes = driver.diff(settings, want)
    floor_apply(raw, changes, want, state, user_passwords(school, connector))
    if driver.diff(floor_read(raw)[0], want):
        raise AssertionError(f"{driver.label}: floor did not converge")
    raw.sock.close()
    return raw.calls


def floor_again(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    driver = CameraDriver(Target(city, school, cam, connector))
    assert cam.credentials is not None
    address = connector.address(cam.host, 80)
    raw = RawOnvif(address, cam.credentials.username, connector.secret(cam.credentials.password))
    if driver.diff(floor_read(raw)[0], driver.desired()):
        raise AssertionError(f"{driver.label}: not converged")
    raw.sock.close()
    return raw.calls


def _floor_module(protocol: str) -> Any:
    import dahua_floor
    import isapi_floor

    return {"isapi": isapi_floor, "dahua": dahua_floor}[protocol]


def _raw_client(floor: Any, cam: Camera, connector: LabConnector) -> Any:
    assert cam.credentials is not None
    address = connector.address(cam.host, 80)
    raw_class = floor.RawIsapi if hasattr(floor, "RawIsapi") else floor.RawDahua
    return raw_class(address, cam.credentials.username, connector.secret(cam.credentials.password))


def http_floor_camera(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    """The ISAPI or Dahua floor: read, diff, apply, read again over one raw socket."""
    floor = _floor_module(cam.protocol)
    driver = camera_driver(city, school, cam, connector)  # desired() and diff() only: pure
    raw = _raw_client(floor, cam, connector)
    settings, state = floor.floor_read(raw)
    want = driver.desired()
    changes = driver.diff(settings, want)
    floor.floor_apply(raw, changes, want, state, user_passwords(school, connector))
    if driver.diff(floor.floor_read(raw)[0], want):
        raise AssertionError(f"{driver.label}: {cam.protocol} floor did not converge")
    raw.sock.close()
    return int(raw.calls)


def http_floor_again(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    floor = _floor_module(cam.protocol)
    driver = camera_driver(city, school, cam, connector)
    raw = _raw_client(floor, cam, connector)
    if driver.diff(floor.floor_read(raw)[0], driver.desired()):
        raise AssertionError(f"{driver.label}: not converged")
    raw.sock.close()
    return int(raw.calls)


# --- the naive way: onvif-zeep, one ONVIFCamera per camera and session -----------------------


def onvif_camera(cam: Camera, connector: LabConnector) -> tuple[Any, Any]:
    from onvif import ONVIFCamera

    assert cam.credentials is not None
    host, port = connector.address(cam.host, 80)
    password = connector.secret(cam.credentials.password)
    camera = ONVIFCamera(host, port, cam.credentials.username, password, adjust_time=True)
    return camera, camera.create_media_service()


def naive_read(camera: Any, media: Any) -> tuple[Settings, Any]:
    dev = camera.devicemgmt
    clock = dev.GetSystemDateAndTime()
    profile = media.GetProfiles()[0]
    enc = profile.VideoEncoderConfiguration
    osds = media.GetOSDs({"ConfigurationToken": profile.VideoSourceConfiguration.token})
    settings: Settings = {
        "hostname": dev.GetHostname().Name,
        "ntp": [h.IPv4Address for h in dev.GetNTP().NTPManual],
        "clock.source": clock.DateTimeType,
        "clock.timezone": clock.TimeZone.TZ,
        "encoder.main.resolution": f"{enc.Resolution.Width}x{enc.Resolution.Height}",
        "encoder.main.codec": {"H264": "H.264", "H265": "H.265"}.get(enc.Encoding, enc.Encoding),
        "encoder.main.fps": enc.RateControl.FrameRateLimit,
        "encoder.main.gop": enc.H264.GovLength,
        "encoder.main.bitrate_kbps": enc.RateControl.BitrateLimit,
        "osd": osds[0].TextString.PlainText if osds else None,
    }
    for user in dev.GetUsers():
        settings[f"users.{user.Username}"] = {"level": user.UserLevel}
    return settings, profile


def naive_camera(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    driver = CameraDriver(Target(city, school, cam, connector))  # desired() only: pure
    camera, media = onvif_camera(cam, connector)
    settings, profile = naive_read(camera, media)
    want = driver.desired()
    dev, changed = camera.devicemgmt, {c.setting for c in driver.diff(settings, want)}
    if "hostname" in changed:
        dev.SetHostname({"Name": want["hostname"]})
    if "ntp" in changed:
        ntp = [{"Type": "IPv4", "IPv4Address": a} for a in want["ntp"]]
        dev.SetNTP({"FromDHCP": False, "NTPManual": ntp})
    enc = profile.VideoEncoderConfiguration
    width, height = want["encoder.main.resolution"].split("x")
    enc.Resolution.Width, enc.Resolution.Height = int(width), int(height)
    enc.Encoding = {"H.264": "H264", "H.265": "H265"}[want["encoder.main.codec"]]
    enc.RateControl.BitrateLimit = want["encoder.main.bitrate_kbps"]
    enc.RateControl.FrameRateLimit = want["encoder.main.fps"]
    enc.H264.GovLength = want["encoder.main.gop"]
    media.SetVideoEncoderConfiguration({"Configuration": enc, "ForcePersistence": True})
    text = {"Type": "Plain", "PlainText": want["osd"]}
    osd = {
        "token": "",
        "VideoSourceConfigurationToken": profile.VideoSourceConfiguration.token,
        "Type": "Text",
        "Position": {"Type": "UpperLeft"},
        "TextString": text,
    }
    media.CreateOSD({"OSD": osd})
    passwords = user_passwords(school, connector)
    users = [
        {"Username": k.removeprefix("users."), "UserLevel": v["level"]}
        for k, v in want.items()
        if k.startswith("users.")
    ]
    dev.CreateUsers({"User": [dict(u, Password=passwords[u["Username"]]) for u in users]})
    # Last: the camera's clock jumps to NTP time, and onvif-zeep's digests keep the old offset.
    tz = {"TZ": want["clock.timezone"]}
    dev.SetSystemDateAndTime({"DateTimeType": "NTP", "DaylightSavings": False, "TimeZone": tz})
    if driver.diff(naive_read(*onvif_camera(cam, connector))[0], want):
        raise AssertionError(f"{driver.label}: naive did not converge")
    return 0


def naive_again(city: City, school: School, cam: Camera, connector: LabConnector) -> int:
    driver = CameraDriver(Target(city, school, cam, connector))
    if driver.diff(naive_read(*onvif_camera(cam, connector))[0], driver.desired()):
        raise AssertionError(f"{driver.label}: not converged")
    return 0


# --- running and reporting -------------------------------------------------------------------

Step = Callable[[City, School, Camera, LabConnector], int]
STEPS: dict[tuple[str, str], tuple[Step, Step]] = {
    ("onvif", "provision"): (provision_camera, provision_again),
    ("onvif", "floor"): (floor_camera, floor_again),
    ("onvif", "naive"): (naive_camera, naive_again),
    ("isapi", "provision"): (provision_camera, provision_again),
    ("isapi", "floor"): (http_floor_camera, http_floor_again),
    ("dahua", "provision"): (provision_camera, provision_again),
    ("dahua", "floor"): (http_floor_camera, http_floor_again),
}


def run_client(way: str, city_dir: Path, count: int, workers: int, protocol: str) -> dict[str, Any]:
    city = load_inventory(city_dir).city
    assert city is not None
    pairs, connector = first_cameras(city, count, protocol), LabConnector(timeout=30)
    result: dict[str, Any] = {"startup_s": 0.0}
    if way == "provision" and protocol == "onvif":  # once per process: reported apart
        from provision.drivers.onvif_wsdl import DEVICE, MEDIA, shared_client

        started = time.perf_counter()
        shared_client(DEVICE), shared_client(MEDIA)
        result["startup_s"] = time.perf_counter() - started
    if way in ("provision", "naive"):
        result["client"] = client_cost(way, city, pairs[0], connector)
    elif way == "floor":  # imports and first template renders: once per process, not per camera
        if protocol != "onvif":
            _floor_module(protocol)
        camera_driver(city, pairs[0][0], pairs[0][1], connector).desired()
    with ThreadPoolExecutor(workers) as pool:
        for phase, step in zip(("apply", "again"), STEPS[(protocol, way)], strict=True):
            wall, cpu = time.perf_counter(), time.process_time()
            calls = list(pool.map(lambda p, s=step: s(city, p[0], p[1], connector), pairs))
            result[phase] = {
                "wall_ms": (time.perf_counter() - wall) * 1000 / count,
                "cpu_ms": (time.process_time() - cpu) * 1000 / count,
                "calls": sum(calls) / count,
            }
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def client_cost(way: str, city: City, pair: Pair, connector: LabConnector) -> dict[str, float]:
    """CPU and retained memory of a client for one camera, made and used for one read."""

    def make() -> Any:
        if way == "naive":
            camera, media = onvif_camera(pair[1], connector)
            return camera, media, naive_read(camera, media)
        driver = camera_driver(city, pair[0], pair[1], connector)
        return driver, driver.read()

    make()  # imports and, for provision, the once-per-process WSDL parse
    cpu = time.process_time()
    make()
    cpu = time.process_time() - cpu
    count = 5 if way == "naive" else 400
    before = rss_kib()
    kept = [make() for _ in range(count)]
    return {"cpu_ms": cpu * 1000, "kib": (rss_kib() - before) / len(kept)}


def rss_kib() -> int:
    """Resident memory now (lxml's C memory included, which tracemalloc does not see)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def measure(way: str, city: Path, count: int, workers: int, protocol: str) -> dict[str, Any]:
    """One way against a fresh lab of `count` factory-state cameras, each in its own process."""
    if protocol == "dahua":
        city = dahua_city(city)
    lab = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-lab",
            str(city),
            "--cameras",
            str(count),
            "--protocols",
            protocol,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert lab.stdin is not None and lab.stdout is not None
    try:
        json.loads(lab.stdout.readline())  # {"ready": count}
        args = ["--client", way, "--city", str(city), "--cameras", str(count)]
        args += ["--protocols", protocol]
        out = subprocess.run(
            [sys.executable, __file__, *args, "--workers", str(workers)],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(f"{way} client failed:\n{out.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        lab.stdin.close()
    result["lab_cpu_ms"] = json.loads(lab.stdout.readline())["lab_cpu_s"] * 1000 / count
    lab.wait(30)
    return result


def report(
    count: int, workers: int, results: dict[str, dict[str, Any]], naive: int, protocol: str
) -> None:
    print(
        f"\n{count} lab {protocol} cameras, {workers} workers; per camera (phase time / cameras):"
    )
    print(f"{'':<24}{'CPU ms':>9}{'wall ms':>9}{'requests':>12}{'lab CPU ms':>12}{'peak MiB':>10}")
    for way, r in results.items():
        name = f"{way} ({naive} cameras)" if way == "naive" else way
        for phase, label in (("apply", "apply"), ("again", "re-apply")):
            p = r[phase]
            lab = f"{r['lab_cpu_ms']:>12.2f}" if phase == "apply" else f"{'':>12}"
            rss = f"{r['rss_mib']:>10.0f}" if phase == "apply" else ""
            print(
                f"{name + ' ' + label:<24}{p['cpu_ms']:>9.2f}{p['wall_ms']:>9.2f}"
                f"{p['calls'] or '-':>12}{lab}{rss}"
            )
    for way in ("provision", "naive"):
        if "client" in results.get(way, {}):
            c = results[way]["client"]
            print(
                f"{way}: a client for one camera, made and used for one read: "
                f"{c['cpu_ms']:.1f} ms CPU, {c['kib']:,.0f} KiB kept"
            )
    startup = results["provision"]["startup_s"]
    if protocol == "onvif":
        print(f"(provision's one-time WSDL parse per process, not in the rows: {startup:.2f} s)")
    ours = results["provision"]
    for other in ("floor", "naive"):
        if other not in results:
            continue
        for phase in ("apply", "again"):
            o, p = results[other][phase], ours[phase]
            cpu, wall = p["cpu_ms"] / o["cpu_ms"], p["wall_ms"] / o["wall_ms"]
            if other == "naive":
                cpu, wall = 1 / cpu, 1 / wall
            what = "provision/floor" if other == "floor" else "naive/provision"
            print(f"{what} {phase:<6} CPU {cpu:6.1f}x   wall {wall:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--cameras", type=int, action="append")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--naive", type=int, default=100, help="cameras for the naive way")
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument(
        "--protocols", default="onvif,isapi,dahua", help="camera protocols to measure"
    )
    parser.add_argument("--serve-lab", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--city", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.cameras or [100, 1000]
    protocols = args.protocols.split(",")
    if args.serve_lab:
        asyncio.run(serve_lab(args.serve_lab, sizes[0], protocols[0]))
        return
    if args.client:
        result = run_client(args.client, args.city, sizes[0], args.workers, protocols[0])
        print(json.dumps(result))
        return
    ways = args.ways.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        make_city(city, max(sizes), protocols)
        for protocol in protocols:
            naive = None
            if "naive" in ways and protocol == "onvif":
                count = min(args.naive, max(sizes))
                naive = measure("naive", city, count, args.workers, protocol)
            for count in sizes:
                results = {
                    w: measure(w, city, count, args.workers, protocol)
                    for w in ways
                    if w != "naive" and (protocol, w) in STEPS
                }
                if naive is not None:
                    results["naive"] = naive
                report(count, args.workers, results, min(args.naive, max(sizes)), protocol)


if __name__ == "__main__":
    main()
