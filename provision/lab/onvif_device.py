"""ONVIF device management service (tds) of the simulated camera.

Each handler takes the camera's state and the request's operation element and returns the
response element as text, in the exact element order of devicemgmt.wsdl / onvif.xsd (ONVIF
ver10 device management, github.com/onvif/specs wsdl/ver10/device/wsdl/devicemgmt.wsdl). GetServices
lists the device, Media1 (ver10) and Media2 (ver20) services; GetCapabilities has no Media2
element in its schema, so it names Device and Media only, as cameras do. The
OPERATIONS table also says which user level each operation needs (None: no authentication,
which ONVIF allows for GetSystemDateAndTime so a client can measure the camera's clock first).
User accounts live in onvif_users.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime

from lxml import etree

from provision.lab.onvif_soap import (
    NS_TDS,
    NS_TEV,
    NS_TR2,
    NS_TRT,
    children,
    invalid_arg,
    receiver_fault,
    text,
    x,
    xbool,
)
from provision.lab.onvif_state import MAX_USERS, CameraState, Identity, Operations, tz_utc_offset
from provision.lab.onvif_users import USER_OPERATIONS

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def is_hostname(name: str) -> bool:
    """RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens."""
    return 0 < len(name) <= 253 and all(_HOST_LABEL.match(p) for p in name.split("."))


def device_xaddr(cam: CameraState) -> str:
    return f"http://{cam.host}:{cam.http_port}/onvif/device_service"


def media_xaddr(cam: CameraState) -> str:
    return f"http://{cam.host}:{cam.http_port}/onvif/media_service"


MEDIA2_PATH = "/onvif/media2_service"
EVENTS_PATH = "/onvif/event_service"


def events_xaddr(cam: CameraState) -> str:
    return f"http://{cam.host}:{cam.http_port}{EVENTS_PATH}"


def media2_xaddr(cam: CameraState) -> str:
    return f"http://{cam.host}:{cam.http_port}{MEDIA2_PATH}"


def _bool(el: etree._Element, name: str, default: bool = False) -> bool:
    value = text(el, name)
    return default if value is None else value.lower() in ("true", "1")


def date_time_xml(dt: datetime) -> str:
    """tt:DateTime's Time and Date, as GetSystemDateAndTime answers them."""
    return (
        f"<tt:Time><tt:Hour>{dt.hour}</tt:Hour><tt:Minute>{dt.minute}</tt:Minute>"
        f"<tt:Second>{dt.second}</tt:Second></tt:Time><tt:Date><tt:Year>{dt.year}</tt:Year>"
        f"<tt:Month>{dt.month}</tt:Month><tt:Day>{dt.day}</tt:Day></tt:Date>"
    )


def device_information_xml(i: Identity) -> str:
    """The GetDeviceInformation answer of a lab ONVIF device (camera or recorder)."""
    return (
        f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{x(i.manufacturer)}"
        f"</tds:Manufacturer><tds:Model>{x(i.model)}</tds:Model><tds:FirmwareVersion>"
        f"{x(i.firmware)}</tds:FirmwareVersion><tds:SerialNumber>{x(i.serial)}"
        f"</tds:SerialNumber><tds:HardwareId>{x(i.hardware_id)}</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def get_device_information(cam: CameraState, _req: etree._Element) -> str:
    return device_information_xml(cam.identity)


def get_system_date_and_time(cam: CameraState, _req: etree._Element) -> str:
    now = cam.now()
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        f"<tt:DateTimeType>{cam.date_time_type}</tt:DateTimeType>"
        f"<tt:DaylightSavings>{xbool(cam.daylight_savings)}</tt:DaylightSavings>"
        f"<tt:TimeZone><tt:TZ>{x(cam.timezone)}</tt:TZ></tt:TimeZone>"
        f"<tt:UTCDateTime>{date_time_xml(now)}</tt:UTCDateTime>"
        f"<tt:LocalDateTime>{date_time_xml(cam.local_time(now))}</tt:LocalDateTime>"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def _sync_clock_if_ntp(cam: CameraState) -> None:
    """A camera on NTP with a server configured keeps real time: the lab syncs at once."""
    if cam.date_time_type == "NTP" and (cam.ntp_servers or cam.ntp_from_dhcp):
        cam.clock_offset_s = 0.0


_DATE_TIME_FIELDS = (
    ("Date", "Year"),
    ("Date", "Month"),
    ("Date", "Day"),
    ("Time", "Hour"),
    ("Time", "Minute"),
    ("Time", "Second"),
)


def set_system_date_and_time(cam: CameraState, req: etree._Element) -> str:
    kind = text(req, "DateTimeType")
    if kind not in ("Manual", "NTP"):
        raise invalid_arg("InvalidDateTime", reason=f"DateTimeType {kind!r} is not Manual/NTP")
    tz = text(req, "TimeZone", "TZ")
    if tz is not None and tz_utc_offset(tz) is None:
        raise invalid_arg("InvalidTimeZone", reason=f"unsupported POSIX time zone {tz!r}")
    utc = None
    if kind == "Manual" and (date_el := next(children(req, "UTCDateTime"), None)) is not None:
        try:
            year, month, day, hour, minute, second = (
                int(text(date_el, *path) or "") for path in _DATE_TIME_FIELDS
            )
            utc = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise invalid_arg("InvalidDateTime", reason=f"invalid UTCDateTime: {exc}") from exc
    cam.date_time_type = kind
    cam.daylight_savings = _bool(req, "DaylightSavings")
    if tz is not None:
        cam.timezone = tz
    if utc is not None:
        cam.clock_offset_s = (utc - datetime.now(UTC)).total_seconds()
    _sync_clock_if_ntp(cam)
    return "<tds:SetSystemDateAndTimeResponse/>"


def get_capabilities(cam: CameraState, req: etree._Element) -> str:
    wanted = {(c.text or "").strip() for c in children(req, "Category")} or {"All"}
    unsupported = wanted - {"All", "Device", "Events", "Media"}
    if unsupported:
        raise receiver_fault(
            "ActionNotSupported",
            "NoSuchService",
            reason=f"no capability category {', '.join(sorted(unsupported))} on this camera",
        )
    parts = []
    if wanted & {"All", "Device"}:
        parts.append(
            f"<tt:Device><tt:XAddr>{x(device_xaddr(cam))}</tt:XAddr>"
            "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false"
            "</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false"
            "</tt:DynDNS></tt:Network><tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve>"
            "<tt:DiscoveryBye>false</tt:DiscoveryBye><tt:RemoteDiscovery>false"
            "</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>"
            "false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
            "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>40</tt:Minor>"
            "</tt:SupportedVersions></tt:System></tt:Device>"
        )
    if wanted & {"All", "Events"}:
        parts.append(
            f"<tt:Events><tt:XAddr>{x(events_xaddr(cam))}</tt:XAddr>"
            "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
            "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
            "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
            "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
        )
    if wanted & {"All", "Media"}:
        parts.append(
            f"<tt:Media><tt:XAddr>{x(media_xaddr(cam))}</tt:XAddr><tt:StreamingCapabilities>"
            "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
        )
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        + "".join(parts)
        + "</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


_DEVICE_SERVICE_CAPS = (
    '<tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"'
    ' HostnameFromDHCP="false" NTP="4"/><tds:Security UsernameToken="true" HttpDigest="false"'
    f' MaxUsers="{MAX_USERS}"/><tds:System DiscoveryResolve="false" DiscoveryBye="false"'
    ' RemoteDiscovery="false" SystemBackup="false" SystemLogging="false"'
    ' FirmwareUpgrade="false"/>'
)
_MEDIA_SERVICE_CAPS = (
    '<trt:Capabilities SnapshotUri="true" Rotation="false" OSD="true">'
    '<trt:ProfileCapabilities MaximumNumberOfProfiles="2"/><trt:StreamingCapabilities'
    ' RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>'
)


def get_service_capabilities(_cam: CameraState, _req: etree._Element) -> str:
    return (
        "<tds:GetServiceCapabilitiesResponse><tds:Capabilities>"
        + _DEVICE_SERVICE_CAPS
        + "</tds:Capabilities></tds:GetServiceCapabilitiesResponse>"
    )


_MEDIA2_SERVICE_CAPS = (
    '<tr2:Capabilities SnapshotUri="true" Rotation="false" VideoSourceMode="false" OSD="false"'
    ' TemporaryOSDText="false" Mask="false" SourceMask="false">'
    '<tr2:ProfileCapabilities MaximumNumberOfProfiles="2"'
    ' ConfigurationsSupported="VideoSource VideoEncoder"/>'
    '<tr2:StreamingCapabilities RTSPStreaming="true" RTPMulticast="false" RTP_RTSP_TCP="true"'
    ' NonAggregateControl="false" AutoStartMulticast="false"/></tr2:Capabilities>'
)


_EVENTS_SERVICE_CAPS = (
    '<tev:Capabilities WSSubscriptionPolicySupport="false"'
    ' WSPausableSubscriptionManagerInterfaceSupport="false" MaxPullPoints="10"/>'
)


def media_service_capabilities() -> str:
    return _MEDIA_SERVICE_CAPS


def media2_service_capabilities() -> str:
    """tr2:Capabilities (ver20 media.wsdl), for GetServices and Media2's own answer."""
    return _MEDIA2_SERVICE_CAPS


def get_services(cam: CameraState, req: etree._Element) -> str:
    with_caps = _bool(req, "IncludeCapability")
    services = []
    for namespace, xaddr, caps in (
        (NS_TDS, device_xaddr(cam), f"<tds:Capabilities>{_DEVICE_SERVICE_CAPS}</tds:Capabilities>"),
        (NS_TRT, media_xaddr(cam), _MEDIA_SERVICE_CAPS),
        (NS_TR2, media2_xaddr(cam), _MEDIA2_SERVICE_CAPS),
        (NS_TEV, events_xaddr(cam), _EVENTS_SERVICE_CAPS),
    ):
        services.append(
            f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace>"
            f"<tds:XAddr>{x(xaddr)}</tds:XAddr>"
            + (f"<tds:Capabilities>{caps}</tds:Capabilities>" if with_caps else "")
            + "<tds:Version><tt:Major>2</tt:Major><tt:Minor>40</tt:Minor></tds:Version>"
            "</tds:Service>"
        )
    return "<tds:GetServicesResponse>" + "".join(services) + "</tds:GetServicesResponse>"


def get_hostname(cam: CameraState, _req: etree._Element) -> str:
    return (
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"<tt:Name>{x(cam.hostname)}</tt:Name></tds:HostnameInformation>"
        "</tds:GetHostnameResponse>"
    )


def set_hostname(cam: CameraState, req: etree._Element) -> str:
    name = text(req, "Name") or ""
    if not is_hostname(name):
        raise invalid_arg("InvalidHostname", reason=f"invalid host name {name!r}")
    cam.hostname = name
    return "<tds:SetHostnameResponse/>"


def get_ntp(cam: CameraState, _req: etree._Element) -> str:
    hosts = "".join(
        f"<tt:NTPManual><tt:Type>{kind}</tt:Type>"
        f"<tt:{_ADDRESS_ELEMENT[kind]}>{x(addr)}</tt:{_ADDRESS_ELEMENT[kind]}></tt:NTPManual>"
        for kind, addr in cam.ntp_servers
    )
    return (
        "<tds:GetNTPResponse><tds:NTPInformation>"
        f"<tt:FromDHCP>{xbool(cam.ntp_from_dhcp)}</tt:FromDHCP>{hosts}"
        "</tds:NTPInformation></tds:GetNTPResponse>"
    )


_ADDRESS_ELEMENT = {"IPv4": "IPv4Address", "IPv6": "IPv6Address", "DNS": "DNSname"}


def _network_host(el: etree._Element) -> tuple[str, str]:
    kind = text(el, "Type") or ""
    if kind not in _ADDRESS_ELEMENT:
        raise invalid_arg("InvalidNetworkHost", reason=f"NTP host Type {kind!r} is not valid")
    addr = text(el, _ADDRESS_ELEMENT[kind]) or ""
    try:
        if kind == "IPv4":
            addr = str(ipaddress.IPv4Address(addr))
        elif kind == "IPv6":
            addr = str(ipaddress.IPv6Address(addr))
        elif not is_hostname(addr):
            raise ValueError(f"{addr!r} is not a DNS name")
    except ValueError as exc:
        raise invalid_arg(
            "InvalidIPv4Address" if kind == "IPv4" else "InvalidDnsName",
            reason=f"invalid NTP server: {exc}",
        ) from exc
    return kind, addr


def set_ntp(cam: CameraState, req: etree._Element) -> str:
    servers = [_network_host(el) for el in children(req, "NTPManual")]
    if len(servers) > 4:
        raise invalid_arg("TooManyNTPServers", reason="at most 4 manual NTP servers")
    cam.ntp_from_dhcp = _bool(req, "FromDHCP")
    cam.ntp_servers = servers
    _sync_clock_if_ntp(cam)
    return "<tds:SetNTPResponse/>"


def get_scopes(cam: CameraState, _req: etree._Element) -> str:
    """Fixed scopes as Profile S/T cameras announce them (ONVIF Core 7.3.2.1)."""
    scopes = (
        "type/video_encoder",
        "Profile/Streaming",
        "Profile/T",
        f"hardware/{cam.identity.model}",
        f"name/{cam.hostname}",
        "location/country/china",
    )
    return (
        "<tds:GetScopesResponse>"
        + "".join(
            f"<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>"
            f"onvif://www.onvif.org/{x(scope)}</tt:ScopeItem></tds:Scopes>"
            for scope in scopes
        )
        + "</tds:GetScopesResponse>"
    )


def _mac(cam: CameraState) -> str:
    """A stable locally administered MAC address derived from the serial."""
    digest = sum(ord(c) * 31**i for i, c in enumerate(cam.identity.serial)) & 0xFFFFFFFF
    return "02:00:" + ":".join(f"{(digest >> s) & 0xFF:02x}" for s in (24, 16, 8, 0))


def get_network_interfaces(cam: CameraState, _req: etree._Element) -> str:
    return (
        '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">'
        "<tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name>"
        f"<tt:HwAddress>{_mac(cam)}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>"
        "<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual>"
        f"<tt:Address>{x(cam.host)}</tt:Address><tt:PrefixLength>24</tt:PrefixLength>"
        "</tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
        "</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
    )


def get_dns(_cam: CameraState, _req: etree._Element) -> str:
    return (
        "<tds:GetDNSResponse><tds:DNSInformation><tt:FromDHCP>false</tt:FromDHCP>"
        "<tt:DNSManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>8.8.8.8</tt:IPv4Address>"
        "</tt:DNSManual></tds:DNSInformation></tds:GetDNSResponse>"
    )


def get_network_protocols(cam: CameraState, _req: etree._Element) -> str:
    protocols = (("HTTP", True, 80), ("HTTPS", False, 443), ("RTSP", True, 554))
    return (
        "<tds:GetNetworkProtocolsResponse>"
        + "".join(
            f"<tds:NetworkProtocols><tt:Name>{name}</tt:Name><tt:Enabled>{xbool(on)}"
            f"</tt:Enabled><tt:Port>{port}</tt:Port></tds:NetworkProtocols>"
            for name, on, port in protocols
        )
        + "</tds:GetNetworkProtocolsResponse>"
    )


def get_discovery_mode(_cam: CameraState, _req: etree._Element) -> str:
    return (
        "<tds:GetDiscoveryModeResponse><tds:DiscoveryMode>Discoverable</tds:DiscoveryMode>"
        "</tds:GetDiscoveryModeResponse>"
    )


OPERATIONS: Operations = {
    "GetScopes": ("User", get_scopes),
    "GetNetworkInterfaces": ("User", get_network_interfaces),
    "GetDNS": ("User", get_dns),
    "GetNetworkProtocols": ("User", get_network_protocols),
    "GetDiscoveryMode": ("User", get_discovery_mode),
    "GetDeviceInformation": ("User", get_device_information),
    "GetSystemDateAndTime": (None, get_system_date_and_time),
    "SetSystemDateAndTime": ("Administrator", set_system_date_and_time),
    "GetCapabilities": ("User", get_capabilities),
    "GetServices": ("User", get_services),
    "GetServiceCapabilities": ("User", get_service_capabilities),
    "GetHostname": ("User", get_hostname),
    "SetHostname": ("Administrator", set_hostname),
    "GetNTP": ("User", get_ntp),
    "SetNTP": ("Administrator", set_ntp),
    **USER_OPERATIONS,
}
