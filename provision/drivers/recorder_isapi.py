"""The Hikvision ISAPI recorder (NVR) driver: every camera the recorder keeps is one of its
input channels, recorded around the clock. Each setting and the resource that holds it:

    channels.<camera>   /ISAPI/ContentMgmt/InputProxy/channels[/<id>]   InputProxyChannel
    schedule.<camera>   /ISAPI/ContentMgmt/record/tracks/<id>01          Track schedule

`channels.<camera>` is {id, name, address, port, protocol, username, password, stream}: the
camera's channel (channel N is the N-th camera the recorder keeps, sizing.recorded_by), its
inventory address, HIKVISION on port 8000 for an ISAPI camera and ONVIF on port 80 for any
other, the camera's own account, the main stream. The password is write-only on the NVR: while
the channel exists it is shown as the inventory's reference ("${PROVISION_CAMERA_PASSWORD}"),
and it is resolved through the connector only to be sent, never printed (a password changed
on the camera shows in the audit, as the channel records nothing). A channel is added with a
POST and changed with a PUT of the whole document (in one list, below), written as the change
sets it, so a rollback puts back the address, port, protocol, account and stream it had;
channels the inventory does not name are left alone.

`schedule.<camera>` is "continuous 24x7" when the track's schedule is enabled and every day
is one CMR (continuous) action from 00:00:00 to 24:00:00; otherwise what the NVR holds, in
words ("off", "MOTION 24x7", "CMR Monday 00:00:00-12:00:00, ..."). Apply writes the seven
CMR actions and `enableSchedule` true into the track as read and PUTs it back; a rollback
writes "off" (`enableSchedule` false) or, for a channel it added, deletes the channel.
Whether a channel is added (POST) or replaced (PUT) is decided by what the NVR holds when
apply runs, so the same changes applied twice change nothing the second time.

Writes are batched where the NVR takes a list (issue 16, point 4: one request per channel and
three per camera made the NVR the floor of a school's apply on a slow link). Hikvision's
Intelligent Security API developer guide, chapter 15 "Request URL", defines
`PUT /ISAPI/ContentMgmt/InputProxy/channels` with an `InputProxyChannelList` ("Set parameters
of all digital channels", Table 15-9) and `PUT /ISAPI/ContentMgmt/record/tracks` with a
`TrackList` ("Set all recording schedules", Table 15-52); the Hik-Partner Pro OpenAPI guide
(V2.14.0) lists the first as "Get or set all digital channels" and keeps adding to
`POST .../channels` ("Create digital channels"). So apply reads the channels once, adds each
new channel with its own POST (the only add the guides give), sets every changed channel in
one list PUT, then reads every track in one GET and writes every schedule in one list PUT:
a factory NVR of N cameras takes N + 3 requests instead of 3N + 1. A list carries every
channel (as read, the password left out: write-only, kept by the NVR) or track the NVR holds,
not only the changed ones, because the guides do not say whether a list PUT leaves what it
omits alone or removes it; sent whole, it means the same either way.

An NVR the inventory gives a GB/T 28181 ID registers with its precinct's platform: the same
`gb28181.*` settings and resources as a Hikvision camera's (drivers/isapi_sip.py: SIP server
1's `<GB28181>` in `/ISAPI/System/Network/SIP`), but its channel IDs go to the video inputs of
SIPInfo numbered as its input channels, `VideoInput[id = InputProxyChannel id]/videoInputID`,
one per forwarded camera it records (templates/gb28181_settings.recorder_channels). That is
how integrators' tools set an NVR's channel IDs (a Python batch configurator for Hikvision
GB/T 28181 access on NVRs, found with the code search, reads InputProxy/channels and writes
each channel's `videoInputID` into `/ISAPI/System/Network/SIP/1/SIPInfo` under the input
`id` of that channel). They are written last, once the channels exist.

For verify, `identity()` is deviceInfo and `inspect()` the recordings and disks
(recorder_recordings.py) the recording audit judges.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from lxml import etree

from provision.drivers import isapi_sip
from provision.drivers import recorder_recordings as recordings
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.isapi_client import (
    IsapiSession,
    device_session,
    find,
    integer,
    set_text,
    text,
)
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Camera, Recorder
from provision.sizing import recorded_by
from provision.templates.gb28181_settings import recorder_channels

HTTP_PORT = 80
DEVICE_INFO = "/ISAPI/System/deviceInfo"
CHANNELS_PATH = "/ISAPI/ContentMgmt/InputProxy/channels"
TRACKS_PATH = "/ISAPI/ContentMgmt/record/tracks"
CHANNELS, SCHEDULE = "channels.", "schedule."
CONTINUOUS = "continuous 24x7"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NS = "http://www.hikvision.com/ver20/XMLSchema"
# How the NVR reaches a camera, by the protocol provision configures the camera with.
PROXY = {"isapi": ("HIKVISION", 8000)}
ONVIF = ("ONVIF", 80)


class IsapiRecorderDriver(Driver):
    kind = "recorder"
    # A channel and its schedule go together (a channel on no schedule records nothing), so
    # a failed apply puts back what landed, as for a camera: the engine's default.

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, Recorder):
            raise TypeError(f"IsapiRecorderDriver needs a recorder, not {target.device!r}")
        self.recorder = target.device
        self.label = f"{target.school.id}/{self.recorder.name}"
        self.cameras = {c.name: c for c in recorded_by(target.school, self.recorder)}
        self._ids = {name: i for i, name in enumerate(self.cameras, 1)}
        self._isapi: IsapiSession | None = None
        self._seen: dict[int, etree._Element] | None = None  # the channels `read` found

    # --- the contract -------------------------------------------------------------------------

    def desired(self) -> Settings:
        wanted: Settings = {}
        for name, cam in self.cameras.items():
            wanted[CHANNELS + name] = self._channel_wanted(name, cam)
            wanted[SCHEDULE + name] = CONTINUOUS
        wanted.update(isapi_sip.wanted(self.target, self.recorder))
        return wanted

    def _channel_wanted(self, name: str, cam: Camera) -> dict[str, Any]:
        protocol, port = PROXY.get(cam.protocol, ONVIF)
        creds = cam.credentials
        return {
            "id": self._ids[name],
            "name": name,
            "address": cam.host,
            "port": port,
            "protocol": protocol,
            "username": creds.username if creds else "admin",
            "password": str(creds.password) if creds and creds.password else None,
            "stream": "main",
        }

    def read(self) -> Settings:
        isapi = self._session()
        held = self._seen = self._held()
        settings: Settings = {}
        tracks = _tracks(isapi) if held else {}
        for name, cid in self._ids.items():
            channel = held.get(cid)
            wanted = self._channel_wanted(name, self.cameras[name])
            settings[CHANNELS + name] = _channel_setting(channel, wanted["password"])
            track = tracks.get(cid * 100 + 1)
            if channel is not None and track is None:  # not in the list: ask for it alone
                track = isapi.get(
                    f"{TRACKS_PATH}/{cid}01", _("read schedule of {name}").format(name=name)
                )
            settings[SCHEDULE + name] = describe_schedule(track) if channel is not None else None
        sip = isapi_sip.wanted(self.target, self.recorder)
        if sip:  # read only what is wanted: an NVR without GB/T 28181 access is not asked
            settings.update(
                isapi_sip.read_settings(
                    isapi.get(isapi_sip.SIP_SERVERS, _("read GB/T 28181 access")),
                    isapi.get(isapi_sip.SIP_INFO, _("read GB/T 28181 channel IDs")),
                    sip.get(isapi_sip.PASSWORD),
                )
            )
        return settings

    def apply(self, changes: list[Change]) -> None:
        # Channels first: a track exists only once its channel does. A change whose `after`
        # is None (a rollback of an added channel) removes the channel and its track.
        # GB/T 28181 access last, once the channels its IDs stand for exist.
        sip = {c.setting: c.after for c in changes if isapi_sip.is_sip_setting(c.setting)}
        changes = [c for c in changes if c.setting not in sip]
        for change in changes:
            self._check(change)  # every change understood before anything is written
        channels = [c for c in changes if c.setting.startswith(CHANNELS)]
        schedules = {
            c.setting.split(".", 1)[1]: c.after == CONTINUOUS
            for c in changes
            if c.setting.startswith(SCHEDULE) and c.after is not None
        }
        if channels:
            self._write_channels(channels)
        if schedules:
            self._write_schedules(schedules)
        if sip:
            numbers = [n for n, _ in recorder_channels(self.target.school, self.recorder).values()]
            isapi_sip.write(self._session(), self.target, self.label, sip, numbers=numbers)

    def _check(self, change: Change) -> None:
        name = change.setting.split(".", 1)[-1]
        if name not in self.cameras:
            raise DeviceError(
                _("{label}: cannot apply {setting}: no such camera").format(
                    label=self.label, setting=change.setting
                )
            )
        writable = change.setting.startswith(CHANNELS) or (
            change.setting.startswith(SCHEDULE) and change.after in (CONTINUOUS, "off", None)
        )
        if not writable:
            raise DeviceError(
                _(
                    "{label}: cannot apply {setting} = {after!r}: not a setting or value this "
                    "driver writes ({continuous!r} or 'off')"
                ).format(
                    label=self.label,
                    setting=change.setting,
                    after=change.after,
                    continuous=CONTINUOUS,
                )
            )

    def _write_channels(self, changes: list[Change]) -> None:
        """Removed channels deleted, new ones added one POST each, changed ones set in one
        list PUT that carries every channel the NVR holds (module docstring)."""
        isapi = self._session()
        # What `read` found just before (the converge reads, then applies, under the school's
        # lock), else a fresh read: on a slow link a second GET would only say the same.
        seen, self._seen = self._seen, None
        held = seen if seen is not None else self._held()
        changed: dict[int, etree._Element] = {}
        for change in changes:
            name = change.setting.split(".", 1)[1]
            cid = self._ids[name]
            if change.after is None:
                if cid in held:
                    isapi.delete(
                        f"{CHANNELS_PATH}/{cid}", _("delete channel {cid}").format(cid=cid)
                    )
                    del held[cid]
            elif cid in held:
                changed[cid] = self._channel_doc(name, change.after)
            else:
                doc = self._channel_doc(name, change.after)
                isapi.post(
                    CHANNELS_PATH, doc, _("add channel {cid} ({name})").format(cid=cid, name=name)
                )
        if changed:
            listed = etree.Element(f"{{{NS}}}InputProxyChannelList", nsmap={None: NS})
            listed.set("version", "2.0")
            for cid in sorted(held):
                listed.append(changed.get(cid, _without_password(held[cid])))
            names = ", ".join(str(cid) for cid in sorted(changed))
            isapi.put(CHANNELS_PATH, listed, _("set channels {names}").format(names=names))

    def _held(self) -> dict[int, etree._Element]:
        channels = self._session().get(CHANNELS_PATH, _("read input channels"))
        return {i: c for c in channels.iterfind("{*}InputProxyChannel") if (i := integer(c, "id"))}

    def identity(self) -> dict[str, Any]:
        info = self._session().get(DEVICE_INFO, _("read identity"))
        firmware = " ".join(
            p for p in (text(info, "firmwareVersion"), text(info, "firmwareReleasedDate")) if p
        )
        return {
            "manufacturer": text(info, "manufacturer") or "Hikvision",
            "model": text(info, "model"),
            "firmware": firmware or None,
            "serial": text(info, "serialNumber"),
        }

    def inspect(self) -> dict[str, Any]:
        """{"now", "channels": {camera: track facts and its link}, "disks", "arrays"} for the
        audit; a channel's link is whether the NVR reaches its camera (None: not told)."""
        isapi, now = self._session(), time.time()
        links = recordings.channel_links(isapi)
        return {
            "now": now,
            "channels": {
                name: {**recordings.track_facts(isapi, cid * 100 + 1, now), "link": links.get(cid)}
                for name, cid in self._ids.items()
            },
            **_storage(isapi.get(recordings.STORAGE, _("read storage"))),
        }

    def close(self) -> None:
        if self._isapi is not None:
            self._isapi.close()
            self._isapi = None

    # --- applying -----------------------------------------------------------------------------

    def _channel_doc(self, name: str, setting: Any) -> etree._Element:
        """The channel's whole document as the change sets it (a rollback puts back what was
        there, not the inventory's), its camera's password resolved only to be sent."""
        cam = self.cameras[name]
        password = self.target.connector.secret(
            cam.credentials.password if cam.credentials else None
        )
        self._session().http.hide(password)
        given = {k: v for k, v in (setting or {}).items() if k not in ("id", "password")}
        return _channel_document({**self._channel_wanted(name, cam), **given}, password)

    def _write_schedules(self, wanted: dict[str, bool]) -> None:
        """Each named camera's track continuous 24x7 (True) or switched off as it was
        (False): every track read in one GET and written back in one list PUT."""
        isapi = self._session()
        tracks = {tid: t for tid, t in _tracks(isapi).items() if tid is not None}
        listed = []
        for name, continuous in wanted.items():
            track = tracks.get(self._ids[name] * 100 + 1)
            if track is None:  # not in the list: ask for it alone, as read() does
                path = f"{TRACKS_PATH}/{self._ids[name]}01"
                track = isapi.get(path, _("read schedule of {name}").format(name=name))
                self._set_track(name, track, continuous)
                isapi.put(path, track, _("set schedule of {name}").format(name=name))
            else:
                self._set_track(name, track, continuous)
                listed.append(name)
        if listed:
            root = etree.Element(f"{{{NS}}}TrackList", nsmap={None: NS})
            root.set("version", "2.0")
            root.extend(tracks[tid] for tid in sorted(tracks))
            isapi.put(
                TRACKS_PATH, root, _("set schedules of {names}").format(names=", ".join(listed))
            )

    def _set_track(self, name: str, track: etree._Element, continuous: bool) -> None:
        """Continuous 24x7, or (a rollback to "off") the schedule switched off as it was."""
        if continuous:
            make_continuous(track)
            return
        extension = track.find(".//{*}CustomExtension")
        if extension is None:
            raise DeviceError(
                _("{label}: the track of {name} has no enableSchedule").format(
                    label=self.label, name=name
                )
            )
        set_text(extension, "enableSchedule", "false")

    def _session(self) -> IsapiSession:
        if self._isapi is None:
            self._isapi = device_session(
                self.label,
                self.target.connector,
                self.recorder.host,
                self.recorder.credentials,
                HTTP_PORT,
            )
        return self._isapi


# --- documents --------------------------------------------------------------------------------


def _tracks(isapi: IsapiSession) -> dict[int | None, etree._Element]:
    """Every track's schedule by track id, in one request (the TrackList of
    `GET /ISAPI/ContentMgmt/record/tracks`): one exchange instead of one per channel, which on
    a slow precinct link is most of an NVR's read."""
    answer = isapi.get(TRACKS_PATH, _("read schedules"))
    return {integer(t, "id"): t for t in answer.iterfind("{*}Track")}


def _storage(storage: etree._Element) -> dict[str, Any]:
    return {"disks": recordings.disks(storage), "arrays": recordings.arrays(storage)}


def _channel_setting(channel: etree._Element | None, password_ref: str | None) -> Any:
    if channel is None:
        return None
    src = find(channel, "sourceInputPortDescriptor")
    return {
        "id": integer(channel, "id"),
        "name": text(channel, "name"),
        "address": text(src, "ipAddress"),
        "port": integer(src, "managePortNo"),
        "protocol": text(src, "proxyProtocol"),
        "username": text(src, "userName"),
        "password": password_ref,  # write-only: see the module docstring
        "stream": text(src, "streamType"),
    }


def _without_password(channel: etree._Element) -> etree._Element:
    """A held channel as read, to go back unchanged in a list: no password element (the
    NVR never shows it and keeps its own when none is sent)."""
    copied = copy.deepcopy(channel)
    for password in copied.iterfind(".//{*}password"):
        parent = password.getparent()
        if parent is not None:
            parent.remove(password)
    return copied


def _channel_document(wanted: dict[str, Any], password: str) -> etree._Element:
    root = etree.Element(f"{{{NS}}}InputProxyChannel", nsmap={None: NS})
    root.set("version", "2.0")
    set_text(root, "id", str(wanted["id"]))
    set_text(root, "name", wanted["name"])
    src = etree.SubElement(root, f"{{{NS}}}sourceInputPortDescriptor")
    for tag, value in (
        ("proxyProtocol", wanted["protocol"]),
        ("addressingFormatType", "ipaddress"),
        ("ipAddress", wanted["address"]),
        ("managePortNo", str(wanted["port"])),
        ("srcInputPort", "1"),
        ("userName", wanted["username"]),
        ("password", password),
        ("streamType", wanted["stream"]),
    ):
        set_text(src, tag, value)
    return root


def describe_schedule(track: etree._Element) -> str:
    """A track's schedule in words: "continuous 24x7", "off", "MOTION 24x7", or each action."""
    enabled = text(track, "CustomExtensionList", "CustomExtension", "enableSchedule")
    actions = [
        (
            text(a, "ScheduleActionStartTime", "DayOfWeek"),
            text(a, "ScheduleActionStartTime", "TimeOfDay"),
            text(a, "ScheduleActionEndTime", "TimeOfDay"),
            text(a, "Actions", "ActionRecordingMode"),
        )
        for a in track.iterfind(".//{*}ScheduleAction")
    ]
    if enabled != "true" or not actions:
        return "off"
    modes = {mode for *_, mode in actions}
    whole = {day for day, start, end, _ in actions if (start, end) == ("00:00:00", "24:00:00")}
    if len(modes) == 1 and whole == set(DAYS):
        mode = modes.pop()
        return CONTINUOUS if mode == "CMR" else f"{mode} 24x7"
    return ", ".join(f"{mode} {day} {start}-{end}" for day, start, end, mode in actions)


def make_continuous(track: etree._Element) -> None:
    """Seven CMR actions, 00:00:00-24:00:00, and the schedule switched on, in place."""
    block = track.find(".//{*}ScheduleBlock")
    if block is None:
        raise DeviceError(_("the NVR's track has no ScheduleBlock to write a schedule into"))
    namespace = etree.QName(block).namespace or NS
    template = block.find("{*}ScheduleAction")
    for action in block.findall("{*}ScheduleAction"):
        block.remove(action)
    for i, day in enumerate(DAYS, 1):
        action = copy.deepcopy(template) if template is not None else None
        if action is None:
            action = etree.SubElement(block, f"{{{namespace}}}ScheduleAction")
        else:
            block.append(action)
        _fill_action(action, namespace, i, day)
    block.set("ScheduleActionSize", str(len(DAYS)))
    extension = track.find(".//{*}CustomExtension")
    if extension is None:
        raise DeviceError(_("the NVR's track has no CustomExtension with enableSchedule"))
    set_text(extension, "enableSchedule", "true")


def _fill_action(action: etree._Element, ns: str, number: int, day: str) -> None:
    set_text(action, "id", str(number))
    for edge, clock in (
        ("ScheduleActionStartTime", "00:00:00"),
        ("ScheduleActionEndTime", "24:00:00"),
    ):
        part = find(action, edge)
        if part is None:
            part = etree.SubElement(action, f"{{{ns}}}{edge}")
        set_text(part, "DayOfWeek", day)
        set_text(part, "TimeOfDay", clock)
    acts = find(action, "Actions")
    if acts is None:
        acts = etree.SubElement(action, f"{{{ns}}}Actions")
    set_text(acts, "Record", "true")
    set_text(acts, "ActionRecordingMode", "CMR")
