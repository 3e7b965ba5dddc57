"""ONVIF Media2 service (tr2, ver20) of the simulated camera: where H.265 is set.

Follows the ONVIF Media2 service WSDL, ver20/media/wsdl/media.wsdl, and the types it uses from
ver10/schema/onvif.xsd (tt:VideoEncoder2Configuration, tt:VideoEncoder2ConfigurationOptions,
tt:VideoEncodingMimeNames JPEG|MPV4-ES|H264|H265), as published in github.com/onvif/specs
(commit ae44f9e), and the ONVIF Media2 Service Specification. Operations: GetServiceCapabilities,
GetProfiles (configurations only for the Types asked, as the WSDL says), GetVideoSource- and
GetVideoEncoderConfigurations, SetVideoEncoderConfiguration (H264 or H265),
GetVideoEncoderConfigurationOptions (one Options per encoding), GetStreamUri, GetSnapshotUri.
The camera's two fixed profiles and encoders are the ones Media1 shows (onvif_state).

Requests are read by local name, and Encoding/GovLength/Profile and the RateControl limits are
taken from an element or an attribute: clients disagree (onveef sends Encoding and the rate
limits as attributes), and the lab answers what a lenient camera answers rather than failing a
client on the shape of its request. Answers follow the XSD's element order exactly.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from provision.lab.onvif_device import media2_service_capabilities
from provision.lab.onvif_media import snapshot_uri, stream_uri
from provision.lab.onvif_soap import child, invalid_arg, text, x
from provision.lab.onvif_state import (
    BITRATE_RANGE_KBPS,
    ENCODINGS,
    FRAME_RATE_RANGE,
    GOV_LENGTH_RANGE,
    H264_PROFILES,
    PROFILE_NAMES,
    PROFILES,
    QUALITY_RANGE,
    RESOLUTIONS,
    VIDEO_SOURCE_CONFIG_TOKEN,
    VIDEO_SOURCE_TOKEN,
    CameraState,
    EncoderConfig,
    Operations,
)

H265_PROFILES = ("Main",)
_SENSOR_W, _SENSOR_H = RESOLUTIONS[0]
_MULTICAST_OFF = (
    "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address>"
    "</tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart>"
    "</tt:Multicast>"
)


def _profile_attr(enc: EncoderConfig) -> str:
    return enc.h264_profile if enc.encoding == "H264" else H265_PROFILES[0]


def _encoder2_xml(enc: EncoderConfig, tag: str) -> str:
    return (
        f'<{tag} token="{x(enc.token)}" GovLength="{enc.gov_length}"'
        f' Profile="{_profile_attr(enc)}"><tt:Name>{x(enc.name)}</tt:Name>'
        f"<tt:UseCount>1</tt:UseCount><tt:Encoding>{enc.encoding}</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{enc.width}</tt:Width><tt:Height>{enc.height}</tt:Height>"
        '</tt:Resolution><tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>'
        f"{enc.frame_rate}</tt:FrameRateLimit><tt:BitrateLimit>{enc.bitrate_kbps}"
        f"</tt:BitrateLimit></tt:RateControl>{_MULTICAST_OFF}<tt:Quality>{enc.quality:g}"
        f"</tt:Quality></{tag}>"
    )


def _source_xml(tag: str) -> str:
    return (
        f'<{tag} token="{VIDEO_SOURCE_CONFIG_TOKEN}"><tt:Name>VideoSourceConfig</tt:Name>'
        f"<tt:UseCount>{len(PROFILES)}</tt:UseCount><tt:SourceToken>{VIDEO_SOURCE_TOKEN}"
        f'</tt:SourceToken><tt:Bounds x="0" y="0" width="{_SENSOR_W}" height="{_SENSOR_H}"/>'
        f"</{tag}>"
    )


def get_profiles(cam: CameraState, req: etree._Element) -> str:
    wanted = {(t.text or "").strip() for t in req if etree.QName(t).localname == "Type"}
    only = text(req, "Token")
    if only is not None and only not in PROFILES:
        raise invalid_arg("NoProfile", reason=f"no media profile {only!r}")
    out = []
    for token in PROFILES if only is None else (only,):
        configs = ""
        if wanted & {"All", "VideoSource"}:
            configs += _source_xml("tr2:VideoSource")
        if wanted & {"All", "VideoEncoder"}:
            configs += _encoder2_xml(cam.encoders[PROFILES[token][0]], "tr2:VideoEncoder")
        body = f"<tr2:Configurations>{configs}</tr2:Configurations>" if configs else ""
        out.append(
            f'<tr2:Profiles token="{token}" fixed="true"><tr2:Name>{PROFILE_NAMES[token]}'
            f"</tr2:Name>{body}</tr2:Profiles>"
        )
    return f"<tr2:GetProfilesResponse>{''.join(out)}</tr2:GetProfilesResponse>"


def _encoder_tokens(req: etree._Element) -> list[str]:
    """GetConfiguration: one configuration by token, a profile's, or all."""
    token, profile = text(req, "ConfigurationToken"), text(req, "ProfileToken")
    if token:
        if token not in {enc for enc, _path in PROFILES.values()}:
            raise invalid_arg("NoConfig", reason=f"no video encoder configuration {token!r}")
        return [token]
    if profile:
        if profile not in PROFILES:
            raise invalid_arg("NoProfile", reason=f"no media profile {profile!r}")
        return [PROFILES[profile][0]]
    return [enc for enc, _path in PROFILES.values()]


def get_video_encoder_configurations(cam: CameraState, req: etree._Element) -> str:
    configs = "".join(
        _encoder2_xml(cam.encoders[t], "tr2:Configurations") for t in _encoder_tokens(req)
    )
    return (
        "<tr2:GetVideoEncoderConfigurationsResponse>"
        f"{configs}</tr2:GetVideoEncoderConfigurationsResponse>"
    )


def get_video_source_configurations(_cam: CameraState, _req: etree._Element) -> str:
    return (
        "<tr2:GetVideoSourceConfigurationsResponse>"
        f"{_source_xml('tr2:Configurations')}</tr2:GetVideoSourceConfigurationsResponse>"
    )


def _field(el: etree._Element | None, name: str) -> str | None:
    """A value sent as a child element or, by some clients, as an attribute."""
    if el is None:
        return None
    value = text(el, name)
    return value if value is not None else el.get(name)


def _number(value: str | None, bounds: tuple[int, int], what: str, current: int) -> int:
    if value is None:
        return current
    try:
        number = int(float(value))
    except ValueError as exc:
        raise invalid_arg("ConfigModify", reason=f"{what} {value!r} is not a number") from exc
    if not bounds[0] <= number <= bounds[1]:
        raise invalid_arg(
            "ConfigModify", reason=f"{what} {number} outside {bounds[0]}..{bounds[1]}"
        )
    return number


def validated_encoder2(cam: CameraState, conf: etree._Element) -> EncoderConfig:
    """The settings in a tt:VideoEncoder2Configuration, checked as the camera checks them."""
    token = conf.get("token", "")
    enc = cam.encoders.get(token)
    if enc is None:
        raise invalid_arg("NoConfig", reason=f"no video encoder configuration {token!r}")
    encoding = _field(conf, "Encoding") or enc.encoding
    if encoding not in ENCODINGS:
        raise invalid_arg("ConfigModify", reason=f"Encoding {encoding} unsupported: {ENCODINGS}")
    res = child(conf, "Resolution")
    size = (
        _number(text(res, "Width"), (1, 10000), "Width", enc.width),
        _number(text(res, "Height"), (1, 10000), "Height", enc.height),
    )
    if size not in cam.supported_resolutions(token):
        sizes = ", ".join(f"{w}x{h}" for w, h in cam.supported_resolutions(token))
        raise invalid_arg(
            "ConfigModify", reason=f"Resolution {size[0]}x{size[1]} unsupported; use one of {sizes}"
        )
    profile = conf.get("Profile") or (enc.h264_profile if encoding == "H264" else "Main")
    allowed = H264_PROFILES if encoding == "H264" else H265_PROFILES
    if profile not in allowed:
        raise invalid_arg("ConfigModify", reason=f"{encoding} Profile {profile} unsupported")
    rate = child(conf, "RateControl")
    fps = _field(rate, "FrameRateLimit")
    return replace(
        enc,
        name=(text(conf, "Name") or enc.name)[:64],
        encoding=encoding,
        width=size[0],
        height=size[1],
        quality=float(_number(text(conf, "Quality"), QUALITY_RANGE, "Quality", int(enc.quality))),
        frame_rate=_number(fps, FRAME_RATE_RANGE, "FrameRateLimit", enc.frame_rate),
        bitrate_kbps=_number(
            _field(rate, "BitrateLimit"), BITRATE_RANGE_KBPS, "BitrateLimit", enc.bitrate_kbps
        ),
        gov_length=_number(
            _field(conf, "GovLength"), GOV_LENGTH_RANGE, "GovLength", enc.gov_length
        ),
        h264_profile=profile if encoding == "H264" else enc.h264_profile,
    )


def set_video_encoder_configuration(cam: CameraState, req: etree._Element) -> str:
    conf = child(req, "Configuration")
    if conf is None:
        raise invalid_arg("NoConfig", reason="SetVideoEncoderConfiguration has no Configuration")
    new = validated_encoder2(cam, conf)
    cam.encoders[new.token] = new
    return "<tr2:SetVideoEncoderConfigurationResponse/>"


def _range(tag: str, bounds: tuple[int, int]) -> str:
    return f"<tt:{tag}><tt:Min>{bounds[0]}</tt:Min><tt:Max>{bounds[1]}</tt:Max></tt:{tag}>"


def get_video_encoder_configuration_options(cam: CameraState, req: etree._Element) -> str:
    token = _encoder_tokens(req)[0]
    sizes = "".join(
        f"<tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height>"
        "</tt:ResolutionsAvailable>"
        for w, h in cam.supported_resolutions(token)
    )
    rates = " ".join(str(r) for r in range(FRAME_RATE_RANGE[1], FRAME_RATE_RANGE[0] - 1, -1))
    options = "".join(
        f'<tr2:Options GovLengthRange="{GOV_LENGTH_RANGE[0]} {GOV_LENGTH_RANGE[1]}"'
        f' FrameRatesSupported="{rates}"'
        f' ProfilesSupported="{" ".join(H264_PROFILES if codec == "H264" else H265_PROFILES)}"'
        ' ConstantBitRateSupported="false">'
        f"<tt:Encoding>{codec}</tt:Encoding>{_range('QualityRange', QUALITY_RANGE)}{sizes}"
        f"{_range('BitrateRange', BITRATE_RANGE_KBPS)}</tr2:Options>"
        for codec in ENCODINGS
    )
    return (
        "<tr2:GetVideoEncoderConfigurationOptionsResponse>"
        f"{options}</tr2:GetVideoEncoderConfigurationOptionsResponse>"
    )


def _profile_token(req: etree._Element) -> str:
    token = text(req, "ProfileToken") or ""
    if token not in PROFILES:
        raise invalid_arg("NoProfile", reason=f"no media profile {token!r}")
    return token


def get_stream_uri(cam: CameraState, req: etree._Element) -> str:
    token = _profile_token(req)
    protocol = text(req, "Protocol") or "RtspUnicast"
    if protocol not in ("RtspUnicast", "RTSP"):  # the Media2 names; RtspOverHttp is not served
        raise invalid_arg("InvalidStreamSetup", reason=f"stream protocol {protocol} unsupported")
    uri = stream_uri(cam, token)
    return f"<tr2:GetStreamUriResponse><tr2:Uri>{x(uri)}</tr2:Uri></tr2:GetStreamUriResponse>"


def get_snapshot_uri(cam: CameraState, req: etree._Element) -> str:
    _profile_token(req)
    uri = snapshot_uri(cam)
    return f"<tr2:GetSnapshotUriResponse><tr2:Uri>{x(uri)}</tr2:Uri></tr2:GetSnapshotUriResponse>"


def get_service_capabilities(_cam: CameraState, _req: etree._Element) -> str:
    caps = media2_service_capabilities()
    return f"<tr2:GetServiceCapabilitiesResponse>{caps}</tr2:GetServiceCapabilitiesResponse>"


OPERATIONS: Operations = {
    "GetServiceCapabilities": ("User", get_service_capabilities),
    "GetProfiles": ("User", get_profiles),
    "GetVideoSourceConfigurations": ("User", get_video_source_configurations),
    "GetVideoEncoderConfigurations": ("User", get_video_encoder_configurations),
    "SetVideoEncoderConfiguration": ("Operator", set_video_encoder_configuration),
    "GetVideoEncoderConfigurationOptions": ("User", get_video_encoder_configuration_options),
    "GetStreamUri": ("User", get_stream_uri),
    "GetSnapshotUri": ("User", get_snapshot_uri),
}
