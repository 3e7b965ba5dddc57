"""ONVIF media service (trt, Media1) of the simulated camera: profiles, encoders, URIs, OSD.

Two fixed profiles (Profile_1 main, Profile_2 sub) share one video source. Element order follows
media.wsdl / onvif.xsd exactly; see onvif_state.MEDIA1_ENCODINGS for H.265 (Media2 only,
onvif_media2). The OSD
operations (also Media1) live in onvif_osd.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from provision.lab.onvif_device import media_service_capabilities
from provision.lab.onvif_osd import OSD_OPERATIONS
from provision.lab.onvif_soap import child, invalid_arg, text, x
from provision.lab.onvif_state import (
    BITRATE_RANGE_KBPS,
    ENCODING_INTERVAL_RANGE,
    FRAME_RATE_RANGE,
    GOV_LENGTH_RANGE,
    H264_PROFILES,
    MEDIA1_ENCODINGS,
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

_SENSOR_W, _SENSOR_H = RESOLUTIONS[0]

_VIDEO_SOURCE_CONFIG_BODY = (
    f"<tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>{len(PROFILES)}</tt:UseCount>"
    f"<tt:SourceToken>{VIDEO_SOURCE_TOKEN}</tt:SourceToken>"
    f'<tt:Bounds x="0" y="0" width="{_SENSOR_W}" height="{_SENSOR_H}"/>'
)
_MULTICAST_OFF = (
    "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address>"
    "</tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart>"
    "</tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>"
)


def stream_uri(cam: CameraState, profile_token: str) -> str:
    return f"rtsp://{cam.host}:{cam.rtsp_port}{PROFILES[profile_token][1]}"


def snapshot_uri(cam: CameraState) -> str:
    return f"http://{cam.host}:{cam.http_port}/snapshot/1.jpg"


def _encoder_xml(enc: EncoderConfig, tag: str) -> str:
    """Media1's view: H264 whatever the encoder runs (see onvif_state.MEDIA1_ENCODINGS)."""
    quality = f"{enc.quality:g}"
    return (
        f'<{tag} token="{x(enc.token)}"><tt:Name>{x(enc.name)}</tt:Name><tt:UseCount>1'
        f"</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>"
        f"{enc.width}</tt:Width><tt:Height>{enc.height}</tt:Height></tt:Resolution>"
        f"<tt:Quality>{quality}</tt:Quality><tt:RateControl><tt:FrameRateLimit>"
        f"{enc.frame_rate}</tt:FrameRateLimit><tt:EncodingInterval>{enc.encoding_interval}"
        f"</tt:EncodingInterval><tt:BitrateLimit>{enc.bitrate_kbps}</tt:BitrateLimit>"
        f"</tt:RateControl><tt:H264><tt:GovLength>{enc.gov_length}</tt:GovLength>"
        f"<tt:H264Profile>{enc.h264_profile}</tt:H264Profile></tt:H264>"
        f"{_MULTICAST_OFF}</{tag}>"
    )


def _profile_xml(cam: CameraState, token: str, tag: str) -> str:
    enc = cam.encoders[PROFILES[token][0]]
    return (
        f'<{tag} token="{token}" fixed="true"><tt:Name>{PROFILE_NAMES[token]}</tt:Name>'
        f'<tt:VideoSourceConfiguration token="{VIDEO_SOURCE_CONFIG_TOKEN}">'
        f"{_VIDEO_SOURCE_CONFIG_BODY}</tt:VideoSourceConfiguration>"
        f"{_encoder_xml(enc, 'tt:VideoEncoderConfiguration')}</{tag}>"
    )


def _profile_token(req: etree._Element) -> str:
    token = text(req, "ProfileToken") or ""
    if token not in PROFILES:
        raise invalid_arg("NoProfile", reason=f"no media profile {token!r}")
    return token


def _encoder(cam: CameraState, token: str) -> EncoderConfig:
    enc = cam.encoders.get(token)
    if enc is None:
        raise invalid_arg("NoConfig", reason=f"no video encoder configuration {token!r}")
    return enc


def get_profiles(cam: CameraState, _req: etree._Element) -> str:
    profiles = "".join(_profile_xml(cam, token, "trt:Profiles") for token in PROFILES)
    return f"<trt:GetProfilesResponse>{profiles}</trt:GetProfilesResponse>"


def get_profile(cam: CameraState, req: etree._Element) -> str:
    profile = _profile_xml(cam, _profile_token(req), "trt:Profile")
    return f"<trt:GetProfileResponse>{profile}</trt:GetProfileResponse>"


def get_video_sources(_cam: CameraState, _req: etree._Element) -> str:
    return (
        f'<trt:GetVideoSourcesResponse><trt:VideoSources token="{VIDEO_SOURCE_TOKEN}">'
        f"<tt:Framerate>{FRAME_RATE_RANGE[1]}</tt:Framerate><tt:Resolution><tt:Width>"
        f"{_SENSOR_W}</tt:Width><tt:Height>{_SENSOR_H}</tt:Height></tt:Resolution>"
        "</trt:VideoSources></trt:GetVideoSourcesResponse>"
    )


def get_video_source_configurations(_cam: CameraState, _req: etree._Element) -> str:
    return (
        "<trt:GetVideoSourceConfigurationsResponse>"
        f'<trt:Configurations token="{VIDEO_SOURCE_CONFIG_TOKEN}">{_VIDEO_SOURCE_CONFIG_BODY}'
        "</trt:Configurations></trt:GetVideoSourceConfigurationsResponse>"
    )


def get_video_encoder_configurations(cam: CameraState, _req: etree._Element) -> str:
    configs = "".join(_encoder_xml(e, "trt:Configurations") for e in cam.encoders.values())
    return (
        "<trt:GetVideoEncoderConfigurationsResponse>"
        f"{configs}</trt:GetVideoEncoderConfigurationsResponse>"
    )


def get_video_encoder_configuration(cam: CameraState, req: etree._Element) -> str:
    enc = _encoder(cam, text(req, "ConfigurationToken") or "")
    return (
        "<trt:GetVideoEncoderConfigurationResponse>"
        f"{_encoder_xml(enc, 'trt:Configuration')}</trt:GetVideoEncoderConfigurationResponse>"
    )


def _int_in(value: str | None, bounds: tuple[int, int], what: str, current: int) -> int:
    """Parse an optional integer setting and check it is within `bounds`."""
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


def validated_encoder(cam: CameraState, conf: etree._Element) -> EncoderConfig:
    """The encoder settings requested in a tt:VideoEncoderConfiguration, checked like a camera.

    Omitted optional parts (RateControl, H264) keep their current values; a value the camera
    cannot do answers Sender / ter:InvalidArgVal / ter:ConfigModify naming the bad field.
    """
    enc = _encoder(cam, conf.get("token", ""))
    encoding = text(conf, "Encoding") or enc.encoding
    if encoding not in MEDIA1_ENCODINGS:
        raise invalid_arg(
            "ConfigModify",
            reason=f"Encoding {encoding} is not a Media1 VideoEncoding here (H264 only); "
            "set H265 through the Media2 service",
        )
    res = child(conf, "Resolution")
    width = _int_in(text(res, "Width"), (1, 10000), "Width", enc.width)
    height = _int_in(text(res, "Height"), (1, 10000), "Height", enc.height)
    allowed = cam.supported_resolutions(enc.token)
    if (width, height) not in allowed:
        sizes = ", ".join(f"{w}x{h}" for w, h in allowed)
        raise invalid_arg(
            "ConfigModify", reason=f"Resolution {width}x{height} unsupported; use one of {sizes}"
        )
    rate = child(conf, "RateControl")
    h264 = child(conf, "H264")
    profile = text(h264, "H264Profile") or enc.h264_profile
    if profile not in H264_PROFILES:
        raise invalid_arg("ConfigModify", reason=f"H264Profile {profile} unsupported")
    quality = text(conf, "Quality")
    return replace(
        enc,
        name=(text(conf, "Name") or enc.name)[:64],
        encoding=encoding,
        width=width,
        height=height,
        quality=float(_int_in(quality, QUALITY_RANGE, "Quality", int(enc.quality))),
        frame_rate=_int_in(
            text(rate, "FrameRateLimit"), FRAME_RATE_RANGE, "FrameRateLimit", enc.frame_rate
        ),
        encoding_interval=_int_in(
            text(rate, "EncodingInterval"),
            ENCODING_INTERVAL_RANGE,
            "EncodingInterval",
            enc.encoding_interval,
        ),
        bitrate_kbps=_int_in(
            text(rate, "BitrateLimit"), BITRATE_RANGE_KBPS, "BitrateLimit", enc.bitrate_kbps
        ),
        gov_length=_int_in(text(h264, "GovLength"), GOV_LENGTH_RANGE, "GovLength", enc.gov_length),
        h264_profile=profile,
    )


def set_video_encoder_configuration(cam: CameraState, req: etree._Element) -> str:
    conf = child(req, "Configuration")
    if conf is None:
        raise invalid_arg("NoConfig", reason="SetVideoEncoderConfiguration has no Configuration")
    new = validated_encoder(cam, conf)
    cam.encoders[new.token] = new
    return "<trt:SetVideoEncoderConfigurationResponse/>"


def _range(tag: str, bounds: tuple[int, int]) -> str:
    return f"<tt:{tag}><tt:Min>{bounds[0]}</tt:Min><tt:Max>{bounds[1]}</tt:Max></tt:{tag}>"


def get_video_encoder_configuration_options(cam: CameraState, req: etree._Element) -> str:
    token = text(req, "ConfigurationToken")
    if token is None and text(req, "ProfileToken") is not None:
        token = PROFILES[_profile_token(req)][0]
    enc_token = _encoder(cam, token).token if token else "VideoEncoderToken_1"
    sizes = "".join(
        f"<tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height>"
        "</tt:ResolutionsAvailable>"
        for w, h in cam.supported_resolutions(enc_token)
    )
    h264 = (
        sizes
        + _range("GovLengthRange", GOV_LENGTH_RANGE)
        + _range("FrameRateRange", FRAME_RATE_RANGE)
        + _range("EncodingIntervalRange", ENCODING_INTERVAL_RANGE)
        + "".join(
            f"<tt:H264ProfilesSupported>{p}</tt:H264ProfilesSupported>" for p in H264_PROFILES
        )
    )
    return (
        "<trt:GetVideoEncoderConfigurationOptionsResponse><trt:Options>"
        f"{_range('QualityRange', QUALITY_RANGE)}<tt:H264>{h264}</tt:H264>"
        f"<tt:Extension><tt:H264>{h264}{_range('BitrateRange', BITRATE_RANGE_KBPS)}</tt:H264>"
        "</tt:Extension></trt:Options></trt:GetVideoEncoderConfigurationOptionsResponse>"
    )


def _media_uri(tag: str, uri: str) -> str:
    return (
        f"<{tag}><trt:MediaUri><tt:Uri>{x(uri)}</tt:Uri><tt:InvalidAfterConnect>false"
        "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
        f"<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></{tag}>"
    )


def get_stream_uri(cam: CameraState, req: etree._Element) -> str:
    token = _profile_token(req)
    setup = child(req, "StreamSetup")
    stream = text(setup, "Stream") or "RTP-Unicast"
    protocol = text(setup, "Transport", "Protocol") or "RTSP"
    if stream != "RTP-Unicast" or protocol not in ("UDP", "TCP", "RTSP"):
        raise invalid_arg(
            "InvalidStreamSetup", reason=f"only RTP-Unicast over RTSP, not {stream}/{protocol}"
        )
    return _media_uri("trt:GetStreamUriResponse", stream_uri(cam, token))


def get_snapshot_uri(cam: CameraState, req: etree._Element) -> str:
    _profile_token(req)
    return _media_uri("trt:GetSnapshotUriResponse", snapshot_uri(cam))


def get_service_capabilities(_cam: CameraState, _req: etree._Element) -> str:
    caps = media_service_capabilities()
    return f"<trt:GetServiceCapabilitiesResponse>{caps}</trt:GetServiceCapabilitiesResponse>"


OPERATIONS: Operations = {
    "GetServiceCapabilities": ("User", get_service_capabilities),
    "GetProfiles": ("User", get_profiles),
    "GetProfile": ("User", get_profile),
    "GetVideoSources": ("User", get_video_sources),
    "GetVideoSourceConfigurations": ("User", get_video_source_configurations),
    "GetVideoEncoderConfigurations": ("User", get_video_encoder_configurations),
    "GetVideoEncoderConfiguration": ("User", get_video_encoder_configuration),
    "SetVideoEncoderConfiguration": ("Operator", set_video_encoder_configuration),
    "GetVideoEncoderConfigurationOptions": ("User", get_video_encoder_configuration_options),
    "GetStreamUri": ("User", get_stream_uri),
    "GetSnapshotUri": ("User", get_snapshot_uri),
    **OSD_OPERATIONS,
}
