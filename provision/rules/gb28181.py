"""GB/T 28181 IDs and SIP servers: what a platform would refuse or mis-file, found before apply.

A device's 20-digit ID carries where it is and what it is (GB/T 28181-2016 Appendix D, the
figures in `provision.standards`): its first 6 digits must be the school's district code
(GB/T 2260), digits 9-10 education's industry code, digits 11-13 a type that fits the device.
A registering NVR (type 118) carries one channel ID per forwarded camera it records, and
those cameras reach the platform as its channels, never registering themselves as well.
IDs must be unique city-wide (a platform keys devices and channels by ID: a second device
under the same ID takes the first one's place). A precinct's SIP server has a type-200 ID and
a domain equal to its first 10 digits, and only vendor APIs can carry these settings. A
one-button alarm column (protocol gb28181) registers under a type-134 ID (alarm input
device) with its precinct's GB/T 28181 platform, which there must be.
"""

from __future__ import annotations

from collections.abc import Iterator

from provision import standards as std
from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory import words
from provision.inventory.loader import Inventory
from provision.inventory.model import AlarmPanel, Camera, Recorder, School, YamlPath
from provision.templates.gb28181_settings import (
    PLATFORM_KIND,
    PROTOCOLS,
    recorder_channels,
    registering_recorders,
    registers,
    sip_server,
    through_recorder,
)
from provision.yamlsource import SourceDoc

CODE = "gb28181-id"


def _type_problem(gb_id: str, role: str) -> str | None:
    wanted = std.GB28181_TYPES_OF_KIND[role]
    code = gb_id[std.GB28181_TYPE]
    if code in wanted:
        return None
    what = std.GB28181_TYPES.get(code, "not a type of Table D.1")
    fits = ", ".join(f"{c} {std.GB28181_TYPES[c]}" for c in wanted)
    return _("type code (digits 11-13) is {code} ({what}); a {role} takes {fits}").format(
        code=code, what=what, role=role, fits=fits
    )


def id_problems(gb_id: str, role: str, district_code: str | None) -> list[str]:
    """What is wrong with one device or channel ID, in words; [] when it is well formed."""
    out = []
    if district_code and gb_id[std.GB28181_DIVISION] != district_code:
        out.append(
            _(
                "first 6 digits are {gb_id}, not the school's district code "
                "{district_code} (GB/T 2260)"
            ).format(gb_id=gb_id[std.GB28181_DIVISION], district_code=district_code)
        )
    industry = gb_id[std.GB28181_INDUSTRY]
    if industry != std.GB28181_INDUSTRY_EDUCATION:
        out.append(
            _("industry code (digits 9-10) is {industry}, not education's {education}").format(
                industry=industry, education=std.GB28181_INDUSTRY_EDUCATION
            )
        )
    kind_problem = _type_problem(gb_id, role)
    if kind_problem:
        out.append(kind_problem)
    return out


def _device_ids(device: Camera | Recorder | AlarmPanel) -> Iterator[tuple[str, str, YamlPath]]:
    """(id, role, YAML path) of the device's own ID and each channel ID."""
    if device.gb28181_id:
        yield device.gb28181_id, device.kind, (*device.path, "gb28181_id")
    for i, channel in enumerate(getattr(device, "gb28181_channels", ())):
        yield channel, "channel", (*device.path, "gb28181_channels", i)


def _registering(school: School) -> Iterator[Camera | Recorder | AlarmPanel]:
    yield from school.cameras
    yield from school.recorders
    yield from school.alarms  # alarm columns carry an ID; DC-09 panels none (skipped)


def check(inv: Inventory) -> Iterator[Problem]:
    """School rule: each device's IDs, and whether a registering device can register."""
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        code = inv.city.district_codes.get(school.district)
        server = sip_server(inv.city, school)
        for device in _registering(school):
            for gb_id, role, path in _device_ids(device):
                for why in id_problems(gb_id, role, code):
                    yield doc.problem(
                        path, _("GB/T 28181 ID {gb_id}: {why}").format(gb_id=gb_id, why=why), CODE
                    )
            if isinstance(device, AlarmPanel):
                yield from _column(doc, school, device, server is not None)
                continue
            if server is None or not registers(device, school):
                continue
            if device.gb28181_id is None:
                msg = _(
                    "{kind} {name} is forwarded to a GB/T 28181 platform but has no gb28181_id"
                ).format(kind=words.kind(device.kind), name=device.name)
                yield doc.problem(device.path, msg, CODE)
            elif not device.gb28181_channels:
                msg = _("{kind} {name} declares no gb28181_channels for the Catalog").format(
                    kind=words.kind(device.kind), name=device.name
                )
                yield doc.problem((*device.path, "gb28181_id"), msg, CODE)
            if device.protocol not in PROTOCOLS:
                msg = _(
                    "{kind} {name} speaks {protocol}, which cannot carry GB/T 28181 "
                    "settings (only {listed} can)"
                ).format(
                    kind=words.kind(device.kind),
                    name=device.name,
                    protocol=device.protocol,
                    listed=", ".join(PROTOCOLS),
                )
                yield doc.problem(device.path, msg, "gb28181-protocol")
        if server is not None:
            yield from _through_recorders(doc, school)
        if code is None and any(d.gb28181_id for d in _registering(school)):
            msg = _(
                "district {district!r} has no admin_code in city.yaml: the GB/T 28181 "
                "IDs' district digits cannot be checked"
            ).format(district=school.district)
            yield doc.problem(("district",), msg, CODE, warning=True)


def _column(
    doc: SourceDoc, school: School, alarm: AlarmPanel, gb_precinct: bool
) -> Iterator[Problem]:
    """An alarm column reports to its precinct's GB/T 28181 platform: there must be one. (A
    GB/T 28181 ID on a DC-09 panel, or a column without one, is refused when the school is
    built: inventory/build.py `_alarm_protocol`.)"""
    if alarm.reports_over_gb28181 and not gb_precinct:
        msg = _(
            "alarm column {name} reports over GB/T 28181, but precinct {precinct} runs no "
            "GB/T 28181 platform (video_platform kind {kind}): its alarms would reach no one"
        ).format(name=alarm.name, precinct=school.precinct, kind=PLATFORM_KIND)
        yield doc.problem((*alarm.path, "protocol"), msg, CODE)


def _through_recorders(doc: SourceDoc, school: School) -> Iterator[Problem]:
    """A registering NVR has one channel ID per forwarded camera it records, and those
    cameras reach the platform through it, not also on their own."""
    for recorder in registering_recorders(school):
        channels = recorder_channels(school, recorder)
        if len(recorder.gb28181_channels) != len(channels):
            msg = _(
                "NVR {name} lists {ids} GB/T 28181 channel IDs but records {cameras} "
                "forwarded cameras ({names}): give each forwarded camera one channel ID, "
                "in the order the NVR records them"
            ).format(
                name=recorder.name,
                ids=len(recorder.gb28181_channels),
                cameras=len(channels),
                names=", ".join(channels) or "-",
            )
            yield doc.problem((*recorder.path, "gb28181_channels"), msg, CODE)
    for cam in school.cameras:
        behind = through_recorder(school, cam)
        if behind is not None and (cam.gb28181_id or cam.gb28181_channels):
            msg = _(
                "camera {name} reaches the GB/T 28181 platform as a channel of NVR "
                "{recorder}; it must not register itself as well (the platform would "
                "show its picture twice): remove its gb28181_id and gb28181_channels"
            ).format(name=cam.name, recorder=behind.name)
            where = (*cam.path, "gb28181_id") if cam.gb28181_id else cam.path
            yield doc.problem(where, msg, "gb28181-twice")


def unique_ids(inv: Inventory) -> Iterator[Problem]:
    """City rule: every device, channel and server ID is used once in the whole city."""
    if inv.city is None:
        return
    seen: dict[str, str] = {}
    for i, precinct in enumerate(inv.city_doc.data.get("precincts", [])):
        server_id = ((precinct.get("video_platform") or {}).get("sip") or {}).get("server_id")
        if server_id:
            where = inv.city_doc.where(("precincts", i, "video_platform", "sip", "server_id"))
            seen.setdefault(server_id, str(where))
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        for device in _registering(school):
            for gb_id, _kind, path in _device_ids(device):
                here = doc.where(path)
                first = seen.setdefault(gb_id, str(here))
                if first != str(here):
                    msg = _("GB/T 28181 ID {gb_id} is also used at {first}").format(
                        gb_id=gb_id, first=first
                    )
                    yield doc.problem(path, msg, "duplicate-gb28181-id")


def sip_servers(inv: Inventory) -> Iterator[Problem]:
    """City rule: a gb28181 precinct declares its SIP server; its ID and domain agree."""
    if inv.city is None:
        return
    for i, precinct in enumerate(inv.city_doc.data.get("precincts", [])):
        vp = precinct.get("video_platform") or {}
        base: YamlPath = ("precincts", i, "video_platform")
        sip = vp.get("sip")
        if vp.get("kind") == PLATFORM_KIND and not sip:
            msg = _("precinct {precinct}: a gb28181 platform needs its sip server").format(
                precinct=precinct.get("id")
            )
            yield inv.city_doc.problem(base, msg, CODE)
        if not sip:
            continue
        server_id, domain = sip["server_id"], sip["domain"]
        problem = _type_problem(server_id, "sip_server")
        if problem:
            msg = _("SIP server ID {server_id}: {problem}").format(
                server_id=server_id, problem=problem
            )
            yield inv.city_doc.problem((*base, "sip", "server_id"), msg, CODE)
        if domain != server_id[: std.GB28181_DOMAIN_LENGTH]:
            msg = _(
                "SIP domain {domain} is not the first {length} digits of"
                " the server ID {server_id} ({server_id2})"
            ).format(
                domain=domain,
                length=std.GB28181_DOMAIN_LENGTH,
                server_id=server_id,
                server_id2=server_id[: std.GB28181_DOMAIN_LENGTH],
            )
            yield inv.city_doc.problem((*base, "sip", "domain"), msg, CODE)
