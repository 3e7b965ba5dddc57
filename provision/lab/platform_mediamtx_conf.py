"""MediaMTX's configuration as its API shows and accepts it, from its own OpenAPI document.

The field lists and types of PathConf and GlobalConf come from MediaMTX's api/openapi.yaml
(v1.20.1, kept with its MIT licence in provision/lab/specs/mediamtx), so the lab accepts every
field the product accepts and no other. Defaults are those of internal/conf/path.go
`(*Path).setDefaults` and conf.go `(*Conf).setDefaults` at the same tag; a field neither sets
takes Go's zero value, and slices are never null (Load sets nil slices to empty). Deprecated
fields (pointers with omitempty, nil by default) are accepted and left out of answers until
set, as Go's encoder does.

Bodies are decoded as jsonwrapper.Unmarshal does: an unknown field is `json: unknown field
"x"`, a value of the wrong JSON type `json: cannot unmarshal <kind> into Go struct field
.<name> of type <type>`, a null slice `cannot set slice to nil`; an enum field refuses values
outside its enum. Duration and size strings are taken as given (not parsed).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml

SPEC_PATH = "specs/mediamtx/openapi.yaml"
MEDIAMTX_VERSION = "v1.20.1"

PATH_DEFAULTS: dict[str, Any] = {  # path.go setDefaults
    "source": "publisher",
    "sourceOnDemandStartTimeout": "10s",
    "sourceOnDemandCloseAfter": "10s",
    "recordPath": "./recordings/%path/%Y-%m-%d_%H-%M-%S-%f",
    "recordFormat": "fmp4",
    "recordPartDuration": "1s",
    "recordMaxPartSize": "50M",
    "recordSegmentDuration": "1h0m0s",
    "recordDeleteAfter": "1d",
    "overridePublisher": True,
    "rtspTransport": "automatic",
    "rtspUDPSourcePortRange": [32768, 60999],
    "moqTransport": "quic",
    "whepSTUNGatherTimeout": "5s",
    "whepHandshakeTimeout": "10s",
    "whepTrackGatherTimeout": "2s",
    "rpiCameraWidth": 1920,
    "rpiCameraHeight": 1080,
    "rpiCameraContrast": 1,
    "rpiCameraSaturation": 1,
    "rpiCameraSharpness": 1,
    "rpiCameraExposure": "normal",
    "rpiCameraAWB": "auto",
    "rpiCameraAWBGains": [0, 0],
    "rpiCameraDenoise": "off",
    "rpiCameraMetering": "centre",
    "rpiCameraFPS": 30,
    "rpiCameraAfMode": "continuous",
    "rpiCameraAfRange": "normal",
    "rpiCameraAfSpeed": "normal",
    "rpiCameraTextOverlay": "%Y-%m-%d %H:%M:%S - MediaMTX",
    "rpiCameraCodec": "auto",
    "rpiCameraIDRPeriod": 60,
    "rpiCameraBitrate": 5000000,
    "rpiCameraH264Profile": "auto",
    "rpiCameraH264Level": "4.1",
    "rpiCameraMJPEGQuality": 60,
    "runOnDemandStartTimeout": "10s",
    "runOnDemandCloseAfter": "10s",
}
_ANY_ALL_ACTIONS = [{"action": a, "path": ""} for a in ("publish", "read", "playback")]
_LOCAL_ADMIN = [{"action": a, "path": ""} for a in ("api", "metrics", "pprof")]
GLOBAL_DEFAULTS: dict[str, Any] = {  # conf.go setDefaults
    "logLevel": "info",
    "logDestinations": ["stdout"],
    "logFile": "mediamtx.log",
    "sysLogPrefix": "mediamtx",
    "readTimeout": "10s",
    "writeTimeout": "10s",
    "writeQueueSize": 512,
    "udpMaxPayloadSize": 1452,
    "authMethod": "internal",
    "authInternalUsers": [
        {"user": "any", "pass": "", "ips": [], "permissions": _ANY_ALL_ACTIONS},
        {"user": "any", "pass": "", "ips": ["127.0.0.1", "::1"], "permissions": _LOCAL_ADMIN},
    ],
    "authJWTClaimKey": "mediamtx_permissions",
    "api": True,  # the lab serves it (off in the stock mediamtx.yml)
    "apiAddress": ":9997",
    "metricsAddress": ":9998",
    "pprofAddress": ":9999",
    "playbackAddress": ":9996",
    "rtsp": True,
    "rtspEncryption": "no",
    "rtspTransports": ["udp", "multicast", "tcp"],
    "rtspAddress": ":8554",
    "rtspsAddress": ":8322",
    "rtpAddress": ":8000",
    "rtcpAddress": ":8001",
    "multicastIPRange": "224.1.0.0/16",
    "multicastRTPPort": 8002,
    "multicastRTCPPort": 8003,
    "srtpAddress": ":8004",
    "srtcpAddress": ":8005",
    "multicastSRTPPort": 8006,
    "multicastSRTCPPort": 8007,
    "rtspAuthMethods": ["basic"],
    "rtmp": True,
    "rtmpEncryption": "no",
    "rtmpAddress": ":1935",
    "rtmpsAddress": ":1936",
    "hls": True,
    "hlsAddress": ":8888",
    "hlsVariant": "lowLatency",
    "hlsSegmentCount": 7,
    "hlsSegmentDuration": "1s",
    "hlsPartDuration": "200ms",
    "hlsSegmentMaxSize": "50M",
    "hlsMuxerCloseAfter": "1m0s",
    "webrtc": True,
    "webrtcAddress": ":8889",
    "webrtcLocalUDPAddress": ":8189",
    "webrtcIPsFromInterfaces": True,
    "webrtcSTUNGatherTimeout": "5s",
    "webrtcHandshakeTimeout": "10s",
    "webrtcTrackGatherTimeout": "2s",
    "srt": True,
    "srtAddress": ":8890",
    "moq": True,
    "moqHTTP2Address": ":8892",
    "moqHTTP3Address": ":8892",
    "moqQUICAddress": ":8893",
}
for _prefix in ("api", "metrics", "pprof", "playback", "rtsp", "rtmp", "hls", "webrtc"):
    GLOBAL_DEFAULTS[f"{_prefix}ServerKey"] = "server.key"
    GLOBAL_DEFAULTS[f"{_prefix}ServerCert"] = "server.crt"
for _prefix in ("api", "metrics", "pprof", "playback", "hls", "webrtc", "moq"):
    GLOBAL_DEFAULTS[f"{_prefix}AllowOrigins"] = ["*"]
GLOBAL_DEFAULTS |= {"moqServerKey": "auto.key", "moqServerCert": "auto.crt"}

_JSON_KIND = {bool: "bool", int: "number", float: "number", str: "string", list: "array"}
_GO_TYPE = {"boolean": "bool", "number": "float64", "string": "string", "array": "[]"}


class ConfError(ValueError):
    """A body MediaMTX would refuse (HTTP 400), with its message."""


@cache
def spec() -> dict[str, Any]:
    text = files("provision.lab").joinpath(SPEC_PATH).read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(text, Loader=loader)  # a safe loader, C when built
    return loaded


def _schema(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a $ref (or a single allOf $ref) to the schema it names, keeping `nullable`."""
    schemas = spec()["components"]["schemas"]
    target = ref_or_schema
    if "allOf" in target:
        target = {**target["allOf"][0], "nullable": ref_or_schema.get("nullable", False)}
    if "$ref" in target:
        named = schemas[target["$ref"].rsplit("/", 1)[1]]
        return {**named, "nullable": target.get("nullable", False)}
    return target


def fields(schema_name: str) -> dict[str, dict[str, Any]]:
    props = spec()["components"]["schemas"][schema_name]["properties"]
    return {
        name: {**_schema(prop), "deprecated": prop.get("deprecated")}
        for name, prop in props.items()
    }


def _zero(field: dict[str, Any]) -> Any:
    kind = str(field.get("type", "string"))
    if "enum" in field:  # a named string type: its zero value is ""
        return None if field.get("nullable") else ""
    return {"boolean": False, "integer": 0, "number": 0, "string": "", "array": []}.get(kind)


def _defaults(schema_name: str, chosen: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, field in fields(schema_name).items():
        if field.get("deprecated"):
            continue  # a nil pointer, omitted
        out[name] = chosen[name] if name in chosen else _zero(field)
    return out


@cache
def _path_defaults() -> tuple[tuple[str, Any], ...]:
    return tuple(_defaults("PathConf", PATH_DEFAULTS).items())


def path_defaults() -> dict[str, Any]:
    """A fresh PathConf with every default (lists are new objects)."""
    return {k: list(v) if isinstance(v, list) else v for k, v in _path_defaults()}


def global_conf() -> dict[str, Any]:
    conf = _defaults("GlobalConf", GLOBAL_DEFAULTS)
    conf.pop("pathDefaults", None)
    return conf


def _type_error(name: str, value: Any, field: dict[str, Any]) -> str | None:
    kind = field.get("type", "string")
    if value is None:
        if field.get("nullable"):
            return None
        return "cannot set slice to nil" if kind == "array" else None
    ok = {
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(kind, True)
    go = "uint" if field.get("format") == "uint64" else _GO_TYPE.get(kind, "int")
    got = _JSON_KIND.get(type(value), "object")
    if not ok:
        return f"json: cannot unmarshal {got} into Go struct field .{name} of type {go}"
    if go == "uint" and value < 0:
        return f"json: cannot unmarshal number {value} into Go struct field .{name} of type uint"
    if "enum" in field and value not in field["enum"]:
        return f"invalid {name}: '{value}'"
    if kind == "array" and "items" in field:
        item = _schema(field["items"])
        for element in value:
            problem = _type_error(name, element, item)
            if problem:
                return problem
    return None


def decode_path_conf(data: Any) -> dict[str, Any]:
    """Check a PathConf body field by field; the fields to apply (nulls on non-pointers, as
    Go's decoder, change nothing)."""
    if not isinstance(data, dict):
        raise ConfError("json: cannot unmarshal into Go value of type conf.OptionalPath")
    known = fields("PathConf")
    for key, value in data.items():
        if key not in known:
            raise ConfError(f'json: unknown field "{key}"')
        problem = _type_error(key, value, known[key])
        if problem:
            raise ConfError(problem)
    return {k: v for k, v in data.items() if v is not None or known[k].get("nullable")}
