"""validate refuses, at the line that says it, a setting a camera's protocol or model cannot
carry; vendor and model are inherited like every default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from provision.citygen import dump
from provision.inventory.loader import load_inventory
from provision.validate import validate

KG = "dl-xg-k003"
CODE = "protocol-cannot-carry"
MODELS = {
    "ACME-MEDIA1": {"vendor": "acme", "onvif_media2": False},
    "ACME-MEDIA2": {"vendor": "acme", "onvif_media2": True},
    "ACME-H264": {"vendor": "acme", "onvif_media2": True, "codecs": ["H.264"]},
    "DS-TEST": {"vendor": "hikvision", "onvif_media2": True},
}


def _edit_yaml(path: Path, change: Any) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(dump(doc, "x.json"), encoding="utf-8")


def _city(city: Path, **camera_defaults: Any) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc.setdefault("camera_models", {}).update(MODELS)
        doc["defaults"]["camera"].update(camera_defaults)

    _edit_yaml(city / "city.yaml", change)


def _camera(city: Path, index: int, **fields: Any) -> Path:
    path = city / "schools" / f"{KG}.yaml"
    _edit_yaml(path, lambda doc: doc["cameras"][index].update(fields))
    return path


def _problems(city: Path) -> list[Any]:
    return [p for p in validate(city).errors if p.code == CODE]


def _line(path: Path, problem: Any) -> str:
    assert problem.location.file.endswith(path.name)
    return path.read_text(encoding="utf-8").splitlines()[problem.location.line - 1].strip()


def test_h265_over_onvif_media1_is_refused_at_the_codec(city_copy: Path) -> None:
    _city(city_copy)
    path = _camera(city_copy, 1, protocol="onvif", model="ACME-MEDIA1", video={"codec": "H.265"})
    [problem] = _problems(city_copy)
    assert "codec: H.265" in _line(path, problem)
    assert "Media1 cannot set H.265" in problem.message and "ACME-MEDIA1" in problem.message


def test_h265_over_onvif_is_fine_with_media2_or_over_a_vendor_api(city_copy: Path) -> None:
    _city(city_copy)
    _camera(city_copy, 1, protocol="onvif", model="ACME-MEDIA2", video={"codec": "H.265"})
    _camera(city_copy, 2, protocol="isapi", model="DS-TEST", video={"codec": "H.265"})
    assert _problems(city_copy) == []


def test_a_codec_the_model_lacks_is_refused_whatever_the_protocol(city_copy: Path) -> None:
    _city(city_copy)
    path = _camera(city_copy, 0, model="ACME-H264")  # the city's default codec is H.265
    [problem] = _problems(city_copy)
    assert _line(path, problem).startswith("- name:") or "model" in _line(path, problem)
    assert "offers H.264, not H.265" in problem.message


def test_a_vendor_api_on_another_vendors_camera_is_refused(city_copy: Path) -> None:
    _city(city_copy)
    path = _camera(city_copy, 0, protocol="isapi", model="ACME-MEDIA2")
    [problem] = _problems(city_copy)
    assert _line(path, problem) == "protocol: isapi"
    assert "acme camera" in problem.message and "hikvision's API" in problem.message


def test_vendor_and_model_inherit_from_defaults(city_copy: Path) -> None:
    _city(city_copy, model="DS-TEST")
    _camera(city_copy, 0, vendor="acme", model="ACME-MEDIA2")
    city = load_inventory(city_copy).city
    assert city is not None
    first, second = city.school(KG).cameras[:2]
    assert (first.vendor, first.model, city.camera_vendor(first)) == ("acme", "ACME-MEDIA2", "acme")
    assert (second.vendor, second.model) == ("", "DS-TEST")
    assert city.camera_vendor(second) == "hikvision"  # from camera_models


def test_onvif_cameras_cannot_be_given_a_sub_stream_or_rate_control(city_copy: Path) -> None:
    _city(city_copy)
    sub = {"resolution": "640x360", "codec": "H.264", "fps": 15, "gop": 30, "bitrate_kbps": 384}
    path = _camera(city_copy, 1, protocol="onvif", model="ACME-MEDIA2", sub_video=sub)
    _camera(city_copy, 2, protocol="isapi", model="DS-TEST", sub_video=sub)  # fine over ISAPI
    _camera(city_copy, 3, protocol="onvif", model="ACME-MEDIA2", video={"rate_control": "CBR"})
    problems = _problems(city_copy)
    assert len(problems) == 2
    assert "sub_video" in _line(path, problems[0]) and "sub stream" in problems[0].message
    assert "rate_control: CBR" in _line(path, problems[1])
    city = load_inventory(city_copy).city
    assert city is not None
    isapi = city.school(KG).cameras[2]
    assert isapi.sub_video is not None and isapi.sub_video.fps == 15
