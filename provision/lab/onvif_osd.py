"""ONVIF Media1 OSD operations: one plain-text overlay per camera (the school's name, say).

Factory cameras have no OSD; CreateOSD makes the one allowed (a second answers
env:Receiver / ter:Action / ter:MaxOSDs), SetOSD changes its text or corner, DeleteOSD removes it.
"""

from __future__ import annotations

from lxml import etree

from provision.lab.onvif_soap import child, invalid_arg, receiver_fault, text, x
from provision.lab.onvif_state import (
    MAX_OSDS,
    VIDEO_SOURCE_CONFIG_TOKEN,
    CameraState,
    Operations,
    Osd,
)

OSD_POSITIONS = ("UpperLeft", "UpperRight", "LowerLeft", "LowerRight")


def _osd_xml(osd: Osd, tag: str) -> str:
    return (
        f'<{tag} token="{x(osd.token)}"><tt:VideoSourceConfigurationToken>'
        f"{VIDEO_SOURCE_CONFIG_TOKEN}</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type>"
        f"<tt:Position><tt:Type>{osd.position}</tt:Type></tt:Position><tt:TextString>"
        f"<tt:Type>Plain</tt:Type><tt:PlainText>{x(osd.text)}</tt:PlainText></tt:TextString>"
        f"</{tag}>"
    )


def _osd_request(req: etree._Element) -> tuple[str, str, str]:
    """(token, text, position) from a request's tt:OSDConfiguration, validated."""
    osd = child(req, "OSD")
    if osd is None:
        raise invalid_arg("InvalidOSD", reason="request has no OSD element")
    source = text(osd, "VideoSourceConfigurationToken") or VIDEO_SOURCE_CONFIG_TOKEN
    if source != VIDEO_SOURCE_CONFIG_TOKEN:
        raise invalid_arg("NoConfig", reason=f"no video source configuration {source!r}")
    kind, text_kind = text(osd, "Type") or "Text", text(osd, "TextString", "Type") or "Plain"
    if kind != "Text" or text_kind != "Plain":
        raise invalid_arg("InvalidOSD", reason="this camera supports plain-text OSD only")
    position = text(osd, "Position", "Type") or "UpperLeft"
    if position not in OSD_POSITIONS:
        raise invalid_arg("InvalidOSD", reason=f"OSD position {position!r} not in {OSD_POSITIONS}")
    plain = text(osd, "TextString", "PlainText") or ""
    if len(plain) > 64:
        raise invalid_arg("InvalidOSD", reason="OSD text longer than 64 characters")
    return osd.get("token", ""), plain, position


def _osd(cam: CameraState, token: str) -> Osd:
    osd = cam.osds.get(token)
    if osd is None:
        raise invalid_arg("NoConfig", reason=f"no OSD {token!r}")
    return osd


def get_osds(cam: CameraState, req: etree._Element) -> str:
    source = text(req, "ConfigurationToken")
    osds = cam.osds.values() if source in (None, VIDEO_SOURCE_CONFIG_TOKEN) else ()
    listed = "".join(_osd_xml(o, "trt:OSDs") for o in osds)
    return f"<trt:GetOSDsResponse>{listed}</trt:GetOSDsResponse>"


def get_osd(cam: CameraState, req: etree._Element) -> str:
    osd = _osd(cam, text(req, "OSDToken") or "")
    return f"<trt:GetOSDResponse>{_osd_xml(osd, 'trt:OSD')}</trt:GetOSDResponse>"


def set_osd(cam: CameraState, req: etree._Element) -> str:
    token, plain, position = _osd_request(req)
    osd = _osd(cam, token)
    osd.text, osd.position = plain, position
    return "<trt:SetOSDResponse/>"


def create_osd(cam: CameraState, req: etree._Element) -> str:
    _token, plain, position = _osd_request(req)
    if len(cam.osds) >= MAX_OSDS:
        raise receiver_fault("Action", "MaxOSDs", reason=f"at most {MAX_OSDS} OSD on this camera")
    cam.osd_counter += 1
    token = f"OSD_{cam.osd_counter}"  # the device assigns tokens, as ONVIF lets it
    cam.osds[token] = Osd(token, plain, position)
    return f"<trt:CreateOSDResponse><trt:OSDToken>{token}</trt:OSDToken></trt:CreateOSDResponse>"


def delete_osd(cam: CameraState, req: etree._Element) -> str:
    del cam.osds[_osd(cam, text(req, "OSDToken") or "").token]
    return "<trt:DeleteOSDResponse/>"


def get_osd_options(_cam: CameraState, req: etree._Element) -> str:
    source = text(req, "ConfigurationToken")
    if source != VIDEO_SOURCE_CONFIG_TOKEN:
        raise invalid_arg("NoConfig", reason=f"no video source configuration {source!r}")
    positions = "".join(f"<tt:PositionOption>{p}</tt:PositionOption>" for p in OSD_POSITIONS)
    return (
        "<trt:GetOSDOptionsResponse><trt:OSDOptions>"
        f'<tt:MaximumNumberOfOSDs Total="{MAX_OSDS}" PlainText="{MAX_OSDS}"/><tt:Type>Text'
        f"</tt:Type>{positions}<tt:TextOption><tt:Type>Plain</tt:Type></tt:TextOption>"
        "</trt:OSDOptions></trt:GetOSDOptionsResponse>"
    )


OSD_OPERATIONS: Operations = {
    "GetOSDs": ("User", get_osds),
    "GetOSD": ("User", get_osd),
    "GetOSDOptions": ("User", get_osd_options),
    "SetOSD": ("Operator", set_osd),
    "CreateOSD": ("Operator", create_osd),
    "DeleteOSD": ("Operator", delete_osd),
}
