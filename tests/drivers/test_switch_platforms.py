"""One list of switch platforms: the registry, and everything that must agree with it.

The schema's enum is a static file (schemas sit below drivers), so it is checked here; citygen
and the lab take the registry's list, which is checked too, so a platform added without its
template, lab dialect or schema entry fails here and not in the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from provision import citygen
from provision.drivers.base import Target
from provision.drivers.connect import Connector
from provision.drivers.switch import SwitchDriver, SwitchError
from provision.drivers.switch_platforms import (
    SwitchPlatform,
    UnknownSwitchPlatform,
    platform_named,
    platform_names,
    platforms,
)
from provision.inventory.loader import load_inventory
from provision.lab.cli import DIALECTS, PLATFORMS
from provision.lab.cli.base import SwitchConfig
from provision.templates import switch_templates

PACKAGE = Path(__file__).resolve().parents[2] / "provision"


def test_the_registry_is_every_platform_module_by_its_own_name() -> None:
    names = platform_names()
    assert names and list(names) == sorted(names)
    for name, platform in platforms().items():
        assert isinstance(platform, SwitchPlatform) and platform.name == name
        assert type(platform).__module__ == f"provision.drivers.switch_platforms.{name}"
        assert platform.dialect.platform == name
        assert platform.template == f"switch/{name}.j2"


def test_an_unknown_platform_is_an_error_listing_the_valid_ones() -> None:
    with pytest.raises(UnknownSwitchPlatform) as caught:
        platform_named("junos")
    assert "'junos'" in str(caught.value)
    assert ", ".join(platform_names()) in str(caught.value)


def test_the_schema_enum_lists_exactly_the_registered_platforms() -> None:
    schema = json.loads((PACKAGE / "schemas" / "school.schema.json").read_text(encoding="utf-8"))
    switch = schema["properties"]["network"]["properties"]["switches"]["items"]
    assert sorted(switch["properties"]["platform"]["enum"]) == list(platform_names())


def test_templates_citygen_and_the_lab_have_every_platform() -> None:
    assert switch_templates() == platform_names()
    assert platform_names() == citygen.PLATFORMS
    assert platform_names() == PLATFORMS and list(DIALECTS) == list(platform_names())


def test_the_driver_names_no_platform() -> None:
    """Platform specifics live in their modules: the driver only asks its platform."""
    source = (PACKAGE / "drivers" / "switch.py").read_text(encoding="utf-8")
    for name in platform_names():
        assert not re.search(rf"\b{name}\b", source), name


@pytest.mark.parametrize("name", platform_names())
def test_version_parsing_reads_model_serial_and_firmware_from_the_lab_switch(name: str) -> None:
    dialect = DIALECTS[name]
    config = SwitchConfig(dialect, None, dialect.serial_prefix + "0" * dialect.serial_digits)
    found = platform_named(name).parse_version(dialect.version(config))
    assert found == {
        "model": dialect.model,
        "serial": config.serial,
        "firmware": found["firmware"],
    }
    assert found["firmware"] and found["firmware"] in dialect.version(config)


def test_a_switch_of_an_unknown_platform_is_refused_by_the_driver(example_city: Path) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    school = city.schools[0]
    switch = replace(school.network.switches[0], platform="junos")
    with pytest.raises(SwitchError, match="unknown switch platform 'junos'; valid: "):
        SwitchDriver(Target(city, school, switch, Connector()))
