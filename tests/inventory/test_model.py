"""Inheritance city → district → tier → school → device, secrets, selectors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provision.citygen import ONVIF_CAMERAS, dump
from provision.drivers.connect import Connector
from provision.errors import InventoryError, SecretError
from provision.inventory.loader import load_inventory
from provision.inventory.merge import deep_merge
from provision.inventory.model import VIDEO_FIELDS
from provision.inventory.secrets import SecretRef
from provision.inventory.selectors import Selection
from provision.schemas import schema
from provision.templates.camera_settings import RATE_CONTROL


def test_deep_merge_later_layers_win_lists_replace_inputs_untouched() -> None:
    city = {"video": {"fps": 25, "gop": 50}, "ntp": ["a", "b"]}
    school = {"video": {"fps": 15}, "ntp": ["c"]}
    assert deep_merge(city, None, school) == {"video": {"fps": 15, "gop": 50}, "ntp": ["c"]}
    assert city == {"video": {"fps": 25, "gop": 50}, "ntp": ["a", "b"]}


def test_values_inherit_through_every_level(city_copy: Path) -> None:
    school_file = city_copy / "schools" / "dl-xg-m016.yaml"
    doc = yaml.safe_load(school_file.read_text(encoding="utf-8"))
    doc["defaults"] = {"camera": {"video": {"fps": 20}}}
    doc["cameras"][0]["video"] = {"gop": 40}
    school_file.write_text(dump(doc, "x.json"), encoding="utf-8")
    city = load_inventory(city_copy).city
    assert city is not None
    high = city.school("dl-zs-h024")
    middle = city.school("dl-xg-m016")
    assert high.ntp == ("10.0.0.1",)  # city default
    assert middle.ntp == ("10.0.0.2", "10.0.0.1")  # xigang district default
    assert high.alarms[0].test_interval_h == 12  # high tier default
    assert middle.alarms[0].test_interval_h == 24  # city default
    first, second = middle.cameras[0], middle.cameras[1]
    assert (first.video.fps, first.video.gop, first.video.codec) == (20, 40, "H.265")
    assert (second.video.fps, second.video.gop) == (20, 50)  # school default, city gop
    assert high.cameras[0].video.fps == 25


def test_secret_refs_never_show_their_value() -> None:
    ref = SecretRef.parse("${PV_TEST_SECRET}")
    # Resolved only by a connector, at the moment a device is contacted.
    assert Connector(env={"PV_TEST_SECRET": "hunter2"}).secret(ref) == "hunter2"
    assert "hunter2" not in f"{ref} {ref!r} {[ref]}"
    with pytest.raises(SecretError, match="PV_TEST_SECRET"):
        Connector(env={}).secret(ref)


def test_loaded_city_holds_references_not_values(
    example_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVISION_CAMERA_PASSWORD", "s3cret-camera")
    city = load_inventory(example_city).city
    assert city is not None
    creds = city.schools[0].cameras[0].credentials
    assert creds is not None and creds.password == SecretRef("PROVISION_CAMERA_PASSWORD")
    assert "s3cret-camera" not in repr(city)


def test_selectors(example_city: Path) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    ids = lambda sel: [s.id for s in sel.apply(city)]  # noqa: E731
    assert ids(Selection(tiers=("kindergarten",))) == ["dl-xg-k003"]
    assert ids(Selection(districts=("xigang",))) == ["dl-xg-k003", "dl-xg-m016"]
    assert ids(Selection(precincts=("nanshajie",), tiers=("high",))) == ["dl-zs-h024"]
    assert len(ids(Selection())) == 4
    with pytest.raises(InventoryError, match="no school dl-none"):
        Selection(schools=("dl-none",)).apply(city)
    with pytest.raises(InventoryError, match=r"valid: .*zhongshan"):
        Selection(districts=("atlantis",)).apply(city)


def test_each_kind_speaks_its_default_protocol(example_city: Path) -> None:
    """Built-in defaults, except cameras, recorders and alarms: the example city makes ISAPI
    their default (Hikvision cameras and NVRs, AX PRO panels) and two cameras per school name
    ONVIF themselves; dl-xg-k003 keeps the generic HTTP panel."""
    city = load_inventory(example_city).city
    assert city is not None
    school = city.school("dl-zs-h024")
    assert {(d.kind, d.protocol) for d in school.devices()} == {
        ("camera", "isapi"),
        ("camera", "onvif"),
        ("switch", "ssh"),
        ("recorder", "isapi"),
        ("alarm", "isapi"),
        ("led_board", "http"),
    }
    generic = city.school("dl-xg-k003")
    assert {a.protocol for a in generic.alarms} == {"http"}


def test_protocols_inherit_through_defaults_and_the_device_wins(city_copy: Path) -> None:
    city_file = city_copy / "city.yaml"
    city_doc = yaml.safe_load(city_file.read_text(encoding="utf-8"))
    city_doc["defaults"]["camera"]["protocol"] = "isapi"  # city: every camera
    city_doc["districts"]["xigang"].setdefault("defaults", {})["switch"] = {"protocol": "netconf"}
    city_file.write_text(dump(city_doc, "x.json"), encoding="utf-8")
    school_file = city_copy / "schools" / "dl-xg-m016.yaml"
    doc = yaml.safe_load(school_file.read_text(encoding="utf-8"))
    doc["cameras"][0]["protocol"] = "dahua"
    school_file.write_text(dump(doc, "x.json"), encoding="utf-8")
    city = load_inventory(city_copy).city
    assert city is not None
    middle, high = city.school("dl-xg-m016"), city.school("dl-zs-h024")
    assert [c.protocol for c in middle.cameras[:2]] == ["dahua", "isapi"]
    assert {c.protocol for c in high.cameras if c.name not in ONVIF_CAMERAS} == {"isapi"}
    assert {c.protocol for c in high.cameras if c.name in ONVIF_CAMERAS} == {"onvif"}  # own
    assert {s.protocol for s in middle.network.switches} == {"netconf"}  # xigang district
    assert {s.protocol for s in high.network.switches} == {"ssh"}  # zhongshan: built-in


def test_the_report_format_is_adm_cid_unless_a_default_or_the_panel_says(
    city_copy: Path,
) -> None:
    city_file = city_copy / "city.yaml"
    city_doc = yaml.safe_load(city_file.read_text(encoding="utf-8"))
    city_doc["districts"]["xigang"].setdefault("defaults", {})["alarm"] = {
        "report_format": "SIA-DCS"
    }
    city_file.write_text(dump(city_doc, "x.json"), encoding="utf-8")
    school_file = city_copy / "schools" / "dl-xg-m016.yaml"
    doc = yaml.safe_load(school_file.read_text(encoding="utf-8"))
    doc["alarms"][0]["report_format"] = "ADM-CID"
    school_file.write_text(dump(doc, "x.json"), encoding="utf-8")
    city = load_inventory(city_copy).city
    assert city is not None
    assert [a.report_format for a in city.school("dl-xg-m016").alarms][:1] == ["ADM-CID"]
    assert {a.report_format for a in city.school("dl-xg-k003").alarms} == {"SIA-DCS"}
    assert {a.report_format for a in city.school("dl-zs-h024").alarms} == {"ADM-CID"}
    doc["alarms"][0]["report_format"] = "CID"
    school_file.write_text(dump(doc, "x.json"), encoding="utf-8")
    (problem,) = load_inventory(city_copy).problems
    assert problem.is_error and problem.yaml_path.endswith("report_format")
    assert problem.location.file.endswith("dl-xg-m016.yaml") and problem.location.line > 0


def test_one_hostname_rule_names_devices_on_the_network(example_city: Path) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    school = city.school("dl-xg-k003")
    assert school.hostname("gate-face") == "dl-xg-k003-gate-face"
    assert school.hostname("gate-face").startswith(school.hostname_prefix)


def test_the_schema_video_fields_are_the_models() -> None:
    """One list of encoder fields: the schema, the model and the camera settings agree."""
    video = schema("common.schema.json")["$defs"]["video"]
    # rate_control is the one optional field: managed only where the inventory sets it.
    assert tuple(video["properties"]) == (*VIDEO_FIELDS, RATE_CONTROL)
