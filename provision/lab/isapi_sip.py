"""GB/T 28181 access on a simulated Hikvision camera: `/ISAPI/System/Network/SIP` and SIPInfo.

Hikvision keeps a camera's GB/T 28181 ("platform access", 平台接入) settings in ISAPI's SIP
server list, the same resource its intercoms use for plain SIP (`<Standard>`), with a
`<GB28181>` section per server. The documents follow what open-source ISAPI clients read and
write on real cameras (a Python batch configurator for Hikvision GB/T 28181 access, found
with the code search: GET/PUT `/ISAPI/System/Network/SIP` with `SIPServerList/SIPServer/
{id, localPort, GB28181/{enabled, registrar, registrarPort, serverId, serverDomain, authID,
expires, heartbeatTime, heartbeatCount}}`, and GET/PUT `/ISAPI/System/Network/SIP/1/SIPInfo`
with `VideoInputList/VideoInput/{id, videoInputID}` for the channel IDs; plus the endpoint
lists of Hikvision's own web client, `cfg28181` → `.../SIP`, `sip28181` → `.../SIP/1/SIPInfo`).

Not confirmed from a source, so named by analogy and marked here: `password` inside
`<GB28181>` (its `<Standard>` sibling has one), `transportType` (UDP | TCP) and
`protocolVersion` ("GB/T28181-2016" | "GB/T28181-2022"), and `registerStatus` (read-only).
The password is write-only: a GET never returns it. The lab allows up to four video inputs
in SIPInfo on a camera (a one-sensor camera has one; the lab does not tie them to sensors)
and one per input channel on an NVR (its `max_channels`), whose inputs are numbered as its
InputProxy channels, as integrators' tools write them on real NVRs.

A PUT replaces the section; a bad value is refused as the rest of ISAPI refuses it (HTTP
400, statusCode 6 badParameters) and nothing changes. The camera compares `agent_settings`
before and after a write and (re)configures its GB/T 28181 agent when they differ.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Protocol
from xml.sax.saxutils import escape as x

from lxml import etree

from provision.lab.isapi_resources import (
    READ,
    WRITE,
    _doc,
    _int,
    _route,
    _text,
    bad_value,
    parse,
)
from provision.lab.isapi_state import SipAccess

MAX_VIDEO_INPUTS = 4  # a camera's; an NVR's are its input channels (sip_video_inputs)
TRANSPORTS = ("UDP", "TCP")
VERSIONS = ("GB/T28181-2016", "GB/T28181-2022")
_ID = re.compile(r"^\d{20}$")


class SipHolder(Protocol):
    """What these resources read and write: the lab ISAPI camera's state and the lab NVR's."""

    sip: SipAccess
    sip_registered: bool

    @property
    def sip_video_inputs(self) -> int: ...


def _server_xml(sip: SipAccess, registered: bool) -> str:
    fields = [
        ("enabled", "true" if sip.enabled else "false"),
        ("registrar", sip.registrar),
        ("registrarPort", sip.registrar_port),
        ("serverId", sip.server_id),
        ("serverDomain", sip.server_domain),
        ("authID", sip.auth_id),
        ("expires", sip.expires),
        ("heartbeatTime", sip.heartbeat_time),
        ("heartbeatCount", sip.heartbeat_count),
        ("transportType", sip.transport),
        ("protocolVersion", sip.protocol_version),
        ("registerStatus", "true" if registered else "false"),
    ]
    body = "".join(f"<{tag}>{x(str(value))}</{tag}>" for tag, value in fields)
    return (
        f"<SIPServer><id>1</id><localPort>{sip.local_port}</localPort>"
        f"<GB28181>{body}</GB28181></SIPServer>"
    )


def get_sip_list(state: SipHolder, _m: re.Match[str], _body: bytes) -> bytes:
    return _doc("SIPServerList", _server_xml(state.sip, state.sip_registered))


def get_sip_server(state: SipHolder, _m: re.Match[str], _body: bytes) -> bytes:
    return _doc(
        "SIPServer",
        _server_xml(state.sip, state.sip_registered)[len("<SIPServer>") : -len("</SIPServer>")],
    )


def put_sip_list(state: SipHolder, _m: re.Match[str], body: bytes) -> None:
    servers = parse(body, "SIPServerList").findall("{*}SIPServer")
    if len(servers) != 1 or _text(servers[0], "id", "1") != "1":
        raise bad_value("the camera has one SIP server, id 1")
    _take_server(state, servers[0])


def put_sip_server(state: SipHolder, _m: re.Match[str], body: bytes) -> None:
    _take_server(state, parse(body, "SIPServer"))


def _take_server(state: SipHolder, server: etree._Element) -> None:
    gb = server.find("{*}GB28181")
    if gb is None:
        raise bad_value("GB28181 is missing")
    sip = state.sip
    enabled = _text(gb, "enabled", "true" if sip.enabled else "false") == "true"
    new = replace(
        sip,
        enabled=enabled,
        local_port=_port(server, "localPort", sip.local_port),
        registrar=_blankable(gb, "registrar", sip.registrar),
        registrar_port=_port(gb, "registrarPort", sip.registrar_port),
        server_id=_blankable(gb, "serverId", sip.server_id),
        server_domain=_blankable(gb, "serverDomain", sip.server_domain),
        auth_id=_blankable(gb, "authID", sip.auth_id),
        password=_text(gb, "password", sip.password),  # absent: kept, as write-only fields are
        expires=_bounded(gb, "expires", sip.expires, 3600 * 24, 60),
        heartbeat_time=_bounded(gb, "heartbeatTime", sip.heartbeat_time, 255, 1),
        heartbeat_count=_bounded(gb, "heartbeatCount", sip.heartbeat_count, 255, 1),
        transport=_choice(gb, "transportType", sip.transport, TRANSPORTS),
        protocol_version=_choice(gb, "protocolVersion", sip.protocol_version, VERSIONS),
    )
    if enabled:
        for tag, value in (("serverId", new.server_id), ("authID", new.auth_id)):
            if not _ID.match(value):
                raise bad_value(f"{tag} {value!r} is not 20 digits")
        if not new.registrar or not new.server_domain or not new.password:
            raise bad_value("registrar, serverDomain and password are required when enabled")
    state.sip = new


def get_sip_info(state: SipHolder, _m: re.Match[str], _body: bytes) -> bytes:
    inputs = "".join(
        f"<VideoInput><id>{i}</id><videoInputID>{x(cid)}</videoInputID></VideoInput>"
        for i, cid in sorted(state.sip.video_input_ids.items())
    )
    return _doc("SIPInfo", f"<VideoInputList>{inputs}</VideoInputList>")


def put_sip_info(state: SipHolder, _m: re.Match[str], body: bytes) -> None:
    wanted: dict[int, str] = {}
    for entry in parse(body, "SIPInfo").iterfind("{*}VideoInputList/{*}VideoInput"):
        number, cid = _int(entry, "id"), _text(entry, "videoInputID", "")
        if not 1 <= number <= state.sip_video_inputs:
            raise bad_value(f"video input {number} does not exist (1-{state.sip_video_inputs})")
        if cid and not _ID.match(cid):
            raise bad_value(f"videoInputID {cid!r} is not 20 digits")
        if cid:
            wanted[number] = cid
    state.sip = replace(state.sip, video_input_ids=wanted)


def agent_settings(sip: SipAccess) -> dict[str, Any] | None:
    """The lab agent's settings (bare names, as `unprefixed` gives them) for what the camera
    holds; None when access is off. The server address and port are the inventory's, as
    written: the caller maps them to the lab's."""
    if not sip.enabled:
        return None
    return {
        "enabled": True,
        "server_id": sip.server_id,
        "domain": sip.server_domain,
        "server_address": sip.registrar,
        "server_port": sip.registrar_port,
        "transport": sip.transport,
        "edition": sip.protocol_version.rpartition("-")[2],
        "device_id": sip.auth_id,
        "channels": tuple(cid for _, cid in sorted(sip.video_input_ids.items())),
        "password": sip.password,
        "register_expiry_s": sip.expires,
        "heartbeat_s": sip.heartbeat_time,
        "heartbeat_max_missed": sip.heartbeat_count,
    }


def _blankable(element: etree._Element, tag: str, current: str) -> str:
    """A text field: absent keeps what the camera holds, present but empty blanks it."""
    found = element.find(f"{{*}}{tag}")
    return current if found is None else (found.text or "").strip()


def _port(element: etree._Element, tag: str, current: int) -> int:
    return _bounded(element, tag, current, 65535, 1)


def _bounded(element: etree._Element, tag: str, current: int, top: int, bottom: int) -> int:
    value = _int(element, tag, current)
    if not bottom <= value <= top:
        raise bad_value(f"{tag} {value} is outside {bottom}-{top}")
    return value


def _choice(element: etree._Element, tag: str, current: str, allowed: tuple[str, ...]) -> str:
    value = _text(element, tag, current)
    if value not in allowed:
        raise bad_value(f"{tag} {value!r} is not one of {', '.join(allowed)}")
    return value


# path → methods, shared by the camera's routes and the NVR's (nvr.py builds its own).
SIP_RESOURCES: tuple[tuple[str, dict[str, tuple[str, Any]]], ...] = (
    ("/ISAPI/System/Network/SIP", {"GET": (READ, get_sip_list), "PUT": (WRITE, put_sip_list)}),
    (
        "/ISAPI/System/Network/SIP/1",
        {"GET": (READ, get_sip_server), "PUT": (WRITE, put_sip_server)},
    ),
    (
        "/ISAPI/System/Network/SIP/1/SIPInfo",
        {"GET": (READ, get_sip_info), "PUT": (WRITE, put_sip_info)},
    ),
)
SIP_ROUTES = tuple(_route(path, **methods) for path, methods in SIP_RESOURCES)
