"""The lab's MediaMTX API judged by MediaMTX's own OpenAPI document (v1.20.1, kept with its
licence in provision/lab/specs/mediamtx) through openapi-schema-validator, a validator no one
here wrote: every answer of every route the lab serves (errors included) must match the
schema the spec gives for that route and status, and every PathConf field the spec lists must
be accepted (and only those).

One lab for the module: a platform pulling one clip camera, with one viewer on its relay so
the RTSP session and connection lists have something to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openapi_schema_validator
import pytest
import requests
from labsupport import LabLoop, wait_until

from provision.lab.faults import Faults
from provision.lab.media import ClipSource
from provision.lab.platform import VideoPlatform
from provision.lab.platform_mediamtx_conf import fields, spec
from provision.lab.rtsp_server import RtspServer
from provision.protocols.rtsp import RtspPull

CAMERA_PATH = "/Streaming/Channels/101"
NAME = "school/dl-zs-m012-cam01"
# Sample values of each JSON type, valid for the field (enums take their first member).
SAMPLES = {"boolean": True, "integer": 3, "number": 1.5, "string": "x", "array": []}


@dataclass
class Rig:
    loop: LabLoop
    platform: VideoPlatform
    camera: RtspServer
    viewer: RtspPull

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        port = self.platform.endpoints()["mediamtx_api"]
        return requests.request(method, f"http://127.0.0.1:{port}{path}", timeout=10, **kw)


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    loop = LabLoop()

    async def start() -> tuple[VideoPlatform, RtspServer]:
        camera = RtspServer("127.0.0.1", 0, Faults(), {CAMERA_PATH: ClipSource()}.get)
        await camera.start()
        platform = VideoPlatform(
            "precinct", "127.0.0.1", faults=Faults(), api_port=0, mediamtx_port=0, rtsp_port=0
        )
        await platform.start()
        return platform, camera

    platform, camera = loop.run(start())
    port = platform.endpoints()["mediamtx_api"]
    body = {"source": camera.url(CAMERA_PATH)}
    url = f"http://127.0.0.1:{port}/v3/config/paths/add/{NAME}"
    assert requests.post(url, json=body, timeout=10).ok
    get = f"http://127.0.0.1:{port}/v3/paths/get/{NAME}"
    wait_until(lambda: requests.get(get, timeout=10).json()["online"], what="the pull")

    async def watch() -> RtspPull:
        viewer = RtspPull(platform.relay_url(NAME), timeout=3)
        await viewer.start()
        await viewer.wait_first_packet(3)
        return viewer

    viewer = loop.run(watch())
    yield Rig(loop, platform, camera, viewer)
    loop.run(viewer.stop())
    loop.run(platform.stop())
    loop.run(camera.stop())
    loop.close()


def components() -> dict[str, Any]:
    """The spec's components, with two defects of the spec worked around:
    - PathTrackCodecProps is a `oneOf` of nine objects with no discriminator and open
      properties, so any codecProps object MediaMTX sends matches several and fails `oneOf`.
      Here it is `anyOf`, and test_the_runtime_answer_carries_the_current_fields holds the
      props to their codec's schema exactly.
    - A nullable field written as `allOf: [$ref]` + `nullable: true` (Path.source, a
      track's codecProps) refuses the null MediaMTX sends (a path with no publisher yet):
      OAS 3.0's `nullable` does not reach into `allOf`. Here it is "the $ref, or null"."""
    schemas = {}
    for name, schema in spec()["components"]["schemas"].items():
        props = schema.get("properties")
        if props:
            props = {k: _null_or(v) for k, v in props.items()}
            schema = {**schema, "properties": props}
        schemas[name] = schema
    schemas["PathTrackCodecProps"] = {"anyOf": schemas["PathTrackCodecProps"]["oneOf"]}
    return {**spec()["components"], "schemas": schemas}


def _null_or(prop: dict[str, Any]) -> dict[str, Any]:
    if prop.get("nullable") and "allOf" in prop:
        return {"anyOf": [{"allOf": prop["allOf"]}, {"enum": [None]}]}
    return prop


def response_schema(route: str, method: str, status: int) -> dict[str, Any]:
    """The spec's schema for one answer, with the components its $refs point into."""
    operation = spec()["paths"][route][method.lower()]
    content = operation["responses"][str(status)]["content"]["application/json"]
    return {**content["schema"], "components": components()}


def assert_valid(resp: requests.Response, route: str, method: str = "GET") -> Any:
    body = resp.json()
    schema = response_schema(route, method, resp.status_code)
    openapi_schema_validator.validate(body, schema, cls=openapi_schema_validator.OAS30Validator)
    return body


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/v3/info", "/v3/info"),
        ("/v3/config/global/get", "/v3/config/global/get"),
        ("/v3/config/pathdefaults/get", "/v3/config/pathdefaults/get"),
        ("/v3/config/paths/list", "/v3/config/paths/list"),
        (f"/v3/config/paths/get/{NAME}", "/v3/config/paths/get/{name}"),
        ("/v3/paths/list", "/v3/paths/list"),
        (f"/v3/paths/get/{NAME}", "/v3/paths/get/{name}"),
        ("/v3/rtspsessions/list", "/v3/rtspsessions/list"),
        ("/v3/rtspconns/list", "/v3/rtspconns/list"),
        ("/v3/paths/get/school/absent", "/v3/paths/get/{name}"),  # 404 Error
        ("/v3/config/paths/get/school/absent", "/v3/config/paths/get/{name}"),
    ],
)
def test_every_answer_matches_the_spec(rig: Rig, path: str, route: str) -> None:
    assert_valid(rig.call("GET", path), route)


def test_the_runtime_answer_carries_the_current_fields(rig: Rig) -> None:
    path = assert_valid(rig.call("GET", f"/v3/paths/get/{NAME}"), "/v3/paths/get/{name}")
    assert path["inboundBytes"] > 0 and path["outboundBytes"] >= 0
    [track] = path["tracks2"]
    assert track["codec"] == "H264"
    assert (track["codecProps"]["width"], track["codecProps"]["height"]) == (320, 180)
    h264 = spec()["components"]["schemas"]["PathTrackCodecPropsH264"]["properties"]
    assert set(track["codecProps"]) == set(h264)
    assert rig.viewer.packets > 0  # the reader the lists show is really playing
    [reader] = path["readers"]
    assert reader["type"] == "rtspSession"
    sessions = rig.call("GET", "/v3/rtspsessions/list").json()["items"]
    assert [s["id"] for s in sessions] == [reader["id"]] and sessions[0]["path"] == NAME
    conns = rig.call("GET", "/v3/rtspconns/list").json()["items"]
    assert [c["session"] for c in conns] == [reader["id"]]
    info = rig.call("GET", "/v3/info").json()
    assert info["version"] == "v1.20.1"


def test_every_pathconf_field_of_the_spec_is_accepted_and_shown(rig: Rig) -> None:
    body: dict[str, Any] = {}
    for name, field in fields("PathConf").items():
        if name in ("name", "source") or field.get("deprecated"):
            continue
        body[name] = field["enum"][-1] if "enum" in field else SAMPLES[field["type"]]
    resp = rig.call("POST", "/v3/config/paths/add/school/every-field", json=body)
    assert resp.status_code == 200, resp.text
    conf = assert_valid(
        rig.call("GET", "/v3/config/paths/get/school/every-field"), "/v3/config/paths/get/{name}"
    )
    assert {k: conf[k] for k in body} == body
    defaults = rig.call("GET", "/v3/config/pathdefaults/get").json()
    assert set(conf) == set(defaults)  # every non-deprecated field, as MediaMTX answers
    assert len(defaults) == 1 + len(body) + 1  # name, source and every other field


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"notAField": 1}, 'json: unknown field "notAField"'),
        ({"maxReaders": "many"}, "cannot unmarshal string into Go struct field .maxReaders"),
        ({"rtspTransport": "carrier-pigeon"}, "invalid rtspTransport"),
        ({"record": 1}, "cannot unmarshal number into Go struct field .record of type bool"),
    ],
)
def test_a_bad_pathconf_is_a_400_as_the_spec_describes(
    rig: Rig, body: dict[str, Any], error: str
) -> None:
    resp = rig.call("POST", "/v3/config/paths/add/school/bad", json=body)
    answer = assert_valid(resp, "/v3/config/paths/add/{name}", "POST")
    assert resp.status_code == 400 and error in answer["error"]
    assert rig.call("GET", "/v3/config/paths/get/school/bad").status_code == 404  # unchanged
